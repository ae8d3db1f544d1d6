"""ResourceList text in, ResourceList text out.

Reading scans libyaml's events once.  Items are kept as *source spans*; only
the items the caller asks for (workloads and Namespaces) are composed into
nodes.  Writing copies the source text and applies edits (insertions and
replacements at known offsets), so an item nobody touched comes back as the
very bytes it came in as, and an injected item changes only where the
injection adds lines.

When the input is flow style (JSON, or ``items: [...]``) there is no block
text to splice into: every item is composed and the whole list is re-rendered
in block style.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from contextlib import contextmanager

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from . import render, yamlc
from ..records import Record
from .nodes import (
    Composer,
    Mapping,
    Node,
    Scalar,
    Sequence,
    YamlError,
    duplicate_key,
    error_message,
    is_null,
    line_starts,
    next_line_start,
    subtree_events,
    unshare,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any

RESOURCE_LIST_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1", "config.kubernetes.io/v1alpha1")


class ReadError(Exception):
    """The input cannot be read as a ResourceList at all."""


class Item(Record):
    __slots__ = ("index", "api_version", "kind", "is_mapping", "start", "col", "last_line", "node", "composer",
                 "error", "span", "data", "rendered")
    index: int
    api_version: Any
    kind: Any
    is_mapping: bool
    start: int  # offset of the item's node
    col: int
    last_line: int
    node: Node | None  # composed on request
    composer: Composer | None
    error: YamlError | None
    # Fast read: the item's source slice (start, end, column of its ``-``), composed on demand.
    span: tuple[int, int, int] | None
    data: Any  # to_python(node), made while composing (None: not made; call to_python)
    rendered: str | None  # a re-rendered list: the item's block text, made while reading (its node dropped)

    def __init__(
        self,
        index: int,
        api_version: Any,
        kind: Any,
        is_mapping: bool,
        start: int,
        col: int,
        last_line: int,
        node: Node | None = None,
        composer: Composer | None = None,
        error: YamlError | None = None,
        span: tuple[int, int, int] | None = None,
        data: Any = None,
    ) -> None:
        self.index = index
        self.api_version = api_version
        self.kind = kind
        self.is_mapping = is_mapping
        self.start = start
        self.col = col
        self.last_line = last_line
        self.node = node
        self.composer = composer
        self.error = error
        self.span = span
        self.data = data
        self.rendered = None


class Document(Record):
    __slots__ = ("text", "starts", "api_version", "kind", "items", "function_config", "rerender", "root_col",
                 "root_last_line", "results_span", "header", "stream", "unchecked", "from_json")
    text: str
    starts: list[int]
    api_version: str
    kind: str
    items: list[Item]
    function_config: Node | None
    rerender: bool  # flow-style input: re-render everything
    root_col: int
    root_last_line: int
    results_span: tuple[int, int] | None
    header: list[tuple[Node, Node | None]]  # for re-rendering
    stream: bool  # a multi-document stream of items, not a ResourceList
    # A fast read that left the validation of its item slices to :func:`check_slices` (read(check=False)):
    # each item's slice (None: read the general way, checked) and the column of their ``-``.
    unchecked: tuple[list[tuple[int, int] | None], int] | None
    from_json: bool  # read by krmfn.text.jsonread: workloads are spans of JSON text (no anchors, no positions needed)

    def __init__(
        self,
        text: str,
        starts: list[int],
        api_version: str,
        kind: str,
        items: list[Item],
        function_config: Node | None,
        rerender: bool,
        root_col: int,
        root_last_line: int,
        results_span: tuple[int, int] | None,
        header: list[tuple[Node, Node | None]] | None = None,
        stream: bool = False,
    ) -> None:
        self.text = text
        self.starts = starts
        self.api_version = api_version
        self.kind = kind
        self.items = items
        self.function_config = function_config
        self.rerender = rerender
        self.root_col = root_col
        self.root_last_line = root_last_line
        self.results_span = results_span
        self.header = [] if header is None else header
        self.stream = stream
        self.unchecked = None
        self.from_json = False


def decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise ReadError(f"input is not valid UTF-16: {e.reason} at byte {e.start}") from None
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ReadError(f"input is not valid UTF-8: invalid byte at offset {e.start}") from None
    return json_surrogates(text) if "\\u" in text else text


_SURROGATE_PAIR = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)


def json_surrogates(text: str) -> str:
    """A JSON text's surrogate-pair escapes (``"\\ud83d\\ude80"``, how json.dumps writes what is beyond
    the BMP) as the one escape YAML reads (``"\\U0001f680"``): YAML has no surrogates and libyaml
    refuses them.  Only in a text that is JSON (there an escape can only be in a string); others as given.
    """
    if text.lstrip()[:1] not in ("{", "[") or not _SURROGATE_PAIR.search(text):
        return text
    import json

    try:
        json.loads(text)
    except ValueError:
        return text

    def one(m: re.Match[str]) -> str:
        high, low = int(m.group(2), 16), int(m.group(3), 16)
        return f"{m.group(1)}\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"

    return _SURROGATE_PAIR.sub(one, text)


def _top_scalars(events: list[Any]) -> tuple[Any, Any]:
    """apiVersion and kind of an item from its events, stopping early."""
    api_version = kind = None
    found = 0
    i = 1
    n = len(events)
    while i < n and found < 2:
        key = events[i]
        if key.__class__ is MappingEndEvent:
            break
        i += 1
        val = events[i]
        if key.__class__ is ScalarEvent and val.__class__ is ScalarEvent:
            if key.value == "kind":
                kind = val.value
                found += 1
            elif key.value == "apiVersion":
                api_version = val.value
                found += 1
        # skip the value subtree
        c = val.__class__
        if c is MappingStartEvent or c is SequenceStartEvent:
            depth = 1
            while depth:
                i += 1
                c = events[i].__class__
                if c is MappingStartEvent or c is SequenceStartEvent:
                    depth += 1
                elif c is MappingEndEvent or c is SequenceEndEvent:
                    depth -= 1
        i += 1
    return api_version, kind


def _scan_item(index: int, first: Any, get: Callable[[], Any]) -> tuple[Item, list[Any]]:
    """An item from the node starting with event ``first``, with all its events."""
    events = subtree_events(first, get)
    is_map = first.__class__ is MappingStartEvent
    av, kd = _top_scalars(events) if is_map else (None, None)
    mark = first.start_mark
    return Item(index, av, kd, is_map, mark.index, mark.column, events[-1].end_mark.line), events


def _yaml_error(e: yaml.YAMLError) -> ReadError:
    return ReadError(f"input is not valid YAML: {error_message(e)}")


@contextmanager
def _scanning(text: str) -> Iterator[Any]:
    """libyaml's parser over ``text``; its errors become one-line ReadErrors."""
    loader = yamlc.SafeLoader(text)
    try:
        yield loader
    except yaml.YAMLError as e:
        raise _yaml_error(e) from None
    except RecursionError:
        raise ReadError("input is nested too deeply") from None
    finally:
        loader.dispose()


