"""krmfn's own settings (:data:`~krmfn.config.fields.FIELDS`), read from nodes and checked: the seed and
typed forms share this; the flat form reads its strings itself and checks through :func:`coerce`.

String settings are read from the scalar's source text, so ``version: 1.10`` stays ``1.10`` and
``policy: off`` stays ``off`` (YAML 1.1 would make them ``1.1`` and ``false``).
"""

from __future__ import annotations

from ..text.nodes import Mapping, Node, Scalar, Sequence, deref, is_null, to_python
from .checks import check_leaf, check_revision, check_tree, node_data
from .errors import ConfigError
from .fields import (
    BOOL,
    BY_NAME,
    FIELDS,
    INT,
    MAP,
    SCALAR,
    SECTIONS,
    SELECTORS,
    STR,
    STRLIST,
    Field,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def typed_data(node: Node, top: bool = True) -> Any:
    """Python data of a config mapping, string fields taken from source text."""
    node = deref(node)  # type: ignore[assignment]
    if not isinstance(node, Mapping):
        return to_python(node)
    out: dict[str, Any] = {}
    for k, v in node.pairs:
        key = key_text(k)
        f = BY_NAME.get(key)
        v = deref(v)  # type: ignore[assignment]
        if top and key in SECTIONS:
            out[key] = typed_data(v, top=False)
        else:
            out[key] = to_python(v) if f is None else _field_data(f, v)
    return out


def _field_data(f: Field, v: Node) -> Any:
    if f.type in (MAP, SELECTORS):
        return node_data(v, f.spec)
    if f.type == STR and isinstance(v, Scalar) and v.tag is None:
        return None if is_null(v) else v.value
    if f.type == STRLIST and isinstance(v, Sequence):
        return [source_text(i) for i in v.items]
    return to_python(v)


def key_text(node: Node) -> str:
    """A config key as written (``on:`` stays ``on``); a key that is a list or mapping is an error."""
    target = deref(node)
    if not isinstance(target, Scalar):
        raise ConfigError(f"a key at line {node.line + 1} is a {'list' if isinstance(target, Sequence) else 'mapping'},"
                          " not a field name", None)
    return target.value


def source_text(node: Node) -> Any:
    """A scalar's text as written (no YAML 1.1 typing), other nodes as data."""
    target = deref(node)
    if isinstance(target, Scalar) and target.tag is None:
        return target.value
    return to_python(node)


def check_section(data: dict[str, Any], section: str, path: str) -> dict[str, Any]:
    """Validate one section of seed/typed data against the field table."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if section == "" and key in SECTIONS:
            if value is None:
                continue
            if not isinstance(value, dict):
                raise ConfigError(f"{path}{key} must be a mapping", f"{path}{key}")
            out.update(check_section(value, key, f"{path}{key}."))
            continue
        f = BY_NAME.get(key) if isinstance(key, str) else None
        if f is None or f.section != section:
            allowed = sorted(x.name for x in FIELDS if x.section == section)
            if section == "":
                allowed += ["mesh", "params"]
            raise ConfigError(f"{path}{key}: unknown field; allowed: {', '.join(allowed)}", f"{path}{key}")
        out[key] = coerce(f, value, f"{path}{key}")
    return out


def coerce(f: Field, value: Any, path: str) -> Any:
    """A checked value of ``f`` (its default for null)."""
    if value is None:
        return f.default
    return _COERCE[f.type](f, value, path)


def _string(f: Field, value: Any, path: str) -> Any:
    check_leaf(value, SCALAR, path, repr)  # a number written for a string is its text
    value = str(value)
    if f.enum and value not in f.enum:
        raise ConfigError(f"{path}: {value!r} is not one of {', '.join(f.enum)}", path)
    return check_revision(value, path) if f.name == "revision" else value


def _integer(f: Field, value: Any, path: str) -> Any:
    check_leaf(value, INT, path, repr)
    if f.minimum is not None and value < f.minimum:
        raise ConfigError(f"{path}: {value} is below the minimum {f.minimum}", path)
    return value


def _boolean(f: Field, value: Any, path: str) -> Any:
    check_leaf(value, BOOL, path, repr)
    return value


def _strings(f: Field, value: Any, path: str) -> Any:
    if isinstance(value, str):
        return [value]
    check_leaf(value, STRLIST, path, repr)
    return value


def _tree(f: Field, value: Any, path: str) -> Any:
    check_tree(value, f.spec, path)
    return value


_COERCE: dict[str, Callable[[Field, Any, str], Any]] = {
    STR: _string, INT: _integer, BOOL: _boolean, STRLIST: _strings, MAP: _tree, SELECTORS: _tree,
}
