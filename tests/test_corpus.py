"""The benchmark's corpus of shapes (bench/shapes.py), small: both read paths agree item by item, workers
change nothing, and the whole output is byte-identical to the recorded one.

tests/corpus.json holds the SHA-256 of each shape's ResourceList as kpt prints it and of the output krmfn
gave for it when recorded (``python -m bench.corpus --record``; bench/corpus.py says with which krmfn: the
general read path only, so the fast read is pinned to it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from helpers import REPO, krmfn_cmd

from bench.corpus import SMALL, resource_lists, sha
from bench.shapes import SHAPES
from krmfn import function
from krmfn.function import _wanted, run
from krmfn.text import read as resourcelist

KPT = shutil.which("kpt")
pytestmark = pytest.mark.skipif(
    KPT is None and os.environ.get("KRMFN_REQUIRE_TOOLS") != "1", reason="kpt is not installed"
)
RECORDED = json.loads((REPO / "tests" / "corpus.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    made = resource_lists(str(tmp_path_factory.mktemp("corpus")))
    return {shape: data.decode("utf-8") for shape, data in made.items()}


def test_the_corpus_is_the_recorded_one(corpus: dict[str, str]) -> None:
    assert sorted(RECORDED) == sorted(SHAPES)
    for shape in SHAPES:
        assert sha(corpus[shape].encode()) == RECORDED[shape]["input"], shape
        assert len(corpus[shape]) > resourcelist.FAST_MIN_SIZE, shape  # the fast read is tried


@pytest.mark.e2e
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("workers", ["1", "3"])
def test_output_is_byte_identical_to_the_recorded_one(corpus: dict[str, str], shape: str, workers: str) -> None:
    proc = subprocess.run(krmfn_cmd(), input=corpus[shape].encode(), capture_output=True,
                          env={**os.environ, "KRMFN_WORKERS": workers})
    assert str(proc.returncode) == RECORDED[shape]["exit"], proc.stderr
    assert sha(proc.stdout) == RECORDED[shape]["output"], shape


def _general(text: str) -> resourcelist.Document:
    saved = resourcelist._read_fast
    resourcelist._read_fast = lambda *a, **k: None  # type: ignore[assignment]
    try:
        return resourcelist.read(text, _wanted)
    finally:
        resourcelist._read_fast = saved  # type: ignore[assignment]


def _item_view(doc: resourcelist.Document, item: resourcelist.Item) -> tuple[object, ...]:
    node = resourcelist.compose(doc, item)
    data = item.data  # to_python(node), made while composing (a JSON item's node is a placeholder)
    if node is not None and data is None:
        from krmfn.text.nodes import to_python

        data = to_python(node)
    # The last line of an item matters where something is written after it: a composed (edited) item, and
    # the last one (results go after it).
    last_line = item.last_line if node is not None or item.index == len(doc.items) - 1 else None
    view = (item.index, item.api_version, item.kind, item.is_mapping, item.start, item.col, last_line,
            str(item.error) if item.error is not None else None, data)
    resourcelist.release(item)
    return view


@pytest.mark.parametrize("shape", SHAPES)
def test_fast_and_general_reads_agree_item_by_item(corpus: dict[str, str], shape: str) -> None:
    text = corpus[shape]
    fast = resourcelist.read(text, _wanted)
    general = _general(text)
    assert len(fast.items) == len(general.items) == 3 * SMALL
    for a, b in zip(fast.items, general.items):
        assert _item_view(fast, a) == _item_view(general, b), (shape, a.index)
    assert (fast.root_last_line, fast.results_span, fast.rerender) == (
        general.root_last_line, general.results_span, general.rerender)
    assert resourcelist._read_fast(text, resourcelist.line_starts(text), _wanted) is not None, shape
    assert any(i.span is not None for i in fast.items)  # workloads left as slices: the fast read took them
    assert fast.from_json == (shape == "json")  # JSON: read by krmfn.text.jsonread


@pytest.mark.parametrize("shape", SHAPES)
def test_paths_and_workers_give_the_same_outcome(corpus: dict[str, str], shape: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    text = corpus[shape]
    one = run(text)
    with monkeypatch.context() as m:
        m.setattr(resourcelist, "_read_fast", lambda *a, **k: None)
        general = run(text)
    assert general.output == one.output
    assert [r.to_data() for r in general.results] == [r.to_data() for r in one.results]
    monkeypatch.setattr(function, "PARALLEL_MIN_WORKLOADS", 2)
    many = run(text, 3)
    assert many.output == one.output
    assert [r.to_data() for r in many.results] == [r.to_data() for r in one.results]
    assert sum("injected (template istio" in r.message for r in one.results) == SMALL
