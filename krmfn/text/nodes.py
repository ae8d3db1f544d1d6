"""YAML nodes that remember where they came from.

PyYAML's own composer throws away what we need (source offsets of every node,
the last line a node occupies) and refuses an anchor name that is defined twice
in one document, which is legal YAML and what kpt produces when it joins files
that each use ``&id001``.  This module composes libyaml's events (parsed in C)
into small node objects that keep:

* the scalar's text exactly as resolved by libyaml, its style and explicit tag;
* character offsets and line numbers, so that an editor can splice text at the
  right place instead of re-emitting the document.

Nothing here reads files or streams; callers hand in the events.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from . import yamlc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any

STR_TAG = "tag:yaml.org,2002:str"
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"

#: How many nodes alias expansion may produce in one run (alias bombs), counting what is kept...
EXPANSION_BUDGET = 200_000
#: ... and counting also the expansions given up (an item refused for its bomb is refunded, see
#: :func:`refund_on_error`, but the work it took is not).
EXPANSION_WORK = 1_000_000


class YamlError(Exception):
    """A YAML problem with a 1-based line and column when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.line = line
        self.column = column
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.bare = message


class Node:
    __slots__ = ("start", "end", "line", "col", "last_line", "anchor", "tag")
    start: int  # offsets in the source text
    end: int
    line: int  # 0-based
    col: int
    last_line: int  # the last line holding the node's content
    anchor: str | None
    tag: str | None

    def __init__(self) -> None:
        self.anchor = None
        self.tag = None  # explicit tag only


class Scalar(Node):
    __slots__ = ("value", "style")
    value: str
    style: str | None

    def __init__(self, value: str, style: str | None = None) -> None:
        self.anchor = None
        self.tag = None
        self.value = value
        self.style = style  # None (plain), "'", '"', "|", ">"


class Mapping(Node):
    __slots__ = ("pairs", "flow")

    def __init__(self, pairs: list[tuple[Node, Node]] | None = None, flow: bool = False) -> None:
        self.anchor = None
        self.tag = None
        self.pairs = pairs if pairs is not None else []
        self.flow = flow

    def get(self, key: str) -> Node | None:
        for k, v in self.pairs:
            if isinstance(k, Scalar) and k.value == key:
                return v
        return None

    def find(self, key: str) -> tuple[Node, Node] | None:
        for pair in self.pairs:
            k = pair[0]
            if isinstance(k, Scalar) and k.value == key:
                return pair
        return None


class Sequence(Node):
    __slots__ = ("items", "flow")

    def __init__(self, items: list[Node] | None = None, flow: bool = False) -> None:
        self.anchor = None
        self.tag = None
        self.items = items if items is not None else []
        self.flow = flow


class Alias(Node):
    __slots__ = ("name", "target")

    def __init__(self, name: str, target: Node) -> None:
        super().__init__()
        self.name = name
        self.target = target


#: The styles of a scalar that is one line of text: plain (None), single- or double-quoted.
_ONE_LINE = frozenset((None, "'", '"'))


class _ByEvent(dict):  # type: ignore[type-arg]
    """The Composer method (a plain function, called with the Composer: no bound method, no reference
    cycle) for each class of event that starts a node."""

    def __missing__(self, cls: type) -> Any:  # pragma: no cover - the parser never gives anything else here
        raise YamlError(f"unexpected YAML event {cls.__name__}")


