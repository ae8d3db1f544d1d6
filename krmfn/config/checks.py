"""Reading and checking data in the field vocabulary (:mod:`krmfn.config.fields`).

:func:`node_data` turns a node into plain data, keeping the source text of fields typed as strings
(``tag: 1.20`` stays ``"1.20"``); :func:`check_tree` and :func:`check_leaf` check data against a type and
raise :class:`~krmfn.config.errors.ConfigError` naming the field.  Whole ``values`` and mesh trees are also
checked against Istio's own field tables (:mod:`krmfn.config.istio_check`, loaded on first use).
"""

from __future__ import annotations

import re

from ..selectors import SelectorError, check_list
from ..text.nodes import EXPANSION_BUDGET, Mapping, Node, Scalar, Sequence, YamlError, deref, is_null, to_python
from .errors import ConfigError
from .fields import (
    ALIASES,
    BOOLISH,
    ENV,
    LEAVES,
    MESH_SPEC,
    SELECTORS,
    STR,
    STRLIST,
    STRMAP,
    VALUES_SPEC,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .fields import Spec

_REVISION = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_EXPRESSIONS = "expressions"
_SELECTOR_NODES: dict[str, Spec] = {"matchLabels": STRMAP, "matchExpressions": _EXPRESSIONS}
_EXPRESSION_NODES: dict[str, Spec] = {"key": STR, "operator": STR, "values": STRLIST}


# --- node -> data, keeping the text of string fields ------------------------------


def node_data(node: Node | None, spec: Spec | None, budget: list[int] | None = None) -> Any:
    """Plain data of a node; where ``spec`` expects strings, plain scalars keep their text (``tag: 1.20``).

    Aliases are expanded within one budget for the whole tree (an alias bomb is a YamlError).
    """
    budget = _spend(budget)
    node = deref(node)
    if node is None:
        return None
    if isinstance(spec, dict) and isinstance(node, Mapping):
        out: dict[Any, Any] = {}
        for k, v in node.pairs:
            key = to_python(k, budget)
            out[key] = node_data(v, spec.get(key) if isinstance(key, str) else None, budget)
        return out
    if isinstance(spec, tuple):  # an enum reads as text
        spec = STR
    reader = _READERS.get((spec, node.__class__)) if isinstance(spec, str) else None
    return reader(node, budget) if reader is not None else to_python(node, budget)


def _spend(budget: list[int] | None) -> list[int]:
    if budget is None:
        budget = [EXPANSION_BUDGET]
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlError(f"alias expansion exceeds the limit of {EXPANSION_BUDGET} nodes (alias bomb?)")
    return budget


def _text(node: Node, budget: list[int]) -> Any:
    node = deref(node)  # type: ignore[assignment]
    if isinstance(node, Scalar) and node.tag is None and node.style is None and not is_null(node):
        return node.value
    return to_python(node, budget)


def _text_list(node: Any, budget: list[int]) -> Any:
    return [_text(i, _spend(budget)) for i in node.items]


def _text_map(node: Any, budget: list[int]) -> Any:
    return {to_python(k, budget): _text(v, _spend(budget)) for k, v in node.pairs}


def _aliases(node: Any, budget: list[int]) -> Any:
    return {to_python(k, budget): node_data(v, STRLIST, budget) for k, v in node.pairs}


def _selectors(node: Any, budget: list[int]) -> Any:
    return [node_data(i, _SELECTOR_NODES, budget) for i in node.items]


def _expressions(node: Any, budget: list[int]) -> Any:
    return [node_data(i, _EXPRESSION_NODES, budget) for i in node.items]


# (type, node class) -> reader; other pairs read as plain data.
_READERS: dict[tuple[str, type], Callable[[Any, list[int]], Any]] = {
    ("string", Scalar): _text,
    ("scalar", Scalar): _text,
    (STRLIST, Sequence): _text_list,
    (STRMAP, Mapping): _text_map,
    (ENV, Mapping): _text_map,
    (ALIASES, Mapping): _aliases,
    (SELECTORS, Sequence): _selectors,
    (_EXPRESSIONS, Sequence): _expressions,
}


# --- checking -----------------------------------------------------------------------


def show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def check_tree(data: Any, spec: Spec, path: str, closed: bool = False) -> None:
    """Type-check ``data`` against ``spec``; raises ConfigError naming the field.

    Whole ``values`` and mesh trees are also checked against Istio's own field tables
    (krmfn.config.istio_check): an unknown field or a wrong type anywhere in them is an error, as in istioctl."""
    _check_table(data, spec, path, closed)
    if data and isinstance(data, dict) and (spec is VALUES_SPEC or spec is MESH_SPEC):
        _check_istio(data, "values" if spec is VALUES_SPEC else "meshConfig", path)


def _check_table(data: Any, spec: Spec, path: str, closed: bool = False) -> None:
    if not isinstance(spec, dict):
        check_leaf(data, spec, path)
        return
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping, got {show(data)}", path)
    for k, v in data.items():
        sub = spec.get(k) if isinstance(k, str) else None
        if sub is None and closed:
            allowed = ", ".join(sorted(spec))
            raise ConfigError(f"{path}.{k}: unknown field; allowed: {allowed}", f"{path}.{k}")
        if sub is not None and v is not None:
            _check_table(v, sub, f"{path}.{k}")


def _check_istio(data: dict[str, Any], root: str, path: str) -> None:
    from .istio_check import IstioFieldError, check

    try:
        check(data, root, path)
    except IstioFieldError as e:
        raise ConfigError(str(e), e.path) from None


def check_leaf(value: Any, spec: Spec, path: str, shown: Callable[[Any], str] = show) -> None:
    """Check ``value`` against a leaf type or an enum; ``shown`` writes the value in the message."""
    if isinstance(spec, tuple):
        if value not in spec[1:]:
            allowed = ", ".join(repr(v) if v == "" else str(v) for v in spec[1:])
            raise ConfigError(f"{path}: {value!r} is not one of {allowed}", path)
        return
    if not isinstance(spec, str):
        return
    own = _OWN_CHECKS.get(spec)
    if own is not None:
        own(value, path)
        return
    leaf = LEAVES.get(spec)
    if leaf is not None and leaf.test is not None and not leaf.test(value):
        raise ConfigError(f"{path}: expected {leaf.expected}, got {shown(value)}", path)


def _check_env(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: expected {LEAVES[ENV].expected}, got {show(value)}", path)
    for k, v in value.items():
        if isinstance(v, (dict, list)) or v is None:
            raise ConfigError(f"{path}.{k}: expected a string, got {show(v)}", f"{path}.{k}")
    native = value.get("ENABLE_NATIVE_SIDECARS")
    if native is not None:
        check_leaf(native, BOOLISH, f"{path}.ENABLE_NATIVE_SIDECARS")


def _check_aliases(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: expected {LEAVES[ALIASES].expected}, got {show(value)}", path)
    for k, v in value.items():
        check_leaf(v, STRLIST, f"{path}.{k}")


def _check_selectors(value: Any, path: str) -> None:
    try:
        check_list(value, path)
    except SelectorError as e:
        raise ConfigError(str(e), e.path) from None


# Leaf types checked by code of their own (the others by LEAVES[type].test).
_OWN_CHECKS: dict[str, Callable[[Any, str], None]] = {
    ENV: _check_env, ALIASES: _check_aliases, SELECTORS: _check_selectors,
}


def check_revision(value: Any, path: str) -> str:
    """A revision name ("" and "default" mean the default revision)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{path}: expected a string, got {show(value)}", path)
    if value and not _REVISION.match(value):
        raise ConfigError(f"{path}: {value!r} is not a valid revision (lower-case letters, digits and '-')", path)
    return "" if value == "default" else value
