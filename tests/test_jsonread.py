"""The JSON read (krmfn/text/jsonread.py) against the general path, on hostile JSON.

Every input is run three ways: the general path (YAML events, ``_read_fast`` off), the JSON read (forced
below its size threshold), and the JSON read with 3 workers; the outputs must be byte-identical and the
results (or the ReadError) the same.  Each case also says whether the JSON read must take the input or
leave it to the general path, so a check that silently sends everything the general way fails here.
"""

from __future__ import annotations

import copy
import json
import os
import re
from typing import Any

import pytest
from helpers import DEPLOYMENT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from krmfn import function
from krmfn.function import _wanted
from krmfn.text import jsonread
from krmfn.text import read as resourcelist
from krmfn.text.document import ReadError, decode


def _run(text: str, way: str) -> tuple[Any, ...]:
    saved = resourcelist._read_fast, resourcelist.FAST_MIN_SIZE, function.PARALLEL_MIN_WORKLOADS
    try:
        if way == "general":
            resourcelist._read_fast = lambda *a, **k: None  # type: ignore[assignment]
        else:
            resourcelist.FAST_MIN_SIZE = 0
            function.PARALLEL_MIN_WORKLOADS = 1
        try:
            out = function.run(text, 3 if way == "workers" else 1)
            return ("ok", out.output, [r.to_data() for r in out.results])
        except ReadError as e:
            return ("read error", str(e))
    finally:
        resourcelist._read_fast, resourcelist.FAST_MIN_SIZE, function.PARALLEL_MIN_WORKLOADS = saved


def _item_view(doc: resourcelist.Document, item: resourcelist.Item) -> tuple[Any, ...]:
    node = resourcelist.compose(doc, item)
    data = item.data
    if node is not None and data is None:
        from krmfn.text.nodes import to_python

        data = to_python(node)
    view = (item.index, item.api_version, item.kind, item.is_mapping, item.start, item.col, item.last_line,
            None if item.error is None else str(item.error), data)
    resourcelist.release(item)
    return view


def same_either_way(text: str, taken: bool | None = True) -> tuple[Any, ...]:
    """The general path's outcome, after checking the JSON read gives the same (``taken``: whether the JSON
    read must take the input (True), leave it (False) or either (None))."""
    text = decode(text.encode("utf-8"))  # as the command reads it (json_surrogates)
    doc = jsonread.read(text, _wanted)
    if taken is not None:
        assert (doc is not None) == taken, text[:300]
    general = _run(text, "general")
    assert _run(text, "json") == general
    assert _run(text, "workers") == general
    if doc is not None:
        saved = resourcelist._read_fast
        resourcelist._read_fast = lambda *a, **k: None  # type: ignore[assignment]
        try:
            g = resourcelist.read(text, _wanted)
        finally:
            resourcelist._read_fast = saved  # type: ignore[assignment]
        assert len(doc.items) == len(g.items)
        # Offsets are into the text the json module reads: json_surrogates' \\U escapes (10 characters) back as
        # pairs (12); lines are the same.
        shifted = "\\U" in text
        for a, b in zip(doc.items, g.items):
            va, vb = _item_view(doc, a), _item_view(g, b)
            if shifted:
                va, vb = va[:4] + va[6:], vb[:4] + vb[6:]
            assert va == vb, a.index
        assert (doc.root_last_line, doc.results_span, doc.rerender, doc.api_version, doc.kind) == (
            g.root_last_line, g.results_span, g.rerender, g.api_version, g.kind)
    return general


