"""ResourceList text in: the read, fast where it can be, and the items composed on demand.

Reading scans libyaml's events once.  Items are kept as *source spans*; only
the items the caller asks for (workloads and Namespaces) are composed into
nodes (:mod:`krmfn.text.nodes`).  The writer (:mod:`krmfn.text.write`) copies
the source text and splices in the edits :mod:`krmfn.text.reconcile` makes,
so an item nobody touched comes back as the very bytes it came in as.

Three readers give the same document: the fast path here (block style, what
kpt hands a function), the JSON read (:mod:`krmfn.text.jsonread`) and the
general path (:mod:`krmfn.text.scan`), on which the other two fall back.
When the input is flow style (JSON, or ``items: [...]``) there is no block
text to splice into: every item is composed and the whole list is re-rendered
in block style.
"""

from __future__ import annotations

import re
from bisect import bisect_right

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from . import yamlc
from .blockcompose import compose_block
from .document import FLOW_SPAN, JSON_SPAN, Document, Item, ReadError, scanning
from .nodes import Composer, Node, YamlError, duplicate_key, error_message, line_starts
from .scan import (
    compose_items,
    first_keys,
    read_general,
    read_stream_events,
    scan_item,
    sort_out,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

__all__ = ["FAST_MIN_SIZE", "Document", "Item", "ReadError", "SliceInvalid", "check_slices", "compose", "read",
           "read_stream", "release"]


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
    with scanning(text) as loader:
        return read_general(text, starts, loader, want)



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
    found = _items_key(text)
    if found is None:
        return None
    at, first = found
    cut = _entries(text, first)
    if cut is None:
        return None
    entries, end, indent = cut
    doc = _header(text, starts, at, first, end, want)
    if doc is None:
        return None
    read_items = _read_slices(text, starts, [*entries, end], indent, want, check)
    if read_items is None:
        return None
    items, ranges = read_items
    doc.text = text
    doc.items = items
    if not check:
        doc.unchecked = (ranges, indent)
    if items:
        try:
            _last_line(doc, ranges[-1] is None, end)
        except SliceInvalid:
            return None
    return doc


def _items_key(text: str) -> tuple[int, int] | None:
    """Where the only ``items:`` key of a block ResourceList is, and where the line after it starts; None if
    the text is not for the fast path (line breaks other than LF, a directive, no such key)."""
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
    return None if first < 0 else (at, first + 1)


def _header(text: str, starts: list[int], at: int, first: int, end: int,
            want: Callable[[Any, Any], bool]) -> Document | None:
    """The document read by the general path from the text with its items (``text[first:end]``) blanked
    out (same offsets and lines), no items yet; None if that is not a block ResourceList with ``items:``
    at offset ``at``.

    When the items run to the end of the text (what kpt writes without a functionConfig), the text is cut
    before them instead: blank lines at the end of a stream make no events, and the empty value of
    ``items:`` is where its line ends either way, so the nodes are the same and only the stream's end
    moves, which the document does not keep."""
    masked = text[:first] if end == len(text) else text[:first] + text[first:end].translate(_BLANK) + text[end:]
    try:
        with scanning(masked) as loader:
            doc = read_general(masked, starts, loader, want)
    except (ReadError, YamlError):
        return None
    del masked
    items_line = bisect_right(starts, at) - 1
    if doc.rerender or doc.items or not any(k.value == "items" and k.line == items_line for k, _ in doc.header):
        return None
    return doc


def _read_slices(text: str, starts: list[int], bounds: list[int], indent: int, want: Callable[[Any, Any], bool],
                 check: bool) -> tuple[list[Item], list[tuple[int, int] | None]] | None:
    """The items between the entry offsets ``bounds`` (and the end), each slice read alone; and each item's
    slice (None: read the general way, checked).  None if the general path must read the whole text."""
    items: list[Item] = []
    ranges: list[tuple[int, int] | None] = []
    i, n = 0, len(bounds) - 1
    while i < n:
        item = _scan_item(text, starts, len(items), bounds[i], bounds[i + 1], indent, want, check)
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
    return items, ranges


def _last_line(doc: Document, general: bool, end: int) -> None:
    """Where results go: after the last item's content, as the general path has it (``general``: the last
    item was read the general way, its last line is known; ``end``: where the items end)."""
    last = doc.items[-1]
    if last.span is not None:
        compose(doc, last)
        release(last)
    elif not general:
        last.last_line = bisect_right(doc.starts, end) - 1
    doc.root_last_line = max(doc.root_last_line, last.last_line)


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
        stop = re.compile(rf"\n(?! {{{indent}}}| *#| *\n| *$| *['\"])")
        entry = re.compile(rf"\n {{{indent}}}-(?= |\n|$)")
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
    loader = yamlc.Parser(piece)
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
            found.append(scan_item(index + len(found), first, get))
        get()  # DocumentEnd
        if get().__class__ is not StreamEndEvent:
            return None
    except (yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()
    line = bisect_right(starts, a) - 1
    for item, _ in found:
        item.start += a
        item.last_line += line
    compose_items(text, starts, sort_out(found, want, line), a, line)
    return [item for item, _ in found]


def _parses(piece: str) -> bool:
    """Whether ``piece`` is valid YAML: libyaml parses it in C, making no Python objects (``raw_parse``)."""
    loader = yamlc.Parser(piece)
    try:
        yamlc.raw_parse(loader)
    except yaml.YAMLError:
        return False
    finally:
        loader.dispose()
    return True


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
    loader = yamlc.Parser(_slice_text(text, a, b, indent))
    try:
        get = loader.get_event
        get()  # StreamStart
        if get().__class__ is not DocumentStartEvent:
            return None
        first: Any = get()
        av = kd = None
        is_map = first.__class__ is MappingStartEvent
        if is_map and not first.flow_style:
            av, kd = first_keys(get)
        elif first.__class__ is not ScalarEvent:
            return None  # nested collections and aliases: the general path
        wanted = is_map and want(av, kd)
        if check:
            yamlc.raw_parse(loader)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    if first.__class__ is ScalarEvent and first.value == "" and not first.style:
        return None  # an empty entry
    mark: Any = first.start_mark
    line = bisect_right(starts, a) - 1
    if check and is_map and not wanted:
        error = _duplicate_key(text, a, b, indent, line)
    return Item(index, av, kd, is_map, a + mark.index, mark.column, _last_content_line(text, a, b, indent, line),
                error=error, span=(a, b, indent) if wanted else None)


def _scan_item(text: str, starts: Any, index: int, a: int, b: int, indent: int,
               want: Callable[[Any, Any], bool], check: bool) -> Item | None:
    """:func:`_scan_slice`, without its events when the first lines tell apiVersion and kind
    (:func:`_head_keys`; :func:`_first_keys_of_head` for an unchecked slice)."""
    head = _head_keys(text, a, b, indent)
    if head is not None:
        if check and not _parses(_slice_text(text, a, b, indent)):  # one valid node: libyaml parses it in C
            return None
        return _head_item(text, starts, index, a, b, indent, want, head, check)
    if not check:
        item = _first_lines_item(_slice_text(text, a, b, indent), starts, index, a, b, indent, want)
        if item is not None:
            return item
    return _scan_slice(text, starts, index, a, b, indent, want, check)


def _head_item(text: str, starts: Any, index: int, a: int, b: int, indent: int, want: Callable[[Any, Any], bool],
               head: tuple[str, str], check: bool) -> Item:
    """The block mapping item in ``text[a:b]`` whose first key is at column ``indent + 2`` (after ``- ``) and
    whose apiVersion and kind are ``av`` and ``kd``; ``check``: libyaml has parsed the slice, a passed-through
    item is checked for duplicate keys."""
    av, kd = head
    line = bisect_right(starts, a) - 1
    wanted = want(av, kd)
    error = _duplicate_key(text, a, b, indent, line) if check and not wanted else None
    return Item(index, av, kd, True, a + indent + 2, indent + 2, _last_content_line(text, a, b, indent, line),
                error=error, span=(a, b, indent) if wanted else None)


# The usual item's first lines (what kpt writes first): ``- apiVersion: v`` and ``  kind: k`` (either order),
# plain one-word values, then a third line starting at the keys' column with a letter.  See _head_keys.
_HEAD = (r"( *+)- (apiVersion|kind): ([A-Za-z0-9][A-Za-z0-9./_-]*+)\n"
         r"\1  (apiVersion|kind): ([A-Za-z0-9][A-Za-z0-9./_-]*+)\n\1  [A-Za-z]")
_head_match: list[Any] = []  # the compiled pattern's match, once compiled (start-up does not pay for it)


def _head_keys(text: str, a: int, b: int, indent: int) -> tuple[str, str] | None:
    """apiVersion and kind of the item in ``text[a:b]`` (its ``-`` at column ``indent``), read from its first two lines
    when they are the usual ones (``_HEAD``), else None (read them from events).

    Exact for a slice that is one valid YAML node (libyaml parses it, now or in :func:`check_slices`): the
    item is then a block mapping whose first key is at column ``indent + 2``; a plain scalar of those
    characters on one line is its own value, and it ends at its line break because the next line starts
    at the mapping's column with a letter, so a next key (a plain scalar goes on only on deeper lines).
    Those are the mapping's first keys, as :func:`krmfn.text.scan.first_keys` takes them."""
    if not _head_match:
        _head_match.append(re.compile(_HEAD).match)
    m = _head_match[0](text, a, b)
    if m is None or len(m.group(1)) != indent or m.group(2) == m.group(4):
        return None
    if m.group(2) == "kind":
        return m.group(5), m.group(3)
    return m.group(3), m.group(5)


def _last_content_line(text: str, a: int, b: int, indent: int, line: int) -> int:
    """The last line of ``text[a:b]`` (the item whose ``-`` is at column ``indent`` of line ``line``) that
    is not blank, as the slice's text (:func:`_slice_text`) has it."""
    tail = max(a + indent + 1, b - 256)  # after the ``-``: the slice's text and the source agree there
    kept = len(text[tail:b].rstrip())
    if kept:
        return line + text.count("\n", a, tail + kept)
    return line + _slice_text(text, a, b, indent).rstrip().count("\n")


def _first_lines_item(piece: str, starts: Any, index: int, a: int, b: int, indent: int,
                      want: Callable[[Any, Any], bool]) -> Item | None:
    """:func:`_scan_slice` of an unchecked slice from its first lines (:func:`_first_keys_of_head`), or None."""
    head = _first_keys_of_head(piece, indent + 2)
    if head is None:
        return None
    start, api_version, kind = head
    return Item(index, api_version, kind, True, a + start.start_mark.index, start.start_mark.column,
                bisect_right(starts, a) - 1 + piece.rstrip().count("\n"),
                span=(a, b, indent) if want(api_version, kind) else None)


def _first_keys_of_head(piece: str, col: int) -> tuple[Any, str, str] | None:
    """The start event, apiVersion and kind of a block mapping item whose keys are at column ``col``, read
    from its first two lines only (what kpt writes first), or None: read the whole slice.

    Only for an unchecked read (:func:`check_slices` parses every slice whole later): libyaml would decode
    the whole slice to give the first events.  The head ends where the third line starts at ``col`` with a
    letter: there the item's mapping takes its next key, whatever came before -- a plain scalar continues
    only on deeper lines, a block scalar likewise, a quoted scalar or flow collection still open makes the
    head invalid YAML (None).  So the head's events are the whole slice's events up to that line."""
    second = piece.find("\n")
    end = piece.find("\n", second + 1) + 1 if second >= 0 else 0
    if end <= 0 or piece[end: end + col].strip(" ") or not piece[end + col: end + col + 1].isalpha():
        return None
    loader = yamlc.Parser(piece[:end])
    try:
        get = loader.get_event
        get()  # StreamStart
        get()  # DocumentStart
        first = get()
        if first.__class__ is not MappingStartEvent or first.flow_style:
            return None
        av, kd = first_keys(get)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    if not (isinstance(av, str) and isinstance(kd, str)):
        return None
    return first, av, kd


def _duplicate_key(text: str, a: int, b: int, indent: int, line: int) -> YamlError | None:
    """:func:`krmfn.text.nodes.duplicate_key` of the item in ``text[a:b]`` (a valid YAML node: libyaml
    parsed it; ``line``: its first line): None at once when :func:`_no_duplicate_key` proves there is
    none, else from the slice's events."""
    if _no_duplicate_key(text, a, b):
        return None
    loader = yamlc.Parser(_slice_text(text, a, b, indent))
    try:
        get = loader.get_event
        get()  # StreamStart
        get()  # DocumentStart
        return duplicate_key(_events_to_end(get), line)
    finally:
        loader.dispose()


def _events_to_end(get: Callable[[], Any]) -> Iterator[Any]:
    """The parser's events up to the end of the document's root node."""
    ev = get()
    while ev.__class__ is not DocumentEndEvent:
        yield ev
        ev = get()


# A line of the block YAML whose keys :func:`_no_duplicate_key` can group by indentation alone: blank or
# a comment; or an indent (group 1), perhaps ``- `` (group 2), then a plain key of safe characters and
# ``:`` (group 3), and, after a key or ``- ``, its value on the line (group 4, if any): a quoted scalar
# (running over lines to its end as libyaml finds it), a block scalar (the lines after its header that are
# blank or more indented than its key, or than its ``-`` if it has no key: libyaml refuses a less indented
# line in them but a comment), or a one-line plain scalar without ``: ``; with a value, the next line but
# blank and comment lines is not more indented than the key (or the ``-`` without a key): a plain scalar
# does not go on.  Group 5 takes any other line (a flow collection, an anchor, alias or tag, a quoted or
# complex key, a tab, ``-`` and two spaces, a scalar on a line of its own, a plain scalar going on over
# lines, ...).  Possessive quantifiers: one way to read a line, no backtracking.
_PLAIN_KEY = r"[A-Za-z0-9_./][A-Za-z0-9_./-]*+"
_VALUE = (r"(?:'[^']*+(?:''[^']*+)*+'"
          r"|\"[^\"\\]*+(?:\\[\s\S][^\"\\]*+)*+\""
          r"|(?:[A-Za-z0-9_./~$(+=^]|-[^ \n])[^:#\n]*+(?:(?::(?![ \n]|\Z)|(?<! )#)[^:#\n]*+)*+"
          r"|[|>][-+1-9]{0,2}+(?= |\n|\Z) *+(?:#[^\n]*+)?+"
          r"(?:\n(?:(?(3)(?(2)\1   |\1 )|\1 )[^\n]*+| *+)(?=\n|\Z))*+)")
_LINE = (r"( *+)(- (?! )|-(?=\n|\Z))?+(?:(" + _PLAIN_KEY + r"):(?![^ \n]) *+)?+"
         r"(?:(?(3)|(?(2)|(?!)))(" + _VALUE + r"))?+ *+(?:#[^\n]*+)?+(?:\n|\Z)"
         r"(?(4)(?!(?: *+(?:#[^\n]*+)?+\n)*+\1(?(3)(?(2)  )) ))"
         r"|([^\n]*+\n?)")


_line_findall: list[Any] = []  # _LINE's findall, compiled on first use (start-up does not pay for it)


def _no_duplicate_key(text: str, a: int, b: int) -> bool:
    """True if the item in ``text[a:b]`` (a valid YAML node: libyaml parsed it) surely has no mapping key
    twice in one mapping; False if it may have (or has) one: then ask :func:`duplicate_key`.

    Its lines are read with one pattern (``_LINE``); the first line it does not know makes the answer
    False.  In valid block YAML without flow collections, a line with a key starts a new mapping (after
    ``- `` or more indented than the open mappings) or adds to the open mapping at its column, and a line
    with a key or ``-`` closes the mappings more indented.  Quoted and block scalars are skipped whole.
    Plain keys of the safe characters are equal exactly when their values are.
    """
    if not _line_findall:
        _line_findall.append(re.compile(_LINE).findall)
    maps: list[tuple[int, set[str]]] = []  # the open mappings, innermost last: column, keys so far
    for ind, dash, key, _, other in _line_findall[0](text, a, b):
        if not (key or dash):
            if other:
                return False  # not a line of block YAML that it knows
            continue  # blank, or a comment
        c = len(ind)
        while maps and maps[-1][0] > c:
            maps.pop()
        if key:
            if not dash and maps and maps[-1][0] == c:
                seen = maps[-1][1]
                if key in seen:
                    return False
                seen.add(key)
            else:
                maps.append((c + len(dash), {key}))
    return True


class SliceInvalid(Exception):
    """An item slice of a ``read(check=False)`` is not one valid YAML node: read the text the general way."""


def check_slices(doc: Document, begin: int, end: int, composed: Callable[[Item], bool] | None = None) -> bool:
    """Whether items ``begin``..``end`` of a ``read(check=False)`` are each exactly one valid YAML node
    (what the read checks itself by default, and sets the ``error`` of a passed-through item with a duplicate
    key); always true for a checked document.

    ``composed``: the items for which it is true are left out: the caller composes each of them with
    :func:`compose` before using it, which checks the slice (and raises :class:`SliceInvalid`)."""
    if doc.unchecked is None:
        return True
    ranges, indent = doc.unchecked
    text, starts, items = doc.text, doc.starts, doc.items
    for i in range(begin, end):
        r = ranges[i]
        if r is None:
            continue  # read the general way
        if composed is not None and items[i].span is not None and composed(items[i]):
            continue
        a, b = r
        item = items[i]
        if not _parses(_slice_text(text, a, b, indent)):
            return False
        if item.span is None and item.is_mapping:
            item.error = _duplicate_key(text, a, b, indent, bisect_right(starts, a) - 1)
    return True


def compose(doc: Document, item: Item) -> Node | None:
    """The item's node, composed now if the read left it as a slice (sets node, composer, error, last_line).

    A block slice is composed from its lines when it is the usual subset (:mod:`krmfn.text.blockcompose`,
    the same nodes and data, which proves the slice valid YAML), else from libyaml's events once libyaml has
    parsed the whole slice: :class:`SliceInvalid` if it is not one valid YAML node (a slice of a
    ``read(check=False)`` that :func:`check_slices` left to this)."""
    if item.node is not None or item.error is not None or item.span is None:
        return item.node
    a, b, indent = item.span
    if indent == JSON_SPAN:
        from . import jsonread

        return jsonread.compose(doc, item)
    line = bisect_right(doc.starts, a) - 1
    if indent == FLOW_SPAN:  # the node's own text, at its column (its first line padded)
        piece = " " * item.col + doc.text[a:b]
        offset = a - item.col
    else:
        composed = compose_block(doc.text, doc.starts, a, b, indent, line)  # the usual item, from its lines
        if composed is not None:
            item.node, item.composer = composed
            item.data = item.composer.data
            item.last_line = item.node.last_line
            return item.node
        piece = _slice_text(doc.text, a, b, indent)
        offset = a
        if not _parses(piece):
            raise SliceInvalid(f"item {item.index}")
    loader = yamlc.Parser(piece)
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
    except yaml.YAMLError as e:  # pragma: no cover - parsed above, or by the read (a flow-style item)
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
    with scanning(text) as loader:
        items, last_line = read_stream_events(text, starts, loader.get_event, want)
    return Document(text=text, starts=starts, api_version="", kind="", items=items, function_config=None,
                    rerender=False, root_col=0, root_last_line=last_line, results_span=None, stream=True)
