"""A ResourceList written as JSON, read with the json module (C) instead of libyaml's events.

JSON is YAML flow style: the general read (:mod:`krmfn.text.read`) takes it, composes every item from
libyaml's events and re-renders the whole list in block style.  Node positions are not needed for that, so
here the items are parsed by the json module's scanner (one item at a time, which also gives where each
ends), an item krmfn passes through is rendered at once as the general path renders its nodes, and a
workload is kept as its span of text, parsed again (to the same data as the general path's) when processed,
by a worker or this process.  The header (apiVersion, kind, functionConfig, results) is read by the general
path itself, from the text with the items blanked out (same lines and columns).

The output is the general path's, byte for byte, and only an input both read the same way is taken here:
anything the two parsers might read differently (characters YAML does not allow or reads as line breaks,
tabs, carriage returns, a key not on the line of its ``:`` or longer than libyaml's 1024-character limit on
implicit keys, a lone surrogate escape, duplicate keys, deep nesting, anything that is not valid JSON)
returns None, and the general path reads the input (and gives the error, if any).
"""

from __future__ import annotations

import json
import re
import sys
from json.decoder import scanstring  # type: ignore[attr-defined]  # in the module, not in its stubs
from json.encoder import encode_basestring

from .document import JSON_SPAN, Document, Item, ReadError, scanning
from .nodes import Node, YamlError, _plain_value, line_starts, next_line_start
from .scan import read_general

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

#: Longest key (in characters, after unescaping) taken here: at most 10 characters of source each
#: (``\\U0001f680``), it stays within libyaml's 1024-character limit on an implicit key.
KEY_MAX = 100
#: How deeply the items may nest here (a deeper one: the general path, which says what it makes of it).
DEPTH_MAX = 150

