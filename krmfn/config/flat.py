"""The flat form: a ConfigMap whose ``data`` holds settings as strings, as ``kpt fn eval --exec krmfn DIR --
key=value ...`` makes it.

Every setting of :data:`~krmfn.config.fields.FIELDS` is a ``data`` key by its name; lists are comma-separated;
``values``, ``meshConfig`` and the selectors are not available as a whole.  **Dotted keys work like istioctl's
--set**: ``values.global.proxy.resources.requests.cpu=50m`` and
``meshConfig.defaultConfig.holdApplicationUntilProxyStarts=true`` set that path of ``values`` or ``meshConfig``;
the text is converted to the type Istio's field has (bool, integer, string...), looked up in the generated
tables of :mod:`krmfn.config.istio_fields`; a path Istio does not know is an error.
"""

from __future__ import annotations

import re

from ..text.nodes import Mapping, deref
from .errors import ConfigError
from .fields import BOOL, BY_NAME, INT, MAP, SELECTORS, STRLIST, TYPED_KIND
from .legacy import set_path
from .model import Config, build
from .ownfields import coerce, key_text, source_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

DOTTED_ROOTS = ("values", "meshConfig")


def read(node: Mapping) -> Config:
    """A ConfigMap whose data (a mapping, empty, null or absent) holds flat settings."""
    data_node = deref(node.get("data"))
    if not isinstance(data_node, Mapping):
        return build({}, "flat")
    return build(flat_data({key_text(k): source_text(v) for k, v in data_node.pairs}), "flat")


def flat_data(data: dict[str, Any]) -> dict[str, Any]:
    """Flat ConfigMap data: every value a string, lists comma-separated."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"data.{key}"
        f = BY_NAME.get(key) if isinstance(key, str) else None
        if f is None and isinstance(key, str) and isinstance(value, str) and is_dotted(key):
            set_dotted(out, key, value, path)  # values.a.b=... / meshConfig.a.b=..., as istioctl --set
            continue
        if f is None:
            allowed = ", ".join(sorted(BY_NAME))
            raise ConfigError(f"{path}: unknown field; allowed: {allowed} (and values.<path>, "
                              "meshConfig.<path> as istioctl --set)", path)
        if f.type in (MAP, SELECTORS):
            raise ConfigError(f"{path}: not available in a flat ConfigMap; use the typed {TYPED_KIND} "
                              "or a data.config", path)
        if not isinstance(value, str):
            raise ConfigError(f"{path}: expected a string, got {value!r}", path)
        out[key] = _FROM_TEXT.get(f.type, _text)(f, value, path)
    for key in DOTTED_ROOTS:
        if key in out:
            out[key] = coerce(BY_NAME[key], out[key], f"data.{key}")
    return out


def _text(f: Any, text: str, path: str) -> Any:
    return coerce(f, text, path)


def _list(f: Any, text: str, path: str) -> Any:
    items = [p.strip() for p in text.split(",")] if text.strip() else []
    return [] if items == [""] else items


def _integer(f: Any, text: str, path: str) -> Any:
    try:
        value = int(text.strip())
    except ValueError:
        raise ConfigError(f"{path}: expected an integer, got {text!r}", path) from None
    return coerce(f, value, path)


def _boolean(f: Any, text: str, path: str) -> Any:
    low = text.strip().lower()
    if low not in ("true", "false"):
        raise ConfigError(f"{path}: expected true or false, got {text!r}", path)
    return low == "true"


# How a flat value's text becomes a setting of each type (others: the text itself, checked).
_FROM_TEXT: dict[str, Callable[[Any, str, str], Any]] = {STRLIST: _list, INT: _integer, BOOL: _boolean}


# --- dotted keys, as istioctl's --set ----------------------------------------------------------------------


def is_dotted(key: str) -> bool:
    return "." in key and key.split(".", 1)[0] in DOTTED_ROOTS


def set_dotted(out: dict[str, Any], key: str, text: str, where: str) -> None:
    """Put ``key=text`` (``values.a.b=...`` or ``meshConfig.a.b=...``) into ``out[root]`` with the type Istio's
    field has."""
    root, _, rest = key.partition(".")
    path = rest.split(".")
    if not rest or any(not p for p in path):
        raise ConfigError(f"{where}: an empty name in {key!r}", where)
    value = _typed(text, _field_type(root, path, where))
    set_path(out.setdefault(root, {}), path, value, where)


def _field_type(root: str, path: list[str], where: str) -> tuple[str, str]:
    """(type, label) of the field at ``path`` (a field under a map, Struct or Value: ("google.protobuf.Value", ""));
    an unknown field is an error with the nearest names."""
    from . import istio_check, istio_fields

    message = istio_fields.ROOTS[root]
    entry: tuple[str, str] = (f"msg:{message}", "")
    for key in path:
        type_, label = entry
        if label.startswith("map:"):  # key is a map key: what follows is the map's value type
            entry = (type_, "")
            continue
        if not type_.startswith("msg:") or label == "repeated":
            return ("google.protobuf.Value", "")
        name = type_[4:]
        fields = istio_fields.MESSAGES[name]
        if key not in fields:
            if key in istio_fields.CHART_FIELDS.get(name, ()):
                return ("google.protobuf.Value", "")
            raise ConfigError(f"{where}: unknown field `{key}` in Istio's {name.rsplit('.', 1)[-1]}"
                              f"{istio_check.hint(key, fields)}", where)
        entry = fields[key]
    return entry


def _typed(text: str, entry: tuple[str, str]) -> Any:
    """istioctl's --set conversion, guided by the field's type."""
    type_, label = entry
    if label == "repeated":
        inner = text.strip()
        if inner.startswith("{") and inner.endswith("}"):
            inner = inner[1:-1]
        return [_typed(p.strip(), (type_, "")) for p in inner.split(",")] if inner.strip() else []
    if type_ in ("string", "bytes", "google.protobuf.StringValue", "google.protobuf.Duration") or \
            type_.startswith("enum:"):
        return text
    low = text.strip().lower()
    if type_ in ("bool", "google.protobuf.BoolValue"):
        return {"true": True, "false": False}.get(low, text)
    if "int" in type_.lower():
        return int(text) if re.fullmatch(r"-?[0-9]+", text.strip()) else text
    if type_ in ("double", "float", "google.protobuf.DoubleValue", "google.protobuf.FloatValue"):
        try:
            return float(text)
        except ValueError:
            return text
    # Value, Struct members and the like: --set's own guess
    if low in ("true", "false"):
        return low == "true"
    if re.fullmatch(r"-?[0-9]+", text.strip()):
        return int(text)
    return text