class Composer:
    """Composes nodes from a list of events of one subtree.

    ``last_line`` of a node is the last source line holding its content, used
    to insert text after a block collection.  ``aliased`` collects the ids of
    nodes that some alias points to: editing one of those in place would leak
    into the alias site.
    """

    def __init__(self, text: str, line_starts: Any, offset: int = 0, line_offset: int = 0) -> None:
        """``offset``/``line_offset``: where in ``text`` the events' source starts (0 for the whole text)."""
        self.text = text
        self.line_starts = line_starts
        self.offset = offset
        self.line_offset = line_offset
        self.anchors: dict[str, Node] = {}
        self.aliased: set[int] = set()

    def compose(self, events: list[Any]) -> Node:
        """The node of ``events``; ``self.data`` is then its :func:`to_python` data (None if it has aliases)."""
        return self.compose_next(iter(events).__next__)

    def compose_next(self, nxt: Callable[[], Any]) -> Node:
        """:meth:`compose` of the node whose events ``nxt`` gives next (e.g. a parser's get_event):
        it takes exactly that node's events."""
        self.has_alias = False
        ev = nxt()
        node: Node
        node, data = _BY_EVENT[ev.__class__](self, ev, nxt)
        self.data = None if self.has_alias else data
        return node

    # A node and its plain data (what to_python gives), built in one walk: one method per kind of event,
    # chosen by the event's class through ``_BY_EVENT`` (a dict: the hot path makes no if-chain).  The
    # usual keys and one-line values are inlined in the collection methods (most nodes are those).

    def _start(self, node: Node, ev: Any) -> None:
        """Position, tag and anchor of a node from its (start) event."""
        m = ev.start_mark
        node.start, node.line, node.col = m.index + self.offset, m.line + self.line_offset, m.column
        tag = ev.tag
        if tag is not None and tag != "!":
            node.tag = tag
        if ev.anchor is not None:
            node.anchor = ev.anchor
            # A redefined anchor name is legal: later aliases see the newest.
            self.anchors[ev.anchor] = node

    def _scalar(self, ev: Any, nxt: Callable[[], Any]) -> tuple[Node, Any]:
        node = Scalar(ev.value, ev.style or None)
        self._start(node, ev)
        end = ev.end_mark
        node.end = end.index + self.offset
        node.last_line = end_line = end.line + self.line_offset
        style = node.style
        if style in ("|", ">"):
            # A block scalar ends at the start of the next line (or in its
            # indentation); its content stops on the line before.
            ls = self.line_starts[end_line] if end_line < len(self.line_starts) else len(self.text)
            if self.text[ls:node.end].strip() == "":
                node.last_line = end_line - 1
        if node.tag is None:
            if style is not None:
                return node, ev.value
            return node, _plain_value(ev.value)
        return node, scalar_value(node)

    def _mapping(self, ev: Any, nxt: Callable[[], Any]) -> tuple[Node, Any]:
        node = Mapping(flow=bool(ev.flow_style))
        self._start(node, ev)
        by_event = _BY_EVENT
        off, loff = self.offset, self.line_offset
        pairs = node.pairs
        data: dict[Any, Any] = {}
        seen: set[str] = set()
        last: Node | None = None
        while True:
            kev = nxt()
            kc = kev.__class__
            if kc is MappingEndEvent:
                break
            if kc is ScalarEvent and not kev.style and kev.tag is kev.anchor is None:
                # the usual key: a plain scalar on one line (libyaml's parser says "" for the plain style,
                # the pure-Python one None)
                key: Node = Scalar(kev.value)
                km, ke = kev.start_mark, kev.end_mark
                key.start, key.line, key.col = km.index + off, km.line + loff, km.column
                key.end, key.last_line = ke.index + off, ke.line + loff
                kd = _plain_value(kev.value)
            else:
                key, kd = by_event[kc](self, kev, nxt)
                if isinstance(kd, (dict, list)):  # no JSON / Kubernetes equivalent: never guess one
                    raise YamlError("a mapping key that is a list or mapping", key.line + 1, key.col + 1)
            vev = nxt()
            vc = vev.__class__
            st = (vev.style or None) if vc is ScalarEvent else "|"
            if st in _ONE_LINE and vev.tag is vev.anchor is None:  # tag and anchor both None
                # a one-line or quoted scalar value, untagged (what _scalar does for it)
                last = Scalar(vev.value, st)
                vm, ve = vev.start_mark, vev.end_mark
                last.start, last.line, last.col = vm.index + off, vm.line + loff, vm.column
                last.end, last.last_line = ve.index + off, ve.line + loff
                vd = vev.value if st is not None else _plain_value(vev.value)
            else:
                last, vd = by_event[vc](self, vev, nxt)
            if key.__class__ is Scalar:
                kv = key.value
                if kv in seen:
                    raise YamlError(f"duplicate key {kv!r} in a mapping (the document is ambiguous)",
                                    key.line + 1, key.col + 1)
                seen.add(kv)
            pairs.append((key, last))
            data[kd] = vd
        self._end(node, kev, last)
        return node, data

    def _sequence(self, ev: Any, nxt: Callable[[], Any]) -> tuple[Node, Any]:
        node = Sequence(flow=bool(ev.flow_style))
        self._start(node, ev)
        by_event = _BY_EVENT
        off, loff = self.offset, self.line_offset
        items = node.items
        data: list[Any] = []
        last: Node | None = None
        while True:
            kev = nxt()
            kc = kev.__class__
            if kc is SequenceEndEvent:
                break
            st = (kev.style or None) if kc is ScalarEvent else "|"
            if st in _ONE_LINE and kev.tag is kev.anchor is None:
                last = Scalar(kev.value, st)  # as in a mapping's values
                vm, ve = kev.start_mark, kev.end_mark
                last.start, last.line, last.col = vm.index + off, vm.line + loff, vm.column
                last.end, last.last_line = ve.index + off, ve.line + loff
                vd = kev.value if st is not None else _plain_value(kev.value)
            else:
                last, vd = by_event[kc](self, kev, nxt)
            items.append(last)
            data.append(vd)
        self._end(node, kev, last)
        return node, data

    def _end(self, node: Mapping | Sequence, ev: Any, last: Node | None) -> None:
        """End offset and last line of a collection (``ev`` its end event, ``last`` its last value)."""
        end = ev.end_mark
        node.end = end.index + self.offset
        node.last_line = end.line + self.line_offset if node.flow or last is None else last.last_line

    def _alias_node(self, ev: Any, nxt: Callable[[], Any]) -> tuple[Node, Any]:
        self.has_alias = True
        return self._alias(ev), None

    def _alias(self, ev: Any) -> Alias:
        target = self.anchors.get(ev.anchor)
        if target is None:
            raise YamlError(
                f"alias *{ev.anchor} refers to an anchor not defined before it in this item",
                ev.start_mark.line + self.line_offset + 1,
                ev.start_mark.column + 1,
            )
        node = Alias(ev.anchor, target)
        off, loff = self.offset, self.line_offset
        node.start, node.line, node.col = ev.start_mark.index + off, ev.start_mark.line + loff, ev.start_mark.column
        node.end = ev.end_mark.index + off
        node.last_line = ev.end_mark.line + loff
        self.aliased.add(id(target))
        return node

