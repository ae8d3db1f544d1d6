"""Byte-faithful output: untouched items as they came, injected ones only gain lines."""

from __future__ import annotations

import json
import re

import pytest
from helpers import load, only_added_lines, run_text

from krmfn.function import ReadError

# These tests pin the 0.2 template, whose injection only adds lines; the modern template's
# fidelity (probe rewrites, exact uninject, re-injection) is tested at the end of this module.
LEGACY = (
    "functionConfig:\n  apiVersion: krmfn.dev/v1alpha1\n  kind: SidecarInjector\n  metadata:\n"
    "    name: fidelity\n  template: legacy-0.2\n"
)
HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n" + LEGACY + "items:\n"
MODERN_HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"

TRICKY = """\
- # leading comment
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: tricky # trailing comment
    labels: &id001
      app: tricky
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: 'cm.yaml'
  data:
    a: on
    b: yes
    c: 0755
    d: 1:30
    e: 1.10
    f: ~
    g: |
      block
        scalar

    h: >-
      folded
      text
    i: [1, 2, "three"]
    j: "ünïcödé ✓"
    k: 'single'
    l: {x: 1}
    m: *id001
"""

WORKLOAD = """\
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web # the web tier
    namespace: shop
    labels: &id001
      app: web
    annotations:
      internal.config.kubernetes.io/path: 'deploy.yaml'
      internal.config.kubernetes.io/index: '0'
  spec:
    selector:
      matchLabels: *id001
    template:
      metadata:
        labels: *id001
      spec:
        # the app
        containers:
        - name: web
          image: "nginx:1.25"
          args: ["--port", "8080"]
          env:
          - name: FLAG
            value: "on"
        volumes:
        - name: data
          emptyDir: {}
"""


def rl(*items: str, tail: str = "") -> str:
    head = MODERN_HEAD if "functionConfig:" in tail else HEAD
    return head + "".join(items) + tail


def strip_results(text: str) -> str:
    return re.split(r"^results:\n", text, flags=re.M)[0]


def test_untouched_items_are_byte_identical_and_injected_only_gain_lines() -> None:
    text = rl(TRICKY, WORKLOAD, TRICKY.replace("name: tricky", "name: tricky2"))
    out = run_text(text)
    assert out.exit_code == 0, [r.line() for r in out.results]
    body = strip_results(out.output)
    assert body.startswith(HEAD + TRICKY)
    assert body.endswith(TRICKY.replace("name: tricky", "name: tricky2"))
    assert only_added_lines(text, body)
    data = load(out.output)
    dep = data["items"][1]
    assert [c["name"] for c in dep["spec"]["template"]["spec"]["containers"]] == ["web", "istio-proxy"]
    assert [v["name"] for v in dep["spec"]["template"]["spec"]["volumes"]] == ["data", "istio-envoy", "istio-certs"]
    # the shared anchor did not pick up anything
    assert dep["spec"]["selector"]["matchLabels"] == {"app": "web"}
    assert dep["metadata"]["labels"] == {"app": "web"}


def test_policy_off_output_is_input_plus_results() -> None:
    text = rl(TRICKY, WORKLOAD, tail="functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x\n"
              "  data:\n    policy: \"off\"\n")
    out = run_text(text)
    assert out.output.startswith(text)
    assert out.output[len(text):].startswith("results:\n")


def test_edit_of_an_anchored_map_does_not_leak_into_its_alias() -> None:
    # The pod template's annotations are anchored and shared with the selector:
    # adding the status annotation must not change the selector.
    item = """\
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: leak
  spec:
    selector:
      matchLabels: &shared
        team: a
    template:
      metadata:
        annotations: *shared
      spec:
        containers:
        - name: app
          image: app
"""
    out = run_text(rl(item))
    assert out.exit_code == 0
    dep = load(out.output)["items"][0]
    assert dep["spec"]["selector"]["matchLabels"] == {"team": "a"}
    assert dep["spec"]["template"]["metadata"]["annotations"] == {
        "team": "a",
        "sidecar.istio.io/status": "injected-version-0.2.4",
    }
    # the alias site became a plain mapping; the anchor (now unused) and the selector stay as they were
    assert "*shared" not in out.output
    assert "    selector:\n      matchLabels: &shared\n        team: a\n" in out.output


def test_same_anchor_name_in_many_items_is_accepted() -> None:
    text = rl(TRICKY, TRICKY.replace("name: tricky", "name: t2"), WORKLOAD, WORKLOAD.replace("name: web", "name: w2"))
    out = run_text(text)
    assert out.exit_code == 0
    names = [i["metadata"]["name"] for i in load(out.output)["items"]]
    assert names == ["tricky", "t2", "web", "w2"]


@pytest.mark.parametrize("version", ["config.kubernetes.io/v1", "config.kubernetes.io/v1beta1",
                                     "config.kubernetes.io/v1alpha1"])
def test_resource_list_versions_are_echoed(version: str) -> None:
    text = f"apiVersion: {version}\nkind: ResourceList\nitems:\n" + WORKLOAD
    out = run_text(text)
    assert out.output.startswith(f"apiVersion: {version}\nkind: ResourceList\n")