def _compose_items(text: str, starts: list[int], pending: list[tuple[Item, list[Any]]], offset: int = 0,
                   line_offset: int = 0) -> None:
    """Compose the wanted items; a broken one keeps its error and stays text.
    ``offset``/``line_offset``: where the events' source starts in ``text`` (events of a slice)."""
    for item, events in pending:
        try:
            item.node, item.composer = _compose(text, starts, events, offset, line_offset)
            item.data = item.composer.data
            item.last_line = item.node.last_line
        except YamlError as e:
            item.error = e
        except RecursionError:
            item.error = YamlError("item is nested too deeply")


def read(text: str, want: Callable[[Any, Any], bool], fast: bool = True, check: bool = True) -> Document:
    """Scan a ResourceList; the items for which ``want(apiVersion, kind)`` get nodes.

    The fast path (block-style ResourceLists, what kpt hands a function) keeps
    wanted items as source slices composed on demand by :func:`compose`; the
    general path composes them here.  Both give the same document.
    ``check=False`` lets the fast path leave most of the validation of its slices
    to :func:`check_slices`, so that workers can share it; the caller must then
    check every item before using the document, and read again with
    ``fast=False`` if a check fails.
    """
    starts = None if fast and len(text) >= FAST_MIN_SIZE and _json_like(text) else line_starts(text)
    if fast and len(text) >= FAST_MIN_SIZE:
        doc = _read_fast(text, starts, want, check)  # starts None: perhaps JSON, krmfn.text.jsonread's
        if doc is not None:
            return doc
    if starts is None:
        starts = line_starts(text)
    with _scanning(text) as loader:
        return _read(text, starts, loader, want)


