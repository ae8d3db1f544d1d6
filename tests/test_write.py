"""Writing: the output comes as pieces written one after the other, never joined or held twice."""

from __future__ import annotations

import pytest

from krmfn.function import run
from krmfn.text.reconcile import Edit
from krmfn.text.write import newline_of, splice

HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
DEPLOYMENT = (
    "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web-{i}\n  spec:\n    template:\n"
    "      metadata:\n        labels:\n          app: web\n      spec:\n        containers:\n        - name: web\n"
    "          image: nginx\n"
)


@pytest.mark.slow
def test_a_large_output_comes_in_pieces_none_of_them_the_whole() -> None:
    text = HEAD + "".join(DEPLOYMENT.format(i=i) for i in range(300))
    outcome = run(text)
    pieces = list(outcome.pieces())
    assert len(pieces) > 300
    assert list(outcome.pieces()) == pieces  # iterable again: nothing was consumed
    assert pieces[-1].startswith("results:\n")  # the results block is one piece, the last
    whole = "".join(pieces)
    assert max(map(len, pieces[:-1])) < len(whole) / 100
    assert outcome.output == whole
    assert outcome.output.count("name: istio-proxy") == 300


@pytest.mark.parametrize("text", ["a: 1\nb: 2\n", "a: 1\nb: 2", "a: 1\r\nb: 2\r\n", "a: 1\r\nb: 2", ""])
@pytest.mark.parametrize("edits", [
    [],
    [Edit(0, 0, "z: 0\n")],
    [Edit(5, 5, "c: 3\n")],
    [Edit(5, 10, "")],
    [Edit(5, 10, "x: 9\n"), Edit(5, 5, "y: 8\n"), Edit(0, 4, "a: 7")],
])
def test_splice_pieces_read_as_the_edited_text(text: str, edits: list[Edit]) -> None:
    """The same text as applying the edits to the whole string would give, final line break rules included."""
    edits = [e for e in edits if e.end <= len(text)]
    newline = newline_of(text)
    pieces = list(splice(text, edits, newline))
    assert all(pieces)
    joined = "".join(pieces)
    expected = _reference(text, edits, newline)
    assert joined == expected


def _reference(text: str, edits: list[Edit], newline: str) -> str:
    out, pos = [], 0
    for e in sorted(edits, key=lambda e: (e.start, e.end != e.start)):
        new = e.text.replace("\n", newline)
        if new and e.start == len(text) and text and text[-1] not in "\n\r":
            new = newline + new.rstrip("\n")
        out += [text[pos:e.start], new]
        pos = e.end
    result = "".join(out) + text[pos:]
    if text and text[-1] not in "\n\r" and result.endswith(newline) and edits:
        result = result[: -len(newline)]
    return result


def test_overlapping_edits_fail_before_anything_is_written() -> None:
    with pytest.raises(AssertionError, match="overlapping"):
        splice("a: 1\nb: 2\n", [Edit(0, 6, ""), Edit(5, 8, "x")])