def rl(*items: Any, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": list(items), **extra}


def deployment(name: str = "web", **annotations: str) -> dict[str, Any]:
    d = copy.deepcopy(DEPLOYMENT)
    d["metadata"]["name"] = name
    if annotations:
        d["spec"]["template"]["metadata"]["annotations"] = dict(annotations)
    return d


def configmap(data: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data}


TRICKY_STRINGS = ["", " ", "a b", " lead", "trail ", "on", "yes", "~", "null", "0755", "1e3", "1.10", "0x1F", "1:30",
                  "2024-01-02", "x: y", "- z", "# not a comment", "a #b", "&anchor", "*alias", "!!str", "%YAML 1.2",
                  "---", "...", "{", "}", "[", "]", ",", "'", '"', "\\", "/", "a/b", "\b\f\n\r\t", "\x00", "\x01",
                  "\x7f", "\x85", "\u00a0", "\u2028", "\u2029", "\ufeff", "\ufffe", "é", "日本語", "\U0001f680",
                  "multi\nline\n", "<<", "=", "?", ":", "-", "@", "`", "|", ">"]


@pytest.mark.parametrize("ascii_only", [True, False])
@pytest.mark.parametrize("indent", [None, 2])
def test_strings_escapes_and_unicode(ascii_only: bool, indent: int | None) -> None:
    data = rl(configmap({f"k{i}": s for i, s in enumerate(TRICKY_STRINGS)}),
              {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keys"},
               "data": {s or "empty": "v" for s in TRICKY_STRINGS}},
              {"apiVersion": "v1", "kind": "List", "items": TRICKY_STRINGS},
              deployment("d", **{f"a{i}": s for i, s in enumerate(TRICKY_STRINGS)}))
    text = json.dumps(data, ensure_ascii=ascii_only, indent=indent)
    # Raw U+2028, U+0085 or U+FEFF are line breaks or a byte order mark to YAML: the general path's.
    taken = ascii_only or not re.search("[\x7f-\x9f\u2028\u2029\ufeff\ufffe]", text)
    out = same_either_way(text, taken)
    assert out[0] == ("ok" if taken else "read error")  # raw U+007F: YAML refuses it


@pytest.mark.parametrize("data", [
    '"a": "\\/\\u0041\\u00e9\\ud83d\\ude80\\u2028", "\\u006b": "x\\u0000y\\u001f"',
    '"b": "\\U0001f680 is YAML\'s escape, not JSON\'s", "c": "\\\\U0001f680"',
])
def test_escapes_json_writes_its_own_way(data: str) -> None:
    text = ('{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"apiVersion": "v1", '
            '"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {' + data + '}}, ' + json.dumps(deployment())
            + "]}")
    assert same_either_way(text)[0] == "ok"


@pytest.mark.parametrize("number", ["0", "-0", "1", "-1", "1.0", "1.50", "-0.0", "1e3", "1E3", "1e+3", "1E-3",
                                    "1.5e3", "1.0e+3", "-1.5E-07", "12345678901234567890",
                                    "123456789012345678901234567890.5", "0.1", "NaN", "Infinity", "-Infinity"])
def test_numbers_as_written(number: str) -> None:
    item = json.dumps(configmap({"a": "b"}))[:-1] + f', "n": {number}, "l": [{number}, {{"x": {number}}}]}}'
    dep = json.dumps(deployment())[:-1] + f', "extra": {number}}}'
    text = ('{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [' + item + ", " + dep
            + f", {number}]}}")
    out = same_either_way(text)
    assert out[0] == "ok"
    assert f'"n": {number}\n' in out[1]


def test_empties_and_items_that_are_not_objects() -> None:
    text = json.dumps(rl({}, [], "x", 1, None, True, [1, [2, []], {}], {"a": {}, "b": [], "c": [{}], "d": [[]]},
                         configmap({}), {"apiVersion": "v1", "kind": "List", "items": []}, deployment(),
                         {"kind": "Deployment"}, {"apiVersion": "apps/v1"}, {"apiVersion": 1, "kind": None},
                         {"apiVersion": True, "kind": {"a": 1}}, {"apiVersion": "apps/v1", "kind": ["Deployment"]}),
                      indent=1)
    assert same_either_way(text)[0] == "ok"


@pytest.mark.parametrize("where", ["service", "workload", "nested", "root"])
def test_duplicate_keys_are_refused_as_the_general_path_refuses_them(where: str) -> None:
    svc = '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"a": 1, "b": 2}}'
    dep = json.dumps(deployment())
    if where == "service":
        svc = svc.replace('"b": 2', '"a": 2')
    elif where == "workload":
        dep = dep.replace('"name": "web"', '"name": "web", "name": "web2"', 1)
    elif where == "nested":
        svc = svc.replace('"b": 2', '"b": {"x": [{"y": 1, "y": 2}]}')
    head = '"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList"'
    if where == "root":
        head += ', "kind": "ResourceList"'
    out = same_either_way("{" + head + ', "items": [\n' + svc + ",\n" + dep + "]}", taken=False)
    assert out[0] == "read error" and ("duplicate key" in out[1] or "twice" in out[1])


@pytest.mark.parametrize("text", [
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "List", "items": []}',
    '{"apiVersion": "v1", "kind": "ResourceList", "items": []}',
    '{"kind": "ResourceList", "items": [{"a": 1}]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": {}}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": "x"}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [1, 2,]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [1]} trailing',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [1]}\n---\n{}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [1], "items": [2]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": ["\\ud800"]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": ["\\U00000041"]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"a"\n: 1}]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"a" : 1}]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"a":\t1}]}',
    '{"apiVersion": "config.kubernetes.io/v1",\r\n"kind": "ResourceList", "items": [{"a": 1}]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"' + "k" * 1100 + '": 1}]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"' + "k" * 101 + '": 1}]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [' + "[" * 400 + "]" * 400 + "]}",
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"a": "\x7f"}]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"a": "x\u2028y"}]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"a": tru}]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"a": 01}]}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList"}',
    '{}',
    '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [], "functionConfig": {"a": 1, "a": 2}}',
])
def test_what_the_json_read_leaves_to_the_general_path(text: str) -> None:
    same_either_way(text, taken=False)


