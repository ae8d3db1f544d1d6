"""The render cache (``krmfn.text.render._CACHE``) never changes what is rendered.

Each value is rendered after others that differ from it only in what the cache key must tell apart -- a
scalar's type (1, True, 1.0, "1"), key order, the indentation, the sequence indentation, a list item
against a block -- and must come out exactly as it does with no cache at all.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from krmfn.text import render


def _uncached(value: Any, indent: int, seq_indent: int) -> str:
    saved = {where: dict(lines) for where, lines in render._CACHE.items()}
    render._CACHE.clear()
    store = render._store
    render._store = lambda cache, ck, lines: None  # type: ignore[assignment]
    try:
        out: list[str] = []
        render.render_lines(value, indent, out, seq_indent)
        assert not any(render._CACHE.values())
        return "".join(out)
    finally:
        render._store = store  # type: ignore[assignment]
        render._CACHE.clear()
        render._CACHE.update(saved)


def _cached(value: Any, indent: int, seq_indent: int) -> str:
    out: list[str] = []
    render.render_lines(value, indent, out, seq_indent)
    return "".join(out)


_LOOKALIKES: list[Any] = [1, True, 1.0, "1", "true", None, "null", 0, False, "", [], {}, ["1"], {"a": 1}]


@pytest.mark.parametrize("indent,seq_indent", [(0, 0), (2, 0), (0, 2), (4, 2)])
def test_values_differing_only_in_a_scalars_type_render_apart(indent: int, seq_indent: int) -> None:
    for where in (lambda x: {"spec": {"env": [{"name": "A", "value": x}]}},
                  lambda x: [{"ports": [x, {"p": x}]}],
                  lambda x: {"a": [[x], {"b": x}]}):
        for x in _LOOKALIKES * 2:  # twice: the second round finds every value in the cache
            value = where(x)
            assert _cached(value, indent, seq_indent) == _uncached(value, indent, seq_indent), (x, value)


def test_keys_differing_only_in_type_render_apart() -> None:
    for x in [1, True, 1.0, "1", "true", None, "null", 0, False, ""] * 2:
        for value in ({"m": {x: "v"}}, [{x: ["v"]}]):
            assert _cached(value, 2, 0) == _uncached(value, 2, 0), value


def test_key_order_indentation_and_role_are_part_of_the_key() -> None:
    inner = {"name": "x", "value": "1"}
    reordered = {"value": "1", "name": "x"}
    big = {f"k{i}": [inner, {"n": i}] for i in range(10)}  # over 8 entries: looked up entry by entry
    for value in ({"a": inner}, {"a": reordered}, [inner], [reordered], {"a": [inner]}, {"a": {"b": [inner]}},
                  big, [big], [inner] * 12, {"a": [reordered] * 12}):
        for indent in (0, 2, 6):
            for seq_indent in (0, 2):
                assert _cached(value, indent, seq_indent) == _uncached(value, indent, seq_indent)


def test_data_holding_other_objects_is_rendered_uncached() -> None:
    class Text(str):
        pass

    value = {"a": [{"b": Text("1")}], "c": {"d": Text("yes")}}
    before = render._stored[0]
    assert _cached(value, 0, 0) == 'a:\n- b: "1"\nc:\n  d: "yes"\n'
    assert render._stored[0] == before


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, 1.0, -0.0, 1.5]),
                     st.sampled_from(["", "1", "true", "a", "a b", "- x", "x: y", "ü", "\n"]))
_DATA = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.sampled_from(["a", "b", "1", "name", "value"]), inner, max_size=3),
                     max_leaves=12)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.one_of(st.lists(_DATA, min_size=1, max_size=3),
                                 st.dictionaries(st.sampled_from(["a", "b", "c"]), _DATA, min_size=1)),
                       min_size=1, max_size=6),
       indent=st.sampled_from([0, 2, 4]), seq_indent=st.sampled_from([0, 2]))
def test_generated_values_render_as_with_no_cache(values: list[Any], indent: int, seq_indent: int) -> None:
    for value in values:
        assert _cached(value, indent, seq_indent) == _uncached(value, indent, seq_indent)


def test_a_full_cache_is_emptied_and_still_renders_right(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the limit every cached dict is emptied in place (a render loop may hold one): later lookups and
    stores, in that loop too, still give the uncached text."""
    monkeypatch.setattr(render, "_CACHE_LIMIT", 3)
    env = [{"name": f"N{i % 5}", "value": x} for i, x in enumerate(_LOOKALIKES * 2)]
    for value in ({"env": env}, env, {"a": {"env": env}}):
        for _ in range(2):
            assert _cached(value, 2, 0) == _uncached(value, 2, 0)
            assert render._stored[0] <= 3


def test_a_value_too_big_to_store_renders_right_and_its_parts_still_hit() -> None:
    """A key over _KEY_LIMIT is not stored and its collection values are not looked up (their keys would be
    nearly as big); the values below them are: the same text as with no cache, and the small parts cached."""
    env = [{"name": f"E{i}", "value": x} for i, x in enumerate(_LOOKALIKES)]
    pod = {"containers": [{"name": "c", "env": env, "args": [f"{i:040}" for i in range(60)]}], "volumes": [{"name": "v"}]}
    value = {"spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": pod}}, "x": [1, True]}
    assert len(render._dumps(value["spec"])) > render._KEY_LIMIT
    for indent, seq_indent in ((0, 0), (2, 2)):
        for _ in range(2):
            assert _cached(value, indent, seq_indent) == _uncached(value, indent, seq_indent)
    labels = value["spec"]["template"]["metadata"]["labels"]
    assert any(render._dumps(labels) in lines for lines in render._CACHE.values())