def _compose(text: str, starts: list[int], events: list[Any], offset: int = 0,
             line_offset: int = 0) -> tuple[Node, Composer]:
    composer = Composer(text, starts, offset, line_offset)
    return composer.compose(events), composer


def _read(text: str, starts: list[int], loader: Any, want: Callable[[Any, Any], bool]) -> Document:
    get = loader.get_event
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
    rerender = bool(root.flow_style)
    header: list[tuple[Node, Node | None]] = []
    items: list[Item] = []
    function_config: Node | None = None
    results_span: tuple[int, int] | None = None
    api_version = kind = None
    root_last_line = root.start_mark.line
    seen_keys: set[str] = set()
    while True:
        kev = get()
        if kev.__class__ is MappingEndEvent:
            break
        vfirst = get()
        if kev.__class__ is not ScalarEvent:
            raise ReadError("ResourceList has a key that is not a string")
        key = kev.value
        if key in seen_keys:
            raise ReadError(
                f"ResourceList has the key {key!r} twice (line {kev.start_mark.line + 1}): the document is ambiguous"
            )
        seen_keys.add(key)
        key_node = Scalar(key, kev.style or None)
        key_node.start = kev.start_mark.index
        key_node.line = kev.start_mark.line
        if key == "items" and vfirst.__class__ is SequenceStartEvent:
            if vfirst.flow_style:
                rerender = True
            header.append((key_node, None))
            while True:
                first = get()
                if first.__class__ is SequenceEndEvent:
                    if vfirst.flow_style:
                        root_last_line = max(root_last_line, first.end_mark.line)
                    break
                item, events = _scan_item(len(items), first, get)
                items.append(item)
                wanted = item.is_mapping and want(item.api_version, item.kind)
                if rerender or wanted:
                    # Composed now: one item's events at a time, never the whole input's.
                    _compose_items(text, starts, [(item, events)])
                    if not wanted:
                        _render_early(item)
                    elif rerender and item.node is not None and item.data is not None and item.composer is not None \
                            and not item.composer.aliased:
                        # Checked; composed again from its text when processed: one workload's nodes at a time.
                        item.span = (item.start, events[-1].end_mark.index, _FLOW_SPAN)
                        item.node = item.composer = item.data = None
                else:
                    item.error = duplicate_key(events)
                del events
            continue
        events = subtree_events(vfirst, get)
        try:
            node, _ = _compose(text, starts, events)
        except YamlError as e:  # e.g. a duplicate key in functionConfig: the policy is ambiguous
            raise ReadError(f"ResourceList field {key!r}: {e}") from None
        root_last_line = max(root_last_line, node.last_line)
        header.append((key_node, node))
        if key == "apiVersion":
            api_version = node.value if isinstance(node, Scalar) else None
        elif key == "kind":
            kind = node.value if isinstance(node, Scalar) else None
        elif key == "functionConfig":
            function_config = node
        elif key == "results":
            results_span = (starts[kev.start_mark.line], next_line_start(text, starts, node.last_line))
        elif key == "items":
            if not is_null(node):
                raise ReadError("ResourceList field 'items' must be a list")
    get()  # DocumentEnd
    nxt = get()
    if nxt.__class__ is DocumentStartEvent:
        raise ReadError(
            f"input has more than one YAML document (line {nxt.start_mark.line + 1}): expected one ResourceList"
        )
    if kind != "ResourceList":
        raise ReadError(f"input kind is {kind!r}, expected a ResourceList (kind: ResourceList)")
    if api_version not in RESOURCE_LIST_VERSIONS:
        raise ReadError(
            f"ResourceList apiVersion {api_version!r} is not supported; use one of {', '.join(RESOURCE_LIST_VERSIONS)}"
        )
    if rerender:
        broken = next((i for i in items if i.error is not None), None)
        if broken is not None:
            raise ReadError(f"item {broken.index}: {broken.error}")
    if items:
        root_last_line = max(root_last_line, max(i.last_line for i in items))
    return Document(
        text=text,
        starts=starts,
        api_version=api_version,
        kind=kind,
        items=items,
        function_config=function_config,
        rerender=rerender,
        root_col=root.start_mark.column,
        root_last_line=root_last_line,
        results_span=results_span,
        header=header,
    )


