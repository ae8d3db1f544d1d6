"""Go's ``regexp`` for sprig's regex functions: RE2 syntax and semantics, in time linear in the input.

Go's regexp is RE2; Python's ``re`` is a backtracking engine with another
syntax (``[[:alpha:]]`` means something else, ``\\z`` and ``\\Q...\\E`` are
refused, ``$`` also matches before a final newline) and exponential time on
patterns such as ``^(a+)+$``.  So the patterns run on the RE2 library itself,
through its Python binding ``google-re2`` (module ``re2``), with Go's
defaults (Perl classes, word boundaries, no multi-line).  Compared with a
hand translation to ``re`` (which cannot bound the time: ``re`` does not
yield to signals inside a match), the binding gives the very syntax and
linear time.  What is Go's here and not RE2's: which matches ``FindAll``,
``ReplaceAll`` and ``Split`` take (an empty match right after a match is
skipped) and ``$1``/``${name}`` expansion, written after Go's regexp.go.

Without the binding installed, every regex function is an error naming the
missing library (never a silent fallback to other semantics).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .funcs import fail

_UNLOADED: Any = object()
#: The binding, imported on the first regex call (~50 ms; most templates use no regex); None if absent.
_re2: Any = _UNLOADED


def _library() -> Any:
    global _re2
    if _re2 is _UNLOADED:
        try:
            import re2 as lib  # type: ignore[import-untyped]  # pyre2 ships no type information
        except ImportError:  # the dependency is declared; an image built without it
            lib = None
        _re2 = lib
    return _re2

MISSING_LIBRARY = "regular expressions need the google-re2 library (Python module re2), which is not installed"


@lru_cache(maxsize=256)
def _compile_cached(pattern: str) -> Any:
    lib = _library()
    options = lib.Options()
    options.log_errors = False
    return lib.compile(pattern, options)


def compile(pattern: str) -> Any:  # shadows the builtin: the name Go uses
    """The compiled pattern, or a template function error worded as Go's."""
    lib = _library()
    if lib is None:
        raise fail(MISSING_LIBRARY)
    try:
        return _compile_cached(pattern)
    except lib.error as e:
        msg = e.args[0] if e.args else e
        if isinstance(msg, bytes):
            msg = msg.decode("utf-8", "replace")
        raise fail(f"error parsing regexp: {msg}: `{pattern}`") from None
    except (UnicodeError, TypeError, ValueError) as e:
        raise fail(f"error parsing regexp: {e}") from None


def _matches(rx: Any, s: str, n: int) -> list[Any]:
    """Go's allMatches: successive matches, an empty one abutting the previous match skipped."""
    out: list[Any] = []
    if n == 0:
        return out
    pos, prev_end, size = 0, -1, len(s)
    while pos <= size and (n < 0 or len(out) < n):
        m = rx.search(s, pos)
        if m is None:
            break
        start, end = m.span()
        accept = True
        if end == start:
            if start == prev_end:
                accept = False
            pos = end + 1 if end >= pos else pos + 1
        else:
            pos = end
        prev_end = end
        if accept:
            out.append(m)
    return out


def match(pattern: str, s: str) -> bool:
    return compile(pattern).search(s) is not None


def find(pattern: str, s: str) -> str:
    m = compile(pattern).search(s)
    return m.group(0) if m is not None else ""


def find_all(pattern: str, s: str, n: int) -> list[str]:
    return [m.group(0) for m in _matches(compile(pattern), s, n)]


def replace_all(pattern: str, s: str, repl: str, literal: bool = False) -> str:
    rx = compile(pattern)
    out: list[str] = []
    last = 0
    for m in _matches(rx, s, -1):
        start, end = m.span()
        out.append(s[last:start])
        out.append(repl if literal else _expand(repl, m, rx))
        last = end
    out.append(s[last:])
    return "".join(out)


def split(pattern: str, s: str, n: int) -> list[str]:
    """Go's Regexp.Split."""
    if n == 0:
        return []
    if pattern and not s:
        return [""]
    parts: list[str] = []
    beg = end = 0
    for m in _matches(compile(pattern), s, n):
        if n > 0 and len(parts) == n - 1:
            break
        end = m.start()
        if m.end() != 0:
            parts.append(s[beg:end])
        beg = m.end()
    if end != len(s):
        parts.append(s[beg:])
    return parts


def _expand(template: str, m: Any, rx: Any) -> str:
    """Go's Regexp.Expand: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``; an unknown group is empty."""
    out: list[str] = []
    i, size = 0, len(template)
    while i < size:
        j = template.find("$", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        i = j + 1
        if i < size and template[i] == "$":
            out.append("$")
            i += 1
            continue
        name, after = _group_name(template, i)
        if name is None:
            out.append("$")  # not a reference: a literal dollar
            continue
        i = after
        index: int | None = int(name) if name.isdigit() and name.isascii() else rx.groupindex.get(name)
        if index is not None and 0 <= index <= rx.groups:
            group = m.group(index)
            out.append(group or "")
    return "".join(out)


def _group_name(template: str, i: int) -> tuple[str | None, int]:
    """The name after a ``$`` at ``i`` and where it ends (Go's extract), or (None, i)."""
    braced = i < len(template) and template[i] == "{"
    k = i + 1 if braced else i
    start = k
    while k < len(template) and (template[k] == "_" or template[k].isalnum()):
        k += 1
    if k == start:
        return None, i
    if braced:
        if k >= len(template) or template[k] != "}":
            return None, i
        return template[start:k], k + 1
    return template[start:k], k
