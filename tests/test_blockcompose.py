"""The line composer (krmfn/text/blockcompose.py) against the event Composer: the same nodes (every attribute)
and data for every item it takes, and it gives up (None) where the event Composer refuses an item."""

from __future__ import annotations

import os
import shutil
from bisect import bisect_right
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from fuzz.strategies import resource_lists
from krmfn.text import read, yamlc
from krmfn.text.blockcompose import compose_block
from krmfn.text.nodes import Alias, Composer, Mapping, Node, Scalar, Sequence, YamlError, line_starts


def _tree(node: Node) -> tuple[Any, ...]:
    base = (node.__class__.__name__, node.start, node.end, node.line, node.col, node.last_line, node.anchor, node.tag)
    if isinstance(node, Scalar):
        return (*base, node.value, node.style)
    if isinstance(node, Mapping):
        return (*base, node.flow, tuple((_tree(k), _tree(v)) for k, v in node.pairs))
    if isinstance(node, Sequence):
        return (*base, node.flow, tuple(_tree(i) for i in node.items))
    assert isinstance(node, Alias)
    return (*base, node.name)


def _by_events(text: str, starts: Any, a: int, b: int, indent: int, line: int) -> tuple[Node, Composer] | None:
    """What read.compose does with a slice from events; None if the slice is not valid YAML."""
    if not read._parses(read._slice_text(text, a, b, indent)):
        return None
    loader = yamlc.SafeLoader(read._slice_text(text, a, b, indent))
    try:
        get = loader.get_event
        get()  # StreamStart
        get()  # DocumentStart
        composer = Composer(text, starts, a, line)
        return composer.compose_next(get), composer
    finally:
        loader.dispose()


def _slices(text: str) -> list[tuple[int, int, int]]:
    """The item slices the fast read cuts a block ResourceList into (none if it would not)."""
    found = read._items_key(text)
    if found is None:
        return []
    cut = read._entries(text, found[1])
    if cut is None:
        return []
    entries, end, indent = cut
    bounds = [*entries, end]
    return [(bounds[i], bounds[i + 1], indent) for i in range(len(entries))]


def check_text(text: str) -> int:
    """Compare both composers on every item slice of ``text``; how many the line composer took."""
    starts = line_starts(text)
    taken = 0
    for a, b, indent in _slices(text):
        line = bisect_right(starts, a) - 1
        fast = compose_block(text, starts, a, b, indent, line)
        try:
            slow = _by_events(text, starts, a, b, indent, line)
        except YamlError:  # a duplicate key, an alias to nothing...: the line composer must not take the item
            assert fast is None, text[a:b]
            continue
        if slow is None:  # not valid YAML: the line composer refuses it too (its taking a slice proves it valid)
            assert fast is None, text[a:b]
            continue
        if fast is None:
            continue
        taken += 1
        assert _tree(fast[0]) == _tree(slow[0]), text[a:b]
        assert repr(fast[1].data) == repr(slow[1].data), text[a:b]
        assert (fast[1].has_alias, fast[1].anchors, fast[1].aliased) == (False, {}, set())
        assert (fast[1].offset, fast[1].line_offset) == (slow[1].offset, slow[1].line_offset)
    return taken


def _list(*items: str) -> str:
    return "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + "".join(items)


HEAD = "- apiVersion: v1\n  kind: ConfigMap\n"