def test_json_input_gives_block_yaml() -> None:
    data = load(rl(TRICKY, WORKLOAD))
    text = json.dumps(data, ensure_ascii=False)
    out = run_text(text)
    assert out.exit_code == 0
    parsed = load(out.output)
    assert parsed["items"][0] == data["items"][0]
    assert len(parsed["items"][1]["spec"]["template"]["spec"]["containers"]) == 2
    assert not any(line.lstrip().startswith(("{", "[")) for line in out.output.splitlines())
    assert "&" not in out.output and "*" not in out.output


def test_json_strings_that_look_like_other_types_stay_strings() -> None:
    text = json.dumps({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
         "data": {"a": "on", "b": "0755", "c": "1:30", "d": "1.10", "e": "~", "f": "", "g": "x: y", "h": "- z"}}]})
    out = run_text(text)
    assert load(out.output)["items"][0]["data"] == {
        "a": "on", "b": "0755", "c": "1:30", "d": "1.10", "e": "~", "f": "", "g": "x: y", "h": "- z"}


def test_existing_results_are_replaced() -> None:
    text = rl(WORKLOAD, tail="results:\n- message: old\n  severity: error\n")
    out = run_text(text)
    data = load(out.output)
    assert [r["message"] for r in data["results"]] == [out.results[0].message]
    assert "old" not in out.output


def test_results_go_after_function_config_and_keep_it() -> None:
    fc = "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: fc # keep me\n  data:\n    policy: enabled\n"
    text = rl(WORKLOAD, tail=fc)
    out = run_text(text)
    assert fc in out.output
    assert out.output.index(fc) < out.output.index("results:")


def test_flow_style_pod_spec_falls_back_to_block_rendering() -> None:
    item = """\
- apiVersion: v1
  kind: Pod
  metadata: {name: flowy, namespace: shop}
  spec: {containers: [{name: app, image: "app:1", ports: [{containerPort: 80}]}]}
"""
    text = rl(TRICKY, item, TRICKY.replace("name: tricky", "name: t3"))
    out = run_text(text)
    assert out.exit_code == 0
    body = strip_results(out.output)
    assert body.startswith(HEAD + TRICKY) and body.endswith(TRICKY.replace("name: tricky", "name: t3"))
    pod = load(out.output)["items"][1]
    assert [c["name"] for c in pod["spec"]["containers"]] == ["app", "istio-proxy"]
    assert pod["spec"]["containers"][0]["image"] == "app:1"
    assert pod["metadata"]["annotations"] == {"sidecar.istio.io/status": "injected-version-0.2.4"}


def test_empty_flow_and_null_values_are_replaced_in_place() -> None:
    item = """\
- apiVersion: v1
  kind: Pod
  metadata:
    name: p
    annotations: {}
  spec:
    containers:
    - name: app
      image: app
    initContainers: []
    volumes:
"""
    out = run_text(rl(item))
    assert out.exit_code == 0
    pod = load(out.output)["items"][0]
    assert pod["metadata"]["annotations"] == {"sidecar.istio.io/status": "injected-version-0.2.4"}
    assert [c["name"] for c in pod["spec"]["initContainers"]] == ["istio-init"]
    assert [v["name"] for v in pod["spec"]["volumes"]] == ["istio-envoy", "istio-certs"]


@pytest.mark.parametrize("spec", [
    "  spec:\n    containers:\n      - name: app\n        image: app\n",  # spliced
    "  spec: {containers: [{name: app, image: app}]}\n",  # re-rendered
], ids=["spliced", "re-rendered"])
def test_wide_sequence_indentation_is_followed(spec: str) -> None:
    item = """\
- apiVersion: v1
  kind: Pod
  metadata:
    name: p
    annotations:
      internal.config.kubernetes.io/seqindent: 'wide'
""" + spec
    out = run_text(rl(item))
    assert "    containers:\n      - name: app\n        image: app\n      - name: istio-proxy\n" in out.output
    assert "    initContainers:\n      - name: istio-init\n" in out.output
    assert load(out.output)["items"][0]["spec"]["volumes"][1]["name"] == "istio-certs"


def test_crlf_input_keeps_crlf() -> None:
    text = rl(WORKLOAD).replace("\n", "\r\n")
    out = run_text(text)
    assert out.exit_code == 0
    assert "\n" not in out.output.replace("\r\n", "")
    assert len(load(out.output)["items"][0]["spec"]["template"]["spec"]["containers"]) == 2


def test_no_trailing_newline() -> None:
    text = rl(WORKLOAD).rstrip("\n")
    out = run_text(text)
    assert out.exit_code == 0
    data = load(out.output)
    assert data["items"][0]["spec"]["template"]["spec"]["volumes"][-1]["name"] == "istio-certs"


def test_comments_inside_an_injected_item_are_kept() -> None:
    out = run_text(rl(WORKLOAD))
    assert "    name: web # the web tier\n" in out.output
    assert "        # the app\n        containers:\n" in out.output


