"""reconcile: minimal text edits from old data to new data, checked by reading the result back."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from krmfn.text.nodes import Composer, line_starts, to_python
from krmfn.text.reconcile import Unspliceable, reconcile, same
from krmfn.text.write import apply_edits

POD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # the name
  annotations:
    keep: "yes"
    drop: me
spec:
  template:
    metadata:
      labels:
        app: web
    spec:
      # init containers
      initContainers:
      - name: setup
        image: busybox
      containers:
      - name: app
        image: nginx   # pinned later
        args:
        - --port
        - "8080"
        readinessProbe:
          httpGet:
            path: /ready
            port: 8080
      - name: helper
        image: helper
      volumes:
      - name: data
        emptyDir: {}
"""


def _edit(text: str, change: Callable[[dict[str, Any]], None], seq_indent: int = 0) -> tuple[str, dict[str, Any]]:
    starts = line_starts(text)
    events = list(yaml.parse(text, Loader=yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader))
    composer = Composer(text, starts)
    root = composer.compose(events[2:-2])
    old = to_python(root)
    new = copy.deepcopy(old)
    change(new)
    edits = reconcile(text, starts, root, composer.aliased, old, new, seq_indent)
    return apply_edits(text, edits), new


def _pod(d: dict[str, Any]) -> dict[str, Any]:
    return d["spec"]["template"]["spec"]


