"""The fast read path (items cut at their ``- `` lines) gives exactly what the general path gives.

The fast path is what a kpt ResourceList takes; every input here is run both
ways and the outputs and results must be equal.  Inputs the fast path must not
trust (a quoted scalar whose continuation line looks like an item, CRLF,
directives, odd indentation) must fall back to the general path.
"""

from __future__ import annotations

import pytest
from helpers import REPO
from test_fidelity import HEAD, TRICKY, WORKLOAD, rl

from bench.generate import app_file
from krmfn.function import ReadError, _wanted, run
from krmfn.text import read as resourcelist
from krmfn.text.nodes import YamlError

BARE = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
FC = "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n  data:\n    policy: enabled\n"
WIDE = "".join("  " + line if line.strip() else line for line in (TRICKY + WORKLOAD).splitlines(keepends=True))
NS = "- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: shop\n    labels:\n      istio-injection: disabled\n"
POD = "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n  spec:\n    containers:\n    - name: a\n"


def _generated(n: int) -> str:
    """A kpt-like ResourceList of the benchmark's apps (items at column 0, then functionConfig)."""
    items = []
    for i in range(n):
        _, text = app_file(i, 3)
        for doc in text.split("---\n"):
            items.append("".join(("- " if j == 0 else "  ") + line for j, line in enumerate(doc.splitlines(keepends=True))))
    return BARE + "".join(items) + FC


@pytest.fixture(autouse=True)
def _fast_path_for_small_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resourcelist, "FAST_MIN_SIZE", 0)


def _both(text: str) -> tuple[object, object]:
    def once(fast: bool) -> object:
        saved = resourcelist._read_fast
        if not fast:
            resourcelist._read_fast = lambda *a: None  # type: ignore[assignment]
        try:
            out = run(text)
            return out.output, [r.to_data() for r in out.results]
        except (ReadError, YamlError) as e:
            return type(e).__name__, str(e)
        finally:
            resourcelist._read_fast = saved
    return once(True), once(False)


def _takes_fast_path(text: str) -> bool:
    return resourcelist._read_fast(text, resourcelist.line_starts(text), _wanted) is not None


FAST = {
    "tricky": rl(TRICKY, WORKLOAD, TRICKY),
    "function config after items": rl(WORKLOAD, TRICKY, tail=FC),
    "function config before items": BARE.replace("items:\n", FC + "items:\n") + WORKLOAD,
    "wide items": BARE + WIDE + FC,
    "namespace label": rl(NS, WORKLOAD, POD),
    "comments between items": rl("# one\n", WORKLOAD, "\n# two\n\n", POD, "# end\n"),
    "comment after a last item left alone": rl(WORKLOAD, TRICKY, "# end\n"),
    "old results replaced": rl(WORKLOAD, tail="results:\n- message: old\n  severity: info\n"),
    "not a mapping": rl(WORKLOAD, "- just a string\n", POD),
    "dash alone": rl("-\n  apiVersion: v1\n  kind: Pod\n  metadata:\n    name: q\n  spec:\n    containers:\n    - name: a\n"),
    "no trailing newline": rl(WORKLOAD, POD).rstrip("\n"),
    "duplicate key": rl(POD.replace("    name: p\n", "    name: p\n    name: q\n"), WORKLOAD),
    "alias to another item": rl(TRICKY, POD.replace("    name: p\n", "    name: p\n    labels: *id001\n")),
    "generated": _generated(25),
}

