"""Properties over generated ResourceLists (hypothesis; generators in fuzz/strategies.py).

For any mix of workloads of every kind, Services, ConfigMaps with tricky
scalars, comments, anchors, flow style and kpt's annotations, under each
functionConfig form:

* every item comes back, in order, with all its annotations;
* an item krmfn does not inject comes back byte-identical;
* running krmfn on its output changes nothing but the results (idempotent);
* the same input gives the same output (deterministic);
* the exit code is 0 or 1, and stderr is never a traceback.

Most examples call the pure function (krmfn.function.run); a few go through
the CLI in a subprocess.  ``KRMFN_HYPOTHESIS_PROFILE=long`` runs many more.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
import yaml
from helpers import REPO, _Loader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from krmfn.function import Outcome, ReadError, run, run_stream

sys.path.insert(0, str(REPO / "fuzz"))
import strategies as gen
from oracle import check_function, top_level, without_results

settings.register_profile("default", max_examples=25, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=2000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("KRMFN_HYPOTHESIS_PROFILE", "default"))


class _Lenient(_Loader):
    """The tests' loader, also reading plain ``=`` and ``<<`` values as the strings they are."""


_Lenient.add_constructor("tag:yaml.org,2002:value", _Lenient.construct_yaml_str)
_Lenient.add_constructor("tag:yaml.org,2002:merge", _Lenient.construct_yaml_str)  # a plain << as a value


def load(text: str) -> Any:
    return yaml.load(text, Loader=_Lenient)


def _injected(outcome: Outcome) -> set[str]:
    return {r.resource_ref["name"] for r in outcome.results
            if r.resource_ref and "name" in r.resource_ref and r.message.startswith("injected")}


def _annotations(item: Any) -> dict[str, Any]:
    meta = item.get("metadata") if isinstance(item, dict) else None
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    return ann if isinstance(ann, dict) else {}


@pytest.mark.slow
@given(gen.resource_lists())
def test_items_come_back_in_order_untouched_ones_byte_identical(case: gen.Case) -> None:
    outcome = run(case.text)
    assert outcome.exit_code in (0, 1)
    injected = _injected(outcome)
    assert injected <= {i.name for i in case.items if i.workload}
    pos = 0
    for item, block in zip(case.items, case.blocks):
        if item.name in injected:
            continue
        found = outcome.output.find(block + "\n", pos)
        assert found >= 0, f"item {item.name} changed or moved:\n{block}\n---\n{outcome.output}"
        pos = found + len(block)
    before = load(case.text)["items"] or []
    after = load(outcome.output)["items"] or []
    assert [(i["kind"], i["metadata"]["name"]) for i in after] == [(i.kind, i.name) for i in case.items]
    for old, new in zip(before, after):
        assert _annotations(old).items() <= _annotations(new).items()
        if new["metadata"]["name"] in injected:  # on the workload or its pod template, per template
            assert "sidecar.istio.io/status" in json.dumps(new, default=str)


@given(gen.resource_lists())
def test_idempotent_and_deterministic(case: gen.Case) -> None:
    first = run(case.text)
    assert run(case.text).output == first.output
    second = run(first.output)
    assert without_results(second.output) == without_results(first.output)
    assert not _injected(second)
    assert second.exit_code == first.exit_code