HOSTILE_TAKEN = [
    "  data:\n    a: 'it''s'\n    b: ''\n    c: \"\"\n",
    "  data:\n    key:   # c\n      x: 1\n    y: value   # c\n    z: 'q' # c\n",
    "  data:\n    on: 1\n    yes: 2\n    0x1f: 3\n    1_000: 4\n    null: 5\n    Null: x\n    no: [a, 'b', \"c\"]\n",
    "  data:\n    l:\n    - a\n    - --port=8080\n    - -1\n    - b: 1\n      c: 2\n    -   # comment\n      d: 3\n",
    "  data:\n    url: http://x:8080/a#b\n    t: 1:30\n    e: a:b c\n    f: {}\n    g: []\n",
    "  data:\n\n    # a comment\n    a: 1\n# at column 0\n    b:\n\n      - x\n",
    "  data:\n    a: &x 1\n",  # (an anchor: given up)
]
HOSTILE = [
    "  data:\n    key: \"a\\tb\"\n",
    "  data:\n    l:\n    - - x\n",
    "  data:\n    a: b: c\n",
    "  data:\n    k: |\n      text\n",
    "  data:\n    k: >-\n      text\n",
    "  data:\n    k: plain\n      continued\n",
    "  data:\n    k: 'quoted\n      continued'\n",
    "  data:\n    ~: 1\n",
    "  data:\n    key:value\n",
    "  data:\n    l:\n    - \n    - x\n",
    "  data:\n    l:\n    -\n    - x\n",
    "  data:\n    k:\n",
    "  data:\n    k:\n    j: 1\n",
    "  data:\n    a: 1\n    a: 2\n",
    "  data:\n    a: 1\n    b: *x\n",
    "  data:\n    a: !!str 1\n",
    "  data:\n    ? a\n    : 1\n",
    "  data:\n    \"a\": 1\n",
    "  data:\n    a : 1\n",
    "  data:\n    a: [b, [c]]\n",
    "  data:\n    a: {b: 1}\n",
    "  data:\n    a:\t1\n",
    "  data:\n\ta: 1\n",
    "  data:\n    a: x #c\n    b: x#c\n",
    "  data:\n    a:\n      b: 1\n     c: 2\n",
    "  data:\n    a:\n        b: 1\n      c: 2\n",
    "  data:\n    a: 1\n  - b\n",
    "  data:\n    a: 'x'#c\n",
    "  data:\n    a: ---\n    b: ...\n",
    '  data:\n    k: "a\\\tb"\n    j: "\\x09 \\u0009 \\U0010FFFF\\x7f\\u0085"\n',
    '  data:\n    k: "\\uD83D\\uDE00"\n',  # (a surrogate: libyaml refuses it)
    '  data:\n    k: "a\\\n      b"\n',  # (a continuation line)
    '  data:\n    k: "a\\\'"\n',  # (libyaml knows no \\' escape)
    # Not YAML at all, though every line looks like the subset: the line composer must refuse them (a workload's
    # slice is checked by being composed, libyaml parses only those it refuses).
    "  data:\n    a: x\x01y\n",  # a control character
    "  data:\n    a: x\x7fy\n",
    "  data:\n    a: 'x\x9fy'\n",
    "  data:\n    a: \"x\ufffey\"\n",
    "  data:\n    # \x0b in a comment\n    a: 1\n",
    "  data:\n    " + "k" * 1100 + ": 1\n",  # a simple key over 1,024 characters
    "  data:\n    " + "k" * 1000 + ": 1\n",  # (under: taken)
    "  data:\n" + "".join(" " * (4 + 2 * i) + "k:\n" for i in range(1100)) + " " * 2204 + "v: 1\n",  # libyaml's nesting limit
    "  data:\n    a: 1\n   b: 2\n",
    "  data:\n    a: 'x\n",
    "  data:\n    a: x\n  - b\n",
]


@pytest.mark.parametrize("body", HOSTILE_TAKEN + HOSTILE)
def test_hostile_items_compose_alike_or_fall_back(body: str) -> None:
    text = _list(HEAD + body, HEAD + "  data:\n    z: 1\n")
    check_text(text)


@pytest.mark.parametrize("body", HOSTILE_TAKEN[:-1])
def test_the_usual_forms_are_taken(body: str) -> None:
    text = _list(HEAD + body)
    assert check_text(text) == 1


def test_an_item_opening_with_a_comment_and_a_wide_list() -> None:
    text = "apiVersion: v1\nkind: ResourceList\nitems:\n  - # workload\n    apiVersion: v1\n    kind: Pod\n" \
           "    spec:\n      containers:\n        - name: a\n          args: [\"--x\", y]\n  - kind: B\n"
    assert check_text(text) == 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(resource_lists(max_items=4))
def test_generated_resource_lists(case: Any) -> None:
    check_text(case.text)


KPT = shutil.which("kpt")