_WS = re.compile(r"[ \n]*")
# Characters the general path reads differently (YAML refuses them, or reads them as line breaks or a
# byte order mark), or that only YAML might accept as whitespace.
_ODD = re.compile("[\t\r\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
# Whitespace before a ':' (a key and its ':' on two lines, or far apart, is not YAML; a ':' in a string may
# match too).  A colon first: the search skips to each colon (" :" in text takes twice as long).
_SPACED_COLON = re.compile(r":(?<=[ \n]:)")
# A surrogate escape YAML refuses: one json_surrogates (krmfn.text.document) left, not part of a pair.
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
# What json_surrogates made of a pair (``\U0001f680``, YAML's escape), back as JSON's pair.
_LONG_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\U([0-9a-fA-F]{8})")


class _Refused(ValueError):
    """Something the general path might read differently: let it read the input."""


class _Num(str):
    """A number (or NaN, Infinity) as written: the general path keeps a plain scalar's text."""

    __slots__ = ()


def _checked(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        raise _Refused("duplicate key")  # the general path says which, and where
    for k, _ in pairs:
        if len(k) > KEY_MAX:
            raise _Refused("long key")
    return d


# Reading: every item checked, numbers as written (to render them).
_READ = json.JSONDecoder(object_pairs_hook=_checked, parse_int=_Num, parse_float=_Num, parse_constant=_Num)
# Composing a checked item: the general path's data (a number is what YAML 1.1 makes of its text: 1e3 is a
# string there, 1.0e+3 a float; a JSON integer is the same integer either way).
_DATA = json.JSONDecoder(parse_float=_plain_value, parse_constant=_plain_value)
# Rendering a checked item: numbers as written.
_TEXT = json.JSONDecoder(parse_int=_Num, parse_float=_Num, parse_constant=_Num)


def _suitable(text: str) -> str | None:
    """The text as the json module reads it (json_surrogates' ``\\U`` escapes back as pairs), or None if
    the general path might read it differently."""
    if text.isascii():
        if "\x7f" in text or "\t" in text or "\r" in text:
            return None
    elif _ODD.search(text):
        return None
    if _SPACED_COLON.search(text):
        return None  # perhaps a key apart from its ':' (libyaml wants them on one line, close)
    if "\\" in text:
        if _SURROGATE.search(text):
            return None
        if "\\U" in text:
            text = _LONG_ESCAPE.sub(_pair, text)
    return text


def _pair(m: re.Match[str]) -> str:
    value = int(m.group(2), 16)
    if not 0x10000 <= value <= 0x10FFFF:
        return m.group(0)  # not JSON: the json module refuses it, the general path judges it
    value -= 0x10000
    return f"{m.group(1)}\\u{0xD800 + (value >> 10):04x}\\u{0xDC00 + (value & 0x3FF):04x}"


class _LazyStarts:
    """:func:`line_starts` of a text, computed on first use (a JSON ResourceList rarely needs them)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: Any = None

    def _get(self) -> Any:
        if self.starts is None:
            self.starts = line_starts(self.text)
        return self.starts

    def __len__(self) -> int:
        return len(self._get())

    def __getitem__(self, i: Any) -> Any:
        return self._get()[i]


def read(text: str, want: Callable[[Any, Any], bool]) -> Document | None:
    """The document the general path reads from JSON ``text``, or None: the general path must read it."""
    jtext = _suitable(text)
    if jtext is None:
        return None
    limit = sys.getrecursionlimit()
    depth = _stack_depth()
    try:
        sys.setrecursionlimit(depth + DEPTH_MAX)
        try:
            found = _scan(jtext, want)
        finally:
            sys.setrecursionlimit(limit)
    except (ValueError, StopIteration, IndexError, RecursionError):
        return None
    if found is None:
        return None
    a, b, items = found
    # The header, read by the general path from the text with the items blanked: same lines and columns.
    k = jtext.count("\n", a + 1, b - 1)
    pad = (b - 1) - (jtext.rfind("\n", 0, b - 1) + 1) if k else b - a - 2
    masked = jtext[: a + 1] + "\n" * k + " " * pad + jtext[b - 1 :]
    starts: Any = _LazyStarts(jtext)  # a list[int] to its readers
    try:
        with scanning(masked) as loader:
            doc = read_general(masked, starts, loader, want)
    except (ReadError, YamlError, RecursionError):
        return None
    if not doc.rerender or doc.items or not any(key.value == "items" and node is None for key, node in doc.header):
        return None  # pragma: no cover - a flow mapping whose 'items' were blanked
    if doc.results_span is not None:  # where the results are in the text itself
        key, node = next((key, node) for key, node in doc.header if key.value == "results")
        assert node is not None
        doc.results_span = (starts[key.line], next_line_start(jtext, starts, node.last_line))
    doc.text = jtext
    doc.starts = starts
    doc.items = items
    doc.from_json = True
    return doc


def _stack_depth() -> int:
    f: Any = sys._getframe()
    n = 0
    while f is not None:
        n += 1
        f = f.f_back
    return n


def _scan(text: str, want: Callable[[Any, Any], bool]) -> tuple[int, int, list[Item]] | None:
    """Where the items list is (``[`` to after ``]``) and its items, walking the root object; None if the
    input is not one JSON object with one ``items`` list."""
    ws: Callable[[str, int], Any] = _WS.match  # always matches (maybe nothing)
    scan = _READ.scan_once  # type: ignore[attr-defined]  # the decoder's C scanner (no stub)
    i = ws(text, 0).end()
    if text[i] != "{":
        return None
    i = ws(text, i + 1).end()
    found: tuple[int, int, list[Item]] | None = None
    if text[i] == "}":
        return None
    while True:
        if text[i] != '"':
            return None
        key, i = scanstring(text, i + 1)
        i = ws(text, i).end()
        if text[i] != ":":
            return None
        i = ws(text, i + 1).end()
        if key == "items":
            if found is not None or text[i] != "[":
                return None  # twice, or not a list: the general path says so
            a = i
            items, i = _items(text, i, want)
            found = (a, i, items)
        else:
            i = scan(text, i)[1]
        i = ws(text, i).end()
        if text[i] == ",":
            i = ws(text, i + 1).end()
            continue
        if text[i] != "}":
            return None
        break
    if ws(text, i + 1).end() != len(text):
        return None
    return found


def _items(text: str, i: int, want: Callable[[Any, Any], bool]) -> tuple[list[Item], int]:
    """The items of the list at ``text[i] == '['`` and where it ends (after its ``]``)."""
    ws: Callable[[str, int], Any] = _WS.match  # always matches (maybe nothing)
    scan = _READ.scan_once  # type: ignore[attr-defined]  # the decoder's C scanner (no stub)
    items: list[Item] = []
    i = ws(text, i + 1).end()
    if text[i] == "]":
        return items, i + 1
    line = text.count("\n", 0, i)
    at = i
    while True:
        value, end = scan(text, i)
        line += text.count("\n", at, i)
        at = i
        col = i - (text.rfind("\n", 0, i) + 1)
        is_map = value.__class__ is dict
        av = _top_scalar(value.get("apiVersion", _MISSING)) if is_map else None
        kd = _top_scalar(value.get("kind", _MISSING)) if is_map else None
        item = Item(len(items), av, kd, is_map, i, col, line + text.count("\n", i, end - 1))
        if is_map and want(av, kd):
            item.span = (i, end, JSON_SPAN)
        else:
            out: list[str] = []
            _lines([value], 0, out)
            item.rendered = "".join(out)
        del value
        items.append(item)
        i = ws(text, end).end()
        if text[i] == ",":
            i = ws(text, i + 1).end()
            continue
        if text[i] != "]":
            raise _Refused("not a list")
        return items, i + 1


_MISSING = object()


def _top_scalar(value: Any) -> Any:
    """An item's apiVersion or kind as the general path has it: a scalar's text, else None."""
    c = value.__class__
    if c is str or c is _Num:
        return str(value)
    if value is None:
        return "null"
    if c is bool:
        return "true" if value else "false"
    return None  # missing, a mapping or a list


# --- composing and rendering -------------------------------------------------------------------


class _Composed:
    """What the processing of a workload asks of an item's composer: aliases (none in JSON)."""

    __slots__ = ("data",)
    aliased: frozenset[int] = frozenset()

    def __init__(self, data: Any) -> None:
        self.data = data


#: The node of a composed JSON item: a workload is processed from its data; rendering this node fails.
JSON_NODE = Node()


def compose(doc: Document, item: Item) -> Node | None:
    """:func:`krmfn.text.read.compose` of an item left as its JSON text (checked when read)."""
    assert item.span is not None
    data = _DATA.scan_once(doc.text, item.span[0])[0]  # type: ignore[attr-defined]
    item.node = JSON_NODE
    item.composer = _Composed(data)  # type: ignore[assignment]
    item.data = data
    return item.node


def render_item(doc: Document, item: Item) -> str:
    """The block text of an item left as its JSON text, as :func:`krmfn.text.write._rerender` renders its nodes."""
    assert item.span is not None
    out: list[str] = []
    _lines([_TEXT.scan_once(doc.text, item.span[0])[0]], 0, out)  # type: ignore[attr-defined]
    return "".join(out)


_KEYS: dict[str, str] = {}


def quote(s: str) -> str:
    """render.quote (a double-quoted scalar: JSON's escapes, and YAML's for its own line breaks)."""
    q = encode_basestring(s)
    if not s.isascii():
        q = q.replace("\u2028", "\\L").replace("\u2029", "\\P").replace("\x85", "\\N")
    return q


def _key(k: str) -> str:
    q = _KEYS.get(k)
    if q is None:
        q = quote(k)
        if len(_KEYS) >= 65536:
            _KEYS.clear()
        _KEYS[k] = q
    return q


def _inline(v: Any) -> str:
    c = v.__class__
    if c is str:
        return quote(v)
    if c is _Num:
        return str(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    return "{}" if c is dict else "[]"  # empty


def _lines(value: Any, indent: int, out: list[str]) -> None:
    """Block lines of a JSON value as render.render_lines gives them for its nodes (JSON strings are
    double-quoted scalars, numbers, true, false and null plain ones), compact sequences."""
    pad = " " * indent
    append = out.append
    if value.__class__ is dict:
        for k, v in value.items():
            key = _key(k)
            c = v.__class__
            if c is str:
                append(f"{pad}{key}: {quote(v)}\n")
            elif (c is dict or c is list) and v:
                append(f"{pad}{key}:\n")
                _lines(v, indent + 2 if c is dict else indent, out)
            else:
                append(f"{pad}{key}: {_inline(v)}\n")
        return
    for v in value:
        c = v.__class__
        if c is str:
            append(f"{pad}- {quote(v)}\n")
        elif (c is dict or c is list) and v:
            first = len(out)
            _lines(v, indent + 2, out)
            out[first] = f"{pad}- {out[first][indent + 2:]}"
        else:
            append(f"{pad}- {_inline(v)}\n")
