"""The sprig (github.com/Masterminds/sprig/v3) functions injection templates use (logic, strings,
numbers; lists, dicts and encodings are in :mod:`.sprig_collections`), written from their
documented behaviour.  Istio's own functions (:mod:`.istiofuncs`) are registered after these and
replace same-named ones (``indent``, ``contains``, ``toYaml``...), as Istio's FuncMap does."""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
import zlib
from collections.abc import Mapping
from typing import Any

from . import goregexp
from .funcs import alias, fail, register
from .limits import check_chars, check_items
from .values import MISSING, fmt_value, go_type


def strval(v: Any) -> str:
    """sprig's strval: strings as is, anything else as fmt's %v."""
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return fmt_value(None if v is MISSING else v, top=False)


def empty(v: Any) -> bool:
    """sprig's empty: nil, false, 0, "" and empty lists and maps."""
    if v is None or v is MISSING:
        return True
    if isinstance(v, bool):
        return not v
    if isinstance(v, (int, float)):
        return v == 0
    if isinstance(v, (str, list, tuple, Mapping, bytes)):
        return len(v) == 0
    return False


def strslice(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return [strval(x) for x in v if x is not None]
    return [strval(v)]


def _to_int(v: Any) -> int:
    """cast.ToInt as sprig's int/int64 use it: numbers truncate, numeric strings parse, else 0."""
    if v is None or isinstance(v, bool):
        return int(bool(v))
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip(), 0)
        except ValueError:
            try:
                return int(float(v))
            except ValueError:
                return 0
    return 0


def _to_float(v: Any) -> float:
    if v is None or isinstance(v, bool):
        return float(bool(v))
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return 0.0
    return 0.0


# -- defaults and logic ---------------------------------------------------------------------------


@register("default", "a", variadic="a")
def _default(d: Any, *given: Any) -> Any:
    if not given or empty(given[0]):
        return d
    return given[0]


register("empty", "a")(empty)


@register("coalesce", variadic="a")
def _coalesce(*vs: Any) -> Any:
    for v in vs:
        if not empty(v):
            return v
    return None


@register("all", variadic="a")
def _all(*vs: Any) -> bool:
    return all(not empty(v) for v in vs)


@register("any", variadic="a")
def _any(*vs: Any) -> bool:
    return any(not empty(v) for v in vs)


@register("ternary", "a", "a", "b")
def _ternary(vt: Any, vf: Any, cond: bool) -> Any:
    return vt if cond else vf


@register("fail", "s")
def _fail(msg: str) -> Any:
    raise fail(msg)


@register("typeOf", "a")
def _type_of(v: Any) -> str:
    return go_type(v)


@register("kindOf", "a")
def _kind_of(v: Any) -> str:
    t = go_type(v)
    return {"[]interface {}": "slice", "map[string]interface {}": "map", "map[string]string": "map", "<nil>": "invalid"}.get(t, t)


@register("typeIs", "s", "a")
def _type_is(t: str, v: Any) -> bool:
    return go_type(v) == t


@register("deepEqual", "a", "a")
def _deep_equal(a: Any, b: Any) -> bool:
    return bool(a == b) and type(a) is type(b)


# -- strings --------------------------------------------------------------------------------------


@register("quote", variadic="a")
def _quote(*vs: Any) -> str:
    from .gofmt import quote

    return " ".join(quote(strval(v)) for v in vs if v is not None)


@register("squote", variadic="a")
def _squote(*vs: Any) -> str:
    return " ".join("'" + strval(v) + "'" for v in vs if v is not None)


@register("cat", variadic="a")
def _cat(*vs: Any) -> str:
    return " ".join(strval(v) for v in vs if v is not None)


@register("toString", "a")
def _to_string(v: Any) -> str:
    return strval(v)


@register("toStrings", "a")
def _to_strings(v: Any) -> list[str]:
    if isinstance(v, (list, tuple)):
        return [strval(x) for x in v]
    return [strval(v)] if v is not None else []


