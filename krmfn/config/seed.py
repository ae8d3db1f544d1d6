"""The seed's form: its ``istio-inject`` ConfigMap (Istio 0.2), verbatim.

``data.config`` holds YAML: the top-level settings of :data:`~krmfn.config.fields.FIELDS` and a ``params:``
and a ``mesh:`` section.  No other ``data`` key may stand beside it.
"""

from __future__ import annotations

from ..text.nodes import Mapping, Scalar, deref
from .errors import ConfigError
from .model import Config, build
from .ownfields import check_section, typed_data
from .text import parse_embedded


def read(node: Mapping) -> Config:
    data_node = deref(node.get("data"))
    if not isinstance(data_node, Mapping):  # dispatch sends only a ConfigMap with data.config here
        raise ConfigError("data must be a mapping of strings", "data")
    keys = [k.value for k, _ in data_node.pairs if isinstance(k, Scalar)]
    extra = [k for k in keys if k != "config"]
    if extra:
        raise ConfigError(
            f"data.{extra[0]}: unknown key beside data.config; put every setting in data.config",
            f"data.{extra[0]}",
        )
    raw = deref(data_node.get("config"))
    if not isinstance(raw, Scalar):
        raise ConfigError("data.config must be a string holding YAML", "data.config")
    inner = parse_embedded(raw.value, "data.config")
    if inner is None:
        return build({}, "seed")
    if not isinstance(deref(inner), Mapping):
        raise ConfigError("data.config must hold a YAML mapping", "data.config")
    return build(check_section(typed_data(inner), "", "data.config."), "seed")