# --- fast path ----------------------------------------------------------------
#
# A block-style ResourceList has its items as lines ``- `` at one column under
# ``items:``.  libyaml validates the whole text in C without making Python
# objects (``raw_parse``), so the items are cut at their ``- `` lines and each
# slice is parsed alone: only its first keys become Python events (apiVersion
# and kind), the rest is validated in C.  The header (apiVersion, kind,
# functionConfig, results) is read by the general path from the text with the
# items blanked out (same offsets and lines).  A wrong cut (a quoted scalar
# whose continuation line looks like an entry) leaves a slice that is not one
# valid node; that, and anything unusual (line breaks other than LF,
# directives, a less indented line), returns None and the general path reads
# the whole text.

#: Below this size the general path is as quick, and start-up skips the fast path's set-up.
FAST_MIN_SIZE = 32768

# Patterns are compiled on first use (re caches them): start-up does not pay for them.
_ITEMS_KEY = r"items:[ ]*(?:#[^\n]*)?$"
_NOT_LF = "\r\x85\u2028\u2029\ufeff"  # characters that make the general path read the text


class _Blank(dict):  # type: ignore[type-arg]
    """str.translate table: every character but a line feed becomes a space."""

    def __missing__(self, key: int) -> int:
        return 32


_BLANK = _Blank({10: 10})


def _json_like(text: str) -> bool:
    """Whether the text starts (after whitespace) with ``{``: perhaps JSON, for :mod:`krmfn.text.jsonread`."""
    return text[:4096].lstrip(" \t\r\n")[:1] == "{"


def _read_fast(text: str, starts: Any, want: Callable[[Any, Any], bool], check: bool = True) -> Document | None:
    if _json_like(text):  # a JSON ResourceList: read with the json module (or by the general path)
        from . import jsonread

        return jsonread.read(text, want)
    if starts is None:
        starts = line_starts(text)
    if any(c in text for c in _NOT_LF) or text.startswith("%"):
        return None
    if text.startswith("items:"):
        at = 0
    else:
        at = text.find("\nitems:") + 1
        if at == 0:
            return None
    if text.find("\nitems:", at) >= 0:
        return None  # not the only one: let the general path judge
    m = re.compile(_ITEMS_KEY, re.M).match(text, at)
    if m is None:
        return None
    first = text.find("\n", m.end())
    if first < 0:
        return None
    first += 1
    cut = _entries(text, first)
    if cut is None:
        return None
    entries, end, indent = cut
    masked = text[:first] + text[first:end].translate(_BLANK) + text[end:]
    try:
        with _scanning(masked) as loader:
            doc = _read(masked, starts, loader, want)
    except (ReadError, YamlError):
        return None
    del masked
    items_line = bisect_right(starts, at) - 1
    if doc.rerender or doc.items or not any(k.value == "items" and k.line == items_line for k, _ in doc.header):
        return None
    items: list[Item] = []
    ranges: list[tuple[int, int] | None] = []  # each item's slice; None: read the general way (checked)
    bounds = entries + [end]
    i, n = 0, len(entries)
    while i < n:
        item = _scan_slice(text, starts, len(items), bounds[i], bounds[i + 1], indent, want, check)
        if item is not None:
            items.append(item)
            ranges.append((bounds[i], bounds[i + 1]))
            i += 1
            continue
        # This slice alone is not one item the fast read can take (a flow-style item, a quoted scalar whose
        # continuation line looks like an entry, ...): the general path reads it, with the next slices if
        # the cut was wrong; the other items stay fast.
        for j in range(i + 1, min(n, i + MERGE_SLICES) + 1):
            run = _read_run(text, starts, bounds[i], bounds[j], len(items), want)
            if run is not None:
                break
        else:
            return None  # not a few wrong cuts: invalid YAML, or too odd to judge here
        items.extend(run)
        ranges.extend([None] * len(run))
        i = j
    doc.text = text
    doc.items = items
    if not check:
        doc.unchecked = (ranges, indent)
    if items:
        # Where results go: after the last item's content, as the general path has it.
        last = items[-1]
        if last.span is not None:
            compose(doc, last)
            release(last)
        elif ranges[-1] is None:
            pass  # read the general way: its last line is known
        else:
            last.last_line = bisect_right(starts, end) - 1
        doc.root_last_line = max(doc.root_last_line, last.last_line)
    return doc


