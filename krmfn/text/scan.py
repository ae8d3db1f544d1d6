"""The general read: libyaml's events, once, for any ResourceList (flow style, anchors, odd line breaks).

The fast read (:mod:`krmfn.text.read`) and the JSON read (:mod:`krmfn.text.jsonread`) fall back on it for
a piece of the text or for the header.  One item scan serves them all: :func:`scan_item` (an item's
events, with its apiVersion and kind from :func:`first_keys`, which the fast read also runs on a slice).
"""

from __future__ import annotations

from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from . import render
from .document import FLOW_SPAN, RESOURCE_LIST_VERSIONS, Document, Item, ReadError
from .nodes import (
    Composer,
    Node,
    Scalar,
    Sequence,
    YamlError,
    duplicate_key,
    is_null,
    next_line_start,
    subtree_events,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def first_keys(get: Callable[[], Any]) -> tuple[Any, Any]:
    """apiVersion and kind among a mapping's first keys (``get`` gives the events after its start); stops
    once both are seen, or at the mapping's end."""
    av = kd = None
    while av is None or kd is None:
        key = get()
        if key.__class__ is MappingEndEvent:
            break
        val = get()
        if key.__class__ is ScalarEvent and val.__class__ is ScalarEvent:
            if key.value == "kind":
                kd = val.value
            elif key.value == "apiVersion":
                av = val.value
        c = val.__class__
        if c is MappingStartEvent or c is SequenceStartEvent:  # skip the value's subtree
            depth = 1
            while depth:
                c = get().__class__
                if c is MappingStartEvent or c is SequenceStartEvent:
                    depth += 1
                elif c is MappingEndEvent or c is SequenceEndEvent:
                    depth -= 1
    return av, kd


def scan_item(index: int, first: Any, get: Callable[[], Any]) -> tuple[Item, list[Any]]:
    """An item from the node starting with event ``first``, with all its events."""
    events = subtree_events(first, get)
    is_map = first.__class__ is MappingStartEvent
    if is_map:
        rest = iter(events)
        next(rest)
        av, kd = first_keys(rest.__next__)
    else:
        av = kd = None
    mark = first.start_mark
    return Item(index, av, kd, is_map, mark.index, mark.column, events[-1].end_mark.line), events


def sort_out(found: list[tuple[Item, list[Any]]], want: Callable[[Any, Any], bool],
             line_offset: int = 0) -> list[tuple[Item, list[Any]]]:
    """The wanted items of ``found``, to compose; the others are checked for duplicate keys (their error)."""
    pending: list[tuple[Item, list[Any]]] = []
    for item, events in found:
        if item.is_mapping and want(item.api_version, item.kind):
            pending.append((item, events))
        else:
            item.error = duplicate_key(events, line_offset)
    return pending


def compose_items(text: str, starts: list[int], pending: list[tuple[Item, list[Any]]], offset: int = 0,
                  line_offset: int = 0) -> None:
    """Compose the wanted items; a broken one keeps its error and stays text.
    ``offset``/``line_offset``: where the events' source starts in ``text`` (events of a slice)."""
    for item, events in pending:
        try:
            item.node, item.composer = compose_events(text, starts, events, offset, line_offset)
            item.data = item.composer.data
            item.last_line = item.node.last_line
        except YamlError as e:
            item.error = e
        except RecursionError:
            item.error = YamlError("item is nested too deeply")


def compose_events(text: str, starts: list[int], events: list[Any], offset: int = 0,
                   line_offset: int = 0) -> tuple[Node, Composer]:
    composer = Composer(text, starts, offset, line_offset)
    return composer.compose(events), composer


def read_general(text: str, starts: list[int], loader: Any, want: Callable[[Any, Any], bool]) -> Document:
    """The ResourceList of ``text`` from libyaml's events (``loader``): its header composed, its items
    scanned, and those ``want(apiVersion, kind)`` takes composed (every one in a flow-style list)."""
    get = loader.get_event
    root = _root(get)
    doc = Document(text=text, starts=starts, api_version="", kind="", items=[], function_config=None,
                   rerender=bool(root.flow_style), root_col=root.start_mark.column,
                   root_last_line=root.start_mark.line, results_span=None, header=[])
    seen_keys: set[str] = set()
    while True:
        kev = get()
        if kev.__class__ is MappingEndEvent:
            break
        vfirst = get()
        key_node = _key(kev, seen_keys)
        if key_node.value == "items" and vfirst.__class__ is SequenceStartEvent:
            doc.header.append((key_node, None))
            _read_items(doc, vfirst, get, want)
        else:
            _read_entry(doc, key_node, vfirst, get)
    get()  # DocumentEnd
    nxt = get()
    if nxt.__class__ is DocumentStartEvent:
        raise ReadError(f"input has more than one YAML document (line {_line(nxt) + 1}): expected one ResourceList")
    _check_header(doc)
    if doc.items:
        doc.root_last_line = max(doc.root_last_line, max(i.last_line for i in doc.items))
    return doc


def _line(ev: Any, end: bool = False) -> int:
    """The (0-based) line where event ``ev`` starts, or ends."""
    mark: Any = ev.end_mark if end else ev.start_mark
    return int(mark.line)


def _root(get: Callable[[], Any]) -> Any:
    """The event starting the document's root mapping (anything else: a ReadError)."""
    get()  # StreamStart
    ev = get()
    if ev.__class__ is StreamEndEvent:
        raise ReadError("input is empty: expected a ResourceList")
    if ev.__class__ is not DocumentStartEvent:  # pragma: no cover
        raise ReadError("input is not a YAML document")
    root = get()
    if root.__class__ is not MappingStartEvent:
        what = {ScalarEvent: "a scalar", SequenceStartEvent: "a list", AliasEvent: "an alias"}.get(
            root.__class__, "not a mapping"
        )
        if root.__class__ is ScalarEvent and root.value == "" and not root.style:
            raise ReadError("input is empty: expected a ResourceList")
        raise ReadError(f"input is {what}, not a ResourceList mapping")
    return root


def _key(kev: Any, seen_keys: set[str]) -> Scalar:
    """The node of a ResourceList key (a string, once)."""
    if kev.__class__ is not ScalarEvent:
        raise ReadError("ResourceList has a key that is not a string")
    key = kev.value
    if key in seen_keys:
        raise ReadError(
            f"ResourceList has the key {key!r} twice (line {_line(kev) + 1}): the document is ambiguous"
        )
    seen_keys.add(key)
    key_node = Scalar(key, kev.style or None)
    mark: Any = kev.start_mark
    key_node.start = mark.index
    key_node.line = mark.line
    return key_node


def _read_entry(doc: Document, key_node: Scalar, vfirst: Any, get: Callable[[], Any]) -> None:
    """A header entry (anything but a sequence of items), composed into ``doc.header``."""
    key = key_node.value
    events = subtree_events(vfirst, get)
    try:
        node, _ = compose_events(doc.text, doc.starts, events)
    except YamlError as e:  # e.g. a duplicate key in functionConfig: the policy is ambiguous
        raise ReadError(f"ResourceList field {key!r}: {e}") from None
    doc.root_last_line = max(doc.root_last_line, node.last_line)
    doc.header.append((key_node, node))
    if key == "items" and not is_null(node):
        raise ReadError("ResourceList field 'items' must be a list")


def _check_header(doc: Document) -> None:
    """The header's fields on the document; a ReadError if it is no ResourceList krmfn reads."""
    api_version = kind = None
    for key_node, node in doc.header:
        key = key_node.value
        if key == "apiVersion":
            api_version = node.value if isinstance(node, Scalar) else None
        elif key == "kind":
            kind = node.value if isinstance(node, Scalar) else None
        elif key == "functionConfig":
            doc.function_config = node
        elif key == "results":
            assert node is not None
            doc.results_span = (doc.starts[key_node.line], next_line_start(doc.text, doc.starts, node.last_line))
    if kind != "ResourceList":
        raise ReadError(f"input kind is {kind!r}, expected a ResourceList (kind: ResourceList)")
    if api_version not in RESOURCE_LIST_VERSIONS:
        raise ReadError(
            f"ResourceList apiVersion {api_version!r} is not supported; use one of {', '.join(RESOURCE_LIST_VERSIONS)}"
        )
    doc.api_version, doc.kind = api_version, kind
    if doc.rerender:
        broken = next((i for i in doc.items if i.error is not None), None)
        if broken is not None:
            raise ReadError(f"item {broken.index}: {broken.error}")


def _read_items(doc: Document, vfirst: Any, get: Callable[[], Any], want: Callable[[Any, Any], bool]) -> None:
    """The items sequence (``vfirst`` its start event): each item scanned, a wanted one composed now (one
    item's events at a time, never the whole input's); in a re-rendered list, every item."""
    text, starts, items = doc.text, doc.starts, doc.items
    if vfirst.flow_style:
        doc.rerender = True
    rerender = doc.rerender
    while True:
        first = get()
        if first.__class__ is SequenceEndEvent:
            if vfirst.flow_style:
                doc.root_last_line = max(doc.root_last_line, _line(first, end=True))
            return
        item, events = scan_item(len(items), first, get)
        items.append(item)
        wanted = item.is_mapping and want(item.api_version, item.kind)
        if not (rerender or wanted):
            item.error = duplicate_key(events)
            continue
        compose_items(text, starts, [(item, events)])
        if not wanted:
            render_early(item)
        elif rerender and item.node is not None and item.data is not None and item.composer is not None \
                and not item.composer.aliased:
            # Checked; composed again from its text when processed: one workload's nodes at a time.
            item.span = (item.start, events[-1].end_mark.index, FLOW_SPAN)
            item.node = item.composer = item.data = None


def read_stream_events(text: str, starts: list[int], get: Callable[[], Any],
                       want: Callable[[Any, Any], bool]) -> tuple[list[Item], int]:
    """The items of a multi-document stream (one per document; empty ones skipped), the wanted ones
    composed, and the stream's last line."""
    get()  # StreamStart
    found: list[tuple[Item, list[Any]]] = []
    while True:
        ev = get()
        if ev.__class__ is StreamEndEvent:
            last_line = _line(ev, end=True)
            break
        first = get()  # the document's root node
        item, events = scan_item(len(found), first, get)
        get()  # DocumentEnd
        if first.__class__ is ScalarEvent and first.value == "" and not first.style and not first.tag:
            continue  # an empty document (e.g. a trailing ---)
        found.append((item, events))
    compose_items(text, starts, sort_out(found, want))
    return [item for item, _ in found], last_line


def render_early(item: Item) -> None:
    """An item of a re-rendered list krmfn passes through: its block text now, instead of its nodes until the
    end (a JSON ResourceList of 30,000 items held them all).  Not for an item with aliases (expanding them
    spends the run's budget, in item order, when written) nor one that cannot be rendered (the error is the
    writer's to give)."""
    item.data = None  # only edited items need data
    if item.node is None or item.composer is None or item.composer.aliased:
        return
    lines: list[str] = []
    try:
        render.render_lines(Sequence([item.node]), 0, lines)
    except (render.Unrenderable, RecursionError, TypeError, YamlError):
        return
    item.rendered = "".join(lines)
    item.node = item.composer = None