@register("trim", "s")
def _trim(s: str) -> str:
    return s.strip(" \t\n\r\v\f\x85\xa0")


@register("trimAll", "s", "s")
def _trim_all(cutset: str, s: str) -> str:
    return s.strip(cutset) if cutset else s


alias("trimall", "trimAll")


@register("trimPrefix", "s", "s")
def _trim_prefix(prefix: str, s: str) -> str:
    return s[len(prefix) :] if prefix and s.startswith(prefix) else s


@register("trimSuffix", "s", "s")
def _trim_suffix(suffix: str, s: str) -> str:
    return s[: -len(suffix)] if suffix and s.endswith(suffix) else s


@register("trunc", "i", "s")
def _trunc(c: int, s: str) -> str:
    if c < 0 and len(s) + c > 0:
        return s[len(s) + c :]
    if c >= 0 and len(s) > c:
        return s[:c]
    return s


@register("upper", "s")
def _upper(s: str) -> str:
    return s.upper()


@register("lower", "s")
def _lower(s: str) -> str:
    return s.lower()


@register("title", "s")
def _title(s: str) -> str:
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), s)


@register("untitle", "s")
def _untitle(s: str) -> str:
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).lower(), s)


@register("replace", "s", "s", "s")
def _replace(old: str, new: str, src: str) -> str:
    return src.replace(old, new)


@register("repeat", "i", "s")
def _repeat(count: int, s: str) -> str:
    if count < 0:
        raise fail("strings: negative Repeat count")
    check_chars(count * len(s), "repeat")
    return s * count


@register("substr", "i", "i", "s")
def _substr(start: int, end: int, s: str) -> str:
    if start < 0:
        return s[:end]
    if end < 0 or end > len(s):
        return s[start:]
    return s[start:end]


@register("nospace", "s")
def _nospace(s: str) -> str:
    return "".join(s.split())


@register("contains", "s", "s")
def _contains(substr: str, s: str) -> bool:
    return substr in s


@register("hasPrefix", "s", "s")
def _has_prefix(prefix: str, s: str) -> bool:
    return s.startswith(prefix)


@register("hasSuffix", "s", "s")
def _has_suffix(suffix: str, s: str) -> bool:
    return s.endswith(suffix)


@register("split", "s", "s")
def _split(sep: str, s: str) -> dict[str, str]:
    parts = _go_split(s, sep)
    return {f"_{i}": p for i, p in enumerate(parts)}


@register("splitList", "s", "s")
def _split_list(sep: str, s: str) -> list[str]:
    return _go_split(s, sep)


@register("splitn", "s", "i", "s")
def _splitn(sep: str, n: int, s: str) -> dict[str, str]:
    parts = s.split(sep, n - 1) if n > 0 else []
    return {f"_{i}": p for i, p in enumerate(parts)}


def _go_split(s: str, sep: str) -> list[str]:
    if sep == "":
        return list(s)
    return s.split(sep)


@register("join", "s", "a")
def _join(sep: str, v: Any) -> str:
    return sep.join(strslice(v))


@register("indent", "i", "s")
def _sprig_indent(spaces: int, s: str) -> str:
    check_chars(len(s) + max(spaces, 0) * (s.count("\n") + 1), "indent")
    pad = " " * spaces
    return pad + s.replace("\n", "\n" + pad)


@register("nindent", "i", "s")
def _nindent(spaces: int, s: str) -> str:
    return "\n" + _sprig_indent(spaces, s)


