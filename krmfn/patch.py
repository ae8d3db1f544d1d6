"""Additive patches: how the 0.2-era template says what it adds.

A *patch tree* is nested dicts whose keys descend into mappings, with two
kinds of leaves:

* :class:`Merge` - set these entries in the mapping at this path
  (annotations, labels);
* :class:`Append` - append these items to the list at this path
  (containers, init containers, volumes).

Missing mappings and lists on the way are created.  :func:`apply_to_data`
gives the new item data; :mod:`krmfn.text.reconcile` turns that into text edits.
"""

from __future__ import annotations

from .records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Merge(Record):
    __slots__ = ("entries",)
    entries: dict[str, Any]

    def __init__(self, entries: dict[str, Any]) -> None:
        self.entries = entries


class Append(Record):
    __slots__ = ("items",)
    items: list[Any]

    def __init__(self, items: list[Any]) -> None:
        self.items = items


PatchTree = dict[str, "PatchTree | Merge | Append"]


def add(tree: PatchTree, path: tuple[str, ...], leaf: Merge | Append) -> None:
    """Put ``leaf`` at ``path`` in ``tree``, combining with what is there."""
    node = tree
    for key in path[:-1]:
        node = node.setdefault(key, {})  # type: ignore[assignment]
        if not isinstance(node, dict):
            raise ValueError(f"patch path {'.'.join(path)} crosses a leaf")
    last = path[-1]
    existing = node.get(last)
    if existing is None:
        node[last] = leaf
    elif isinstance(existing, Merge) and isinstance(leaf, Merge):
        existing.entries.update(leaf.entries)
    elif isinstance(existing, Append) and isinstance(leaf, Append):
        existing.items.extend(leaf.items)
    else:
        raise ValueError(f"conflicting patches at {'.'.join(path)}")


def materialize(sub: PatchTree | Merge | Append) -> Any:
    """Plain data for a patch subtree whose target does not exist yet."""
    if isinstance(sub, Merge):
        return dict(sub.entries)
    if isinstance(sub, Append):
        return list(sub.items)
    return {k: materialize(v) for k, v in sub.items()}


def _copy(value: Any) -> Any:
    """A deep copy of plain data (dicts, lists, scalars): copy.deepcopy without its memo, several times faster."""
    c = value.__class__
    if c is dict:
        return {k: _copy(v) for k, v in value.items()}
    if c is list:
        return [_copy(v) for v in value]
    if c is str or c is int or c is bool or c is float or value is None:
        return value
    import copy

    return copy.deepcopy(value)


def apply_to_data(data: dict[str, Any], patch: PatchTree) -> dict[str, Any]:
    """``data`` with ``patch`` applied: mappings and lists on the patch's paths are copied, the rest shared."""
    out = dict(data)
    for key, sub in patch.items():
        value = out.get(key)
        if value is None or value == {} or value == []:
            out[key] = materialize(sub)
        elif isinstance(sub, dict):
            if not isinstance(value, dict):
                raise TypeError(f"{key} is not a mapping")
            out[key] = apply_to_data(value, sub)
        elif isinstance(sub, Merge):
            if not isinstance(value, dict):
                raise TypeError(f"{key} is not a mapping")
            out[key] = {**value, **_copy(sub.entries)}
        else:
            if not isinstance(value, list):
                raise TypeError(f"{key} is not a list")
            out[key] = value + _copy(sub.items)
    return out
