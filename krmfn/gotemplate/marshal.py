"""Go's encoding/json (json.Marshal, json.MarshalIndent) and sigs.k8s.io/yaml.Marshal output, for
JSON-shaped Python data.

json: compact, map keys sorted (unless the caller keeps struct order), ``<``, ``>``, ``&``, U+2028 and
U+2029 escaped as Go does, floats written as Go writes float64 (``15020``, ``1.5``, ``1e+21``).

yaml: what sigs.k8s.io/yaml produces (JSON, then go-yaml v2): block style, keys in go-yaml's order
(digit runs compared as numbers), sequences not indented under their key, strings quoted only when
they would read back as something else (double quotes) or cannot be plain (single quotes), multi-line
strings as literal blocks.  go-yaml folds plain strings longer than 80 columns; we do not (the YAML
reads back the same).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from typing import Any

from .values import MISSING, format_float

# -- JSON ----------------------------------------------------------------------------------------

_JSON_ESC = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_JSON_NEEDS = re.compile(r'["\\\x00-\x1f<>&\u2028\u2029]')


def json_string(s: str) -> str:
    if not _JSON_NEEDS.search(s):
        return '"' + s + '"'
    out = []
    for ch in s:
        e = _JSON_ESC.get(ch)
        if e is not None:
            out.append(e)
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def json_float(f: float) -> str:
    if math.isnan(f) or math.isinf(f):
        raise ValueError(f"json: unsupported value: {format_float(f)}")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        s = format_float(f, "e", -1)
        # Go writes e-07 as e-7
        m = re.match(r"^(.*e[-+])0(\d)$", s)
        return m.group(1) + m.group(2) if m else s
    return format_float(f, "f", -1)


STRUCT_FIELD_ORDERS: tuple[tuple[str, ...], ...] = (
    # corev1.ContainerPort, in Go declaration order (what json.Marshal of the struct writes)
    ("name", "hostPort", "containerPort", "protocol", "hostIP"),
)


def _keys(m: Mapping[Any, Any], struct_order: bool) -> list[Any]:
    if struct_order:
        keys = list(m.keys())
        for order in STRUCT_FIELD_ORDERS:
            if set(keys) <= set(order):
                return [k for k in order if k in m]
        return keys
    return sorted(m.keys(), key=lambda k: str(k).encode("utf-8"))


def to_json(v: Any, indent: str | None = None, struct_order: bool = False, _level: int = 0) -> str:
    """json.Marshal (indent None) or json.MarshalIndent(v, "", indent)."""
    # containers here, not in helpers: one frame per level of nesting, as deep data needs
    if isinstance(v, Mapping):
        if not v:
            return "{}"
        items = [(k, v[k]) for k in _keys(v, struct_order)]
        if indent is None:
            return "{" + ",".join(json_string(str(k)) + ":" + to_json(x, None, struct_order) for k, x in items) + "}"
        pad = "\n" + indent * (_level + 1)
        body = ",".join(pad + json_string(str(k)) + ": " + to_json(x, indent, struct_order, _level + 1) for k, x in items)
        return "{" + body + "\n" + indent * _level + "}"
    if isinstance(v, (list, tuple)):
        if not v:
            return "[]"
        if indent is None:
            return "[" + ",".join(to_json(x, None, struct_order) for x in v) + "]"
        pad = "\n" + indent * (_level + 1)
        return "[" + ",".join(pad + to_json(x, indent, struct_order, _level + 1) for x in v) + "\n" + indent * _level + "]"
    return _json_scalar(v)


def _json_scalar(v: Any) -> str:
    if v is None or v is MISSING:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return json_float(v)
    if isinstance(v, str):
        return json_string(v)
    raise ValueError(f"json: unsupported type: {type(v).__name__}")


# -- YAML ----------------------------------------------------------------------------------------

_BOOL_11 = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"}
_NULL = {"", "~", "null", "Null", "NULL"}
_FLOAT_SPECIAL = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"}
_INT_RE = re.compile(r"^[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*)$")
_FLOAT_RE = re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")
_BASE60_RE = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:(?:[Tt]|[ \t]+)\d{1,2}:\d{2}:\d{2}(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d{1,2}(?::\d{2})?))?)?$")


def resolves_non_string(s: str) -> bool:
    """Would go-yaml v2 read this plain scalar as something other than a string?"""
    if s in _BOOL_11 or s in _NULL or s in _FLOAT_SPECIAL:
        return True
    if _INT_RE.match(s) or _FLOAT_RE.match(s) or _BASE60_RE.match(s):
        return True
    if _TIMESTAMP_RE.match(s):
        return True
    # "<<" is go-yaml's merge key; "=" is plain for go-yaml but PyYAML (which reads our output) takes it
    # for YAML 1.1's value key, so it is quoted too
    return s in ("<<", "=")


_INDICATORS_FIRST = set("#,[]{}&*!|>'\"%@`")


def _plain_allowed(s: str) -> bool:
    if not s or s != s.strip(" ") or s[0] in _INDICATORS_FIRST:
        return False
    if s[0] in "-?:" and (len(s) == 1 or s[1] in " \t"):
        return False
    if ": " in s or " #" in s or s.endswith(":") or "\t" in s:
        return False
    return all(c.isprintable() for c in s)


def yaml_string(s: str) -> str:
    """A single-line scalar, quoted the way go-yaml v2 quotes it."""
    if resolves_non_string(s):
        return _double(s)
    if _plain_allowed(s):
        return s
    if all(c.isprintable() for c in s):
        return "'" + s.replace("'", "''") + "'"
    return _double(s)


def _double(s: str) -> str:
    out = []
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch.isprintable():
            out.append(ch)
        elif o <= 0xFF:
            out.append(f"\\x{o:02X}")
        elif o <= 0xFFFF:
            out.append(f"\\u{o:04X}")
        else:
            out.append(f"\\U{o:08X}")
    return '"' + "".join(out) + '"'


def _literal_ok(s: str) -> bool:
    lines = s.split("\n")
    return all(c.isprintable() for c in s.replace("\n", "")) and all(not ln.endswith(" ") for ln in lines)


def _literal(s: str, indent: int) -> str:
    if s.endswith("\n\n") or s == "\n":
        chomp = "+"
    elif s.endswith("\n"):
        chomp = ""
    else:
        chomp = "-"
    head = "|" + ("2" if s[:1] in (" ", "\n") else "") + chomp
    body = s.removesuffix("\n")
    if chomp == "+":
        body = s[:-1]
    pad = " " * indent
    lines = [(pad + ln) if ln else "" for ln in body.split("\n")]
    return head + "\n" + "\n".join(lines)


def yaml_key_less(a: str, b: str) -> bool:
    """go-yaml v2's key order: letters compare as runes, digit runs as numbers."""
    n = min(len(a), len(b))
    for i in range(n):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            return bl
        # a digit run after a non-zero digit compares with its leading zeros (go-yaml's keyList.Less)
        seed = 1 if (ca == "0" or cb == "0") and _nonzero_digit_before(a, i) else 0
        an, ai = _digit_run(a, i, seed)
        bn, bi = _digit_run(b, i, seed)
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _nonzero_digit_before(s: str, i: int) -> bool:
    """Whether the digits just before s[i] include one other than 0."""
    j = i - 1
    while j >= 0 and s[j].isdigit():
        if s[j] != "0":
            return True
        j -= 1
    return False