@register("b64enc", "s")
def _b64enc(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


@register("b64dec", "s")
def _b64dec(s: str) -> str:
    try:
        return base64.b64decode(s.encode(), validate=True).decode("utf-8", "replace")
    except ValueError as e:
        return str(e)


@register("sha256sum", "s")
def _sha256(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


@register("sha1sum", "s")
def _sha1(s: str) -> str:
    return hashlib.sha1(s.encode()).hexdigest()


@register("adler32sum", "s")
def _adler32(s: str) -> str:
    return str(zlib.adler32(s.encode()))


@register("regexMatch", "s", "s")
def _regex_match(regex: str, s: str) -> bool:
    return goregexp.match(regex, s)


@register("regexFind", "s", "s")
def _regex_find(regex: str, s: str) -> str:
    return goregexp.find(regex, s)


@register("regexFindAll", "s", "s", "i")
def _regex_find_all(regex: str, s: str, n: int) -> list[str]:
    return goregexp.find_all(regex, s, n)


@register("regexReplaceAll", "s", "s", "s")
def _regex_replace_all(regex: str, s: str, repl: str) -> str:
    return goregexp.replace_all(regex, s, repl)


@register("regexReplaceAllLiteral", "s", "s", "s")
def _regex_replace_all_literal(regex: str, s: str, repl: str) -> str:
    return goregexp.replace_all(regex, s, repl, literal=True)


@register("regexSplit", "s", "s", "i")
def _regex_split(regex: str, s: str, n: int) -> list[str]:
    return goregexp.split(regex, s, n)


@register("base", "s")
def _base(s: str) -> str:
    if s == "":
        return "."
    s = s.rstrip("/")
    return posixpath.basename(s) if s else "/"


@register("dir", "s")
def _dir(s: str) -> str:
    d = posixpath.dirname(s)
    return posixpath.normpath(d) if d else "."


@register("ext", "s")
def _ext(s: str) -> str:
    return posixpath.splitext(s)[1]


@register("clean", "s")
def _clean(s: str) -> str:
    return posixpath.normpath(s) if s else "."


@register("isAbs", "s")
def _is_abs(s: str) -> bool:
    return s.startswith("/")


# -- numbers --------------------------------------------------------------------------------------


@register("int", "a")
def _int(v: Any) -> int:
    return _to_int(v)


alias("int64", "int")


@register("float64", "a")
def _float64(v: Any) -> float:
    return _to_float(v)


@register("atoi", "s")
def _atoi(s: str) -> int:
    try:
        return int(s)
    except ValueError:
        return 0


@register("add", variadic="a")
def _add(*vs: Any) -> int:
    return sum(_to_int(v) for v in vs)


@register("add1", "a")
def _add1(v: Any) -> int:
    return _to_int(v) + 1


@register("sub", "a", "a")
def _sub(a: Any, b: Any) -> int:
    return _to_int(a) - _to_int(b)


@register("mul", "a", variadic="a")
def _mul(a: Any, *vs: Any) -> int:
    r = _to_int(a)
    for v in vs:
        r *= _to_int(v)
    return r


@register("div", "a", "a")
def _div(a: Any, b: Any) -> int:
    x, y = _to_int(a), _to_int(b)
    if y == 0:
        raise fail("runtime error: integer divide by zero")
    q = abs(x) // abs(y)
    return q if (x >= 0) == (y >= 0) else -q


@register("mod", "a", "a")
def _mod(a: Any, b: Any) -> int:
    x, y = _to_int(a), _to_int(b)
    if y == 0:
        raise fail("runtime error: integer divide by zero")
    return x - y * _div(x, y)


@register("max", "a", variadic="a")
def _max(a: Any, *vs: Any) -> int:
    return max([_to_int(a)] + [_to_int(v) for v in vs])


@register("min", "a", variadic="a")
def _min(a: Any, *vs: Any) -> int:
    return min([_to_int(a)] + [_to_int(v) for v in vs])


@register("until", "i")
def _until(n: int) -> list[int]:
    check_items(abs(n), "until")
    return list(range(n)) if n >= 0 else list(range(0, n, -1))


@register("untilStep", "i", "i", "i")
def _until_step(start: int, stop: int, step: int) -> list[int]:
    if step == 0 or (step > 0 and start >= stop) or (step < 0 and start <= stop):
        return []
    check_items(len(range(start, stop, step)), "untilStep")
    return list(range(start, stop, step))


# -- more of sprig (deterministic functions only: no time, randomness, environment or network) ------


@register("kindIs", "s", "a")
def _kind_is(kind: str, v: Any) -> bool:
    return bool(_kind_of(v) == kind)


@register("toDecimal", "a")
def _to_decimal(v: Any) -> int:
    try:
        return int(strval(v), 8)
    except ValueError:
        return 0


def _floats(vs: tuple[Any, ...]) -> list[float]:
    return [_to_float(v) for v in vs]


@register("addf", variadic="a")
def _addf(*vs: Any) -> float:
    return float(sum(_floats(vs)))


@register("subf", "a", variadic="a")
def _subf(a: Any, *vs: Any) -> float:
    return _to_float(a) - sum(_floats(vs))


@register("mulf", "a", variadic="a")
def _mulf(a: Any, *vs: Any) -> float:
    r = _to_float(a)
    for v in _floats(vs):
        r *= v
    return r


@register("divf", "a", variadic="a")
def _divf(a: Any, *vs: Any) -> float:
    r = _to_float(a)
    for v in _floats(vs):
        r = r / v if v else (float("inf") if r > 0 else float("-inf") if r < 0 else float("nan"))
    return r


@register("maxf", "a", variadic="a")
def _maxf(a: Any, *vs: Any) -> float:
    return max([_to_float(a), *_floats(vs)])


@register("minf", "a", variadic="a")
def _minf(a: Any, *vs: Any) -> float:
    return min([_to_float(a), *_floats(vs)])


@register("ceil", "a")
def _ceil(v: Any) -> float:
    import math

    return float(math.ceil(_to_float(v)))


@register("floor", "a")
def _floor(v: Any) -> float:
    import math

    return float(math.floor(_to_float(v)))


@register("round", "a", "i", variadic="a")
def _round(v: Any, places: int, *round_on: Any) -> float:
    import math

    on = _to_float(round_on[0]) if round_on else 0.5
    x = _to_float(v)
    pow10 = 10.0**places
    digit = pow10 * x
    _, frac = divmod(digit, 1)
    rounder = math.ceil(digit) if frac >= on else math.floor(digit)
    return rounder / pow10


def _words(s: str) -> list[str]:
    return re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", s)


@register("snakecase", "s")
def _snakecase(s: str) -> str:
    return "_".join(w.lower() for w in _words(s))


@register("kebabcase", "s")
def _kebabcase(s: str) -> str:
    return "-".join(w.lower() for w in _words(s))


@register("camelcase", "s")
def _camelcase(s: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[_\-\s]+", s) if w)


@register("swapcase", "s")
def _swapcase(s: str) -> str:
    return s.swapcase()


@register("initials", "s")
def _initials(s: str) -> str:
    return "".join(w[0] for w in s.split())


@register("abbrev", "i", "s")
def _abbrev(width: int, s: str) -> str:
    if width < 4 or len(s) <= width:
        return s
    return s[: width - 3] + "..."


@register("plural", "s", "s", "i")
def _plural(one: str, many: str, count: int) -> str:
    return one if count == 1 else many


@register("wrap", "i", "s")
def _wrap(width: int, s: str) -> str:
    return _wrap_with(width, "\n", s)


@register("wrapWith", "i", "s", "s")
def _wrap_with(width: int, sep: str, s: str) -> str:
    import textwrap

    lines = []
    for para in s.split("\n"):
        lines.append(sep.join(textwrap.wrap(para, width=max(width, 1), break_long_words=False, break_on_hyphens=False)) or para)
    return "\n".join(lines)


@register("regexQuoteMeta", "s")
def _regex_quote_meta(s: str) -> str:
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", s)


@register("sha512sum", "s")
def _sha512(s: str) -> str:
    return hashlib.sha512(s.encode()).hexdigest()


@register("b32enc", "s")
def _b32enc(s: str) -> str:
    return base64.b32encode(s.encode()).decode()


@register("b32dec", "s")
def _b32dec(s: str) -> str:
    try:
        return base64.b32decode(s.encode()).decode("utf-8", "replace")
    except ValueError as e:
        return str(e)