_BY_EVENT = _ByEvent({ScalarEvent: Composer._scalar, MappingStartEvent: Composer._mapping,
                      SequenceStartEvent: Composer._sequence, AliasEvent: Composer._alias_node})


# --- reading node values as Python data -------------------------------------

_resolver = yaml.resolver.Resolver()
_constructor = yaml.constructor.SafeConstructor()


_plain_tags: dict[str, str] = {}


def resolve_tag(node: Scalar) -> str:
    """The tag a Kubernetes-style (YAML 1.1, like sigs.k8s.io/yaml) loader gives."""
    if node.tag is not None:
        return node.tag
    if node.style is not None:
        return STR_TAG
    value = node.value
    tag = _plain_tags.get(value)
    if tag is None:
        tag = _resolver.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
        if len(_plain_tags) < 100_000:
            _plain_tags[value] = tag
    return tag


def scalar_value(node: Scalar) -> Any:
    tag = resolve_tag(node)
    if tag == STR_TAG:
        return node.value
    if tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"):
        return node.value  # keep text: we never need them as objects
    ctor = _constructor.yaml_constructors.get(tag)
    if ctor is None:
        return node.value  # unknown tag: keep its text, never construct objects
    try:
        return ctor(_constructor, yaml.ScalarNode(tag, node.value))
    except Exception:
        return node.value


def deref(node: Node | None) -> Node | None:
    while isinstance(node, Alias):
        node = node.target
    return node


#: The expansion budget shared by everything read in one run (see :func:`expansion_limit`).
_RUN_BUDGET: ContextVar[list[int] | None] = ContextVar("krmfn_expansion_budget", default=None)


@contextmanager
def expansion_limit(nodes: int = EXPANSION_BUDGET) -> Iterator[None]:
    """Within the block, all alias expansion (every item, the functionConfig, a re-render) shares one budget.

    Without it each expansion gets its own budget, and a thousand small bombs
    of one input would each expand up to the limit.
    """
    token = _RUN_BUDGET.set([nodes, EXPANSION_WORK])
    try:
        yield
    finally:
        _RUN_BUDGET.reset(token)


@contextmanager
def refund_on_error() -> Iterator[None]:
    """An expansion that fails inside the block gives its nodes back, so that one
    refused bomb does not starve the next item's harmless aliases (the work stays counted)."""
    budget = _RUN_BUDGET.get()
    before = budget[0] if budget is not None else 0
    try:
        yield
    except YamlError:
        if budget is not None:
            budget[0] = max(budget[0], before)
        raise


def _budget(budget: list[int] | None) -> list[int]:
    if budget is not None:
        return budget
    return _RUN_BUDGET.get() or [EXPANSION_BUDGET, EXPANSION_WORK]


def _spend(budget: list[int]) -> None:
    """Count one node copied through an alias against the budget."""
    budget[0] -= 1
    if len(budget) > 1:  # a caller's own one-number budget has no separate count of the work
        budget[1] -= 1
        if budget[1] < 0:
            budget[0] = min(budget[0], -1)
    if budget[0] < 0:
        raise YamlError(f"alias expansion exceeds the limit of {EXPANSION_BUDGET} nodes (alias bomb?)")