CM = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n  data:\n    a: '1'\n"
#: Inputs whose items are read fast except those named (by index), which the general path reads alone.
PER_ITEM = {
    "quoted continuation looks like an item": (rl(TRICKY.replace("    k: 'single'\n", "    k: 'single\n- x'\n"),
                                                  WORKLOAD), [0]),
    "kpt's closing quote at column 0": (rl(WORKLOAD, CM.replace("a: '1'\n", "p: 'a=1\n\n      b=2\n\n'\n"), POD), []),
    "closing quote at column 0 in wide items": (
        BARE + "".join("  " + line if line.strip() else line for line in
                       (WORKLOAD + CM.replace("a: '1'\n", "p: 'a=1\n\n      b=2\n\n'\n") + POD).splitlines(True)),
        []),
    "closing quote at column 0 last": (rl(WORKLOAD, CM.replace("a: '1'\n", "p: 'a=1\n\n      b=2\n\n'\n")), []),
    "flow-style items": (rl(WORKLOAD, "- {apiVersion: v1, kind: ConfigMap, metadata: {name: f}}\n",
                            "- {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {containers: [{name: a}]}}\n",
                            POD), [1, 2]),
    "flow-style workload last": (rl(WORKLOAD, "- {apiVersion: v1, kind: Pod, metadata: {name: q}, "
                                              "spec: {containers: [{name: a}]}}\n"), [1]),
    "anchored item": (rl(WORKLOAD, POD.replace("    name: p\n", "    name: p\n    labels: &l {a: b}\n    annotations: *l\n"),
                         CM), []),
    "empty entry": (rl(WORKLOAD, "-\n", POD), [1]),
    "duplicate key in a passed-through item": (rl(CM.replace("    a: '1'\n", "    a: '1'\n    a: '2'\n"), WORKLOAD), []),
    "duplicate key in a flow-style passed-through item": (rl("- {apiVersion: v1, kind: ConfigMap, data: {a: 1, a: 2}}\n",
                                                             WORKLOAD), [0]),
}

GENERAL = {
    "quoted continuation at column 0": rl(TRICKY.replace("    k: 'single'\n", "    k: 'single\nx: y'\n"), WORKLOAD),
    "crlf": rl(WORKLOAD, POD).replace("\n", "\r\n"),
    "flow items": HEAD.replace("items:\n", "items: [{apiVersion: v1, kind: Pod, metadata: {name: p}, "
                                          "spec: {containers: [{name: a}]}}]\n"),
    "two items keys": rl(WORKLOAD) + "items:\n" + POD,
    "invalid item": rl(WORKLOAD, "- a: [1\n", POD),
    "second document": rl(WORKLOAD, "---\nb: 2\n"),
    "less indented line": HEAD + WIDE + " x: 1\n",
}


@pytest.mark.parametrize("name", sorted(FAST))
def test_fast_path_is_taken_and_agrees(name: str) -> None:
    text = FAST[name]
    assert _takes_fast_path(text)
    fast, general = _both(text)
    assert fast == general


def _read_the_general_way(text: str) -> list[int]:
    """The indexes of the items the fast read has the general path read (the others are slices)."""
    general: list[int] = []
    read_run = resourcelist._read_run

    def recording(*args: object) -> object:
        run = read_run(*args)  # type: ignore[arg-type]
        general.extend(item.index for item in run or [])
        return run

    saved, resourcelist._read_run = resourcelist._read_run, recording  # type: ignore[assignment]
    try:
        doc = resourcelist._read_fast(text, resourcelist.line_starts(text), _wanted)
    finally:
        resourcelist._read_run = saved  # type: ignore[assignment]
    assert doc is not None
    return general


@pytest.mark.parametrize("name", sorted(PER_ITEM))
def test_items_the_fast_read_cannot_take_are_read_the_general_way_alone(name: str) -> None:
    text, general = PER_ITEM[name]
    assert _takes_fast_path(text)
    assert _read_the_general_way(text) == general
    fast, general_path = _both(text)
    assert fast == general_path
    assert isinstance(fast[0], str)


def test_a_duplicate_key_in_a_passed_through_item_is_reported_on_both_paths() -> None:
    fast, general = _both(PER_ITEM["duplicate key in a passed-through item"][0])
    assert fast == general
    assert any("duplicate key 'a'" in r["message"] and r["severity"] == "error" for r in fast[1])