def test_a_bad_item_is_an_error_and_the_rest_still_injected() -> None:
    text = rl("- just a string\n", WORKLOAD)
    out = run_text(text)
    assert out.exit_code == 1
    assert strip_results(out.output).startswith(HEAD + "- just a string\n")
    assert any(r.severity == "error" and r.field_path == "items[0]" for r in out.results)
    assert any(r.message.startswith("injected") for r in out.results)


@pytest.mark.parametrize("text,words", [
    ("", "empty"),
    ("---\n", "empty"),
    ("- a\n- b\n", "list"),
    ("hello\n", "scalar"),
    ("apiVersion: v1\nkind: ConfigMap\n", "expected a ResourceList"),
    ("apiVersion: v9\nkind: ResourceList\n", "not supported"),
    (HEAD + "- a: 1\n---\nb: 2\n", "more than one"),
    ("items: [\n", "not valid YAML"),
    ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: 5\n", "must be a list"),
])
def test_unreadable_input_raises_a_read_error(text: str, words: str) -> None:
    with pytest.raises(ReadError, match=words):
        run_text(text)


def test_items_missing_is_an_empty_list() -> None:
    text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
    out = run_text(text)
    assert out.output == text and out.exit_code == 0


def _pod(extra_meta: str = "", extra_spec: str = "") -> str:
    return ("- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n" + extra_meta
            + "  spec:\n    containers:\n    - name: a\n" + extra_spec)


@pytest.mark.parametrize("item,words", [
    (_pod(extra_meta="    name: q\n"), "duplicate key 'name'"),
    (_pod(extra_meta="    labels:\n      a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"      {c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefg", "bcdefgh"))),
     "alias expansion exceeds"),
])
def test_unreadable_workload_is_an_error_and_everything_comes_back(item: str, words: str) -> None:
    text = rl(TRICKY, item, WORKLOAD)
    out = run_text(text)
    assert out.exit_code == 1
    errors = [r for r in out.results if r.severity == "error"]
    assert len(errors) == 1 and words in errors[0].message and errors[0].field_path == "items[1]"
    body = strip_results(out.output)
    assert body.startswith(HEAD + TRICKY + item)
    assert only_added_lines(text, body)
    assert any(r.message.startswith("injected") for r in out.results)


def test_deep_nesting_is_a_clear_error_either_way() -> None:
    # libyaml 0.2.6 (PyYAML >= 6.0.4 wheels) refuses nesting deeper than 1000
    # while parsing, so the whole input is unreadable; older libyaml parses it
    # and krmfn reports the one item.  Both are one clear error, no traceback.
    text = rl(TRICKY, _pod(extra_spec="      x: " + "[" * 3000 + "]" * 3000 + "\n"), WORKLOAD)
    try:
        out = run_text(text)
    except ReadError as e:
        assert "nesting depth" in str(e) or "nested too deeply" in str(e)
        return
    assert out.exit_code == 1
    errors = [r for r in out.results if r.severity == "error"]
    assert len(errors) == 1 and "nested too deeply" in errors[0].message
    assert strip_results(out.output).startswith(HEAD + TRICKY)


# --- the modern template ------------------------------------------------------------------------

PROBED = """\
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: probed # keep this comment
    annotations:
      config.kubernetes.io/index: '2'
      internal.config.kubernetes.io/path: 'probed.yaml'
  spec:
    template:
      metadata:
        labels:
          app: probed
          version: v2
      spec:
        containers:
        - name: app
          image: "app:1"
          ports:
          - name: http
            containerPort: 8080
          readinessProbe:
            httpGet:
              path: /ready
              port: http
"""


def _with_config(text: str, setting: str) -> str:
    return text.replace(MODERN_HEAD, MODERN_HEAD.replace(
        "items:\n",
        "functionConfig:\n  apiVersion: krmfn.dev/v1alpha1\n  kind: SidecarInjector\n  metadata:\n    name: u\n"
        f"  {setting}\nitems:\n"), 1)


def _uninject_config(text: str) -> str:
    return text.replace("  exactUninject: true\n", "  mode: uninject\n", 1)


def test_modern_injection_keeps_others_byte_identical_is_idempotent_and_uninjects_exactly() -> None:
    text = _with_config(MODERN_HEAD + TRICKY + WORKLOAD + PROBED, "exactUninject: true")
    head = text[: text.index(TRICKY)]
    first = run_text(text)
    assert first.exit_code == 0, [r.line() for r in first.results]
    body = strip_results(first.output)
    assert body.startswith(head + TRICKY)
    assert "name: probed # keep this comment\n" in body
    items = load(first.output)["items"]
    probe = items[2]["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert probe["httpGet"] == {"path": "/app-health/app/readyz", "port": 15020}
    # running on its own output changes nothing, byte for byte
    second = run_text(body)
    assert strip_results(second.output) == body
    assert {r.message for r in second.results} == {"already injected; unchanged"}
    # uninject gives back the input: the same data, and the same bytes except where injection had to
    # expand an alias (WORKLOAD's pod template labels are `*id001`)
    back = run_text(_uninject_config(body))
    assert back.exit_code == 0, [r.line() for r in back.results]
    restored = strip_results(back.output)
    assert load(restored) == load(_uninject_config(text))
    assert restored.endswith(PROBED) and TRICKY in restored