def _entries(text: str, first: int) -> tuple[list[int], int, int] | None:
    """Offsets of the ``- `` lines of the items sequence from ``first``, where it ends, and its indent."""
    pos = first
    entry_start = re.compile(_ENTRY)
    m = entry_start.match(text, pos)
    while m is None:  # blank or comment lines before the first entry
        nl = text.find("\n", pos)
        line = text[pos: nl if nl >= 0 else len(text)]
        if (line.strip() and not line.lstrip().startswith("#")) or nl < 0:
            return None
        pos = nl + 1
        m = entry_start.match(text, pos)
    indent = len(m.group(1))
    # The sequence ends at the first line less indented than its entries that is
    # not blank, a comment, or (at column 0) an entry.
    if indent == 0:
        stop = re.compile(_STOP0)
        entry = re.compile(_ENTRY0)
    else:
        stop = re.compile(r"\n(?! {%d}| *#| *\n| *$| *['\"])" % indent)
        entry = re.compile(r"\n {%d}-(?= |\n|$)" % indent)
    s = stop.search(text, pos - 1)
    end = s.start() + 1 if s else len(text)
    found = [e.start() + 1 for e in entry.finditer(text, pos - 1, end)]
    if not found or found[0] != pos:
        return None
    return found, end, indent


_ENTRY = r"( *)-(?: |\n|$)"
_ENTRY0 = r"\n-(?= |\n|$)"  # a lookahead: the line break after a bare ``-`` starts the next entry's match
# A line starting with a quote does not end the items: it is most likely the end of a multi-line quoted
# scalar (kpt writes the closing quote of ``'a\nb\n'`` at column 0).  If it is a key after all, the last
# slice does not parse, and the general path reads the input.
_STOP0 = r"\n(?:[^ #\n'\"-]|-[^ \n]|-$)"

#: How many slices the general path may join to read one item a wrong cut split (more: read the input the general way).
MERGE_SLICES = 8


