"""Go's fmt.Sprintf and strconv.Quote for the values templates handle."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .values import MISSING, format_float, go_type, sorted_keys

_SPEC = re.compile(r"%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d*))?(.)?", re.DOTALL)


def quote(s: str) -> str:
    """strconv.Quote: a double-quoted Go string literal, printable Unicode kept."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\a":
            out.append("\\a")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\v":
            out.append("\\v")
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif o < 0x80:
            out.append(f"\\x{o:02x}")
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def _bad(verb: str, v: Any) -> str:
    if v is None or v is MISSING:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({go_type(v)}={_plain_v(v)})"


def _plain_v(v: Any) -> str:
    return _fmt(v, "v", "", None, None)


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


def _int(v: int, verb: str, flags: str, prec: int | None) -> str:
    neg = v < 0
    a = -v if neg else v
    if verb == "d" or verb == "v":
        body = str(a)
    elif verb == "b":
        body = format(a, "b")
    elif verb == "o":
        body = format(a, "o")
        if "#" in flags:
            body = "0" + body
    elif verb == "O":
        body = "0o" + format(a, "o")
    elif verb == "x":
        body = format(a, "x")
        if "#" in flags:
            body = "0x" + body
    elif verb == "X":
        body = format(a, "X")
        if "#" in flags:
            body = "0X" + body
    else:
        raise ValueError(verb)
    if prec is not None and len(body) < prec:
        body = "0" * (prec - len(body)) + body
    sign = "-" if neg else ("+" if "+" in flags else (" " if " " in flags else ""))
    return sign + body


def _float(v: float, verb: str, flags: str, prec: int | None) -> str:
    if verb in ("v", "g", "G"):
        s = format_float(v, "g", -1 if prec is None else prec)
        if verb == "G":
            s = s.upper()
    elif verb in ("e", "E"):
        s = format_float(v, "e", 6 if prec is None else prec)
        if verb == "E":
            s = s.upper()
    elif verb in ("f", "F"):
        s = format_float(v, "f", 6 if prec is None else prec)
    else:
        raise ValueError(verb)
    if "+" in flags and not s.startswith("-"):
        s = "+" + s
    return s


def _fmt(v: Any, verb: str, flags: str, width: int | None, prec: int | None) -> str:
    """One operand under one verb, before padding (compound values are formatted element-wise)."""
    if v is None or v is MISSING:
        return "<nil>" if verb == "v" else _bad(verb, None)
    if verb == "T":
        return go_type(v)
    if isinstance(v, bool):
        if verb in ("v", "t"):
            return "true" if v else "false"
        return _bad(verb, v)
    if isinstance(v, int):
        if verb in ("v", "d", "b", "o", "O", "x", "X"):
            return _int(v, verb, flags, prec)
        if verb == "c":
            return chr(v)
        if verb == "q":
            return "'" + quote(chr(v))[1:-1].replace("'", "\\'") + "'"
        if verb == "U":
            return f"U+{v:04X}"
        if verb in ("e", "E", "f", "F", "g", "G"):
            return _bad(verb, v)
        return _bad(verb, v)
    if isinstance(v, float):
        if verb in ("v", "e", "E", "f", "F", "g", "G"):
            return _float(v, verb, flags, prec)
        return _bad(verb, v)
    if isinstance(v, str):
        if verb in ("v", "s"):
            return v if prec is None else v[:prec]
        if verb == "q":
            return quote(v if prec is None else v[:prec])
        if verb in ("x", "X"):
            h = v.encode().hex()
            return h.upper() if verb == "X" else h
        return _bad(verb, v)
    if isinstance(v, Mapping):
        parts = [f"{_fmt(k, verb, flags, None, prec)}:{_fmt(v[k], verb, flags, None, prec)}" for k in sorted_keys(v)]
        return "map[" + " ".join(parts) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(_fmt(x, verb, flags, None, prec) for x in v) + "]"
    return str(v)


def _small_int(v: Any) -> bool:
    """An int fmt accepts as a * width or precision (Go refuses beyond a million)."""
    return isinstance(v, int) and not isinstance(v, bool) and -1_000_000 <= v <= 1_000_000


def sprintf(fmt: str, args: list[Any]) -> str:
    """fmt.Sprintf: verbs v T t d b o O x X c q U e E f F g G s and %%, flags, width and precision."""
    out: list[str] = []
    argi = 0
    i = 0
    n = len(fmt)
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        m = _SPEC.match(fmt, j)
        assert m is not None
        flags, width_s, prec_s, verb = m.group(1), m.group(2), m.group(3), m.group(4)
        i = m.end()
        if verb is None:
            out.append("%!(NOVERB)")
            break
        width: int | None = None
        prec: int | None = None
        if width_s == "*":
            if argi < len(args) and _small_int(args[argi]):
                width = args[argi]
                if width < 0:
                    flags += "-"
                    width = -width
            else:
                out.append("%!(BADWIDTH)")
            argi += 1
        elif width_s:
            width = int(width_s) if len(width_s) <= 6 else None
        if prec_s == "*":
            if argi < len(args) and _small_int(args[argi]) and args[argi] >= 0:
                prec = args[argi]
            else:
                out.append("%!(BADPREC)")
            argi += 1
        elif prec_s is not None:
            prec = (int(prec_s) if len(prec_s) <= 6 else None) if prec_s else 0
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        v = args[argi]
        argi += 1
        numeric = isinstance(v, (int, float)) and not isinstance(v, bool)
        out.append(_pad(_fmt(v, verb, flags, width, prec), flags, width, numeric))
    if argi < len(args):
        extra = ", ".join("<nil>" if a is None or a is MISSING else f"{go_type(a)}={_plain_v(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)
