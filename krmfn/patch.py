"""Additive patches of an item, applied as text splices or, failing that, on nodes.

A template describes what injection adds as a *patch tree*: nested dicts
whose keys descend into mappings, with two kinds of leaves:

* :class:`Merge` - set these entries in the mapping at this path
  (annotations, labels);
* :class:`Append` - append these items to the list at this path
  (containers, init containers, volumes).

Missing mappings and lists on the way are created.  :func:`splice` turns a
patch into text edits of the original source, so the item changes only by the
lines it gains.  It refuses (:class:`Unspliceable`) whenever that would be
wrong or impossible: a flow-style collection on the path, an alias on the
path, or an anchored node that an alias elsewhere shares (editing it would
leak into the alias site).  Then :func:`apply_to_nodes` edits an unshared
copy of the item, which the writer re-renders as block YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from . import render
from .resourcelist import Edit
from .yamlnodes import Alias, Mapping, Node, Scalar, Sequence, is_null, next_line_start


@dataclass
class Merge:
    entries: dict[str, Any]


@dataclass
class Append:
    items: list[Any]


PatchTree = dict[str, Union["PatchTree", Merge, Append]]


class Unspliceable(Exception):
    """The patch cannot be expressed as added lines of this item's text."""


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


def _is_empty_flow(node: Node) -> bool:
    if isinstance(node, Mapping):
        return node.flow and not node.pairs
    if isinstance(node, Sequence):
        return node.flow and not node.items
    return False


class _Splicer:
    def __init__(self, text: str, starts: list[int], aliased: set[int], seq_indent: int) -> None:
        self.text = text
        self.starts = starts
        self.aliased = aliased
        self.seq_indent = seq_indent
        self.edits: list[Edit] = []

    def line_after(self, line: int) -> int:
        return next_line_start(self.text, self.starts, line)

    def check(self, node: Node) -> None:
        if isinstance(node, Alias) or id(node) in self.aliased:
            raise Unspliceable("alias or shared anchor on the patch path")

    def add_keys(self, node: Mapping, entries: list[str]) -> None:
        """Insert rendered ``key: value`` entries after the last line of ``node``."""
        if entries:
            at = self.line_after(node.last_line)
            self.edits.append(Edit(at, at, "".join(entries)))

    def replace_value(self, parent: Mapping, key: Node, value: Node, new: Any) -> None:
        """Replace an empty value (``null``, ``{}``, ``[]``) of ``key`` with ``new``."""
        lines: list[str] = []
        indent = parent.col + 2
        if isinstance(new, list):
            indent = parent.col + self.seq_indent
        render.render_lines(new, indent, lines, self.seq_indent)
        head = render.key_text(key)
        body = "".join(lines).rstrip("\n")
        if isinstance(value, Scalar) and value.value == "" and value.style is None:
            # ``key:`` with nothing after it: replace up to the colon.
            end = self.text.find(":", key.end) + 1
        else:
            end = value.end
        self.edits.append(Edit(key.start, end, f"{head}:\n{body}"))

    def map_(self, node: Mapping, patch: PatchTree) -> None:
        self.check(node)
        if node.flow:
            raise Unspliceable("flow-style mapping on the patch path")
        new_keys: list[str] = []
        for key, sub in patch.items():
            pair = node.find(key)
            if pair is None:
                new_keys.append(render.render_entry(key, materialize(sub), node.col, self.seq_indent))
                continue
            k, v = pair
            self.check(v)
            if is_null(v) or _is_empty_flow(v):
                self.replace_value(node, k, v, materialize(sub))
            elif isinstance(sub, dict):
                if not isinstance(v, Mapping):
                    raise Unspliceable(f"{key} is not a mapping")
                self.map_(v, sub)
            elif isinstance(sub, Merge):
                if not isinstance(v, Mapping):
                    raise Unspliceable(f"{key} is not a mapping")
                self.merge(v, sub)
            else:
                if not isinstance(v, Sequence) or v.flow:
                    raise Unspliceable(f"{key} is not a block list")
                lines: list[str] = []
                render.render_lines(sub.items, v.col, lines, self.seq_indent)
                at = self.line_after(v.last_line)
                self.edits.append(Edit(at, at, "".join(lines)))
        self.add_keys(node, new_keys)

    def merge(self, node: Mapping, merge: Merge) -> None:
        if node.flow:
            raise Unspliceable("flow-style mapping to merge into")
        new_keys: list[str] = []
        for key, value in merge.entries.items():
            pair = node.find(key)
            if pair is None:
                new_keys.append(render.render_entry(key, value, node.col, self.seq_indent))
                continue
            _, old = pair
            self.check(old)
            if isinstance(old, Scalar) and not isinstance(value, (dict, list)):
                if old.style is not None and old.value == value:
                    continue
                if old.style is None and render.scalar_text(value) == old.value:
                    continue
                if old.style in ("|", ">"):
                    end = self.line_after(old.last_line)
                    self.edits.append(Edit(old.start, end, render.scalar_text(value) + "\n"))
                else:
                    self.edits.append(Edit(old.start, old.end, render.scalar_text(value)))
            else:
                raise Unspliceable(f"cannot replace {key}")
        self.add_keys(node, new_keys)


def splice(
    text: str, starts: list[int], root: Node, aliased: set[int], patch: PatchTree, seq_indent: int = 0
) -> list[Edit]:
    """Text edits that apply ``patch`` to the item ``root`` (raises Unspliceable)."""
    if not isinstance(root, Mapping):
        raise Unspliceable("item is not a mapping")
    splicer = _Splicer(text, starts, aliased, seq_indent)
    splicer.map_(root, patch)
    return splicer.edits


def apply_to_nodes(root: Mapping, patch: PatchTree) -> None:
    """Apply ``patch`` to an unshared node tree (see :func:`yamlnodes.unshare`)."""
    for key, sub in patch.items():
        pair = root.find(key)
        if pair is None:
            root.pairs.append((Scalar(key), materialize(sub)))  # type: ignore[arg-type]
            continue
        k, v = pair
        idx = root.pairs.index(pair)
        if is_null(v) or _is_empty_flow(v):
            root.pairs[idx] = (k, materialize(sub))
        elif isinstance(sub, dict):
            if not isinstance(v, Mapping):
                raise TypeError(f"{key} is not a mapping")
            apply_to_nodes(v, sub)
        elif isinstance(sub, Merge):
            if not isinstance(v, Mapping):
                raise TypeError(f"{key} is not a mapping")
            for ek, ev in sub.entries.items():
                epair = v.find(ek)
                if epair is None:
                    v.pairs.append((Scalar(ek), ev))  # type: ignore[arg-type]
                else:
                    v.pairs[v.pairs.index(epair)] = (epair[0], ev)  # type: ignore[arg-type]
        else:
            if not isinstance(v, Sequence):
                raise TypeError(f"{key} is not a list")
            v.items.extend(sub.items)