@pytest.mark.skipif(KPT is None and os.environ.get("KRMFN_REQUIRE_TOOLS") != "1", reason="kpt is not installed")
def test_the_benchmark_corpus(tmp_path: Any) -> None:
    from bench.corpus import resource_lists as corpus

    for shape, data in corpus(str(tmp_path)).items():
        text = data.decode("utf-8")
        taken = check_text(text)
        assert taken or shape == "json", shape


ESCAPED = [
    '  data:\n    s: "{\\"a\\":[\\"b\\"],\\"c\\":null}"\n    t: "{}\\n"\n    u: "[\\n]"\n',
    '  data:\n    l:\n    - "a\\\\b\\/c\\"d"\n    - "\\t\\ttab\\r\\n"\n    - "\\0\\a\\b\\v\\f\\e\\ \\N\\_\\L\\P"\n',
    '  data:\n    x: "\\x41\\u00e9\\u2603\\U0001F600 end"\n    y: "\\\\"\n    z: "a\\"# not a comment"  # one\n',
]


@pytest.mark.parametrize("body", ESCAPED)
def test_one_line_double_quoted_scalars_with_escapes_are_taken(body: str) -> None:
    """libyaml's escapes decode to the event Composer's values (an injected workload's status annotation and
    PROXY_CONFIG are escaped JSON: they used to send the whole item to the event composer)."""
    text = _list(HEAD + body)
    assert check_text(text) == 1


LITERALS = [
    "  data:\n    k: |\n      line1\n      line2\n    j: 1\n",
    "  data:\n    k: |-\n      line1\n\n      line2\n    j: 1\n",
    "  data:\n    k: |+\n      line1\n\n\n    j: 1\n",
    "  data:\n    k: |\n      line1\n\n    j: 1\n",
    "  data:\n    l:\n    - |\n      a\n        b\n    - x\n",
    "  data:\n    l:\n    - |\n      a\n# c\n    - x\n",
    "  data:\n    k: |\n      # not a comment\n      - not an entry\n      key: not a key\n",
    "  data:\n    k: |+\n      a\n\n  # c\n    j: 1\n",
    "  data:\n    k: |\n      a\t\"b\" 'c' \\d\n    j: |\n      x\n",
    "  spec:\n    containers:\n    - name: a\n      args:\n      - |\n        set -e\n        echo \"x\"\n      env:\n"
    "      - name: X\n        value: \"1\"\n",
]
LITERALS_GIVEN_UP = [
    "  data:\n    k: |2\n      a\n",
    "  data:\n    k: >\n      a\n",
    "  data:\n    k: | # c\n      a\n",
    "  data:\n    k: |\n\n      a\n",
    "  data:\n    k: |\n      a\n      \n      b\n",
    "  data:\n    k: |\n    j: 1\n",
    "  data:\n    k: |\n      a\n    # c\n    j: |-\n        x\n       y\n",
    "  data:\n    |\n",
]


@pytest.mark.parametrize("body", LITERALS)
def test_literal_block_scalars_are_taken(body: str) -> None:
    """A literal block scalar (``|``, ``|-``, ``|+``: scripts in args, files in ConfigMaps) is read from its lines as
    libyaml scans it: same value, same positions (its end at the start of the line after it); alone, before
    another item, and at the very end of the text without a final line break."""
    assert check_text(_list(HEAD + body)) == 1
    assert check_text(_list(HEAD + body, HEAD + "  data:\n    z: 1\n")) == 2
    assert check_text(_list(HEAD + body).rstrip("\n")) == 1


@pytest.mark.parametrize("body", LITERALS_GIVEN_UP)
def test_other_block_scalars_fall_back_alike(body: str) -> None:
    text = _list(HEAD + body, HEAD + "  data:\n    z: 1\n")
    assert check_text(text) == 1  # only the second item: the first goes to the event composer


def test_a_literal_holding_a_character_libyaml_refuses_is_refused() -> None:
    """A workload's slice is checked by being composed: a literal's lines are not rows of the pattern, so they are
    searched for control characters themselves."""
    for bad in ("\x01", "\x7f", "\x9f", "\x0b"):
        text = _list(HEAD + f"  data:\n    k: |\n      a{bad}b\n")
        starts = line_starts(text)
        (a, b, indent), = _slices(text)
        assert compose_block(text, starts, a, b, indent, bisect_right(starts, a) - 1) is None, repr(bad)
    text = _list(HEAD + "  data:\n    k: |\n      a\tb\n")  # a tab is content
    assert check_text(text) == 1


