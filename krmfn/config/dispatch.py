"""functionConfig -> Config: which form a config is, by a table keyed by apiVersion and kind.

:data:`FORMS` maps ``(apiVersion, kind)`` to the rules of that kind, tried in order: ``(predicate, reader)``,
where a predicate (None: always) tells one form of the kind from another (the four ConfigMaps).  A key may
be ``("GROUP/*", kind)`` (any version of the group), ``(apiVersion, "*")`` or ``("*", kind)``; an
apiVersion left out is ``None``.  The most specific key wins (:func:`rules_for`).  Each reader is one
module's ``read`` (one module per form), imported on first use so that a run loads only its own form.
Adding a form: one module with ``read(node) -> Config`` and one row here.
"""

from __future__ import annotations

from ..text.nodes import Mapping, Node, Scalar, YamlError, deref, is_null, to_python
from .errors import ConfigError
from .fields import (
    INJECTOR_CONFIGMAP,
    INJECTOR_ONLY_KEYS,
    INJECTOR_SPEC,
    OPERATOR_API_GROUP,
    OPERATOR_API_VERSION,
    OPERATOR_KIND,
    SEED_KEYS,
    TYPED_API_VERSION,
    TYPED_KIND,
)
from .model import Config, build
from .text import embedded_keys, name_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Reader = Callable[[Mapping], Config]
    Predicate = Callable[[Mapping], bool]
    Rules = tuple[tuple[Predicate | None, Reader], ...]


# --- the readers: one module per form, imported on first use ---------------------------------------------


def _seed(node: Mapping) -> Config:
    from . import seed

    return seed.read(node)


def _flat(node: Mapping) -> Config:
    from . import flat

    return flat.read(node)


def _typed(node: Mapping) -> Config:
    from . import typed

    return typed.read(node)


def _operator(node: Mapping) -> Config:
    from . import operator

    return operator.read(node)


def _injector(node: Mapping) -> Config:
    from . import injector

    return injector.read(node)


def _injector_list(node: Mapping) -> Config:
    from . import injector

    return injector.read_list(node)


def _refuse_data(node: Mapping) -> Config:
    raise ConfigError("data must be a mapping of strings", "data")


# --- the predicates that tell the ConfigMaps apart ---------------------------------------------------------


def _data(node: Mapping) -> Node | None:
    data = deref(node.get("data"))
    return None if data is None or is_null(data) else data


def _data_not_mapping(node: Mapping) -> bool:
    data = _data(node)
    return data is not None and not isinstance(data, Mapping)


def _is_injector(node: Mapping) -> bool:
    """Istio's injector ConfigMap, not the seed's istio-inject one: by its name, by data.values or data.mesh,
    else by keys in data.config that only Istio's injector config has (and none only the seed's has)."""
    data = _data(node)
    if not isinstance(data, Mapping):
        return False
    name = name_of(node)
    if isinstance(name, str) and name.startswith(INJECTOR_CONFIGMAP):
        return True
    data_keys = [k.value for k, _ in data.pairs if isinstance(k, Scalar)]
    if "values" in data_keys or "mesh" in data_keys:
        return True
    inner = embedded_keys(data, "config") if "config" in data_keys else []
    if any(k in SEED_KEYS and k not in INJECTOR_SPEC for k in inner):
        return False
    return any(k in INJECTOR_ONLY_KEYS for k in inner)


def _has_config(node: Mapping) -> bool:
    """The seed's istio-inject ConfigMap: data.config."""
    data = _data(node)
    return isinstance(data, Mapping) and any(isinstance(k, Scalar) and k.value == "config" for k, _ in data.pairs)


_CONFIGMAP: Rules = (
    (_data_not_mapping, _refuse_data),
    (_is_injector, _injector),  # istio-sidecar-injector[-REV], alone or with data.mesh
    (_has_config, _seed),  # the seed's istio-inject: data.config
    (None, _flat),  # data: key=value strings (kpt fn eval -- key=value), or no data
)
_TYPED: Rules = ((None, _typed),)

FORMS: dict[tuple[str | None, str], Rules] = {
    ("v1", "ConfigMap"): _CONFIGMAP,
    (None, "ConfigMap"): _CONFIGMAP,
    ("v1", "List"): ((None, _injector_list),),  # kubectl get cm istio-sidecar-injector istio -o yaml
    (f"{OPERATOR_API_GROUP}/*", OPERATOR_KIND): ((None, _operator),),
    (TYPED_API_VERSION, "*"): _TYPED,
    ("*", TYPED_KIND): _TYPED,
}


def rules_for(api_version: Any, kind: Any) -> Rules:
    """The rules of the most specific key of :data:`FORMS` that matches; () when none does.

    An apiVersion or kind that is not a string (a list, a number) matches only the wildcard on its side."""
    apis: list[str | None] = []
    if isinstance(api_version, str):
        apis = [api_version, *([f"{api_version.split('/', 1)[0]}/*"] if "/" in api_version else [])]
    elif api_version is None:
        apis = [None]
    kinds = [kind] if isinstance(kind, str) else []
    keys = [(a, k) for a in apis for k in kinds] + [(a, "*") for a in apis] + [("*", k) for k in kinds]
    return next((FORMS[key] for key in keys if key in FORMS), ())


def parse(node: Node | None) -> Config:
    """Read a functionConfig node (or None) into a Config; raises ConfigError."""
    try:
        return _parse(node)
    except YamlError as e:  # e.g. an alias bomb met while reading the config's data
        raise ConfigError(f"functionConfig cannot be read: {e}", None) from None


def _parse(node: Node | None) -> Config:
    node = deref(node)
    if node is None or is_null(node):
        return build({}, "default")
    if not isinstance(node, Mapping):
        raise ConfigError("functionConfig must be a mapping", "")
    if not node.pairs:
        return build({}, "default")
    api_version = _field(node, "apiVersion")
    kind = _field(node, "kind")
    for predicate, reader in rules_for(api_version, kind):
        if predicate is None or predicate(node):
            return reader(node)
    raise ConfigError(
        f"functionConfig {api_version}/{kind} is not supported; use a ConfigMap (v1), a List (v1) of Istio's "
        f"ConfigMaps, an {OPERATOR_API_VERSION} {OPERATOR_KIND} or {TYPED_API_VERSION} {TYPED_KIND}",
        "kind",
    )


def _field(node: Mapping, key: str) -> Any:
    value = node.get(key)
    return to_python(value) if value is not None else None
