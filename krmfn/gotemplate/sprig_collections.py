"""sprig's list, dict and encoding functions (and the must* variants), written from their documented
behaviour; see :mod:`.sprig`."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from .funcs import alias, fail, register
from .limits import check_items
from .marshal import to_json
from .sprig import empty, strslice, strval
from .values import go_type

# -- lists ----------------------------------------------------------------------------------------


@register("list", variadic="a")
def _list(*vs: Any) -> list[Any]:
    return list(vs)


def _as_list(v: Any, fn: str) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return list(v)
    raise fail(f"Cannot {fn} on type {go_type(v)}")


@register("append", "a", "a")
def _append(lst: Any, v: Any) -> list[Any]:
    return [*_as_list(lst, "push"), v]


alias("push", "append")


@register("prepend", "a", "a")
def _prepend(lst: Any, v: Any) -> list[Any]:
    return [v, *_as_list(lst, "prepend")]


@register("first", "a")
def _first(lst: Any) -> Any:
    items = _as_list(lst, "find first")
    return items[0] if items else None


@register("last", "a")
def _last(lst: Any) -> Any:
    items = _as_list(lst, "find last")
    return items[-1] if items else None


@register("rest", "a")
def _rest(lst: Any) -> Any:
    items = _as_list(lst, "find rest")
    return items[1:] if items else None


@register("initial", "a")
def _initial(lst: Any) -> Any:
    items = _as_list(lst, "find initial")
    return items[:-1] if items else None


@register("reverse", "a")
def _reverse(lst: Any) -> list[Any]:
    return list(reversed(_as_list(lst, "reverse")))


@register("uniq", "a")
def _uniq(lst: Any) -> list[Any]:
    out: list[Any] = []
    for x in _as_list(lst, "uniq"):
        if x not in out:
            out.append(x)
    return out


@register("compact", "a")
def _compact(lst: Any) -> list[Any]:
    return [x for x in _as_list(lst, "compact") if not empty(x)]


@register("without", "a", variadic="a")
def _without(lst: Any, *omit: Any) -> list[Any]:
    return [x for x in _as_list(lst, "without") if x not in omit]


@register("has", "a", "a")
def _has(needle: Any, hay: Any) -> bool:
    if hay is None:
        return False
    return needle in _as_list(hay, "has")


@register("concat", variadic="a")
def _concat(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for lst in lists:
        out.extend(_as_list(lst, "concat"))
    return out


@register("sortAlpha", "a")
def _sort_alpha(lst: Any) -> list[str]:
    return sorted(strslice(lst))


# -- dicts ----------------------------------------------------------------------------------------


@register("dict", variadic="a")
def _dict(*kv: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(kv), 2):
        out[strval(kv[i])] = kv[i + 1] if i + 1 < len(kv) else ""
    return out


@register("hasKey", "m", "s")
def _has_key(d: Mapping[str, Any] | None, key: str) -> bool:
    return d is not None and key in d


@register("get", "m", "s")
def _get(d: Mapping[str, Any] | None, key: str) -> Any:
    if d is not None and key in d:
        return d[key]
    return ""


@register("set", "m", "s", "a")
def _set(d: dict[str, Any] | None, key: str, value: Any) -> dict[str, Any]:
    if d is None:
        raise fail("assignment to entry in nil map")
    d[key] = value
    return d


@register("unset", "m", "s")
def _unset(d: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    if d is not None:
        d.pop(key, None)
    return d


@register("keys", variadic="m")
def _keys(*ds: Mapping[str, Any] | None) -> list[str]:
    out: list[str] = []
    for d in ds:
        if d:
            out.extend(d.keys())
    return sorted(out)


@register("values", "m")
def _values(d: Mapping[str, Any] | None) -> list[Any]:
    return [d[k] for k in sorted(d)] if d else []


@register("pick", "m", variadic="s")
def _pick(d: Mapping[str, Any] | None, *keys: str) -> dict[str, Any]:
    return {k: d[k] for k in keys if d and k in d}


@register("omit", "m", variadic="s")
def _omit(d: Mapping[str, Any] | None, *keys: str) -> dict[str, Any]:
    return {k: v for k, v in (d or {}).items() if k not in keys}


@register("dig", variadic="a")
def _dig(*args: Any) -> Any:
    if len(args) < 3:
        raise fail("dig needs at least three arguments")
    keys, default, d = args[:-2], args[-2], args[-1]
    cur = d
    for k in keys:
        if not isinstance(cur, Mapping) or k not in cur:
            return default
        cur = cur[k]
    return cur


def _merge_into(dst: dict[str, Any], src: Mapping[str, Any], overwrite: bool) -> None:
    for k, v in src.items():
        if k in dst and isinstance(dst[k], dict) and isinstance(v, Mapping):
            _merge_into(dst[k], v, overwrite)
        elif k not in dst or (overwrite and v is not None) or (not overwrite and empty(dst[k]) and not isinstance(dst[k], bool)):
            dst[k] = copy.deepcopy(v)


@register("merge", "m", variadic="m")
def _merge(dst: dict[str, Any] | None, *srcs: Mapping[str, Any] | None) -> dict[str, Any]:
    if dst is None:
        dst = {}
    for s in srcs:
        if s:
            _merge_into(dst, s, overwrite=False)
    return dst


@register("mergeOverwrite", "m", variadic="m")
def _merge_overwrite(dst: dict[str, Any] | None, *srcs: Mapping[str, Any] | None) -> dict[str, Any]:
    if dst is None:
        dst = {}
    for s in srcs:
        if s:
            _merge_into(dst, s, overwrite=True)
    return dst


@register("deepCopy", "a")
def _deep_copy(v: Any) -> Any:
    return copy.deepcopy(v)


# -- encodings ------------------------------------------------------------------------------------


@register("toJson", "a")
def _to_json(v: Any) -> str:
    try:
        return to_json(v)
    except ValueError:
        return ""


@register("toPrettyJson", "a")
def _to_pretty_json(v: Any) -> str:
    try:
        return to_json(v, indent="  ")
    except ValueError:
        return ""


@register("toRawJson", "a")
def _to_raw_json(v: Any) -> str:
    try:
        return to_json(v).replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")
    except ValueError:
        return ""


@register("fromJson", "s")
def _from_json(s: str) -> Any:
    try:
        return json.loads(s, parse_int=float)
    except ValueError:
        return None


@register("tuple", variadic="a")
def _tuple(*vs: Any) -> list[Any]:
    return list(vs)


@register("pluck", "s", variadic="m")
def _pluck(key: str, *ds: Mapping[str, Any] | None) -> list[Any]:
    return [d[key] for d in ds if d and key in d]


@register("chunk", "i", "a")
def _chunk(size: int, lst: Any) -> list[list[Any]]:
    items = _as_list(lst, "chunk")
    if size < 1:
        raise fail("size must be positive")
    return [items[i : i + size] for i in range(0, len(items), size)]


@register("seq", variadic="i")
def _seq(*params: int) -> str:
    if len(params) == 1:
        start, step, end = 1, 1, params[0]
    elif len(params) == 2:
        start, end = params
        step = 1 if end >= start else -1
    elif len(params) == 3:
        start, step, end = params
    else:
        return ""
    if step == 0 or (end - start) * step < 0:
        return ""
    check_items(len(range(start, end + (1 if step > 0 else -1), step)), "seq")
    return " ".join(str(i) for i in range(start, end + (1 if step > 0 else -1), step))


# sprig's must* variants: the same functions; where the plain one swallows an error, the must one raises
for _name in ("append", "push", "prepend", "first", "last", "rest", "initial", "reverse", "uniq", "without", "has",
              "compact", "slice", "chunk", "merge", "mergeOverwrite", "deepCopy", "regexMatch", "regexFind",
              "regexFindAll", "regexReplaceAll", "regexReplaceAllLiteral", "regexSplit"):
    alias("must" + _name[0].upper() + _name[1:], _name)


@register("mustToJson", "a")
def _must_to_json(v: Any) -> str:
    try:
        return to_json(v)
    except ValueError as e:
        raise fail(str(e)) from None


@register("mustToPrettyJson", "a")
def _must_to_pretty_json(v: Any) -> str:
    try:
        return to_json(v, indent="  ")
    except ValueError as e:
        raise fail(str(e)) from None


@register("mustToRawJson", "a")
def _must_to_raw_json(v: Any) -> str:
    return _must_to_json(v).replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")


@register("mustFromJson", "s")
def _must_from_json(s: str) -> Any:
    try:
        return json.loads(s, parse_int=float)
    except ValueError as e:
        raise fail(str(e)) from None