# change -> how many source lines it may remove (the entries that go or are rewritten)
CHANGES: dict[str, tuple[Callable[[dict[str, Any]], None], int]] = {
    "prepend init containers": (lambda d: _pod(d)["initContainers"].insert(0, {"name": "istio-init"}), 0),
    "append a container": (lambda d: _pod(d)["containers"].append({"name": "istio-proxy", "args": ["sidecar"]}), 0),
    "remove a container": (lambda d: _pod(d)["containers"].pop(1), 2),
    "remove the first container": (lambda d: _pod(d)["containers"].pop(0), 9),
    "rewrite a probe": (lambda d: _pod(d)["containers"][0]["readinessProbe"].__setitem__(
        "httpGet", {"path": "/app-health/app/readyz", "port": 15020}), 2),
    "drop an annotation": (lambda d: d["metadata"]["annotations"].pop("drop"), 1),
    "drop all annotations": (lambda d: d["metadata"].pop("annotations"), 3),
    "empty the annotations": (lambda d: d["metadata"].__setitem__("annotations", {}), 3),
    "add labels and annotations": (lambda d: d["spec"]["template"]["metadata"].update(
        {"annotations": {"sidecar.istio.io/status": '{"containers":["istio-proxy"]}'},
         "labels": {"app": "web", "security.istio.io/tlsMode": "istio"}}), 0),
    "replace a scalar": (lambda d: _pod(d)["containers"][0].__setitem__("image", "nginx:1.27"), 1),
    "change an arg": (lambda d: _pod(d)["containers"][0]["args"].__setitem__(1, "9090"), 1),
    "remove all volumes": (lambda d: _pod(d).pop("volumes"), 3),
    "volumes becomes empty": (lambda d: _pod(d).__setitem__("volumes", []), 3),
    "fill an empty map": (lambda d: _pod(d)["volumes"][0].__setitem__("emptyDir", {"medium": "Memory"}), 1),
    "type change": (lambda d: _pod(d)["containers"][0].__setitem__("args", "--port=8080"), 3),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_reconcile_reads_back_as_new(name: str) -> None:
    out, new = _edit(POD, CHANGES[name][0])
    assert same(yaml.safe_load(out), new), out


@pytest.mark.parametrize("name", list(CHANGES))
def test_reconcile_removes_only_what_changes(name: str) -> None:
    change, may_remove = CHANGES[name]
    out, _ = _edit(POD, change)
    old_lines, new_lines = POD.splitlines(), out.splitlines()
    removed = sum(i2 - i1 for op, i1, i2, _, _ in
                  difflib.SequenceMatcher(None, old_lines, new_lines, False).get_opcodes() if op in ("delete", "replace"))
    assert removed <= may_remove, out
    assert "# the name" in out and "# init containers" in out


def test_no_change_no_edit() -> None:
    out, _ = _edit(POD, lambda d: None)
    assert out == POD


def test_prepend_lands_first_and_keeps_the_rest_verbatim() -> None:
    def change(d: dict[str, Any]) -> None:
        _pod(d)["initContainers"].insert(0, {"name": "istio-init", "image": "proxyv2"})

    out, _ = _edit(POD, change)
    assert "      initContainers:\n      - name: istio-init\n        image: proxyv2\n      - name: setup\n" in out
    assert out.replace("      - name: istio-init\n        image: proxyv2\n", "") == POD


def test_wide_sequence_indent() -> None:
    text = "kind: Pod\nspec:\n  containers:\n    - name: app\n      image: x\n"

    def change(d: dict[str, Any]) -> None:
        d["spec"]["containers"].append({"name": "istio-proxy", "args": ["a"]})

    out, _new = _edit(text, change, seq_indent=2)
    assert out == text + "    - name: istio-proxy\n      args:\n        - a\n"


def test_flow_style_item_is_refused() -> None:
    text = "{kind: Pod, spec: {containers: [{name: app}]}}\n"
    with pytest.raises(Unspliceable):
        _edit(text, lambda d: d["spec"]["containers"].append({"name": "istio-proxy"}))


def test_a_shared_anchor_on_the_path_is_refused() -> None:
    text = "kind: Pod\nmetadata:\n  labels: &l\n    app: x\nspec:\n  selector:\n    matchLabels: *l\n"
    with pytest.raises(Unspliceable):
        _edit(text, lambda d: d["metadata"]["labels"].__setitem__("b", "c"))


def test_flow_value_replaced_whole() -> None:
    text = "kind: Pod\nspec:\n  containers: [{name: app}]\n"
    out, new = _edit(text, lambda d: d["spec"]["containers"].append({"name": "istio-proxy"}))
    assert same(yaml.safe_load(out), new)
    assert out.startswith("kind: Pod\nspec:\n  containers:\n  - name: app\n")


def test_block_scalar_replaced() -> None:
    text = "kind: Pod\nmetadata:\n  annotations:\n    note: |\n      two\n      lines\n    other: x\n"
    out, _new = _edit(text, lambda d: d["metadata"]["annotations"].__setitem__("note", "one"))
    assert out == "kind: Pod\nmetadata:\n  annotations:\n    note: one\n    other: x\n"


def test_same_tells_bool_from_int() -> None:
    assert not same(True, 1)
    assert not same({"a": [1]}, {"a": [True]})
    assert same({"a": [1, "x"]}, {"a": [1, "x"]})


def test_an_alias_value_is_replaced_and_its_anchor_left_alone() -> None:
    text = "kind: Pod\nmetadata:\n  labels: &l\n    app: x\nspec:\n  selector:\n    matchLabels: *l\n"
    out, new = _edit(text, lambda d: d["spec"]["selector"]["matchLabels"].__setitem__("b", "c"))
    assert out == "kind: Pod\nmetadata:\n  labels: &l\n    app: x\nspec:\n  selector:\n    matchLabels:\n      app: x\n      b: c\n"
    assert same(yaml.safe_load(out), new)


def test_an_unchanged_subtree_is_skipped_but_equal_is_not_same() -> None:
    text = "kind: Pod\nmetadata:\n  labels:\n    a: [1]\n    b: {c: 1.0}\nspec:\n  x: 1\n"

    def change(d: dict[str, Any]) -> None:  # == says nothing changed in labels; YAML says it did
        d["metadata"]["labels"] = {"a": [True], "b": {"c": 1}}

    out, _new = _edit(text, change)
    assert out == "kind: Pod\nmetadata:\n  labels:\n    a:\n    - true\n    b: {c: 1.0}\nspec:\n  x: 1\n"  # 1.0 is 1
    assert _edit(text, lambda d: d["spec"].__setitem__("x", 2))[0] == text.replace("x: 1", "x: 2")
    # a scalar value of a walked mapping (mapping() decides these inline): True == 1 == 1.0, "1" is not 1
    for x, shown in ((True, "true"), (1.0, "1"), ("1", '"1"')):  # 1.0 is 1 (same()): left as written
        assert _edit(text, lambda d, x=x: d["spec"].__setitem__("x", x))[0] == text.replace("x: 1", f"x: {shown}")


def test_an_alias_key_in_an_unchanged_subtree_still_refuses_the_splice() -> None:
    # Items with aliases are walked whole, as before the unchanged-subtree skip: the alias key is refused.
    text = "kind: Pod\nmetadata:\n  name: &n web\n  labels:\n    *n : x\nspec:\n  x: 1\n"
    with pytest.raises(Unspliceable):
        _edit(text, lambda d: d["spec"].__setitem__("x", 2))


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=st.lists(st.sampled_from("abcd"), min_size=1, max_size=6),
       new=st.lists(st.sampled_from("abcde"), min_size=1, max_size=6), prepend=st.booleans())
def test_list_alignment_is_difflibs(old: list[str], new: list[str], prepend: bool) -> None:
    from krmfn.text.reconcile import _opcodes

    if prepend:  # the fast paths' cases: items prepended or appended
        new = new + old
    assert list(_opcodes(old, new)) == difflib.SequenceMatcher(None, old, new, False).get_opcodes()
