"""Block-style YAML text for new content: the one writer of YAML in krmfn.

Renders plain Python data (what templates produce) and :mod:`krmfn.text.nodes` trees
(when an item has to be re-rendered) as block YAML at a given indentation.

* Strings are written plain only when every YAML reader we care about reads
  them back as the same string: PyYAML's YAML 1.1 resolver (Kubernetes'
  sigs.k8s.io/yaml) and the YAML 1.2 core schema (kyaml, used by kpt and
  kustomize).  Everything else is double-quoted.
* Node scalars keep their style where it is safe in block context; block
  scalars and multi-line values become double-quoted (same value).
* Never anchors or aliases; aliases are expanded by the caller.
"""

from __future__ import annotations

import functools

try:  # the json package's C string encoder, without importing the package (~2% of a one-Deployment run)
    from _json import encode_basestring as _encode_str
except ImportError:  # pragma: no cover - an interpreter without the accelerator
    from json.encoder import encode_basestring as _encode_str
from marshal import dumps as _dumps

import yaml

from .nodes import STR_TAG, Mapping, Node, Scalar, Sequence, deref

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_resolver = yaml.resolver.Resolver()

# YAML 1.2 core schema values that YAML 1.1 might read as strings: these words, and the numbers of
# core12_non_string.  Checked by hand: the equivalent regex costs ~0.6 ms of start-up to compile.
_CORE12_WORDS = frozenset(
    ["null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "False", "FALSE", ".nan", ".NaN", ".NAN"]
    + [sign + "." + inf for sign in ("", "+", "-") for inf in ("inf", "Inf", "INF")]
)
_PLAIN_FIRST_BAD = set("-?:,[]{}#&*!|>'\"%@` \t")
# Characters a plain scalar cannot hold anywhere (see plain_bad_anywhere).
_PLAIN_BAD_CHARS = frozenset([chr(c) for c in range(0x20)] + list("\x7f\x85\u2028\u2029\ufeff,[]{}"))


#: What :func:`plain_ok` answers at once: a string made of these characters only, beginning with a letter or
#: ``/`` and not ending with ``:``, holds nothing a plain scalar may not (no space, no flow or control
#: character, no ``: `` or `` #``), is no number nor date for any reader (those begin with a digit, a sign or
#: a dot) and is read as anything but a string only when it is one of the words of ``_NON_STRING_WORDS``
#: (in some case): names, paths, image references, URLs.  tests/test_startup.py checks it against the rules.
_SIMPLE_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ/")
_SIMPLE = _SIMPLE_FIRST | frozenset("0123456789-._:")


@functools.lru_cache(maxsize=65536)
def plain_ok(s: str) -> bool:
    """Whether ``s`` can be written as a plain scalar and read back as this string."""
    if not s:
        return False
    if s[0] in _SIMPLE_FIRST and s[-1] != ":" and _SIMPLE.issuperset(s):
        return s.lower() not in _NON_STRING_WORDS
    return _plain_ok_by_rules(s)


def _plain_ok_by_rules(s: str) -> bool:
    """:func:`plain_ok` of a non-empty ``s`` without the shortcut for simple strings."""
    first = s[0]
    # "-p" and similar are fine: an indicator followed by a non-space.
    if first in _PLAIN_FIRST_BAD and (first not in "-?:" or len(s) < 2 or s[1] in " \t"):
        return False
    if plain_bad_anywhere(s):
        return False
    if core12_non_string(s) or goyaml_v2_non_string(s):
        return False
    return bool(_resolver.resolve(yaml.ScalarNode, s, (True, False)) == STR_TAG)  # type: ignore[no-untyped-call]


#: Words some reader takes for a bool, null or float, in any case (go-yaml v2, which kubectl's
#: sigs.k8s.io/yaml uses, reads y/Y/n/N/yes/on/off...; YAML 1.1 readers differ on the case).
_NON_STRING_WORDS = frozenset(["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ".inf", "+.inf", "-.inf", ".nan"])


def goyaml_v2_non_string(s: str) -> bool:
    """Whether go-yaml v2 (kubectl's reader, YAML 1.1 flavoured), or a YAML 1.1 reader, may read
    ``s`` as anything but a string -- erring on the side of quoting.

    Besides the words of ``_NON_STRING_WORDS`` in any case: what begins with a sign, a digit or a dot
    and, once its underscores are dropped (as go-yaml does), is a decimal, hexadecimal, octal or
    binary integer (a sign and either case of prefix allowed) or a float; and what begins like a date
    (``2024-1-2``, ``2024-01-02T...``).
    """
    if s.lower() in _NON_STRING_WORDS:
        return True
    first = s[0]
    if first not in "+-.0123456789":
        return False
    if s[:4].isdigit() and s[4:5] == "-" and s[5:6].isdigit():
        return True
    plain = s.replace("_", "")
    if plain[:1] in ("+", "-"):
        plain = plain[1:]
    if not plain:
        return False
    prefix = plain[:2].lower()
    digits = {"0x": "0123456789abcdefABCDEF", "0o": "01234567", "0b": "01"}.get(prefix)
    if digits is not None:
        return len(plain) > 2 and all(c in digits for c in plain[2:])
    return core12_non_string(plain)


def plain_bad_anywhere(s: str) -> bool:
    """Whether non-empty ``s`` holds what no plain scalar may: a control or flow character, ``: `` or `` #``,
    or a trailing ``:`` or space.

    Written out: the regex it replaces, ``[\\x00-\\x1f\\x7f\\x85\\u2028\\u2029\\ufeff,\\[\\]{}]|: |:$| #|\\s$``,
    cost every run its compilation.
    """
    return (
        not _PLAIN_BAD_CHARS.isdisjoint(s) or ": " in s or " #" in s or s[-1] == ":" or s[-1].isspace()
    )


def core12_non_string(s: str) -> bool:
    """Whether the YAML 1.2 core schema reads ``s`` (with no line break) as null, a bool, an int or a float.

    That is, whether ``s`` is one of the words of ``_CORE12_WORDS`` or matches
    ``[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?``, ``0o[0-7]+`` or ``0x[0-9a-fA-F]+``.
    """
    if s in _CORE12_WORDS:
        return True
    if s[:2] == "0o":
        return len(s) > 2 and all(c in "01234567" for c in s[2:])
    if s[:2] == "0x":
        return len(s) > 2 and all(c in "0123456789abcdefABCDEF" for c in s[2:])
    return _core12_number(s[1:] if s[:1] in ("+", "-") else s)


def _core12_number(s: str) -> bool:
    """Whether ``s`` (no sign) matches ``(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?``."""
    mantissa, e, exponent = s.partition("e")
    if not e:
        mantissa, e, exponent = s.partition("E")
    if e and not _digits(exponent[1:] if exponent[:1] in ("+", "-") else exponent):
        return False
    whole, dot, fraction = mantissa.partition(".")
    if not dot:
        return _digits(whole)
    return bool(whole or fraction) and (not whole or _digits(whole)) and (not fraction or _digits(fraction))


def _digits(s: str) -> bool:
    """One or more ASCII digits (str.isdigit alone takes other scripts' digits too)."""
    return s.isascii() and s.isdigit()


def quote(s: str) -> str:
    """A double-quoted YAML scalar (JSON string escapes are valid YAML)."""
    # json.dumps(s, ensure_ascii=False) for a str, without making a JSONEncoder per call (the C function
    # that encoder calls for a str)
    if s.__class__ is str:
        text = _encode_str(s)
    else:
        import json

        text = json.dumps(s, ensure_ascii=False)
    return text.replace("\u2028", "\\L").replace("\u2029", "\\P").replace(
        "\x85", "\\N"
    )


#: The text of a str (exactly str) as a scalar: itself when :func:`plain_ok`, else :func:`quote`'s; never
#: empty ('""'), so ``_TEXTS.get(s) or _str_text(s)`` is the text.  A dict lookup costs the render loops far
#: less than a call of the lru_cache wrapper; emptied when full, like plain_ok's cache.
_TEXTS: dict[str, str] = {}
_TEXTS_LIMIT = 65536


def _str_text(s: str) -> str:
    if len(_TEXTS) >= _TEXTS_LIMIT:
        _TEXTS.clear()
    text = _TEXTS[s] = s if plain_ok(s) else quote(s)
    return text


class Unrenderable(TypeError):
    """Input that has no block-style rendering here (a complex mapping key)."""


def scalar_text(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value if plain_ok(value) else quote(value)
    raise TypeError(f"cannot render {type(value).__name__}")


def _tag_prefix(tag: str | None) -> str:
    if not tag:
        return ""
    if tag.startswith("tag:yaml.org,2002:"):
        return "!!" + tag[len("tag:yaml.org,2002:") :] + " "
    if tag.startswith("!"):
        return tag + " "
    return f"!<{tag}> "


def node_scalar_text(node: Scalar) -> str:
    value = node.value
    prefix = _tag_prefix(node.tag)
    style = node.style
    if style is None and "\n" not in value:
        # A plain scalar from a flow context is also valid in block context.
        return (prefix + value) if value else prefix.rstrip()
    if style == "'" and "\n" not in value:
        return prefix + "'" + value.replace("'", "''") + "'"
    # Block scalars and multi-line values: the same string, double-quoted.
    return prefix + quote(value)


def _is_collection(value: Any) -> bool:
    if isinstance(value, Node):
        value = deref(value)
        return isinstance(value, (Mapping, Sequence)) and bool(
            value.pairs if isinstance(value, Mapping) else value.items
        )
    return isinstance(value, (dict, list)) and bool(value)


def _inline(value: Any) -> str:
    """Text of a value that fits after ``key: `` or ``- `` on the same line."""
    if isinstance(value, Node):
        value = deref(value)
        if isinstance(value, Scalar):
            return node_scalar_text(value)
        if isinstance(value, Mapping):
            return _tag_prefix(value.tag) + "{}"
        return _tag_prefix(value.tag) + "[]"
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar_text(value)


def key_text(key: Any) -> str:
    if isinstance(key, Node):
        key = deref(key)
        if isinstance(key, Scalar):
            text = node_scalar_text(key)
            return text if text else '""'
        raise Unrenderable("a mapping key that is a list or mapping cannot be re-rendered in block style")
    if isinstance(key, str):
        return key if plain_ok(key) else quote(key)
    return scalar_text(key)


def _pairs(value: Any) -> list[tuple[Any, Any]]:
    if isinstance(value, Mapping):
        return value.pairs
    return list(value.items())


def _items(value: Any) -> list[Any]:
    if isinstance(value, Sequence):
        return value.items
    items: list[Any] = value
    return items


#: Rendered lines of plain data (what templates produce), by indent, seq_indent and role, then by value.  The
#: same sidecar parts (ports, env entries, probes, mounts), volumes and init container are injected into every
#: workload: each is rendered once.  The value's key is its ``marshal.dumps``: a faithful encoding of plain
#: data (it tells apart 1, "1", True and 1.0, keeps key order, and its bytes decode to an equal value, so
#: equal keys render the same); data holding anything else (nodes, str subclasses) is refused by marshal
#: (ValueError) and rendered uncached.  A role tells a block (``_BLOCK``) from a list item (``_ITEM``: the
#: first line carries the dash).  The cached lists are only ever copied out (``out.extend``), never handed out.
#: Each collection inside the value given to :func:`render_lines` is looked up on its own (a dict's collection
#: values, a list's collection items; not the value itself, often a whole new item or the per-workload keys
#: added to a mapping), so a sidecar that differs from the last only in a few env values re-renders just those
#: entries.  The lines of one (indent, seq_indent, role) sit in a dict of their own, fetched once per list
#: rendered (a container's env entries share it): a lookup hashes the value's bytes alone.
_CACHE: dict[tuple[int, int, int], dict[bytes, list[str]]] = {}
_CACHE_LIMIT = 4096  # entries, all dicts together; with _KEY_LIMIT the cache stays under a few MB
_KEY_LIMIT = 2048  # bytes of key; bigger values (a whole per-workload sidecar) rarely repeat: not stored
_BLOCK, _ITEM = 0, 1
# A collection of more entries (a container, its env) rarely repeats whole: not looked up (encoding a big one
# only to miss costs more than looking up its entries, which the renderer does anyway).
_MAX_ENTRIES = 8
# A list value of up to this many items is looked up whole: a sidecar's volume mounts (nine of them) repeat
# whole; its env (twenty, some naming the workload) does not, and is looked up item by item.
_MAX_ITEMS = 16
_stored = [0]  # entries in the cache


def _lines_for(indent: int, seq_indent: int, role: int) -> dict[bytes, list[str]]:
    """The cached lines of collections rendered at ``indent`` in ``role``."""
    found = _CACHE.get((indent, seq_indent, role))
    if found is None:
        found = _CACHE[(indent, seq_indent, role)] = {}
    return found


def _store(cache: dict[bytes, list[str]], ck: bytes | None, lines: list[str]) -> None:
    if ck is not None and len(ck) <= _KEY_LIMIT:
        if _stored[0] >= _CACHE_LIMIT:
            for lines_by_key in _CACHE.values():  # emptied in place: a render loop holds one of them
                lines_by_key.clear()
            _stored[0] = 0
        cache[ck] = lines
        _stored[0] += 1


def render_lines(value: Any, indent: int, out: list[str], seq_indent: int = 0) -> None:
    """Append block lines (with newline) for a collection value at ``indent``.

    ``seq_indent`` is 0 for kyaml's compact sequences (``- `` level with the
    parent key) and 2 for the wide style.
    """
    _render_lines(value, indent, out, seq_indent)


_SCALAR_CLASSES = frozenset((str, int, float, bool, type(None)))


def _render_dict(value: dict[Any, Any], indent: int, out: list[str], seq_indent: int, lookup: bool = True) -> None:
    """:func:`_render_lines` for plain data (dicts, lists, scalars: what templates and to_python make),
    without the node cases; anything else inside is handed to :func:`_render_any` entry by entry.
    A non-empty collection value comes from the cache (see ``_CACHE``) or is rendered and stored."""
    pad = " " * indent
    append = out.append
    dicts = lists = None  # the cached lines at the indent of a dict value, of a list value
    for k, v in value.items():
        key = (_TEXTS.get(k) or _str_text(k)) if k.__class__ is str else key_text(k)
        c = v.__class__
        if c is dict or c is list:
            if v:
                append(f"{pad}{key}:\n")
                if c is dict:
                    sub = indent + 2
                    if dicts is None:
                        dicts = _lines_for(sub, seq_indent, _BLOCK)
                    cache = dicts
                else:
                    sub = indent + seq_indent
                    if lists is None:
                        lists = _lines_for(sub, seq_indent, _BLOCK)
                    cache = lists
                ck: bytes | None = None
                # the key: its marshal bytes (None: not plain data, or too big)
                if lookup and len(v) <= (_MAX_ENTRIES if c is dict else _MAX_ITEMS):
                    try:
                        ck = _dumps(v)
                    except ValueError:
                        pass
                lines = cache.get(ck)  # type: ignore[arg-type]  # None is never stored
                if lines is None:
                    lines = []
                    # a key too big to store (a whole pod spec): its collection values are not looked up,
                    # their keys would be nearly as big (their own values are)
                    (_render_dict if c is dict else _render_list)(
                        v, sub, lines, seq_indent, ck is None or len(ck) <= _KEY_LIMIT)
                    _store(cache, ck, lines)
                out.extend(lines)
            else:
                append(f"{pad}{key}: {{}}\n" if c is dict else f"{pad}{key}: []\n")
        elif c is str:
            append(f"{pad}{key}: {_TEXTS.get(v) or _str_text(v)}\n")
        elif c in _SCALAR_CLASSES:
            append(f"{pad}{key}: {scalar_text(v)}\n")
        else:
            _render_any({k: v}, indent, out, seq_indent)


def _render_list(value: list[Any], indent: int, out: list[str], seq_indent: int, lookup: bool = True) -> None:
    """:func:`_render_dict` for a list; a non-empty collection item comes from the cache or is rendered
    and stored (with its dash)."""
    pad = " " * indent
    append = out.append
    cache = None
    for item in value:
        c = item.__class__
        if c is dict or c is list:
            if item:
                if cache is None:
                    cache = _lines_for(indent, seq_indent, _ITEM)
                ck: bytes | None = None
                if lookup and len(item) <= _MAX_ENTRIES:  # the key, as in _render_dict
                    try:
                        ck = _dumps(item)
                    except ValueError:
                        pass
                lines = cache.get(ck)  # type: ignore[arg-type]  # None is never stored
                if lines is None:
                    lines = []
                    (_render_dict if c is dict else _render_list)(
                        item, indent + 2, lines, seq_indent, ck is None or len(ck) <= _KEY_LIMIT)
                    lines[0] = f"{pad}- {lines[0][indent + 2:]}"
                    _store(cache, ck, lines)
                out.extend(lines)
            else:
                append(f"{pad}- {{}}\n" if c is dict else f"{pad}- []\n")
        elif c is str:
            append(f"{pad}- {_TEXTS.get(item) or _str_text(item)}\n")
        elif c in _SCALAR_CLASSES:
            append(f"{pad}- {scalar_text(item)}\n")
        else:
            _render_any([item], indent, out, seq_indent)


def _render_lines(value: Any, indent: int, out: list[str], seq_indent: int) -> None:
    c = value.__class__
    if c is dict:
        _render_dict(value, indent, out, seq_indent)
    elif c is list:
        _render_list(value, indent, out, seq_indent)
    else:
        _render_any(value, indent, out, seq_indent)


def _render_any(value: Any, indent: int, out: list[str], seq_indent: int) -> None:
    """Nodes (a re-rendered item), or data holding nodes."""
    if isinstance(value, Node):
        value = deref(value)
    if isinstance(value, (Mapping, dict)):
        _render_any_pairs(value, indent, out, seq_indent)
    elif isinstance(value, (Sequence, list)):
        _render_any_items(value, indent, out, seq_indent)
    else:
        raise TypeError("render_lines needs a collection")


def _render_any_pairs(value: Mapping | dict[Any, Any], indent: int, out: list[str], seq_indent: int) -> None:
    pad = " " * indent
    for k, v in _pairs(value):
        key = key_text(k)
        if isinstance(v, Node):
            v = deref(v)
        if not _is_collection(v):
            text = _inline(v)
            out.append(f"{pad}{key}: {text}\n" if text else f"{pad}{key}:\n")
            continue
        tagp = _tag_prefix(v.tag) if isinstance(v, Node) else ""
        out.append(f"{pad}{key}: {tagp.rstrip()}\n" if tagp else f"{pad}{key}:\n")
        _render_lines(v, indent + (seq_indent if isinstance(v, (Sequence, list)) else 2), out, seq_indent)


def _render_any_items(value: Sequence | list[Any], indent: int, out: list[str], seq_indent: int) -> None:
    pad = " " * indent
    for item in _items(value):
        if isinstance(item, Node):
            item = deref(item)
        if not _is_collection(item):
            text = _inline(item)
            out.append(f"{pad}- {text}\n" if text else f"{pad}-\n")
            continue
        sub: list[str] = []
        _render_lines(item, indent + 2, sub, seq_indent)
        tagp = _tag_prefix(item.tag) if isinstance(item, Node) else ""
        if tagp:
            out.append(f"{pad}- {tagp.rstrip()}\n")
            out.extend(sub)
        else:
            out.append(f"{pad}- {sub[0][indent + 2:]}")
            out.extend(sub[1:])


def render_entry(key: str, value: Any, indent: int, seq_indent: int = 0) -> str:
    """``key: value`` as block text (ending with a newline) at ``indent``."""
    out: list[str] = []
    render_lines({key: value}, indent, out, seq_indent)
    return "".join(out)
