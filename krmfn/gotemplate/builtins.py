"""Go text/template's predefined functions: and or not len index slice print printf println eq ne lt le
gt ge html js urlquery."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from .funcs import fail, register
from .gofmt import sprintf
from .values import MISSING, StrMap, go_type, sprint, sprintln, truth


@register("and", "r", variadic="r", lazy=True)
def _and(thunks: list[Callable[[], Any]]) -> Any:
    v: Any = MISSING
    for th in thunks:
        v = th()
        if not truth(v):
            return v
    return v


@register("or", "r", variadic="r", lazy=True)
def _or(thunks: list[Callable[[], Any]]) -> Any:
    v: Any = MISSING
    for th in thunks:
        v = th()
        if truth(v):
            return v
    return v




@register("not", "r")
def _not(v: Any) -> bool:
    return not truth(v)


@register("len", "r")
def _len(v: Any) -> int:
    if v is MISSING:
        return 0  # a typed nil map or slice (see the README's notes on nil)
    if v is None:
        raise fail("len of nil pointer")
    if isinstance(v, (str, list, tuple, Mapping)):
        return len(v.encode() if isinstance(v, str) else v)
    raise fail(f"len of type {go_type(v)}")


def _zero_of(m: Mapping[Any, Any]) -> Any:
    """The zero value of a map's element type: "" for map[string]string, nil otherwise."""
    if isinstance(m, StrMap):
        return ""
    if all(isinstance(x, str) for x in m.values()):
        return ""
    return None


@register("index", "r", variadic="r")
def _index(item: Any, *indexes: Any) -> Any:
    if item is MISSING:
        # Go: "index of untyped nil"; a template that works in Istio indexes a typed nil map here
        # (annotations, labels, proxyMetadata of an object that has none), which gives "".
        return "" if indexes else MISSING
    for ix in indexes:
        item = _index_one(item, None if ix is MISSING else ix)
    return item


def _index_one(item: Any, ix: Any) -> Any:
    """item[ix], one level of Go's index."""
    if item is None or item is MISSING:
        raise fail("index of nil pointer")
    if isinstance(item, Mapping):
        return _index_map(item, ix)
    if isinstance(item, (list, tuple, str)):
        return _index_seq(item, ix)
    raise fail(f"can't index item of type {go_type(item)}")


def _index_map(item: Mapping[Any, Any], key: Any) -> Any:
    if key is None:
        raise fail("value is nil; should be string")
    if not isinstance(key, str) and all(isinstance(k, str) for k in item):
        raise fail(f"value has type {go_type(key)}; should be string")
    return item[key] if key in item else _zero_of(item)


def _index_seq(item: list[Any] | tuple[Any, ...] | str, ix: Any) -> Any:
    """An element of a list, or a byte of a string (as Go indexes a string)."""
    if isinstance(ix, bool) or not isinstance(ix, int):
        raise fail(f"cannot index slice/array with type {go_type(ix)}")
    seq = item.encode() if isinstance(item, str) else item
    if ix < 0 or ix >= len(seq):
        raise fail(f"index out of range: {ix}")
    return seq[ix]


@register("slice", "r", variadic="r")
def _slice(item: Any, *idx: Any) -> Any:
    if item is MISSING or item is None:
        raise fail("slice of untyped nil")
    if len(idx) > 3:
        raise fail(f"too many slice indexes: {len(idx)}")
    if not isinstance(item, (list, tuple, str)):
        raise fail(f"can't slice item of type {go_type(item)}")
    if isinstance(item, str) and len(idx) == 3:
        raise fail("cannot 3-index slice a string")
    n = len(item.encode()) if isinstance(item, str) else len(item)
    bounds = [0, n]
    for i, x in enumerate(idx[:2]):
        if isinstance(x, bool) or not isinstance(x, int):
            raise fail(f"cannot index slice/array with type {go_type(x)}")
        if x < 0 or x > n:
            raise fail(f"index out of range: {x}")
        bounds[i] = x
    if bounds[0] > bounds[1]:
        raise fail(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    if isinstance(item, str):
        return item.encode()[bounds[0] : bounds[1]].decode("utf-8", "replace")
    return list(item[bounds[0] : bounds[1]])


@register("print", variadic="a")
def _print(*args: Any) -> str:
    return sprint(list(args))


@register("printf", "s", variadic="a")
def _printf(fmt: str, *args: Any) -> str:
    return sprintf(fmt, list(args))


@register("println", variadic="a")
def _println(*args: Any) -> str:
    return sprintln(list(args))


# -- comparison ----------------------------------------------------------------------------------


def _kind(v: Any) -> str:
    if v is MISSING or v is None:
        return "invalid"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return "other"


def _eq1(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        if ka != "invalid" and kb != "invalid":
            raise fail("incompatible types for comparison")
        return False
    if ka == "invalid":
        return True
    if ka == "other":
        raise fail(f"non-comparable type {go_type(a)}")
    return bool(a == b)


@register("eq", "r", variadic="r")
def _eq(a: Any, *others: Any) -> bool:
    if not others:
        raise fail("missing argument for comparison")
    return any(_eq1(a, b) for b in others)


@register("ne", "r", "r")
def _ne(a: Any, b: Any) -> bool:
    return not _eq1(a, b)


def _lt(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka in ("invalid", "bool", "other") or kb in ("invalid", "bool", "other"):
        raise fail("invalid type for comparison")
    if ka != kb:
        raise fail("incompatible types for comparison")
    return bool(a < b)


@register("lt", "r", "r")
def _lt_f(a: Any, b: Any) -> bool:
    return _lt(a, b)


@register("le", "r", "r")
def _le(a: Any, b: Any) -> bool:
    return _lt(a, b) or _eq1(a, b)


@register("gt", "r", "r")
def _gt(a: Any, b: Any) -> bool:
    return not (_lt(a, b) or _eq1(a, b))


@register("ge", "r", "r")
def _ge(a: Any, b: Any) -> bool:
    return not _lt(a, b)


# -- escapers -------------------------------------------------------------------------------------


def _eval_args(args: tuple[Any, ...]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(list(args))


@register("html", variadic="a")
def _html(*args: Any) -> str:
    s = _eval_args(args)
    rep = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;", "\x00": "\ufffd"}
    return "".join(rep.get(c, c) for c in s)


_JS_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D"}


@register("js", variadic="a")
def _js(*args: Any) -> str:
    """Go's template.JSEscapeString."""
    out = []
    for c in _eval_args(args):
        e = _JS_ESCAPES.get(c)
        if e is not None:
            out.append(e)
        elif ord(c) < 0x20:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


@register("urlquery", variadic="a")
def _urlquery(*args: Any) -> str:
    return urllib.parse.quote_plus(_eval_args(args), safe="")