def to_python(node: Node, budget: list[int] | None = None, expanding: bool = False) -> Any:
    """Plain Python data of a node tree; nodes reached through aliases count against a budget."""
    if budget is None and not expanding and node.__class__ is Mapping:
        try:
            return _plain_mapping(node)
        except _HasAlias:
            pass
    budget = _budget(budget)
    node, expanding = _through_alias(node, budget, expanding)
    if isinstance(node, Scalar):
        return scalar_value(node)
    if isinstance(node, Mapping):
        out: dict[Any, Any] = {}
        for k, v in node.pairs:
            key = to_python(k, budget, expanding)
            if isinstance(key, (dict, list)):  # no JSON / Kubernetes equivalent: never guess one
                raise YamlError("a mapping key that is a list or mapping", k.line + 1, k.col + 1)
            out[key] = to_python(v, budget, expanding)
        return out
    if isinstance(node, Sequence):
        return [to_python(i, budget, expanding) for i in node.items]
    raise YamlError("unexpected node")  # pragma: no cover


def _through_alias(node: Node, budget: list[int], expanding: bool) -> tuple[Node, bool]:
    """An alias's target (from there on, every node is an expansion), each expanded node paid for."""
    if node.__class__ is Alias:
        expanding = True
        node = deref(node)  # type: ignore[assignment]
    if expanding:
        _spend(budget)
    return node, expanding


class _HasAlias(Exception):
    """The tree has an alias: convert it with an expansion budget instead."""


_plain_values: dict[str, Any] = {}


def _plain_value(value: str) -> Any:
    """The data of an untagged plain scalar (cached: the values are immutable)."""
    try:
        return _plain_values[value]
    except KeyError:
        pass
    out = scalar_value(Scalar(value))
    if len(_plain_values) < 100_000:
        _plain_values[value] = out
    return out


def _plain(node: Node) -> Any:
    c = node.__class__
    if c is Scalar:
        if node.tag is None:
            if node.style is not None:  # type: ignore[attr-defined]
                return node.value  # type: ignore[attr-defined]
            return _plain_value(node.value)  # type: ignore[attr-defined]
        return scalar_value(node)  # type: ignore[arg-type]
    if c is Mapping:
        return _plain_mapping(node)  # type: ignore[arg-type]
    if c is Sequence:
        return [_plain(i) for i in node.items]  # type: ignore[attr-defined]
    raise _HasAlias


def _plain_mapping(node: Mapping) -> dict[Any, Any]:
    """to_python of an alias-free tree: no budget needed (its size is the source's)."""
    out: dict[Any, Any] = {}
    for k, v in node.pairs:
        key = _plain(k)
        if isinstance(key, (dict, list)):  # no JSON / Kubernetes equivalent: never guess one
            raise YamlError("a mapping key that is a list or mapping", k.line + 1, k.col + 1)
        out[key] = _plain(v)
    return out


def unshare(node: Node, budget: list[int] | None = None, expanding: bool = False) -> Node:
    """A deep copy with every alias replaced by a copy of its target (counted against a budget).

    Styles are kept, anchors dropped, source positions kept on copies of
    non-aliased nodes only for reference (the copy is re-rendered, never spliced).
    """
    budget = _budget(budget)
    node, expanding = _through_alias(node, budget, expanding)
    if isinstance(node, Scalar):
        copy: Node = Scalar(node.value, node.style)
    elif isinstance(node, Mapping):
        copy = Mapping([(unshare(k, budget, expanding), unshare(v, budget, expanding)) for k, v in node.pairs],
                       flow=node.flow)
    elif isinstance(node, Sequence):
        copy = Sequence([unshare(i, budget, expanding) for i in node.items], flow=node.flow)
    else:  # pragma: no cover
        raise YamlError("unexpected node")
    copy.tag = node.tag
    return copy


# Line breaks as libyaml counts them; compiled on first use (re caches it): most texts have line feeds only.
_LINE_BREAK = r"\r\n|[\r\n\x85]|\u2028|\u2029"


