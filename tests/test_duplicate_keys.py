"""The fast read's duplicate-key prefilter never clears an item that has a duplicate key.

``read._no_duplicate_key`` judges an item from its lines; when it says "no duplicate key" the events
are not made, so it must never say so for an item in which :func:`krmfn.text.nodes.duplicate_key` (the
exact check, on libyaml's events) finds one.  Checked on hand-made hostile items and on hypothesis's
arrangements of awkward lines (quoted keys, scalars going on over lines, block scalars, flow collections,
kpt's column-0 closing quote...), each kept only when libyaml parses it as one node.
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from krmfn.text import read, yamlc
from krmfn.text.nodes import duplicate_key


def _exact(text: str) -> bool | None:
    """Whether the exact check finds a duplicate key in ``text``; None if libyaml refuses it."""
    loader = yamlc.SafeLoader(text)
    try:
        events = []
        while (ev := loader.get_event()) is not None:
            events.append(ev)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return duplicate_key(events) is not None


def _cleared(text: str) -> bool:
    return read._no_duplicate_key(text, 0, len(text))


HOSTILE_DUPLICATES = [
    "a: 1\na: 2\n",
    'a: 1\n"a": 2\n',  # the same key, quoted
    "a: 1\n'a': 2\n",
    "- a: 1\n  b: 2\n  a: 3\n",
    "x:\n  a: 1\n  b: 'multi\n\n    line'\n  a: 2\n",
    "x:\n  a: 1\n  b: 'kpt\n\n'\n  a: 2\n",  # kpt's column-0 closing quote, then the same key
    "x:\n- a: 1\n  b: 2\n  a: 3\n",
    "x:\n  ports:\n  - name: a\n  ports: 2\n",  # compact sequence, then the key again
    "a: 1\nb:\n  c: 1\na: 2\n",
    "a: 1\n? a\n: 2\n",
    "a: 1\na : 2\n",
    "a: 1\n!!str a: 2\n",
    "&x a: 1\na: 2\n",
    "a: 1 # c\na: 2\n",
    "a:\tx\na: y\n",
    'x:\n  a: "q\\"\n  a: 1"\n  a: 2\n',
    "x: |\n  a: 1\na: 2\nx: 3\n",
    "x: |\n  a: 1\n\n  b\nx: 3\n",  # a key after a block scalar, whose lines look like keys
    "- a: |\n    a: 1\n  a: 2\n",
    "- |\n  a: 1\n- a: 1\n  a: 2\n",
    "x: >-\n    a\n  # c\nx: 1\n",
    "- # c\n  a: 1\n  a: 2\n",
    "- a: 1\n-\n  a: 2\n  a: 3\n",
    "a: 1\nb: {c: 1}\na: 2\n",
    "1: a\n'1': b\n",
    "a: 1:30\n  - 'a\na: y'\n",  # a plain scalar going on: its next line is not a quoted list item
    "a: x\n  - \"a\na: y\"\n",
    "- x\n  'y\n- a: 1\n  a: 2'\n",
]

HOSTILE_FINE = [
    "- a: 1\n- a: 2\n",  # the same key at the same indent, in different list items
    "x:\n- a: 1\n  b: 2\n- a: 3\n  b: 4\n",
    "x:\n  a: 1\ny:\n  a: 1\n",  # the same key in sibling mappings at the same column
    "x:\n  a: 'one\n  a: two'\n",  # a quoted scalar's continuation looks like the same key
    "x:\n  a: 'one\n\n  a: two\n'\n",  # ... with kpt's column-0 closing quote
    'x:\n  a: "one\\"\n  a: two"\n',
    "x:\n  a: one\n    - a\n",  # a plain scalar going on
    "a: x#y\nb: 'i''m'\n",
    "x: |\n  a: 1\n  a: 1\ny: 1\n",  # a block scalar's lines look like the same key twice
    "- a: |2\n     a: 1\n\n     a: 1\n  b: 1\n",
    "- # c\n  a: 1\n- # c\n  a: 1\n",
]


@pytest.mark.parametrize("text", HOSTILE_DUPLICATES)
def test_duplicate_keys_are_never_cleared(text: str) -> None:
    assert _exact(text) is True
    assert not _cleared(text)


@pytest.mark.parametrize("text", HOSTILE_FINE)
def test_items_without_duplicates_agree(text: str) -> None:
    assert _exact(text) is False
    if _cleared(text):
        return
    assert "'one" not in text and '"one' not in text and "|" not in text  # these it must clear itself


def test_kpt_items_are_cleared() -> None:
    """What the prefilter is for: the items krmfn passes through, as kpt writes them."""
    service = ("- apiVersion: v1\n  kind: Service\n  metadata:\n    name: web\n    labels:\n      app: web\n"
               "    annotations:\n      config.kubernetes.io/index: '1'\n  spec:\n    selector:\n      app: web\n"
               "    ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n    - name: grpc\n      port: 81\n")
    config = ("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: web # a comment\n  data:\n"
              "    app.properties: 'a=1\n\n      b=0\n\n'\n    run.sh: \"echo start\\n\\\n      exec\"\n    empty: ''\n")
    for text in (service, config):
        assert _exact(" " + text[1:]) is False
        assert _cleared(text)


_LINES = [
    "a: 1", "b: 2", "a:", "b:", "- a: 1", "- b: 2", "- a:", "- x", "-", '"a": 1', "'a': 1", "a : 1", "? a", ": 1",
    "a: 'x", "a: 'x''", "a: y'", "'", "a: \"x", 'a: y"', '"', 'a: "q\\"', "a: \\", "a: |", "a: >-", "a: &n 1",
    "*n", "a: *n", "a: !!str 1", "a: [1,", "a: {b: 1}", "]", "# c", "", "a: x #c: d", "a:\tx", "\ta: 1",
    "x", "a: x y", "a: -1", "- - a: 1", "a: 1:30", "a: x#y", "- 'a", "---", "...", "- \"a", "'a", "a'", "- ",
    "'a: 1", "a: 1'", "- a: '", "a: ''", "a: x'", "#'", "a: # '",
    "a: |", "- |", "- a: |-", "a: |2", "a: >+", "- # c", "  x", "   a: 1", "a: | # c",
]


@st.composite
def awkward_items(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.tuples(st.sampled_from([0, 1, 2, 3, 4, 6]), st.sampled_from(_LINES)),
                          min_size=1, max_size=10))
    return "".join(" " * ind + line + "\n" for ind, line in lines)


@settings(max_examples=3000, deadline=None, database=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(awkward_items())
def test_the_prefilter_never_misses_a_duplicate(text: str) -> None:
    found = _exact(text)
    if found is None:
        return  # the read refuses a slice libyaml refuses before asking for duplicate keys
    if found:
        assert not _cleared(text), text