def _read_run(text: str, starts: Any, a: int, b: int, index: int, want: Callable[[Any, Any], bool]) -> list[Item] | None:
    """The items of ``text[a:b]`` (whole ``- `` entries of the items sequence) read as the general path reads
    them (same events, so the same nodes, errors and checks), numbered from ``index``; None if that text is
    not a block sequence of valid items."""
    piece = text[a:b]
    loader = yamlc.SafeLoader(piece)
    del piece
    found: list[tuple[Item, list[Any]]] = []
    try:
        get = loader.get_event
        get()  # StreamStart
        if get().__class__ is not DocumentStartEvent:
            return None
        seq = get()
        if seq.__class__ is not SequenceStartEvent or seq.flow_style:
            return None
        while True:
            first = get()
            if first.__class__ is SequenceEndEvent:
                break
            found.append(_scan_item(index + len(found), first, get))
        get()  # DocumentEnd
        if get().__class__ is not StreamEndEvent:
            return None
    except (yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()
    line = bisect_right(starts, a) - 1
    pending: list[tuple[Item, list[Any]]] = []
    for item, events in found:
        item.start += a
        item.last_line += line
        if item.is_mapping and want(item.api_version, item.kind):
            pending.append((item, events))
        else:
            item.error = duplicate_key(events, line)
    _compose_items(text, starts, pending, a, line)
    return [item for item, _ in found]


def _slice_text(text: str, a: int, b: int, indent: int) -> str:
    """The item in ``text[a:b]`` as a YAML document of its own: its ``-`` (at column ``indent``) blanked,
    so offsets, lines and columns in it are those of the source."""
    return text[a: a + indent] + " " + text[a + indent + 1: b]


def _scan_slice(text: str, starts: Any, index: int, a: int, b: int, indent: int,
                want: Callable[[Any, Any], bool], check: bool = True) -> Item | None:
    """The item in ``text[a:b]`` (its ``-`` at column ``indent``), or None when in doubt.

    Only the item's first keys become Python events; the rest is parsed in C
    (unless ``check`` is false: :func:`check_slices` does it later), so a
    slice that is not exactly one valid YAML node is refused.  An item that is
    not wanted (passed through as text) is checked for duplicate keys as the
    general path checks it (its ``error``); a wanted one is composed later.
    """
    error = None
    piece = _slice_text(text, a, b, indent)
    loader = yamlc.SafeLoader(piece)
    try:
        get = loader.get_event
        get()  # StreamStart
        if get().__class__ is not DocumentStartEvent:
            return None
        first = get()
        av = kd = None
        is_map = first.__class__ is MappingStartEvent
        if is_map and not first.flow_style:
            if check:
                seen: list[Any] = [first]
                av, kd = _first_keys(_recording(get, seen))
            else:
                av, kd = _first_keys(get)
        elif first.__class__ is not ScalarEvent:
            return None  # nested collections and aliases: the general path
        wanted = is_map and want(av, kd)
        if check:
            if wanted or not is_map:
                yamlc.raw_parse(loader)
            else:
                error = duplicate_key(_events_to_end(seen, get), bisect_right(starts, a) - 1)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    if first.__class__ is ScalarEvent and first.value == "" and not first.style:
        return None  # an empty entry
    mark = first.start_mark
    line = bisect_right(starts, a) - 1
    last = line + piece.rstrip().count("\n")
    return Item(index, av, kd, is_map, a + mark.index, mark.column, last, error=error,
                span=(a, b, indent) if wanted else None)


def _recording(get: Callable[[], Any], seen: list[Any]) -> Callable[[], Any]:
    def get_and_keep() -> Any:
        ev = get()
        seen.append(ev)
        return ev
    return get_and_keep


def _events_to_end(seen: list[Any], get: Callable[[], Any]) -> Iterator[Any]:
    """The events ``seen`` so far, then the parser's up to the end of the document's root node."""
    yield from seen
    ev = get()
    while ev.__class__ is not DocumentEndEvent:
        yield ev
        ev = get()


def check_slices(doc: Document, begin: int, end: int) -> bool:
    """Whether items ``begin``..``end`` of a ``read(check=False)`` are each exactly one valid YAML node
    (what the read checks itself by default, and sets the ``error`` of a passed-through item with a duplicate
    key); always true for a checked document."""
    if doc.unchecked is None:
        return True
    ranges, indent = doc.unchecked
    text, starts, items = doc.text, doc.starts, doc.items
    for i in range(begin, end):
        r = ranges[i]
        if r is None:
            continue  # read the general way
        a, b = r
        item = items[i]
        loader = yamlc.SafeLoader(_slice_text(text, a, b, indent))
        try:
            if item.span is not None or not item.is_mapping:
                yamlc.raw_parse(loader)
            else:
                get = loader.get_event
                get()  # StreamStart
                get()  # DocumentStart
                item.error = duplicate_key(_events_to_end([], get), bisect_right(starts, a) - 1)
        except yaml.YAMLError:
            return False
        finally:
            loader.dispose()
    return True


def _first_keys(get: Callable[[], Any]) -> tuple[Any, Any]:
    """apiVersion and kind among a block mapping's first keys; stops once both are seen."""
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
        if c is MappingStartEvent or c is SequenceStartEvent:
            depth = 1
            while depth:
                c = get().__class__
                if c is MappingStartEvent or c is SequenceStartEvent:
                    depth += 1
                elif c is MappingEndEvent or c is SequenceEndEvent:
                    depth -= 1
    return av, kd


#: ``span`` of an item of a re-rendered list: (start, end) of its node's text, no ``-`` to blank.
_FLOW_SPAN = -1
#: ``span`` of an item of a JSON ResourceList read by :mod:`krmfn.text.jsonread`: (start, end) of its JSON text.
_JSON_SPAN = -2


def compose(doc: Document, item: Item) -> Node | None:
    """The item's node, composed now if the read left it as a slice (sets node, composer, error, last_line)."""
    if item.node is not None or item.error is not None or item.span is None:
        return item.node
    a, b, indent = item.span
    if indent == _JSON_SPAN:
        from . import jsonread

        return jsonread.compose(doc, item)
    if indent == _FLOW_SPAN:  # the node's own text, at its column (its first line padded)
        piece = " " * item.col + doc.text[a:b]
        offset = a - item.col
    else:
        piece = _slice_text(doc.text, a, b, indent)
        offset = a
    line = bisect_right(doc.starts, a) - 1
    loader = yamlc.SafeLoader(piece)
    del piece  # the parser keeps its own copy
    try:
        get = loader.get_event
        get()  # StreamStart
        get()  # DocumentStart
        composer = Composer(doc.text, doc.starts, offset, line)
        item.node = composer.compose_next(get)  # events straight from the parser: no list of them
        item.composer = composer
        item.data = composer.data
        item.last_line = item.node.last_line
    except yaml.YAMLError as e:  # pragma: no cover - the read (or check_slices) parsed this slice already
        item.node = item.composer = item.data = None
        item.error = YamlError(error_message(e))
    except YamlError as e:
        item.error = e
    except RecursionError:
        item.error = YamlError("item is nested too deeply")
    finally:
        loader.dispose()
    return item.node


def release(item: Item) -> None:
    """Forget an on-demand item's nodes (it can be composed again)."""
    if item.span is not None:
        item.node = None
        item.composer = None
        item.data = None


def read_stream(text: str, want: Callable[[Any, Any], bool]) -> Document:
    """Scan a multi-document YAML stream whose documents are the items.

    This is what kustomize's legacy exec plugins and plain manifest files
    hold.  Writing it back gives the same stream with the same edits; there
    is no place for results in it.
    """
    starts = line_starts(text)
    with _scanning(text) as loader:
        get = loader.get_event
        get()  # StreamStart
        items: list[Item] = []
        pending: list[tuple[Item, list[Any]]] = []
        last_line = 0
        while True:
            ev = get()
            if ev.__class__ is StreamEndEvent:
                last_line = ev.end_mark.line
                break
            first = get()  # the document's root node
            item, events = _scan_item(len(items), first, get)
            get()  # DocumentEnd
            if first.__class__ is ScalarEvent and first.value == "" and not first.style and not first.tag:
                continue  # an empty document (e.g. a trailing ---)
            items.append(item)
            if item.is_mapping and want(item.api_version, item.kind):
                pending.append((item, events))
            else:
                item.error = duplicate_key(events)
    _compose_items(text, starts, pending)
    return Document(text=text, starts=starts, api_version="", kind="", items=items, function_config=None,
                    rerender=False, root_col=0, root_last_line=last_line, results_span=None, stream=True)


# --- writing ----------------------------------------------------------------


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


def write(
    doc: Document, edits: list[Edit], replaced: dict[int, tuple[Node, int]], results: list[dict[str, Any]]
) -> str:
    """The output ResourceList text (see :func:`write_pieces`)."""
    return "".join(write_pieces(doc, edits, replaced, results))


def write_pieces(
    doc: Document, edits: list[Edit], replaced: dict[int, tuple[Node, int]], results: list[dict[str, Any]]
) -> Iterable[str]:
    """The output ResourceList text, as pieces to write one after the other.

    ``edits`` splice the source text; ``replaced`` maps item indexes to new
    item nodes (and their sequence indentation) to re-render in place; ``results`` are written last.
    Everything that can fail happens here, not while iterating: a large output
    is written piece by piece and never held whole (or twice, once encoded).
    """
    if doc.rerender:
        return _rerender(doc, replaced, results)
    text = doc.text
    all_edits = list(edits)
    for index, (node, seq_indent) in replaced.items():
        item = doc.items[index]
        lines: list[str] = []
        render.render_lines(node, item.col, lines, seq_indent)
        new = "".join(lines)[item.col :].rstrip("\n")
        end = next_line_start(text, doc.starts, item.last_line)
        if end > 0 and text[end - 1 : end] == "\n":
            end -= 1
            if text[end - 1 : end] == "\r":
                end -= 1
        all_edits.append(Edit(item.start, end, new))
    if doc.results_span is not None:
        all_edits.append(Edit(doc.results_span[0], doc.results_span[1], ""))
    if results and not doc.stream:
        at = next_line_start(text, doc.starts, doc.root_last_line)
        if doc.results_span is not None and doc.results_span[1] >= at:
            at = doc.results_span[0]  # the old results were last: the new ones take their place
        all_edits.append(Edit(at, at, render.render_entry("results", results, doc.root_col)))
    return splice(text, all_edits, newline_of(text))


def newline_of(text: str) -> str:
    """The line break the source uses (that of its first line)."""
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def apply_edits(text: str, edits: list[Edit], newline: str = "\n") -> str:
    return "".join(splice(text, edits, newline))


def splice(text: str, edits: list[Edit], newline: str = "\n") -> Iterable[str]:
    """``text`` with ``edits`` applied, as pieces (iterable more than once); edits are checked now."""
    # At one offset, insertions go before a replacement starting there (same text either way).
    order = sorted(edits, key=lambda e: (e.start, e.end != e.start))  # stable: equal keys keep their order
    pos = 0
    for e in order:
        if e.start < pos:
            raise AssertionError("overlapping edits")  # a bug, never user input
        pos = e.end
    return _Spliced(text, order, newline)


class _Spliced:
    def __init__(self, text: str, order: list[Edit], newline: str) -> None:
        self.text, self.order, self.newline = text, order, newline

    def __iter__(self) -> Iterator[str]:
        text, newline = self.text, self.newline
        no_final_break = bool(text) and text[-1] not in "\n\r"
        held = ""  # the last non-empty piece, held back: a text without a final line break keeps having none
        pos = 0
        for e in self.order:
            for piece in (text[pos : e.start], self._new(e)):
                if piece:
                    if held:
                        yield held
                    held = piece
            pos = e.end
        tail = text[pos:]
        if tail:
            if held:
                yield held
            held = tail
        if no_final_break and self.order and held.endswith(newline):
            held = held[: -len(newline)]
        if held:
            yield held

    def _new(self, e: Edit) -> str:
        text, newline = self.text, self.newline
        new = e.text
        if newline != "\n":
            new = new.replace("\n", newline)
        if new and e.start == len(text) and text and text[-1] not in "\n\r":
            new = newline + new.rstrip("\n")  # lines added at the end of a text that has no final line break
        return new


def rendered_item(new: Any) -> Any:
    """An edited item's new data in a re-rendered list: its block text (as :func:`write` would render it),
    made now so the data need not be kept; the data itself if it cannot be rendered (the writer says why)."""
    lines: list[str] = []
    try:
        render.render_lines(Sequence([new]), 0, lines)
    except (render.Unrenderable, RecursionError, TypeError, YamlError):
        return new
    return "".join(lines)


def _render_early(item: Item) -> None:
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


def _rerender(doc: Document, replaced: dict[int, tuple[Node, int]], results: list[dict[str, Any]]) -> list[str]:
    """The whole list in block style, as pieces (one per item): the text of rendering the root mapping at once,
    without a copy of every item's nodes (only an item with aliases is copied, to expand them) nor a line list
    of the whole output."""
    out: list[str] = []
    for key_node, value in doc.header:
        if key_node.value == "results":
            continue
        if key_node.value == "items":
            key = render.key_text(key_node)
            if not doc.items:
                out.append(f"{key}: []\n")
                continue
            out.append(f"{key}:\n")
            for item in doc.items:
                if item.rendered is not None:
                    out.append(item.rendered)
                    continue
                if item.index in replaced:
                    node = replaced[item.index][0]
                    if node.__class__ is str:  # rendered already (rendered_item)
                        out.append(node)
                        continue
                elif item.span is not None and item.span[2] == _JSON_SPAN:  # a workload left unchanged
                    from . import jsonread

                    out.append(jsonread.render_item(doc, item))
                    continue
                else:
                    compose(doc, item)  # one left as its text (a workload not processed: functionConfig error)
                    assert item.node is not None and item.composer is not None
                    node = unshare(item.node) if item.composer.aliased else item.node
                lines: list[str] = []
                render.render_lines(Sequence([node]), 0, lines)
                release(item)
                out.append("".join(lines))
        else:
            assert value is not None
            root = Mapping()
            root.pairs.append((key_node, unshare(value)))
            lines = []
            render.render_lines(root, 0, lines)
            out.append("".join(lines))
    if results:
        out.append(render.render_entry("results", results, 0))
    return out