def _jsonable(value: Any) -> Any:
    """YAML data as JSON can hold it (dates and infinities as strings)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if (isinstance(value, float) and value != value) or value in (float("inf"), float("-inf")):
        return str(value)
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def _to_json(text: str) -> str:
    return json.dumps(_jsonable(load(text)), indent=1)


@pytest.mark.slow
@given(gen.resource_lists(max_items=4))
def test_json_input_comes_back_as_block_yaml_without_aliases(case: gen.Case) -> None:
    text = _to_json(case.text)
    try:
        outcome = run(text)
    except ReadError as e:  # only an input nobody could write back without aliases
        assert "alias expansion" in str(e)
        return
    _, aliases = top_level(outcome.output)
    assert not aliases
    assert not outcome.output.lstrip().startswith("{")
    before, after = json.loads(text)["items"], load(outcome.output)["items"]
    injected = _injected(outcome)
    assert len(before) == len(after)
    for old, new in zip(before, after):
        if new["metadata"]["name"] not in injected:
            assert json.loads(json.dumps(new, default=str)) == old
    assert without_results(run(outcome.output).output) == without_results(outcome.output)


@given(gen.streams(), st.sampled_from([None, "apiVersion: v1\nkind: ConfigMap\ndata:\n  policy: disabled\n",
                                       "apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\nnamespaces: [shop]\n"]))
def test_stream_mode_keeps_untouched_documents_and_is_idempotent(stream: tuple[str, list[Any]], config: str | None) -> None:
    text, items = stream
    outcome = run_stream(text, config)
    assert outcome.exit_code in (0, 1)
    injected = _injected(outcome)
    for item in items:
        if item.name not in injected:
            assert item.text + "\n" in outcome.output
    assert run_stream(outcome.output, config).output == outcome.output


@pytest.mark.slow
@given(gen.resource_lists())
def test_contract_holds_in_process(case: gen.Case) -> None:
    """The fuzz oracle on valid input: exit 0/1, clean stderr, readable and idempotent output."""
    check_function(case.text.encode("utf-8"))


@pytest.mark.e2e
@settings(max_examples=5)
@given(gen.resource_lists(max_items=3))
def test_cli_agrees_with_the_function(case: gen.Case) -> None:
    p = subprocess.run([sys.executable, "-m", "krmfn"], input=case.text.encode(), capture_output=True, timeout=60)
    outcome = run(case.text)
    assert p.returncode == outcome.exit_code
    assert p.stdout.decode() == outcome.output
    err = p.stderr.decode()
    assert "Traceback" not in err
    assert all(line.startswith("krmfn: ") for line in err.splitlines())


@pytest.mark.slow
def test_generated_inputs_are_valid_yaml() -> None:
    """The generators themselves: every ResourceList they make parses (else the properties test little)."""

    @settings(max_examples=30)
    @given(gen.resource_lists())
    def parse(case: gen.Case) -> None:
        data = load(case.text)
        assert data["kind"] == "ResourceList"

    parse()


@pytest.mark.slow
def test_short_fuzz_run() -> None:
    """A few hundred fuzz inputs in every test run (the long run: make fuzz N=100000)."""
    import fuzz_krmfn

    stats = fuzz_krmfn.fuzz(examples=10, mutants=8, run_seed=0)
    assert stats["inputs"] >= 10 * 9
    assert stats["exit0"] and stats["exit1"] and stats["unreadable"]


def _outcome(text: str, way: str) -> tuple[Any, ...]:
    """The run's output and results (or its ReadError) read one way: ``general`` (no fast read), ``natural``
    (the thresholds as shipped), ``fast`` (the fast read whatever the size), ``workers`` (fast, and three
    processes whatever the number of workloads)."""
    from krmfn import function
    from krmfn.text import read as resourcelist

    saved = resourcelist._read_fast, resourcelist.FAST_MIN_SIZE, function.PARALLEL_MIN_WORKLOADS
    try:
        if way == "general":
            resourcelist._read_fast = lambda *a, **k: None  # type: ignore[assignment]
        elif way in ("fast", "workers"):
            resourcelist.FAST_MIN_SIZE = 0
        if way == "workers":
            function.PARALLEL_MIN_WORKLOADS = 1
        try:
            out = run(text, 3 if way == "workers" else 1)
            return out.output, [r.to_data() for r in out.results], out.exit_code
        except ReadError as e:
            return ("ReadError", str(e))
    finally:
        resourcelist._read_fast, resourcelist.FAST_MIN_SIZE, function.PARALLEL_MIN_WORKLOADS = saved


@pytest.mark.slow
@given(gen.sized())
def test_one_set_of_checks_whatever_the_size(case: gen.Sized) -> None:
    """The same items below and above the fast read's size threshold (32 KiB) and the workers' threshold,
    read every way: the same inputs accepted and refused, byte-identical outputs, the same results."""
    from krmfn.text import read as resourcelist

    assert len(case.small) < resourcelist.FAST_MIN_SIZE < len(case.big)
    outcomes = {}
    for size, text in (("small", case.small), ("big", case.big)):
        ways = {way: _outcome(text, way) for way in ("general", "natural", "fast", "workers")}
        for way, got in ways.items():
            assert got == ways["general"], (size, way)
        outcomes[size] = ways["general"]
    if case.mutated:
        return  # damaged text: the filler after it may be read as part of it
    small, big = outcomes["small"], outcomes["big"]
    assert small[0] == big[0] == "ReadError" or (small[0] != "ReadError" and big[0] != "ReadError"), (small, big)
    if small[0] == "ReadError":
        assert small == big
        return
    assert small[1:] == big[1:]  # the fillers make no results: the same results, exit code
    fillers = "".join(gen.filler(k, case.wide) + "\n" for k in range(case.fillers))
    assert big[0].replace(fillers, "", 1) == small[0]
