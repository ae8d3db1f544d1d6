"""Go's fmt.Sprintf and strconv.Quote for the values templates handle."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .values import MISSING, format_float, go_type, sorted_keys

_SPEC = re.compile(r"%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d*))?(.)?", re.DOTALL)

# strconv.Quote's backslash escapes
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def _quote_char(ch: str) -> str:
    esc = _ESCAPES.get(ch)
    if esc is not None:
        return esc
    if ch.isprintable() or ch == " ":
        return ch
    o = ord(ch)
    if o < 0x80:
        return f"\\x{o:02x}"
    if o < 0x10000:
        return f"\\u{o:04x}"
    return f"\\U{o:08x}"


def quote(s: str) -> str:
    """strconv.Quote: a double-quoted Go string literal, printable Unicode kept."""
    if s.isprintable() and '"' not in s and "\\" not in s:  # nothing to escape (the common case)
        return '"' + s + '"'
    return '"' + "".join(map(_quote_char, s)) + '"'


def _bad(verb: str, v: Any) -> str:
    if v is None or v is MISSING:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({go_type(v)}={_plain_v(v)})"


def _plain_v(v: Any) -> str:
    return _fmt(v, "v", "", None)


def _pad(s: str, flags: str, width: int | None, numeric: bool = False) -> str:
    if width is None or len(s) >= width:
        return s
    if "-" in flags:
        return s + " " * (width - len(s))
    if "0" in flags and numeric:
        sign = s[0] if s[:1] in "+-" else ""
        body = s[len(sign) :]
        return sign + "0" * (width - len(s)) + body
    return " " * (width - len(s)) + s


# integer verb -> (Python format spec, prefix under the # flag, prefix always)
_INT_VERBS = {
    "d": ("d", "", ""), "v": ("d", "", ""), "b": ("b", "", ""),
    "o": ("o", "0", ""), "O": ("o", "", "0o"), "x": ("x", "0x", ""), "X": ("X", "0X", ""),
}
# float verb -> (format_float kind, default precision, upper case)
_FLOAT_VERBS = {
    "v": ("g", -1, False), "g": ("g", -1, False), "G": ("g", -1, True),
    "e": ("e", 6, False), "E": ("e", 6, True), "f": ("f", 6, False), "F": ("f", 6, False),
}


def _int(v: int, verb: str, flags: str, prec: int | None) -> str:
    spec, alternate, prefix = _INT_VERBS[verb]
    body = prefix + format(abs(v), spec)
    if "#" in flags:
        body = alternate + body
    if prec is not None and len(body) < prec:
        body = "0" * (prec - len(body)) + body
    sign = "-" if v < 0 else ("+" if "+" in flags else (" " if " " in flags else ""))
    return sign + body


def _float(v: float, verb: str, flags: str, prec: int | None) -> str:
    kind, default_prec, upper = _FLOAT_VERBS[verb]
    s = format_float(v, kind, default_prec if prec is None else prec)
    if upper:
        s = s.upper()
    if "+" in flags and not s.startswith("-"):
        s = "+" + s
    return s


def _fmt_bool(v: bool, verb: str, flags: str, prec: int | None) -> str:
    if verb in ("v", "t"):
        return "true" if v else "false"
    return _bad(verb, v)


def _fmt_int(v: int, verb: str, flags: str, prec: int | None) -> str:
    if verb in _INT_VERBS:
        return _int(v, verb, flags, prec)
    if verb == "c":
        return chr(v)
    if verb == "q":
        return "'" + quote(chr(v))[1:-1].replace("'", "\\'") + "'"
    if verb == "U":
        return f"U+{v:04X}"
    return _bad(verb, v)


def _fmt_float(v: float, verb: str, flags: str, prec: int | None) -> str:
    if verb in _FLOAT_VERBS:
        return _float(v, verb, flags, prec)
    return _bad(verb, v)


def _fmt_str(v: str, verb: str, flags: str, prec: int | None) -> str:
    s = v if prec is None else v[:prec]
    if verb in ("v", "s"):
        return s
    if verb == "q":
        return quote(s)
    if verb in ("x", "X"):
        h = v.encode().hex()
        return h.upper() if verb == "X" else h
    return _bad(verb, v)


# checked in order: bool before int (a bool is an int in Python)
_SCALARS: tuple[tuple[type, Callable[[Any, str, str, int | None], str]], ...] = (
    (bool, _fmt_bool), (int, _fmt_int), (float, _fmt_float), (str, _fmt_str),
)


def _fmt(v: Any, verb: str, flags: str, prec: int | None) -> str:
    """One operand under one verb, before padding (compound values are formatted element-wise, here:
    one frame per level of nesting)."""
    if v is None or v is MISSING:
        return "<nil>" if verb == "v" else _bad(verb, None)
    if verb == "T":
        return go_type(v)
    for typ, fmt in _SCALARS:
        if isinstance(v, typ):
            return fmt(v, verb, flags, prec)
    if isinstance(v, Mapping):
        parts = [f"{_fmt(k, verb, flags, prec)}:{_fmt(v[k], verb, flags, prec)}" for k in sorted_keys(v)]
        return "map[" + " ".join(parts) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(_fmt(x, verb, flags, prec) for x in v) + "]"
    return str(v)


def _small_int(v: Any) -> bool:
    """An int fmt accepts as a * width or precision (Go refuses beyond a million)."""
    return isinstance(v, int) and not isinstance(v, bool) and -1_000_000 <= v <= 1_000_000


def _literal(digits: str) -> int | None:
    """A width or precision written in the format (none beyond six digits, as Go)."""
    return int(digits) if len(digits) <= 6 else None


class _Printer:
    """The state of one Sprintf: the output so far and the next argument."""

    def __init__(self, args: list[Any]) -> None:
        self.args = args
        self.argi = 0
        self.out: list[str] = []

    def star(self, lowest: int) -> int | None:
        """A * width or precision: the next argument, if it is a small int not below ``lowest``."""
        i = self.argi
        self.argi += 1
        if i < len(self.args) and _small_int(self.args[i]) and self.args[i] >= lowest:
            return int(self.args[i])
        return None

    def width(self, width_s: str | None, flags: str) -> tuple[int | None, str]:
        if width_s != "*":
            return (_literal(width_s) if width_s else None), flags
        width = self.star(-1_000_000)
        if width is None:
            self.out.append("%!(BADWIDTH)")
        elif width < 0:
            return -width, flags + "-"
        return width, flags

    def precision(self, prec_s: str | None) -> int | None:
        if prec_s is None:
            return None
        if prec_s != "*":
            return _literal(prec_s) if prec_s else 0
        prec = self.star(0)
        if prec is None:
            self.out.append("%!(BADPREC)")
        return prec

    def directive(self, m: re.Match[str]) -> None:
        """One %-directive whose verb is present."""
        flags, width_s, prec_s, verb = m.groups()
        width, flags = self.width(width_s, flags)
        prec = self.precision(prec_s)
        if verb == "%":
            self.out.append("%")
            return
        if self.argi >= len(self.args):
            self.out.append(f"%!{verb}(MISSING)")
            return
        v = self.args[self.argi]
        self.argi += 1
        numeric = isinstance(v, (int, float)) and not isinstance(v, bool)
        self.out.append(_pad(_fmt(v, verb, flags, prec), flags, width, numeric))

    def extra(self) -> None:
        """Go's report of the arguments no verb used."""
        if self.argi < len(self.args):
            rest = self.args[self.argi :]
            extra = ", ".join("<nil>" if a is None or a is MISSING else f"{go_type(a)}={_plain_v(a)}" for a in rest)
            self.out.append(f"%!(EXTRA {extra})")


def sprintf(fmt: str, args: list[Any]) -> str:
    """fmt.Sprintf: verbs v T t d b o O x X c q U e E f F g G s and %%, flags, width and precision."""
    p = _Printer(args)
    i = 0
    while (j := fmt.find("%", i)) >= 0:
        p.out.append(fmt[i:j])
        m = _SPEC.match(fmt, j)
        assert m is not None
        i = m.end()
        if m.group(4) is None:  # a % at the very end
            p.out.append("%!(NOVERB)")
            break
        p.directive(m)
    p.out.append(fmt[i:])
    p.extra()
    return "".join(p.out)