@pytest.mark.parametrize("name", sorted(GENERAL))
def test_doubtful_input_takes_the_general_path(name: str) -> None:
    text = GENERAL[name]
    assert not _takes_fast_path(text)
    fast, general = _both(text)
    assert fast == general


@pytest.mark.parametrize("case", sorted(p.name for p in (REPO / "tests" / "testdata").iterdir() if p.is_dir()))
def test_golden_inputs_agree(case: str) -> None:
    """Each golden case as its ResourceList (as test_golden builds it) reads the same on both paths."""
    from test_golden import as_resource_list

    d = REPO / "tests" / "testdata" / case
    config = (d / "config.yaml").read_text(encoding="utf-8") if (d / "config.yaml").exists() else None
    text = as_resource_list((d / "input.yaml").read_text(encoding="utf-8"), config)
    assert _takes_fast_path(text)
    fast, general = _both(text)
    assert fast == general
    assert isinstance(fast[0], str) and "kind: ResourceList" in fast[0]


def test_on_demand_items_are_released_after_use() -> None:
    text = _generated(5)
    out = run(text)
    assert out.exit_code == 0
    doc = resourcelist.read(text, _wanted)
    workloads = [i for i in doc.items if i.span is not None]
    assert workloads and all(i.node is None for i in workloads)
    node = resourcelist.compose(doc, workloads[0])
    assert node is not None and node.start == workloads[0].start
    assert doc.text[node.start:].startswith("apiVersion: ")
    resourcelist.release(workloads[0])
    assert workloads[0].node is None


@pytest.mark.parametrize("name", sorted(FAST))
def test_data_made_while_composing_is_to_python(name: str) -> None:
    from krmfn.text.nodes import to_python

    doc = resourcelist.read(FAST[name], _wanted)
    for item in doc.items:
        node = resourcelist.compose(doc, item)
        if node is None:
            continue
        has_alias = "*" in doc.text[item.start:] and item.data is None
        assert item.data == to_python(node) or has_alias
        resourcelist.release(item)


def test_run_restores_the_garbage_collector_state() -> None:
    import gc

    assert gc.isenabled()
    run(FAST["tricky"])
    assert gc.isenabled()
    with pytest.raises(ReadError):
        run("items: [\n")
    assert gc.isenabled()
    gc.disable()
    try:
        run(FAST["tricky"])
        assert not gc.isenabled()
    finally:
        gc.enable()


# Items whose first two lines are, or only look like, apiVersion and kind: an unchecked read takes them from
# those lines alone (resourcelist._first_keys_of_head) and must see what the whole slice gives.
HEADS = {
    "usual": "- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s\n",
    "plain scalar going on deeper": "- apiVersion: v1\n  kind: Service\n    more\n  metadata:\n    name: s\n",
    "quoted scalar open at the cut": "- apiVersion: v1\n  kind: 'Serv\n  ice'\n  metadata:\n    name: s\n",
    "quoted scalar closing at the cut": "- apiVersion: v1\n  kind: 'Serv\n  x: y'\n  metadata:\n    name: s\n",
    "column-0 closing quote": "- apiVersion: v1\n  kind: 'a\n\n'\n  metadata:\n    name: s\n",
    "flow mapping open": "- apiVersion: v1\n  kind: {a: 1,\n  b: 2}\n  metadata:\n    name: s\n",
    "block scalar": "- apiVersion: v1\n  kind: |\n    Service\n  metadata:\n    name: s\n",
    "kind later": "- apiVersion: v1\n  metadata:\n    name: s\n  kind: Service\n",
    "kind twice": "- kind: A\n  kind: B\n  apiVersion: v1\n",
    "tagged": "- apiVersion: !!str v1\n  kind: &k Service\n  metadata:\n    name: *k\n",
    "comment at the cut": "- apiVersion: v1\n  kind: Service\n  # x\n  metadata:\n    name: s\n",
    "two lines only": "- apiVersion: v1\n  kind: Service\n",
    "deployment": "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: d\n  spec:\n    template:\n"
                  "      spec:\n        containers:\n        - name: a\n",
}