FLOW_MAPS = [
    "  data:\n    a: {b: c, d: \"e\", f: 'g', h: 1, i: true, j: null}\n    k: 1\n",
    "  data:\n    l:\n    - {name: x, value: \"1\"}\n    - {a: b}\n",
    "  data:\n    a: { b: c , d: e }\n",
    "  data:\n    a: {b: \"x: y\", c: \"1, d: 2\"}\n",
    "  data:\n    a: {b: c}  # comment\n",
    "  data:\n    a: {=: c, .x: +1, /p: 0x1f}\n",
]
FLOW_MAPS_GIVEN_UP = [
    "  data:\n    a: {b: c, b: d}\n",  # a duplicate key (the event Composer refuses it)
    "  data:\n    a: {1: c, 1.0: d}\n",
    "  data:\n    a: {b: [c]}\n",
    "  data:\n    a: {b: {c: d}}\n",
    "  data:\n    a: {b:c}\n",
    "  data:\n    a: {b: }\n",
    "  data:\n    a: {b}\n",
    "  data:\n    a: {\"b\": c}\n",
    "  data:\n    a: {b: c,}\n",
    "  data:\n    a: {b: \"x\\\"y\"}\n",
    "  data:\n    a: {b: c\x01}\n",
]


@pytest.mark.parametrize("body", FLOW_MAPS)
def test_one_line_flow_mappings_of_simple_scalars_are_taken(body: str) -> None:
    """``nodeSelector: {disktype: ssd}``: a flow mapping in a workload used to send it whole to the event composer
    (+30% instructions on multiline-200 with one per pod spec)."""
    assert check_text(_list(HEAD + body, HEAD + "  data:\n    z: 1\n")) == 2


@pytest.mark.parametrize("body", FLOW_MAPS_GIVEN_UP)
def test_other_flow_mappings_fall_back_alike(body: str) -> None:
    assert check_text(_list(HEAD + body, HEAD + "  data:\n    z: 1\n")) == 1


QUOTED_KEYS = [
    "  metadata:\n    annotations:\n      \"helm.sh/hook\": pre-install\n      'x y': \"1\"\n      plain: 2\n",
    "  data:\n    \"a b: c\": 1\n    \"\": 2\n    \"on\": yes\n",
    "  data:\n    \"k\":\n      x: 1\n    \"l\":\n    - a\n",
    "  data:\n    l:\n    - \"n\": 1\n      \"m\": |\n        t\n",
]
QUOTED_KEYS_GIVEN_UP = [
    "  data:\n    \"a\": 1\n    a: 2\n",  # duplicates by their text, as the event Composer counts them
    "  data:\n    \"1\": x\n    1: y\n",
    "  data:\n    1: x\n    \"1\": y\n",
    "  data:\n    'a': 1\n    \"a\": 2\n",
    "  data:\n    \"a\\\"b\": 1\n",  # an escape in a key
    "  data:\n    'it''s': 1\n",
    "  data:\n    \"a\" : b\n",
    "  data:\n    \"x\x01\": 1\n",
    "  data:\n    \"" + "k" * 1100 + "\": 1\n",
]


@pytest.mark.parametrize("body", QUOTED_KEYS)
def test_quoted_keys_are_taken(body: str) -> None:
    """A quoted key (Helm charts write ``"helm.sh/hook": ...`` on pod templates) used to send the workload to the
    event composer: +29% instructions on multiline-200 with one in every pod spec."""
    assert check_text(_list(HEAD + body, HEAD + "  data:\n    z: 1\n")) == 2


@pytest.mark.parametrize("body", QUOTED_KEYS_GIVEN_UP)
def test_other_quoted_keys_fall_back_alike(body: str) -> None:
    assert check_text(_list(HEAD + body, HEAD + "  data:\n    z: 1\n")) == 1