def _digit_run(s: str, i: int, n: int) -> tuple[int, int]:
    """The digits from s[i] on read as a number appended to n, and the offset after them."""
    while i < len(s) and s[i].isdigit():
        n = n * 10 + int(s[i])
        i += 1
    return n, i


def _yaml_key_cmp(x: str, y: str) -> int:
    return -1 if yaml_key_less(x, y) else (1 if yaml_key_less(y, x) else 0)


def _sorted_yaml_keys(keys: list[str]) -> list[str]:
    return sorted(keys, key=functools.cmp_to_key(_yaml_key_cmp))


def _json_roundtrip(v: Any) -> Any:
    """The value as json.Marshal then a YAML read would see it: keys as strings, integral floats as ints."""
    if v is MISSING:
        return None
    if isinstance(v, float) and not isinstance(v, bool):
        # json writes an integral float64 below 1e21 without a fraction; go-yaml reads it back as an int
        # when it fits int64 (or uint64), else as a float
        if math.isfinite(v) and v == int(v) and -(2**63) <= v < 2**64:
            return int(v)
        return v
    if isinstance(v, Mapping):
        return {str(k): _json_roundtrip(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_roundtrip(x) for x in v]
    return v


def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise ValueError(f"json: unsupported value: {format_float(v)}")
        return format_float(v)
    if isinstance(v, str):
        return yaml_string(v)
    raise ValueError(f"json: unsupported type: {type(v).__name__}")


def _emit(v: Any, indent: int, out: list[str]) -> None:
    """Append the lines of a non-empty mapping or sequence at the given indent."""
    pad = " " * indent
    if isinstance(v, dict):
        for k in _sorted_yaml_keys(list(v.keys())):
            x = v[k]
            key = yaml_string(k)
            _emit_entry(pad + key + ":", x, indent, out, in_seq=False)
    else:
        for x in v:
            _emit_entry(pad + "-", x, indent, out, in_seq=True)


def _emit_entry(prefix: str, x: Any, indent: int, out: list[str], in_seq: bool) -> None:
    if isinstance(x, dict) and x:
        if in_seq:
            sub: list[str] = []
            _emit(x, indent + 2, sub)
            out.append(prefix + " " + sub[0].lstrip(" "))
            out.extend(sub[1:])
        else:
            out.append(prefix)
            _emit(x, indent + 2, out)
    elif isinstance(x, list) and x:
        if in_seq:
            sub = []
            _emit(x, indent + 2, sub)
            out.append(prefix + " " + sub[0].lstrip(" "))
            out.extend(sub[1:])
        else:
            out.append(prefix)
            _emit(x, indent, out)
    elif isinstance(x, dict):
        out.append(prefix + " {}")
    elif isinstance(x, list):
        out.append(prefix + " []")
    elif isinstance(x, str) and "\n" in x and _literal_ok(x):
        out.append(prefix + " " + _literal(x, indent + 2))
    elif isinstance(x, str) and "\n" in x:
        out.append(prefix + " " + _double(x))
    else:
        out.append(prefix + " " + _scalar(x))


def to_yaml(v: Any) -> str:
    """sigs.k8s.io/yaml.Marshal(v) (see module docstring)."""
    data = _json_roundtrip(v)
    if (isinstance(data, dict) and data) or (isinstance(data, list) and data):
        out: list[str] = []
        _emit(data, 0, out)
        return "\n".join(out) + "\n"
    if isinstance(data, dict):
        return "{}\n"
    if isinstance(data, list):
        return "[]\n"
    if isinstance(data, str) and "\n" in data and _literal_ok(data):
        return _literal(data, 2) + "\n"
    return _scalar(data) + "\n"
