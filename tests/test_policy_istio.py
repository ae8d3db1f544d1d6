"""Policy additions: never/always selectors and istio.io/rev revisions, in the merged decision order."""

from __future__ import annotations

from typing import Any

import pytest

from krmfn.config import build
from krmfn.policy import decide
from krmfn.selectors import SelectorError, check, check_list, first_match, matches
from krmfn.workloads import view

INJ = "sidecar.istio.io/inject"
REV = "istio.io/rev"


def deployment(ns: str = "shop", tlabels: dict | None = None, tann: dict | None = None,
               labels: dict | None = None) -> Any:
    meta: dict[str, Any] = {"name": "web", "namespace": ns}
    if labels:
        meta["labels"] = labels
    return view({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
        "spec": {"template": {"metadata": {"labels": tlabels or {}, "annotations": tann or {}},
                              "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
    })


def expr(key: str, op: str, *values: str) -> dict[str, Any]:
    e: dict[str, Any] = {"key": key, "operator": op}
    if values:
        e["values"] = list(values)
    return {"matchExpressions": [e]}


# --- revisions ---------------------------------------------------------------------------

REVISION_CASES = [
    # (id, config revision, namespace labels of "shop", pod template labels, pod template annotations,
    #  extra config, inject?, reason)
    ("default-no-labels", "", {}, {}, {}, {}, True, "injected"),
    ("default-namespace-rev-default", "", {REV: "default"}, {}, {}, {"namespaces": ["other"]}, True, "injected"),
    ("default-namespace-rev-canary", "", {REV: "canary"}, {}, {}, {}, False,
     "revision canary (namespace shop label) is not this config's revision default"),
    ("canary-namespace-rev-canary-selects", "canary", {REV: "canary"}, {}, {}, {"namespaces": ["other"]}, True,
     "injected"),
    ("canary-namespace-rev-beats-exclude", "canary", {REV: "canary"}, {}, {}, {"excludeNamespaces": ["shop"]},
     True, "injected"),
    ("canary-istio-injection-enabled-is-default", "canary", {"istio-injection": "enabled"}, {}, {}, {}, False,
     "revision default (namespace shop label istio-injection=enabled) is not this config's revision canary"),
    ("istio-injection-beats-namespace-rev", "", {"istio-injection": "enabled", REV: "canary"}, {}, {}, {}, True,
     "injected"),
    ("istio-injection-beats-pod-rev", "", {"istio-injection": "enabled"}, {REV: "canary"}, {}, {}, True,
     "injected"),
    ("namespace-rev-beats-pod-rev", "canary", {REV: "canary"}, {REV: "stable"}, {}, {}, True, "injected"),
    ("namespace-rev-other-beats-pod-rev-ours", "canary", {REV: "stable"}, {REV: "canary"}, {}, {}, False,
     "revision stable (namespace shop label) is not this config's revision canary"),
    ("pod-label-rev-selects", "canary", {}, {REV: "canary"}, {}, {"namespaces": ["other"]}, True, "injected"),
    ("pod-annotation-rev-selects", "canary", {}, {}, {REV: "canary"}, {"namespaces": ["other"]}, True,
     "injected"),
    ("pod-label-beats-annotation", "canary", {}, {REV: "stable"}, {REV: "canary"}, {}, False,
     "revision stable (pod template label) is not this config's revision canary"),
    ("pod-rev-other", "canary", {}, {REV: "stable"}, {}, {}, False,
     "revision stable (pod template label) is not this config's revision canary"),
    ("pod-rev-default-with-default-config", "", {}, {REV: "default"}, {}, {}, True, "injected"),
    ("pod-rev-canary-with-default-config", "", {}, {REV: "canary"}, {}, {}, False,
     "revision canary (pod template label) is not this config's revision default"),
    ("no-revision-asked-any-revision-injects", "canary", {}, {}, {}, {}, True, "injected"),
    ("no-revision-asked-namespace-still-selected", "canary", {}, {}, {}, {"namespaces": ["other"]}, False,
     "namespace shop not selected"),
    ("revision-match-then-inject-false", "canary", {}, {REV: "canary"}, {INJ: "false"}, {}, False,
     "sidecar.istio.io/inject=false (pod template annotation)"),
    ("revision-match-then-policy-disabled", "canary", {}, {REV: "canary"}, {}, {"policy": "disabled"}, False,
     "policy disabled"),
    ("revision-match-then-inject-true", "canary", {}, {REV: "canary"}, {INJ: "true"}, {"policy": "disabled"},
     True, "injected"),
    ("namespace-disabled-beats-revision", "canary", {"istio-injection": "disabled", REV: "canary"}, {}, {}, {},
     False, "namespace shop labelled istio-injection=disabled"),
    ("other-istio-injection-value-ignores-revisions", "canary", {"istio-injection": "maybe", REV: "stable"},
     {REV: "stable"}, {}, {}, True, "injected"),
]


@pytest.mark.parametrize("revision,ns_labels,tlabels,tann,extra,inject,reason", [c[1:] for c in REVISION_CASES],
                         ids=[c[0] for c in REVISION_CASES])
def test_revisions(revision: str, ns_labels: dict, tlabels: dict, tann: dict, extra: dict, inject: bool,
                   reason: str) -> None:
    cfg = build({"revision": revision, **extra}, "test")
    assert cfg.istio.revision == revision
    d = decide(deployment(tlabels=tlabels, tann=tann), cfg, {"shop": ns_labels})
    assert (d.inject, d.reason) == (inject, reason)


TAG_CASES = [
    # (id, config revision, revisionTags, namespace labels, pod template labels, inject?, reason)
    ("tag-on-pod", "canary", ["prod"], {}, {REV: "prod"}, True, "injected"),
    ("tag-on-namespace", "canary", ["prod"], {REV: "prod"}, {}, True, "injected"),
    ("default-tag-serves-istio-injection", "canary", ["default"], {"istio-injection": "enabled"}, {}, True,
     "injected"),
    ("default-tag-serves-rev-default", "canary", ["default"], {REV: "default"}, {}, True, "injected"),
    ("not-a-tag", "canary", ["prod"], {}, {REV: "stable"}, False,
     "revision stable (pod template label) is not this config's revision canary (tags: prod)"),
    ("default-revision-with-tag", "", ["prod"], {REV: "prod"}, {}, True, "injected"),
]


@pytest.mark.parametrize("revision,tags,ns_labels,tlabels,inject,reason", [c[1:] for c in TAG_CASES],
                         ids=[c[0] for c in TAG_CASES])
def test_revision_tags(revision: str, tags: list, ns_labels: dict, tlabels: dict, inject: bool, reason: str) -> None:
    cfg = build({"revision": revision, "values": {"revisionTags": tags}}, "test")
    d = decide(deployment(tlabels=tlabels), cfg, {"shop": ns_labels})
    assert (d.inject, d.reason) == (inject, reason)


def test_ignored_namespace_beats_revision() -> None:
    cfg = build({"revision": "canary"}, "test")
    d = decide(deployment(ns="kube-system", tlabels={REV: "stable"}), cfg, {})
    assert d.reason == "ignored namespace kube-system"


def test_revision_default_is_the_default_revision() -> None:
    assert build({"revision": "default"}, "test").istio.revision == ""


# --- selectors in the merged order ----------------------------------------------------------

SELECTOR_CASES = [
    # (id, config, pod template labels, pod template annotations, workload labels, inject?, reason)
    ("never-matches", {"neverInjectSelector": [expr("app", "In", "db", "cache")]}, {"app": "db"}, {}, {}, False,
     "neverInjectSelector[0] matches the pod labels"),
    ("never-notin", {"neverInjectSelector": [expr("app", "NotIn", "web")]}, {"app": "db"}, {}, {}, False,
     "neverInjectSelector[0] matches the pod labels"),
    ("never-notin-absent-label-matches", {"neverInjectSelector": [expr("app", "NotIn", "web")]}, {}, {}, {},
     False, "neverInjectSelector[0] matches the pod labels"),
    ("never-notin-no-match", {"neverInjectSelector": [expr("app", "NotIn", "web")]}, {"app": "web"}, {}, {}, True,
     "injected"),
    ("never-doesnotexist", {"neverInjectSelector": [expr("mesh", "DoesNotExist")]}, {}, {}, {}, False,
     "neverInjectSelector[0] matches the pod labels"),
    ("never-second-selector", {"neverInjectSelector": [expr("a", "Exists"), expr("b", "Exists")]}, {"b": "1"}, {},
     {}, False, "neverInjectSelector[1] matches the pod labels"),
    ("never-and-of-requirements", {"neverInjectSelector": [{"matchLabels": {"app": "db"},
                                                             "matchExpressions": [{"key": "tier", "operator":
                                                                                   "Exists"}]}]},
     {"app": "db"}, {}, {}, True, "injected"),
    ("never-beats-always", {"neverInjectSelector": [expr("app", "Exists")],
                            "alwaysInjectSelector": [expr("app", "Exists")], "policy": "disabled"},
     {"app": "x"}, {}, {}, False, "neverInjectSelector[0] matches the pod labels"),
    ("always-with-disabled", {"alwaysInjectSelector": [expr("app", "In", "web")], "policy": "disabled"},
     {"app": "web"}, {}, {}, True, "injected"),
    ("inject-true-beats-never", {"neverInjectSelector": [expr("app", "Exists")]}, {"app": "x"}, {INJ: "true"}, {},
     True, "injected"),
    ("inject-false-beats-always", {"alwaysInjectSelector": [expr("app", "Exists")]}, {"app": "x"}, {INJ: "false"},
     {}, False, "sidecar.istio.io/inject=false (pod template annotation)"),
    ("workload-labels-are-not-pod-labels", {"neverInjectSelector": [expr("app", "Exists")]}, {}, {}, {"app": "x"},
     True, "injected"),
    ("always-does-not-select-a-namespace", {"alwaysInjectSelector": [expr("app", "Exists")],
                                            "namespaces": ["other"]}, {"app": "x"}, {}, {}, False,
     "namespace shop not selected"),
    ("policy-off-beats-always", {"alwaysInjectSelector": [expr("app", "Exists")], "policy": "off"}, {"app": "x"},
     {}, {}, False, "policy off"),
    ("empty-selector-matches-nothing", {"neverInjectSelector": [{}]}, {"app": "x"}, {}, {}, True, "injected"),
    ("bogus-inject-value-falls-to-selectors", {"alwaysInjectSelector": [expr("app", "Exists")],
                                               "policy": "disabled"}, {"app": "x"}, {INJ: "maybe"}, {}, True,
     "injected"),
]


@pytest.mark.parametrize("cfg,tlabels,tann,labels,inject,reason", [c[1:] for c in SELECTOR_CASES],
                         ids=[c[0] for c in SELECTOR_CASES])
def test_selectors(cfg: dict, tlabels: dict, tann: dict, labels: dict, inject: bool, reason: str) -> None:
    d = decide(deployment(tlabels=tlabels, tann=tann, labels=labels), build(cfg, "test"), {})
    assert (d.inject, d.reason) == (inject, reason)


@pytest.mark.parametrize("value,strict,inject", [
    ("on", False, True), ("on", True, False), ("Yes", False, True), ("yes", True, False),
    ("TRUE", True, True), ("False", True, False), ("off", False, False),
])
def test_inject_value_forms(value: str, strict: bool, inject: bool) -> None:
    """The seed's YAML 1.1 forms, or only true/false with Istio's own config forms (policy disabled)."""
    cfg = build({"policy": "disabled"}, "test", strict=strict)
    d = decide(deployment(tann={INJ: value}), cfg, {})
    assert d.inject is inject
    assert (d.warning is not None) == (strict and value.lower() in ("on", "yes"))


# --- the selectors module -------------------------------------------------------------------


@pytest.mark.parametrize("selector,labels,want", [
    ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
    ({"matchLabels": {"a": ""}}, {"a": ""}, True),
    ({"matchLabels": {"a": ""}}, {}, False),
    (expr("a", "In", "1", "2"), {"a": "2"}, True),
    (expr("a", "In", "1"), {}, False),
    (expr("a", "NotIn", "1"), {}, True),
    (expr("a", "NotIn", "1"), {"a": "1"}, False),
    (expr("a", "Exists"), {"a": ""}, True),
    (expr("a", "DoesNotExist"), {"a": ""}, False),
    ({}, {"a": "1"}, False),
    ({"matchLabels": {}, "matchExpressions": []}, {}, False),
])
def test_matches(selector: dict, labels: dict, want: bool) -> None:
    assert matches(check(selector, "s"), labels) is want


def test_first_match_is_an_or() -> None:
    sels = check_list([expr("a", "Exists"), expr("b", "Exists")], "s")
    assert first_match(sels, {"b": "x"}) == 1
    assert first_match(sels, {"c": "x"}) is None
    assert check_list(None, "s") == ()


@pytest.mark.parametrize("selectors,path,words", [
    ("x", "s", "list of label selectors"),
    (["x"], "s[0]", "label selector"),
    ([{"matchLabel": {}}], "s[0].matchLabel", "unknown field"),
    ([{"matchLabels": {"a": 1}}], "s[0].matchLabels.a", "string value"),
    ([{"matchLabels": ["a"]}], "s[0].matchLabels", "mapping"),
    ([{"matchExpressions": {"key": "a"}}], "s[0].matchExpressions", "list of requirements"),
    ([expr("a", "Equals", "1")], "s[0].matchExpressions[0].operator", "In, NotIn, Exists, DoesNotExist"),
    ([expr("a", "In")], "s[0].matchExpressions[0].values", "at least one value"),
    ([expr("a", "Exists", "1")], "s[0].matchExpressions[0].values", "takes no values"),
    ([{"matchExpressions": [{"operator": "Exists"}]}], "s[0].matchExpressions[0].key", "non-empty"),
    ([{"matchExpressions": [{"key": "a", "operator": "In", "values": [1]}]}], "s[0].matchExpressions[0].values",
     "list of strings"),
    ([{"matchExpressions": [{"key": "a", "operator": "Exists", "value": "x"}]}],
     "s[0].matchExpressions[0].value", "unknown field"),
])
def test_bad_selectors(selectors: Any, path: str, words: str) -> None:
    with pytest.raises(SelectorError) as e:
        check_list(selectors, "s")
    assert e.value.path == path
    assert words in str(e.value)
