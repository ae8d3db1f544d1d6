"""Kubernetes label selectors: checked once when the config is read, matched per workload.

A selector is the plain data of a ``metav1.LabelSelector``::

    {"matchLabels": {"app": "web"},
     "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]}

All of its requirements must hold (AND).  A selector with no requirement is
*empty*: for injection selectors it matches nothing (Istio skips empty
selectors rather than letting them match every pod).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    Selector = Mapping[str, Any]

#: Each operator of a requirement: whether it takes values, and the test it makes of a workload's labels.
_OPERATORS: dict[str, tuple[bool, Callable[[Mapping[str, str], str, list[str]], bool]]] = {
    "In": (True, lambda labels, key, values: key in labels and labels[key] in values),
    "NotIn": (True, lambda labels, key, values: not (key in labels and labels[key] in values)),
    "Exists": (False, lambda labels, key, values: key in labels),
    "DoesNotExist": (False, lambda labels, key, values: key not in labels),
}
OPERATORS = tuple(_OPERATORS)


class SelectorError(Exception):
    def __init__(self, message: str, path: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def _label_value(value: Any) -> bool:
    return isinstance(value, str)


def _known_fields(data: dict[Any, Any], allowed: tuple[str, ...], path: str) -> None:
    """Refuse the first (sorted) key of ``data`` not in ``allowed``, naming its field."""
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise SelectorError(f"unknown field; allowed: {', '.join(allowed)}", f"{path}.{unknown[0]}")


def check(selector: Any, path: str) -> dict[str, Any]:
    """A validated copy of one selector; raises :class:`SelectorError` naming the field."""
    if not isinstance(selector, dict):
        raise SelectorError("expected a label selector (matchLabels and/or matchExpressions)", path)
    _known_fields(selector, ("matchExpressions", "matchLabels"), path)
    out: dict[str, Any] = {}
    labels = selector.get("matchLabels")
    if labels is not None:
        out["matchLabels"] = _check_labels(labels, f"{path}.matchLabels")
    exprs = selector.get("matchExpressions")
    if exprs is not None:
        if not isinstance(exprs, list):
            raise SelectorError("expected a list of requirements", f"{path}.matchExpressions")
        out["matchExpressions"] = [_check_expression(e, f"{path}.matchExpressions[{i}]") for i, e in enumerate(exprs)]
    return out


def _check_labels(labels: Any, path: str) -> dict[str, str]:
    if not isinstance(labels, dict):
        raise SelectorError("expected a mapping of label names to values", path)
    for k, v in labels.items():
        if not isinstance(k, str) or not k or not _label_value(v):
            raise SelectorError(f"label {k!r}: expected a string value, got {v!r}", f"{path}.{k}")
    return dict(labels)


def _check_expression(expr: Any, path: str) -> dict[str, Any]:
    if not isinstance(expr, dict):
        raise SelectorError("expected {key, operator, values}", path)
    _known_fields(expr, ("key", "operator", "values"), path)
    key, op, values = expr.get("key"), expr.get("operator"), expr.get("values")
    if not isinstance(key, str) or not key:
        raise SelectorError("key must be a non-empty string", f"{path}.key")
    if op not in _OPERATORS:
        raise SelectorError(f"{op!r} is not one of {', '.join(OPERATORS)}", f"{path}.operator")
    if values is None:
        values = []
    if not isinstance(values, list) or not all(_label_value(v) for v in values):
        raise SelectorError("values must be a list of strings", f"{path}.values")
    takes_values = _OPERATORS[op][0]
    if takes_values and not values:
        raise SelectorError(f"operator {op} needs at least one value", f"{path}.values")
    if not takes_values and values:
        raise SelectorError(f"operator {op} takes no values", f"{path}.values")
    return {"key": key, "operator": op, "values": list(values)}


def check_list(selectors: Any, path: str) -> tuple[dict[str, Any], ...]:
    """A list of selectors (OR'ed); null means none."""
    if selectors is None:
        return ()
    if not isinstance(selectors, list):
        raise SelectorError("expected a list of label selectors", path)
    return tuple(check(s, f"{path}[{i}]") for i, s in enumerate(selectors))


def is_empty(selector: Selector) -> bool:
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def matches(selector: Selector, labels: Mapping[str, str]) -> bool:
    """Whether ``labels`` satisfy every requirement; an empty selector matches nothing."""
    if is_empty(selector):
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or ():
        operator = _OPERATORS.get(e["operator"])
        if operator is not None and not operator[1](labels, e["key"], e.get("values") or []):
            return False
    return True


def first_match(selectors: tuple[Selector, ...], labels: Mapping[str, str]) -> int | None:
    """Index of the first selector matching ``labels``, or None."""
    for i, s in enumerate(selectors):
        if matches(s, labels):
            return i
    return None