def test_long_keys_and_deep_nesting_within_the_limits_are_taken() -> None:
    deep: Any = "x"
    for i in range(100):
        deep = {"k": deep} if i % 2 else [deep]  # 100 levels in all
    text = json.dumps(rl(configmap({"k" * 100: "v", "\u00e9" * 100: "v", "\U0001f680" * 100: "w"}),
                         {"apiVersion": "v1", "kind": "Deep", "spec": deep}, deployment()), indent=2)
    assert same_either_way(text)[0] == "ok"


@pytest.mark.parametrize("config", [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"policy": "disabled"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"policy": "nonsense"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"values": "[1"}},
    [1, 2],
])
@pytest.mark.parametrize("indent", [None, 2])
def test_function_config_and_results_as_the_general_path_reads_them(config: Any, indent: int | None) -> None:
    items = [deployment("a"), deployment("b", **{"sidecar.istio.io/inject": "false"}),
             {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app", "labels": {"istio-injection": "disabled"}}},
             configmap({"x": "y"})]
    text = json.dumps({"results": [{"message": "old", "severity": "error"}], **rl(*items), "functionConfig": config},
                      indent=indent)
    same_either_way(text)


def test_unchanged_workloads_are_rendered_from_their_text() -> None:
    items = [deployment(f"w{i}", **{"sidecar.istio.io/inject": "false", "n": "1.50"}) for i in range(5)]
    out = same_either_way(json.dumps(rl(*items, deployment("x")), indent=2))
    assert out[0] == "ok" and sum(r["message"].startswith("skipped") for r in out[2]) == 5


# --- generated JSON ----------------------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8) | st.sampled_from(TRICKY_STRINGS)
_NUMBERS = ["0", "-0", "1.0", "1e3", "-1.5E-07", "12345678901234567890", "2.50", "NaN"]
_LEAF = (_TEXT | st.booleans() | st.none() | st.sampled_from([f"\x00num{i}\x00" for i in range(len(_NUMBERS))]))
_VALUE = st.recursive(_LEAF, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
                      max_leaves=25)


#: KRMFN_HYPOTHESIS_PROFILE=long (as for tests/test_properties.py) runs many more.
_EXAMPLES = 1000 if os.environ.get("KRMFN_HYPOTHESIS_PROFILE") == "long" else 40


def _raw_numbers(text: str) -> str:
    """Placeholders ``"\\u0000numN\\u0000"`` (as json.dumps writes them) as numbers written as _NUMBERS[N]."""
    return re.sub(r'"\\u0000num(\d)\\u0000"', lambda m: _NUMBERS[int(m.group(1))], text)


@settings(max_examples=_EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(_VALUE | st.builds(configmap, _VALUE), max_size=4), spec=_VALUE,
       ascii_only=st.booleans(), indent=st.sampled_from([None, 0, 2]))
def test_generated_json_reads_as_the_general_path_reads_it(items: list[Any], spec: Any, ascii_only: bool,
                                                           indent: int | None) -> None:
    dep = deployment()
    dep["spec"]["extra"] = spec
    text = _raw_numbers(json.dumps(rl(*items, dep), ensure_ascii=ascii_only, indent=indent))
    # json.dumps escapes whatever YAML might read otherwise when ascii_only; a " :" may be in a string.
    same_either_way(text, taken=True if ascii_only and " :" not in text else None)


@settings(max_examples=_EXAMPLES * 5, deadline=None, database=None)
@given(s=st.text(st.characters(blacklist_categories=("Cs",))) | st.sampled_from(TRICKY_STRINGS))
def test_quote_is_the_renderers(s: str) -> None:
    from krmfn.text import render

    assert jsonread.quote(s) == render.quote(s)
