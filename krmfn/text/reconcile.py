"""Minimal text edits (:class:`Edit`) that turn an item's source into new data.

The modern template (and uninject) compute the whole new object as plain
data.  :func:`reconcile` walks the item's source nodes, the old data and the
new data side by side and edits only what differs:

* a mapping keeps its keys in place; removed keys lose their lines, new keys
  are added after its last line, changed values are reconciled recursively;
* a list is aligned with the new one (items matched by ``name`` when they
  have one, by value otherwise); unmatched old items lose their lines, new
  items are inserted where they belong (so a native sidecar lands *first* in
  ``initContainers``), matched items are reconciled recursively;
* anything else that differs is replaced in place.

Untouched text -- comments, quoting, key order, blank lines -- stays byte for
byte.  :class:`Unspliceable` is raised where an edit would be wrong or
impossible as text (flow-style collections on the path, aliases, anchored
nodes shared elsewhere, a key on a list item's dash line that would have to
go); the caller then re-renders the item from the new data.
"""

from __future__ import annotations

import bisect

from ..records import Record
from . import render
from .nodes import Alias, Mapping, Node, Scalar, Sequence, is_null, next_line_start

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

__all__ = ["Edit", "Unspliceable", "reconcile", "same"]


class Edit(Record):
    """Replace ``text[start:end]`` of the source with ``text``."""

    __slots__ = ("start", "end", "text")
    start: int
    end: int
    text: str

    def __init__(self, start: int, end: int, text: str) -> None:
        self.start = start
        self.end = end
        self.text = text


class Unspliceable(Exception):
    """The change cannot be expressed as edits of this item's text."""


_NUMBERS = (int, float)


def same(a: Any, b: Any) -> bool:
    """Equality of plain data that tells ``True`` from ``1`` (YAML does)."""
    if a is b:
        return True
    ta, tb = type(a), type(b)
    if ta is not tb:
        return ta in _NUMBERS and tb in _NUMBERS and a == b  # 1 == 1.0, but never a bool
    if ta is dict:
        if a.keys() != b.keys():
            return False
        for k, v in a.items():  # a loop: all() of a generator is slower, and this is hot
            w = b[k]
            if v is not w and not same(v, w):  # the same object: no call (copies share their scalars)
                return False
        return True
    if ta is list:
        if len(a) != len(b):
            return False
        for x, y in zip(a, b):  # noqa: SIM110 - as above
            if x is not y and not same(x, y):
                return False
        return True
    return bool(a == b)


