"""Istio's settings checked as istioctl checks them: unknown fields and wrong types are errors.

``values`` (IstioOperator ``spec.values``, the injector ConfigMap's ``data.values``, ``--valuesFile``),
``meshConfig``/``mesh`` and its ``defaultConfig``, and the pod annotation ``proxy.istio.io/config`` are
checked against the field tables of :mod:`krmfn.config.istio_fields`, generated from Istio's own ``.proto`` files by
``tools/gen_istio_fields.py``.  The error names the field path and the nearest valid names::

    spec.values.global.prxy: unknown field in Istio's GlobalConfig; did you mean `proxy`?

The tables (~100 KB of Python) are imported on first use only: a run whose config sets none of these
settings never loads them.

Protobuf's JSON mapping decides what a type accepts: a field by its JSON (lowerCamelCase) or proto name;
an enum by name or number; 64-bit and other integers also as decimal strings; a ``Duration`` as a string
such as ``"5s"`` (Go's ``1m30s`` spelling is taken too); wrappers (``BoolValue``...) as the bare scalar;
``Struct`` any mapping, ``Value`` anything, ``Any`` a mapping.  Strings also take numbers (YAML users write
``tag: 1.20``); ``null`` means unset anywhere.
"""

from __future__ import annotations

import difflib
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_INTS = {"int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64"}
_FLOATS = {"double", "float"}
_WRAPPERS = {
    "google.protobuf.BoolValue": "bool", "google.protobuf.StringValue": "string",
    "google.protobuf.BytesValue": "bytes", "google.protobuf.Int32Value": "int32",
    "google.protobuf.UInt32Value": "uint32", "google.protobuf.Int64Value": "int64",
    "google.protobuf.UInt64Value": "uint64", "google.protobuf.DoubleValue": "double",
    "google.protobuf.FloatValue": "float",
}
_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_DURATION = re.compile(rf"^-?{_NUMBER}s$|^-?(?:{_NUMBER}(?:ns|us|µs|ms|s|m|h))+$")
_INT_TEXT = re.compile(r"^-?[0-9]+$")


class IstioFieldError(ValueError):
    """An unknown field or a value of the wrong type; ``path`` is the field's path."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


def _tables() -> Any:
    from . import (
        istio_fields,  # the generated tables, loaded only when a config needs them
    )

    return istio_fields


def check(data: Any, root: str, path: str) -> None:
    """Check ``data`` against Istio's message for ``root`` (``values``, ``meshConfig`` or ``proxyConfig``)."""
    tables = _tables()
    _message(data, tables.ROOTS[root], path, tables)


def _short(message: str) -> str:
    return message.rsplit(".", 1)[-1]


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _message(data: Any, name: str, path: str, tables: Any) -> None:
    if not isinstance(data, dict):
        raise IstioFieldError(f"{path}: expected a mapping (Istio's {_short(name)}), got {_show(data)}", path)
    fields = tables.MESSAGES[name]
    for key, value in data.items():
        where = f"{path}.{key}" if path else str(key)
        entry = fields.get(key) if isinstance(key, str) else None
        if entry is None and key in tables.CHART_FIELDS.get(name, ()):
            continue  # the chart sets it (a release's data.values holds it) though the proto lacks it
        if entry is None:
            raise IstioFieldError(f"{where}: unknown field in Istio's {_short(name)}{hint(key, fields)}", where)
        if value is not None:
            _field(value, entry, where, tables)


def _field(value: Any, entry: tuple[str, str], where: str, tables: Any) -> None:
    """One field's value: a list (repeated), a mapping (map:K) or one value of its type."""
    type_, label = entry
    if label == "repeated":
        if not isinstance(value, list):
            raise IstioFieldError(f"{where}: expected a list, got {_show(value)}", where)
        for i, item in enumerate(value):
            _value(item, type_, f"{where}[{i}]", tables)
    elif label.startswith("map:"):
        if not isinstance(value, dict):
            raise IstioFieldError(f"{where}: expected a mapping, got {_show(value)}", where)
        for k, item in value.items():
            if item is not None:
                _value(item, type_, f"{where}.{k}", tables)
    else:
        _value(value, type_, where, tables)


def hint(key: Any, fields: dict[str, Any]) -> str:
    """What follows an unknown field's message: the nearest names (did you mean), else the valid ones."""
    names = sorted({n for n in fields if "_" not in n} or set(fields))
    close = difflib.get_close_matches(str(key), names, n=3, cutoff=0.6)
    if close:
        return "; did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
    shown = names if len(names) <= 12 else names[:12] + ["..."]
    return "; valid fields: " + ", ".join(shown)


def _value(value: Any, type_: str, path: str, tables: Any) -> None:
    if value is None:
        return
    type_ = _WRAPPERS.get(type_, type_)
    if type_.startswith("msg:"):
        _message(value, type_[4:], path, tables)
        return
    if type_.startswith("enum:"):
        names = tables.ENUMS[type_[5:]]
        if isinstance(value, bool) or not (value in names or isinstance(value, int)):
            raise IstioFieldError(f"{path}: {_show(value)} is not one of {', '.join(names)}", path)
        return
    expected = _scalar_problem(value, type_)
    if expected:
        raise IstioFieldError(f"{path}: expected {expected}, got {_show(value)}", path)


def _scalar_problem(value: Any, type_: str) -> str | None:
    """What ``value`` should have been, or None when it is acceptable for ``type_``."""
    if type_ in _INTS:
        return _int_problem(value, type_)
    if type_ in _FLOATS:
        return _float_problem(value)
    check = _SCALAR_CHECKS.get(type_)
    if check is None:
        return None  # google.protobuf.Value and anything else: any JSON
    expected, ok = check
    return None if ok(value) else expected


def _int_problem(value: Any, type_: str) -> str | None:
    if isinstance(value, bool):
        return "an integer"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _INT_TEXT.match(value.strip()):
        value = int(value)
    if not isinstance(value, int):
        return "an integer"
    return "a non-negative integer" if type_.startswith(("uint", "fixed")) and value < 0 else None


def _float_problem(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return "a number"
        return None
    return None if isinstance(value, (int, float)) and not isinstance(value, bool) else "a number"


def _is_text(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _is_duration(value: Any) -> bool:
    return isinstance(value, str) and bool(_DURATION.match(value.strip()))


def _is_mapping(value: Any) -> bool:
    return isinstance(value, dict)


# type -> (what it must be, test) for the scalar and well-known types besides the numbers.
_SCALAR_CHECKS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "string": ("a string", _is_text),
    "bytes": ("a string", _is_text),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "google.protobuf.Duration": ('a duration such as "5s"', _is_duration),
    "google.protobuf.Struct": ("a mapping", _is_mapping),
    "google.protobuf.ListValue": ("a list", lambda v: isinstance(v, list)),
    "google.protobuf.Any": ("a mapping", _is_mapping),
    "google.protobuf.Empty": ("a mapping", _is_mapping),
    "google.protobuf.Timestamp": ("a timestamp string", lambda v: isinstance(v, str)),
}
