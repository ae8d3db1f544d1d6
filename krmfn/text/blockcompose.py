"""The nodes of a block-style item straight from its lines, without parser events (the usual kpt item).

:class:`~krmfn.text.nodes.Composer` composes an item from libyaml's events; every event is a Python
object with two marks, and making and reading them is most of composing.  Most items kpt hands a function
are a small subset of YAML, one node per line::

    - apiVersion: apps/v1         a sequence entry opening a mapping (the item itself)
      metadata:                   a key opening a block: a mapping or a sequence on the next lines
        name: web                 a key (plain or quoted) and a one-line scalar value (double-quoted: escapes too)
      args: ["--a", "--b"]        a one-line flow sequence of simple scalars (or ``[]``, ``{}``)
      sel: {disk: ssd, zone: a}   a one-line flow mapping of plain words to simple scalars
      - name: http                a sequence entry (its ``-`` at the key's column or deeper)
      - x                         a sequence entry holding a scalar
      - |                         a literal block scalar (``|``, ``|-``, ``|+``; after a key too)
        echo start                its lines

:func:`compose_block` cuts the item's lines into rows of groups with one ``findall`` (a compiled pattern,
in C) and builds from them the very nodes (positions, last lines, styles) and plain data the event
Composer builds, or gives up (returns None) on the whole item, which is then composed from events as
before.  It gives up on anything else: folded block scalars (``>``) and literal ones with an indentation
indicator, a comment or blank lines first, quoted scalars over several lines, a plain scalar continued on
another line or holding two spaces in a row, flow collections other than the above, tags, anchors,
aliases, ``?`` keys, keys with an escape, a doubled quote, a space or a colon (unless quoted), a key and
value not separated by exactly one space, an empty value (``key:`` with nothing under it, a bare ``-`` but for one opening a
mapping), nested ``- -`` entries, a tab, a duplicate key (the event Composer reports it) and any
indentation it does not expect.  Comments (on their own lines, or after a space) make no tokens and are
skipped.

What it relies on: the slice is one item of the fast read's block ResourceList (only line feeds: no
``\\r``, U+0085, U+2028, U+2029 or BOM, see :func:`krmfn.text.read._items_key`).  Taking a slice proves
it valid YAML, so a workload's slice is not parsed by libyaml first (:func:`krmfn.text.read.compose`
parses only those given up): every line is one libyaml reads the same way (a plain scalar never holds
``: `` or `` #`` nor starts with an indicator), at an indentation one open collection has; no character
libyaml refuses (the patterns take none up to U+00FF, a comment is checked, a text that is not ASCII is
searched for the others); no key over 1,000 characters (libyaml refuses a simple key of 1,024); no line
indented past column 900 (so nesting stays under libyaml's limit of 1,000); no duplicate key; one node,
a block mapping; a double-quoted scalar's escapes are libyaml's (:func:`_unescape` gives up on others); a
literal block scalar's lines hold no character libyaml refuses (:meth:`_Build.literal`).  JSON and
flow-style items never come here (:func:`krmfn.text.read.compose`).  Positions follow libyaml's marks: a scalar from its first character
to after its last (a quoted one's quotes included); a block collection from its first key or ``-`` to
the next token after it (the first character of the next line holding one, or the end of the slice,
where libyaml ends the stream); a flow collection from its bracket to after the closing one; a literal
block scalar from its ``|`` to the start of the line after it.
``tests/test_blockcompose.py`` compares both composers node by node (the benchmark's corpus, generated
ResourceLists, hostile items) and checks that it refuses every slice libyaml refuses.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from .nodes import Composer, Mapping, Node, Scalar, Sequence, _plain_value, _plain_values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

# Characters libyaml refuses in any stream, up to U+00FF (its reader's test; U+0085 and the line breaks the
# fast read refuses too): no class below takes one, so a line holding one is left to the 5th group (given up;
# a comment is checked by _odd_rest).  Beyond U+00FF (surrogates, U+FFFE, U+FFFF): _NOT_PRINTABLE_WIDE.
_CONTROL = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
# A character that may start a plain scalar (after any ``-``: ``--port``): not blank, not an indicator.
_FIRST = rf"""[^ \t\n:'"\[\]{{}}#&*!|>%@`,?{_CONTROL}-]"""
# One line; findall gives one row of groups per line.  A key is plain, without spaces or colons, and followed
# by one space or the line's end; a plain value is words separated by one space or a colon, no word starting
# with ``#`` (a plain scalar never holds ``: `` nor `` #``); a single-quoted one has no escapes.  What is left of
# the line (the 5th group) must be blanks and perhaps a comment, or the line is not the subset.  A possessive
# quantifier (``*+``) is one whose giving back could not let what follows it match (a class that excludes
# what follows, or the end of the value, after which the 5th group takes any rest): the same rows, no
# backtracking states kept.
_LINE = (
    r"( {0,900}+)"  # 1 indentation (deeper: given up, as libyaml's nesting limit may be near)
    r"(- |)"  # 2 a sequence entry's dash
    rf"(?:({_FIRST}[^ \t\n:{_CONTROL}]{{0,1000}}+"  # 3 a key (libyaml: a simple key under 1,024): plain,
    rf'|"[^"\\\n{_CONTROL}]{{0,1000}}+"|\'[^\'\n{_CONTROL}]{{0,1000}}+\')'  # or quoted without escapes
    r":(?: |(?=\n|\Z))|)"
    rf"('[^'\n{_CONTROL}]*+(?:''[^'\n{_CONTROL}]*+)*'"  # 4 the value: single-quoted (a quote in it doubled),
    rf'|"[^"\\\n{_CONTROL}]*+(?:\\[^\n{_CONTROL}][^"\\\n{_CONTROL}]*+)*+"'  # double-quoted (escapes: _unescape),
    rf"|-*+{_FIRST}[^ \t\n:{_CONTROL}]*+(?:[ :][^ \t\n:#{_CONTROL}][^ \t\n:{_CONTROL}]*+)*+"  # plain,
    rf"|\[[^\n\[\]{{}}#{_CONTROL}]*+\]"  # a one-line flow sequence without nested collections,
    rf"|\{{[^\n\[\]{{}}#{_CONTROL}]*+\}}|)"  # a one-line flow mapping likewise (or {{}}); or nothing
    r"([^\n]*+)(?:\n|\Z)"  # 5 the rest of the line
)
# A flow sequence's simple item: quoted without escapes, or a plain word.
_ITEM = r"""(?:"[^"\\\n]*"|'[^'\n]*'|[\w./=+][\w./=+-]*)"""
_FLOW = rf"\[ *(?:{_ITEM} *, *)*{_ITEM} *\]|\[\]"
# A flow mapping's simple pair: a plain word, ``: `` and a simple item (kyaml writes ``{a: b, c: d}``).
_KEY = r"[\w./=+][\w./=+-]*"
_PAIR = rf"({_KEY}): +({_ITEM})"
_FLOW_MAP = rf"\{{ *(?:{_KEY}: +{_ITEM} *, *)*{_KEY}: +{_ITEM} *\}}"

# The characters beyond U+00FF libyaml refuses (a text that is not ASCII is searched for them, item by item).
_NOT_PRINTABLE_WIDE = r"[\ud800-\udfff\ufffe\uffff]"

_compiled: list[Any] = []
_wide: list[Any] = []  # _NOT_PRINTABLE_WIDE's search, compiled for the first text that is not ASCII
_controls: list[Any] = []  # a search for a _CONTROL character, compiled for the first literal block scalar


def _patterns() -> list[Any]:
    """The patterns, compiled on first use (start-up does not pay for them)."""
    if not _compiled:
        _compiled.extend((re.compile(_LINE).findall, re.compile(_FLOW).fullmatch, re.compile(_ITEM).finditer,
                          re.compile(_FLOW_MAP).fullmatch, re.compile(_PAIR).finditer))
    return _compiled


class _GiveUp(Exception):
    """Not the subset: compose the item from events."""


def compose_block(text: str, starts: Any, a: int, b: int, indent: int, line: int) -> tuple[Node, Composer] | None:
    """The node of the item in ``text[a:b]`` (its ``-`` at column ``indent`` of line ``line``) and a Composer
    holding its data, as :meth:`Composer.compose_next` composes the slice's events; None when the item is not
    the subset this module reads."""
    if not text.isascii():  # (a flag of the string: no scan)
        if not _wide:
            _wide.append(re.compile(_NOT_PRINTABLE_WIDE).search)
        if _wide[0](text, a, b) is not None:
            return None
    rows = _patterns()[0](text, a, b)
    build = _Build(text, starts, b)
    try:
        node, data = build.run(rows, line, indent)
    except _GiveUp:
        return None
    composer = Composer(text, starts, a, line)
    composer.has_alias = False
    composer.data = data
    return node, composer


_new = object.__new__
_LITERAL = ("|", "|-", "|+")  # the block scalar headers taken (see _Build.literal)
_MISSING = object()


def _odd_rest(rest: str, val: str) -> bool:
    """Whether what is left of a line after its value (``val``, perhaps empty) is more than blanks and a comment
    (of characters Python prints: none that libyaml refuses, nor a tab)."""
    r = rest.lstrip(" ")
    return r != "" and (r[0] != "#" or (len(r) == len(rest) and val != "") or not r.isprintable())


def _scalar(val: str, start: int, ls: int, line: int) -> tuple[Scalar, Any]:
    """The one-line scalar ``val`` (plain or quoted) at offset ``start`` of line ``line`` (which starts at
    ``ls``), and its data."""
    node: Scalar = _new(Scalar)
    node.anchor = node.tag = None
    q = val[0]
    if q == "'":
        node.value = data = val[1:-1].replace("''", "'") if "''" in val else val[1:-1]
        node.style = q
    elif q == '"':
        node.value = data = _unescape(val[1:-1]) if "\\" in val else val[1:-1]
        node.style = q
    else:
        node.value = val
        node.style = None
        data = _plain_values.get(val, _MISSING)
        if data is _MISSING:
            data = _plain_value(val)
    node.start, node.end = start, start + len(val)
    node.line = node.last_line = line
    node.col = start - ls
    return node, data


# libyaml's escapes in a double-quoted scalar, but for the line break (a continuation: never on one line here)
# and the hexadecimal ones (``\x``, ``\u``, ``\U``: _HEX_DIGITS).
_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
    "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}
_HEX = frozenset("0123456789abcdefABCDEF")


def _unescape(raw: str) -> str:
    """The value of a one-line double-quoted scalar from what is between its quotes, as libyaml decodes it.

    The slice has passed libyaml, so every backslash starts one of its escapes, with as many hexadecimal
    digits as it needs, naming a character it allows; anything else gives up all the same (_GiveUp)."""
    out: list[str] = []
    i = 0
    while (j := raw.find("\\", i)) >= 0:
        out.append(raw[i:j])
        c = raw[j + 1: j + 2]
        n = _HEX_DIGITS.get(c)
        if n is None:
            e = _ESCAPES.get(c)
            if e is None:
                raise _GiveUp
            out.append(e)
            i = j + 2
            continue
        digits = raw[j + 2: j + 2 + n]
        code = int(digits, 16) if len(digits) == n and all(d in _HEX for d in digits) else -1
        if not (0 <= code < 0xD800 or 0xE000 <= code <= 0x10FFFF):
            raise _GiveUp
        out.append(chr(code))
        i = j + 2 + n
    out.append(raw[i:])
    return "".join(out)


def _literal_header(rest: str, val: str, keyed: bool) -> str | None:
    """The literal block scalar header (``|``, ``|-``, ``|+``) that is what is left of a line after its key or
    ``-`` (``keyed``), with no value; None if the rest is blanks and a comment; else gives up."""
    if not _odd_rest(rest, val):
        return None
    header = rest.lstrip(" ")
    if val or header not in _LITERAL or not keyed:
        raise _GiveUp  # an indentation indicator, a folded scalar, a comment after the header, ...
    return header


def _literal_lines(text: str, starts: Any, b: int, first: int, parent: int) -> tuple[list[str], int, bool, int, int]:
    """The lines of a literal block scalar from line ``first`` (see :meth:`_Build.literal`): each line's text
    after the indentation ("" for an empty line), how many up to the last content line, whether that one ends
    with a line break, where the scalar ends, and the first line after it."""
    parts: list[str] = []
    indent = kept = 0
    last_break = False
    j, n, end = first, len(starts), b
    while j < n and starts[j] < b:
        s = starts[j]
        e = text.find("\n", s, b)
        t = text[s:b] if e < 0 else text[s:e]
        if t:
            body = t.lstrip(" ")
            col = len(t) - len(body)
            if not body or (not indent and (parts or col <= parent)):
                raise _GiveUp  # spaces only (content or not by subtler rules), blank lines first, no content
            indent = indent or col
            if col < indent:
                end = s
                break
            parts.append(t[indent:])
            kept, last_break = len(parts), e >= 0
        else:
            parts.append("")
        j += 1
    if not indent:
        raise _GiveUp
    return parts, kept, last_break, end, j


class _Build:
    """The nodes of an item from its rows: a stack of the open block collections, each a list
    ``[column, is a mapping, node, pairs or items, data]``; a collection is closed (its end and last line
    set) by the first line less indented than it (for a sequence, also by a line at its column that is not
    an entry; for a mapping, by an entry at its column), or by the end of the slice."""

    __slots__ = ("text", "starts", "b", "stack", "quoted")

    def __init__(self, text: str, starts: Any, b: int) -> None:
        self.text, self.starts, self.b = text, starts, b
        self.stack: list[list[Any]] = []
        self.quoted = False  # a quoted key seen: a key's data no longer tells its text apart

    def run(self, rows: list[tuple[str, str, str, str, str]], line: int, indent: int) -> tuple[Node, Any]:
        """The item's node and data from its rows (the first on line ``line``, its ``-`` at column ``indent``).

        ``pending``: after ``key:`` (or a bare ``-``) at column c, (c, key node or None, key data): the next
        content line must open the block collection it holds.  A line with a key is a pair of the innermost
        mapping, built here, after :meth:`enter` has opened or closed what it opens or closes (when it is not
        the next pair of that mapping); a line without a key is :meth:`row`'s."""
        root = Sequence()  # stands for the items sequence: it holds the item
        stack = self.stack
        stack.append([indent, False, root, root.items, []])
        starts, plain_values, new = self.starts, _plain_values, _new
        pending: tuple[int, Scalar | None, Any] | None = None
        tcol, tmap, _, tkids, tdata = stack[-1]
        line -= 1
        lines = iter(rows)
        for ind, dash, key, val, rest in lines:
            line += 1
            literal = _literal_header(rest, val, bool(key or dash)) if rest else None
            if not key:
                if literal is not None:  # ``- |``: an entry holding a literal block scalar
                    line = self.entry_literal(pending, len(ind), literal, line, lines)
                    pending = None
                    tcol, tmap, _, tkids, tdata = stack[-1]
                elif dash or val:  # (else a blank or comment line)
                    pending = self.row(pending, len(ind), dash, val, starts[line], line)
                    tcol, tmap, _, tkids, tdata = stack[-1]
                continue
            if dash or pending is not None or len(ind) != tcol or not tmap:
                self.enter(pending, len(ind), dash, starts[line], line)
                pending = None
                tcol, tmap, _, tkids, tdata = stack[-1]
            # a pair of the innermost mapping (at column tcol), its value on the line or a block below
            k: Scalar = new(Scalar)
            k.anchor = k.tag = k.style = None
            k.start = start = starts[line] + tcol
            k.end = start = start + len(key)
            k.line = k.last_line = line
            k.col = tcol
            if key[0] == '"' or key[0] == "'":  # ``"helm.sh/hook": x``: the text between the quotes, as it is
                k.style, k.value = key[0], key[1:-1]
                kd = k.value
                self.quoted = True
            else:
                k.value = key
                kd = plain_values.get(key, _MISSING)
                if kd is _MISSING:
                    kd = _plain_value(key)
            if literal is not None:
                block, tdata[kd], line = self.literal(literal, line, tcol, lines)
                tkids.append((k, block))
            elif not val:
                pending = (tcol, k, kd)
            elif val[0] == "[" or val[0] == "{":
                v, tdata[kd] = self.flow(val, start + 2, line)
                tkids.append((k, v))
            else:
                v, tdata[kd] = _scalar(val, start + 2, start - len(key) - tcol, line)
                tkids.append((k, v))
        if pending is not None or len(root.items) != 1 or root.items[0].__class__ is not Mapping:
            raise _GiveUp
        self.close_to(-1, self.b)
        return root.items[0], stack[0][4][0]

    def entry_literal(self, pending: tuple[int, Scalar | None, Any] | None, col: int, header: str, line: int,
                      lines: Iterator[Any]) -> int:
        """A ``- |`` entry at column ``col`` of line ``line`` (see :meth:`literal`); the scalar's last line."""
        self.enter(pending, col, "- ", self.starts[line], line, False)
        block, value, line = self.literal(header, line, col, lines)
        top = self.stack[-1]
        top[3].append(block)
        top[4].append(value)
        return line

    def literal(self, header: str, line: int, parent: int, lines: Iterator[Any]) -> tuple[Scalar, str, int]:
        """The literal block scalar whose header (``|``, ``|-`` or ``|+``, ending line ``line``) is the value of a
        key or entry of the block collection at column ``parent``: its node, its value, and its last line (its
        lines' rows are taken from ``lines``: they are its content).  As libyaml scans it: the first content
        line sets the indentation (more than ``parent``); the scalar ends at the first non-empty line indented
        less (its end: that line's start, or the slice's end); each line gives what follows that indentation,
        an empty line an empty one; the line breaks after the last content are clipped to one (``|``),
        stripped (``-``) or kept (``+``).  Gives up on a line of spaces only, blank lines before the content, a
        scalar with no content, and a character libyaml refuses (:data:`_CONTROL`: the pattern's classes keep
        them out of other lines)."""
        text, starts = self.text, self.starts
        eol = text.find("\n", starts[line], self.b)
        at = (self.b if eol < 0 else eol) - len(header)
        parts, kept, last_break, end, after = _literal_lines(text, starts, self.b, line + 1, parent)
        if not _controls:
            _controls.append(re.compile(f"[{_CONTROL}]").search)
        if _controls[0](text, starts[line + 1], end) is not None:
            raise _GiveUp
        value = "\n".join(parts[:kept])
        if header != "|-" and last_break:
            value += "\n" * (1 + (len(parts) - kept if header == "|+" else 0))
        node: Scalar = _new(Scalar)
        node.anchor = node.tag = None
        node.value, node.style = value, "|"
        node.start, node.end, node.line, node.col = at, end, line, at - starts[line]
        end_line = bisect_right(starts, end) - 1
        node.last_line = end_line - 1 if not text[starts[end_line]:end].strip() else end_line
        for _ in range(after - line - 1):
            next(lines, None)
        return node, value, after - 1

    def enter(self, pending: tuple[int, Scalar | None, Any] | None, col: int, dash: str, ls: int, line: int,
              keyed: bool = True) -> None:
        """Open and close what a line at column ``col`` (a ``-`` entry if ``dash``; with a key if ``keyed``)
        opens and closes before its pair or entry: the block of the key (or bare ``-``) above if
        ``pending``, else it closes the collections it is not in; then a ``-`` with a key opens the entry's
        mapping (whose first key is the line's)."""
        stack = self.stack
        if pending is not None:  # the line opens the block of the key (or bare ``-``) above
            pcol, k, kd = pending
            if dash and col >= pcol and k is not None:
                seq = Sequence()
                self.open(seq, seq.items, [], col, ls, line, k, kd)
            elif not dash and col > pcol:
                mapping = Mapping()
                self.open(mapping, mapping.pairs, {}, col, ls, line, k, kd)
                return
            else:
                raise _GiveUp  # an empty value, a scalar on the next line, ...
        else:
            top = stack[-1]
            if col < top[0] or (col == top[0] and (dash != "") == top[1]):
                self.close_to(col, ls + col, dash != "")
                top = stack[-1]
            if col != top[0] or (dash != "") == top[1]:
                raise _GiveUp  # an indentation no open collection has, ...
        if dash and keyed:
            mapping = Mapping()
            self.open(mapping, mapping.pairs, {}, col + 2, ls, line, None, None)

    def row(self, pending: tuple[int, Scalar | None, Any] | None, col: int, dash: str, val: str, ls: int,
            line: int) -> tuple[int, Scalar | None, Any] | None:
        """A content line without a key: a ``-`` entry holding a scalar, or a bare ``-`` (then a mapping must
        follow, more indented); the next pending block (see :meth:`run`)."""
        if not dash:
            raise _GiveUp  # a scalar on a line of its own
        self.enter(pending, col, dash, ls, line, False)
        col += 2
        if not val:
            return (col - 2, None, None)
        v, vd = self.flow(val, ls + col, line) if val[0] in "[{" else _scalar(val, ls + col, ls, line)
        top = self.stack[-1]
        top[3].append(v)
        top[4].append(vd)
        return None

    def open(self, node: Mapping | Sequence, kids: list[Any], data: Any, col: int, ls: int, line: int,
             key: Scalar | None, kd: Any) -> None:
        """A block collection starting at column ``col`` of this line, the value of ``key`` in the innermost
        mapping (else the next item of the innermost sequence)."""
        node.start, node.line, node.col = ls + col, line, col
        top = self.stack[-1]
        if key is None:
            top[3].append(node)
            top[4].append(data)
        else:
            top[3].append((key, node))
            top[4][kd] = data
        self.stack.append([col, node.__class__ is Mapping, node, kids, data])

    def close_to(self, col: int, end: int, dash: bool = False) -> None:
        """Close the collections a line at column ``col`` (a ``-`` entry if ``dash``) is not in; ``end``: its
        first token."""
        stack = self.stack
        while len(stack) > 1:
            tcol, tmap, node, kids, data = stack[-1]
            if col > tcol or (col == tcol and dash != tmap):
                return
            stack.pop()
            node.end = end
            if tmap:
                if (len(data) != len(kids) or self.quoted) and len({k.value for k, _ in kids}) != len(kids):
                    raise _GiveUp  # a duplicate key (its text: ``"1"`` and ``1`` too): the event Composer says so
                node.last_line = kids[-1][1].last_line
            else:
                node.last_line = kids[-1].last_line

    def flow(self, flow: str, start: int, line: int) -> tuple[Node, Any]:
        """A one-line flow collection at offset ``start`` of line ``line``: ``{}``, ``[]``, a sequence of
        simple scalars or a mapping of plain words to simple scalars (a duplicate key: given up, as the event
        Composer refuses it)."""
        node: Mapping | Sequence
        data: Any
        ls = self.starts[line]
        if flow == "{}":
            node, data = Mapping(flow=True), {}
        elif flow[0] == "{":
            patterns = _patterns()
            if patterns[3](flow) is None:
                raise _GiveUp
            node, data = Mapping(flow=True), {}
            for m in patterns[4](self.text, start + 1, start + len(flow) - 1):
                key, kd = _scalar(m.group(1), m.start(1), ls, line)
                if kd in data:
                    raise _GiveUp
                value, data[kd] = _scalar(m.group(2), m.start(2), ls, line)
                node.pairs.append((key, value))
        else:
            _, fullmatch, finditer, _, _ = _patterns()
            if fullmatch(flow) is None:
                raise _GiveUp
            node, data = Sequence(flow=True), []
            for m in finditer(self.text, start + 1, start + len(flow) - 1):
                item, d = _scalar(m.group(), m.start(), ls, line)
                node.items.append(item)
                data.append(d)
        node.start, node.end = start, start + len(flow)
        node.line = node.last_line = line
        node.col = start - ls
        return node, data