def _identity(value: Any) -> Any:
    """What list items are matched by: their name when they have one, else their value."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str):
            return ("name", name)
        meta = value.get("metadata")
        if isinstance(meta, dict) and isinstance(value.get("kind"), str):  # an object in a List
            return ("object", value.get("kind"), str(meta.get("namespace")), str(meta.get("name")))
    import json  # here, not at start-up: the json package costs ~2% of a one-Deployment run to import

    return ("value", type(value).__name__, json.dumps(value, sort_keys=True, default=str))


class _Reconciler:
    def __init__(self, text: str, starts: list[int], aliased: set[int], seq_indent: int) -> None:
        self.text = text
        self.starts = starts
        self.aliased = aliased
        self.plain = not aliased  # no alias anywhere in the item (an alias's target is in ``aliased``)
        self.seq_indent = seq_indent
        self.edits: list[Edit] = []

    # --- positions ---------------------------------------------------------

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def line_after(self, line: int) -> int:
        return next_line_start(self.text, self.starts, line)

    def end_of_line(self, line: int) -> int:
        """Offset of the line break ending ``line`` (the text's end on the last line)."""
        end = self.line_after(line)
        while end > self.starts[line] and self.text[end - 1] in "\r\n":
            end -= 1
        return end

    def own_line_start(self, offset: int) -> int:
        """Start of the line at ``offset``, which must hold only indentation before it."""
        ls = self.starts[self.line_of(offset)]
        if self.text[ls:offset].strip(" "):
            raise Unspliceable("content shares its line with other content")
        return ls

    def check(self, node: Node) -> None:
        if isinstance(node, Alias) or id(node) in self.aliased:
            raise Unspliceable("alias or shared anchor on the edit path")

    # --- rendering ---------------------------------------------------------

    def block(self, value: Any, indent: int) -> str:
        lines: list[str] = []
        render.render_lines(value, indent, lines, self.seq_indent)
        return "".join(lines)

    def in_place(self, value: Any, col: int) -> str:
        """A non-empty collection rendered to start at column ``col`` of an existing line."""
        return self.block(value, col)[col:].rstrip("\n")

    # --- the walk ----------------------------------------------------------

    # Unchanged data: in an item without aliases (``self.plain``), the walk of a subtree whose old and new data
    # are the same (:func:`same`) makes no edit and raises nothing, so mapping() and sequence() skip it:
    # ``old is new`` (fresh() copies share their scalars), else C's ``==`` (it stops at the first difference,
    # but takes ``True`` for ``1``) and :func:`same` only when it says equal.
    # With aliases (an alias key is refused when walked) the walk decides.

    def changed_value(self, parent: Mapping, key: Node, node: Node, old: Any, new: Any) -> None:
        """Reconcile the value of ``key`` in the block mapping ``parent`` (``old`` not ``new``, and not
        unchanged, see above)."""
        if self.descend(node, old, new) or same(old, new):
            return
        if not isinstance(node, Alias):  # an alias is replaced by the new value; its anchor stays as it was
            self.check(node)
        self.replace_value(parent, key, node, new)

    def descend(self, node: Node, old: Any, new: Any) -> bool:
        """Reconcile a block collection whose old and new data are non-empty and of its kind (True), or
        leave it (False)."""
        if isinstance(new, dict) and new and isinstance(old, dict) and old and isinstance(node, Mapping) \
                and not node.flow:
            self.mapping(node, old, new)
            return True
        if isinstance(new, list) and new and isinstance(old, list) and old and isinstance(node, Sequence) \
                and not node.flow:
            self.sequence(node, old, new)
            return True
        return False

    def replace_value(self, parent: Mapping, key: Node, node: Node, new: Any) -> None:
        head = render.key_text(key)
        if isinstance(node, Alias) or (isinstance(node, Scalar) and node.style not in ("|", ">") and not (is_null(node) and node.value == "")):
            end = node.end
        elif isinstance(node, Scalar) and node.style is None:
            end = self.text.find(":", key.end) + 1  # `key:` with nothing after it
        elif isinstance(node, (Mapping, Sequence)) and node.flow:
            end = node.end
        else:
            end = self.end_of_line(node.last_line)
        if isinstance(new, (dict, list)) and new:
            indent = _key_col(parent) + (self.seq_indent if isinstance(new, list) else 2)
            body = self.block(new, indent).rstrip("\n")
            self.edits.append(Edit(key.start, end, f"{head}:\n{body}"))
        else:
            self.edits.append(Edit(key.start, end, f"{head}: {render._inline(new)}"))

    def mapping(self, node: Mapping, old: dict[Any, Any], new: dict[Any, Any]) -> None:
        plain = self.plain
        if (node.flow or not plain) and self.settled(node, old, new, "mapping"):
            return
        deleted = False
        for k, v in node.pairs:
            if not isinstance(k, Scalar):
                raise Unspliceable("complex key")
            key = k.value
            if key not in old:
                key = _key_of(k, old)
            if key not in new:
                self.delete_pair(k, v)
                deleted = True
                continue
            o = old[key]
            n = new[key]
            # unchanged (see above)? decided inline: this loop sees every pair on the edit path
            if o is n or (plain and o == n and same(o, n)):
                continue
            self.changed_value(node, k, v, o, n)
        if deleted or len(new) != len(old):  # else new has every key of old and no other
            self.add_keys(node, old, new)

    def settled(self, node: Mapping | Sequence, old: Any, new: Any, what: str) -> bool:
        """Whether the walk of a flow-style collection -- or, in an item with aliases, of any collection --
        ends at once: its data unchanged (True); else raises Unspliceable where it cannot be edited.  (In an
        item without aliases a block collection needs none of this: check() has nothing to refuse there.)"""
        if (node.flow or isinstance(node, Alias) or id(node) in self.aliased) and same(old, new):
            return True
        self.check(node)
        if node.flow:
            raise Unspliceable(f"flow-style {what} on the edit path")
        return False

    def add_keys(self, node: Mapping, old: dict[Any, Any], new: dict[Any, Any]) -> None:
        added = {k: v for k, v in new.items() if k not in old}
        if added:  # rendered together: the same text as each entry on its own, one after the other
            at = self.line_after(node.last_line)
            self.edits.append(Edit(at, at, self.block(added, _key_col(node))))

    def delete(self, start: int, end: int) -> None:
        self.edits.append(Edit(start, end, ""))

    def delete_pair(self, key: Node, value: Node) -> None:
        start = self.own_line_start(key.start)
        last = max(key.last_line, value.last_line)
        self.delete(start, self.line_after(last))

    def dash_line_start(self, item: Node) -> int:
        dash = self.text.rfind("-", 0, item.start)
        if dash < 0 or self.text[dash + 1 : item.start].strip():
            raise Unspliceable("list item without its dash")
        return self.own_line_start(dash)

    def sequence(self, node: Sequence, old: list[Any], new: list[Any]) -> None:
        plain = self.plain
        if (node.flow or not plain) and self.settled(node, old, new, "list"):
            return
        for op, i1, i2, j1, j2 in _opcodes(old, new):
            if op == "equal":
                for i, j in zip(range(i1, i2), range(j1, j2)):
                    o = old[i]
                    n = new[j]
                    if o is not n and not (plain and o == n and same(o, n)):  # unchanged? (see above)
                        self.changed_item(node.items[i], o, n)
                continue
            for i in range(i1, i2):  # delete / replace: the old items go
                item = node.items[i]
                self.delete(self.dash_line_start(item), self.line_after(item.last_line))
            if j2 > j1:  # insert / replace: the new items come before old item i2 (or at the end)
                at = self.dash_line_start(node.items[i2]) if i2 < len(node.items) else self.line_after(node.last_line)
                self.edits.append(Edit(at, at, self.block(new[j1:j2], node.col)))

    def changed_item(self, node: Node, old: Any, new: Any) -> None:
        """Reconcile a list item (``old`` not ``new``, and not unchanged, see above)."""
        if isinstance(node, Mapping) and isinstance(old, dict) and isinstance(new, dict) and old and new:
            self.mapping(node, old, new)
            return
        if isinstance(node, Sequence) and isinstance(old, list) and isinstance(new, list) and old and new:
            self.sequence(node, old, new)
            return
        if not same(old, new):
            self.replace_item(node, new)

    def replace_item(self, node: Node, new: Any) -> None:
        """A list item's node replaced, in place, by the text of ``new``."""
        collection = isinstance(new, (dict, list)) and bool(new)
        if isinstance(node, Alias) and collection:
            self.edits.append(Edit(node.start, node.end, self.in_place(new, node.col)))
            return
        self.check(node)
        block = isinstance(node, Scalar) and node.style in ("|", ">")
        if isinstance(node, Scalar) and not block and not isinstance(new, (dict, list)):
            self.edits.append(Edit(node.start, node.end, render._inline(new)))
        elif collection and not block:
            if isinstance(node, Scalar):
                raise Unspliceable("scalar list item becomes a collection")
            end = node.end if isinstance(node, (Mapping, Sequence)) and node.flow else self.end_of_line(node.last_line)
            self.edits.append(Edit(node.start, end, self.in_place(new, node.col)))
        else:
            raise Unspliceable("list item changes shape")


def _opcodes(old: list[Any], new: list[Any]) -> Iterable[tuple[str, int, int, int, int]]:
    """How the items of ``new`` align with those of ``old`` (difflib's opcodes, by item identity)."""
    old_ids = [_identity(x) for x in old]
    new_ids = [_identity(x) for x in new]
    if new_ids[: len(old_ids)] == old_ids:  # the common case: items appended (or none)
        opcodes = [("equal", 0, len(old), 0, len(old))]
        if len(new) > len(old):
            opcodes.append(("insert", len(old), len(old), len(old), len(new)))
        return opcodes
    added = len(new) - len(old)
    if added > 0 and new_ids[added:] == old_ids and set(old_ids).isdisjoint(new_ids[:added]):
        # items prepended (the sidecar's volumes): what difflib finds too, as no prepended item is also an old
        # one (the old items match only where they are, and whole)
        return [("insert", 0, 0, 0, added), ("equal", 0, len(old), added, len(new))]
    import difflib  # only here: items reordered or removed (start-up does not pay for it)

    return difflib.SequenceMatcher(None, old_ids, new_ids, False).get_opcodes()


def _key_of(key: Scalar, old: dict[Any, Any]) -> Any:
    """The data key a key node stands for (``old`` was read from these very nodes)."""
    if key.value in old:
        return key.value
    from .nodes import scalar_value

    value = scalar_value(key)
    if value not in old:
        raise Unspliceable("key not found in the item's data")
    return value


def reconcile(
    text: str, starts: list[int], root: Node, aliased: set[int], old: Any, new: Any, seq_indent: int = 0
) -> list[Edit]:
    """Edits of ``text`` that make the item ``root`` (whose data is ``old``) read as ``new``."""
    if not isinstance(root, Mapping) or not isinstance(old, dict) or not isinstance(new, dict):
        raise Unspliceable("item is not a mapping")
    r = _Reconciler(text, starts, aliased, seq_indent)
    r.mapping(root, old, new)
    return r.edits


def _key_col(node: Node) -> int:
    """The column of a block mapping's keys (``node.col`` is that of its anchor or tag when it has one)."""
    if isinstance(node, Mapping) and node.pairs and not node.flow:
        return node.pairs[0][0].col
    return node.col