def line_starts(text: str) -> Any:
    """Offsets at which each line starts, counting line breaks as libyaml does.

    An ``array('q')``, indexed and bisected like a list of ints at a quarter of
    the memory (a million lines: 8 MB instead of 36 MB); for a short text a
    list, which spares start-up loading the array module.
    """
    if len(text) < 65536:
        starts: Any = [0]
    else:
        from array import array

        starts = array("q", [0])
    if any(c in text for c in "\r\x85\u2028\u2029"):
        starts.extend(m.end() for m in re.finditer(_LINE_BREAK, text))
    elif any(c in text for c in _NOT_LIBYAML_BREAKS):  # line feeds, and characters splitlines() breaks at
        from itertools import accumulate

        starts.extend(accumulate(len(line) + 1 for line in text.split("\n")))
        starts.pop()  # the end of the text, one past the last line feed
    else:  # only line feeds (the usual text): the lines' lengths (with their line feed), summed in C
        from itertools import accumulate

        ends = list(accumulate(map(len, text.splitlines(True))))
        if ends and text[-1] != "\n":
            ends.pop()  # the end of the text, which does not end a line
        if isinstance(starts, list):
            starts.extend(ends)
        else:
            starts.fromlist(ends)  # from a list: quicker than from an iterator
    return starts


#: Characters at which str.splitlines() breaks lines and libyaml does not.
_NOT_LIBYAML_BREAKS = "\x0b\x0c\x1c\x1d\x1e"


def next_line_start(text: str, starts: list[int], line: int) -> int:
    """Offset where the line after ``line`` starts (the end of text after the last line)."""
    return starts[line + 1] if line + 1 < len(starts) else len(text)


def is_null(node: Node | None) -> bool:
    """An untagged plain null: empty, ``~`` or ``null`` (YAML 1.1 spellings)."""
    return (
        isinstance(node, Scalar)
        and node.style is None
        and node.tag is None
        and node.value in ("", "~", "null", "Null", "NULL")
    )


def subtree_events(first: Any, get: Callable[[], Any]) -> list[Any]:
    """The events of the node that starts with ``first``, pulling the rest with ``get``."""
    cls = first.__class__
    if cls is ScalarEvent or cls is AliasEvent:
        return [first]
    events = [first]
    append = events.append
    depth = 1
    while depth:
        ev = get()
        append(ev)
        c = ev.__class__
        if c is MappingStartEvent or c is SequenceStartEvent:
            depth += 1
        elif c is MappingEndEvent or c is SequenceEndEvent:
            depth -= 1
    return events


def error_message(e: yaml.YAMLError) -> str:
    """One line saying what libyaml found wrong, and where."""
    if isinstance(e, yaml.reader.ReaderError):
        char = e.character if isinstance(e.character, int) else ord(e.character or "\0")
        return f"character #x{char:04x} is not allowed (offset {e.position})"
    mark = getattr(e, "problem_mark", None)
    msg = " ".join(str(getattr(e, "problem", None) or e).split())
    context = getattr(e, "context", None)
    if context:
        msg += f" {context}"
    if mark is not None:
        msg += f" (line {mark.line + 1}, column {mark.column + 1})"
    return msg


def compose_document(text: str) -> Node | None:
    """The node of a one-document YAML text (None when empty); raises YamlError."""
    loader = yamlc.SafeLoader(text)
    try:
        get = loader.get_event
        get()  # StreamStart
        if get().__class__ is StreamEndEvent:
            return None
        events = subtree_events(get(), get)
        get()  # DocumentEnd
        if get().__class__ is not StreamEndEvent:
            raise YamlError("holds more than one YAML document")
    except yaml.YAMLError as e:
        raise YamlError(f"is not valid YAML: {error_message(e)}") from None
    finally:
        loader.dispose()
    root = Composer(text, line_starts(text)).compose(events)
    return None if is_null(root) else root


def duplicate_key(events: Iterable[Any], line_offset: int = 0) -> YamlError | None:
    """The first mapping key repeated in its mapping, as the Composer would report it; else None.

    ``line_offset``: the source line of the events' line 0 (events of a slice of the text).

    For items kept as text only (never composed): a duplicate key makes a
    document ambiguous whether or not krmfn edits it.
    """
    frames: list[list[Any] | None] = []  # per open collection: [keys seen, next is a key] or None (a sequence)
    for ev in events:
        c = ev.__class__
        if c is MappingEndEvent or c is SequenceEndEvent:
            frames.pop()
            continue
        top = frames[-1] if frames else None
        if top is not None:
            if top[1] and c is ScalarEvent:
                if ev.value in top[0]:
                    m = ev.start_mark
                    return YamlError(f"duplicate key {ev.value!r} in a mapping (the document is ambiguous)",
                                     m.line + line_offset + 1, m.column + 1)
                top[0].add(ev.value)
            top[1] = not top[1]
        if c is MappingStartEvent:
            frames.append([set(), True])
        elif c is SequenceStartEvent:
            frames.append(None)
    return None