@pytest.mark.parametrize("name", sorted(HEADS))
def test_an_unchecked_read_of_the_first_lines_agrees_with_the_whole_slice(name: str) -> None:
    text = BARE + HEADS[name] + NS
    whole = resourcelist.read(text, _wanted)
    head = resourcelist.read(text, _wanted, check=False)
    assert len(head.items) == len(whole.items)
    for got, want in zip(head.items, whole.items, strict=True):
        assert (got.api_version, got.kind, got.is_mapping, got.start, got.col, got.last_line) == (
            want.api_version, want.kind, want.is_mapping, want.start, want.col, want.last_line)
        assert (got.span is None) == (want.span is None)


# A workload's slice is not parsed by libyaml when the line composer takes it (taking it proves it valid YAML):
# slices that look like the usual workload but are not YAML must still give the general path's outcome, with
# one process and with workers (whose chunks check their own slices).
INVALID_WORKLOADS = {
    "control character": POD + "      image: a\x01b\n",
    "control character in a comment": POD + "      image: ab  # \x7f\n",
    "noncharacter": POD + "      image: a\ufffeb\n",
    "key over 1024 characters": POD + "      " + "k" * 1100 + ": 1\n",
    "unclosed quote": POD + "      image: 'ab\n",
    "bad indentation": POD + "      image: ab\n     x: 1\n",
}


@pytest.mark.parametrize("name", sorted(INVALID_WORKLOADS))
@pytest.mark.parametrize("workers", [1, 3])
def test_an_invalid_workload_slice_gives_the_general_outcome(name: str, workers: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from krmfn import function

    monkeypatch.setattr(function, "PARALLEL_MIN_WORKLOADS", 2)
    text = BARE + NS + POD + INVALID_WORKLOADS[name] + POD.replace("name: p", "name: q") + FC

    def once(fast: bool) -> object:
        saved = resourcelist._read_fast
        if not fast:
            resourcelist._read_fast = lambda *a: None  # type: ignore[assignment]
        try:
            out = run(text, workers)
            return out.output, [r.to_data() for r in out.results]
        except (ReadError, YamlError) as e:
            return type(e).__name__, str(e)
        finally:
            resourcelist._read_fast = saved

    fast, general = once(True), once(False)
    assert fast == general


def test_a_wrong_cut_sends_only_its_items_down_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A quoted scalar whose continuation line looks like an entry cuts one item in two; the unchecked read cannot
    see it, the workload's check can: the input is then read again *checking* each slice, which reads the cut
    item's slices the general way together and keeps every other item fast (issue 15: fall back per item)."""
    from krmfn import function

    cut = ('- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cut\n  data:\n    f: "first\n'
           '- looks like an entry\n    last"\n')
    pods = "".join(POD.replace("name: p", f"name: p{i}") for i in range(6))
    text = BARE + pods + cut + pods.replace("name: p", "name: q") + FC
    reads: list[dict[str, object]] = []
    general: list[int] = []
    read, read_run = resourcelist.read, resourcelist._read_run

    def counting_read(*args: object, **kwargs: object) -> object:
        reads.append(kwargs)
        return read(*args, **kwargs)  # type: ignore[arg-type]

    def counting_run(*args: object) -> object:
        found = read_run(*args)  # type: ignore[arg-type]
        general.append(len(found or []))
        return found

    monkeypatch.setattr(function.read, "read", counting_read)
    monkeypatch.setattr(resourcelist, "_read_run", counting_run)
    monkeypatch.setattr(resourcelist, "FAST_MIN_SIZE", 0)
    out = run(text, 1)
    assert [r.get("fast", True) for r in reads] == [True, True]  # never the whole input the general way
    assert sum(general) == 1  # the cut item's two slices, read together: one item (the slice alone is no item)
    monkeypatch.setattr(resourcelist, "_read_fast", lambda *a: None)
    assert run(text, 1).output == out.output
