"""Every branch of the policy, in its order of precedence."""

from __future__ import annotations

from typing import Any

import pytest

from krmfn.config import build
from krmfn.policy import decide
from krmfn.workloads import view


def workload(
    ns: str | None = "shop",
    tlabels: dict[str, str] | None = None,
    tann: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    ann: dict[str, str] | None = None,
    host_network: Any = None,
) -> Any:
    meta: dict[str, Any] = {"name": "web"}
    if ns:
        meta["namespace"] = ns
    if labels:
        meta["labels"] = labels
    if ann:
        meta["annotations"] = ann
    spec: dict[str, Any] = {"containers": [{"name": "web", "image": "nginx"}]}
    if host_network is not None:
        spec["hostNetwork"] = host_network
    return view({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {"template": {"metadata": {"labels": tlabels or {}, "annotations": tann or {}}, "spec": spec}},
    })


INJ = "sidecar.istio.io/inject"

CASES = [
    # (id, workload kwargs, config, namespace objects, inject?, reason)
    ("enabled-default", {}, {}, {}, True, "injected"),
    ("disabled-default", {}, {"policy": "disabled"}, {}, False, "policy disabled"),
    ("off-beats-inject-true", {"tann": {INJ: "true"}}, {"policy": "off"}, {}, False, "policy off"),
    ("off-beats-everything", {"tlabels": {INJ: "true"}}, {"policy": "off"}, {"shop": {"istio-injection": "enabled"}},
     False, "policy off"),
    ("host-network", {"host_network": True}, {}, {}, False, "hostNetwork"),
    ("host-network-false", {"host_network": False}, {}, {}, True, "injected"),
    ("host-network-beats-inject", {"host_network": True, "tann": {INJ: "true"}}, {}, {}, False, "hostNetwork"),
    ("ignored-kube-system", {"ns": "kube-system"}, {}, {}, False, "ignored namespace kube-system"),
    ("ignored-istio-system", {"ns": "istio-system", "tann": {INJ: "true"}}, {}, {}, False,
     "ignored namespace istio-system"),
    ("ignored-configurable", {"ns": "tools"}, {"ignoreNamespaces": ["tools"]}, {}, False, "ignored namespace tools"),
    ("ignored-beats-namespace-label", {"ns": "kube-public"}, {}, {"kube-public": {"istio-injection": "enabled"}},
     False, "ignored namespace kube-public"),
    ("not-selected", {"ns": "shop"}, {"namespaces": ["web"]}, {}, False, "namespace shop not selected"),
    ("selected", {"ns": "web"}, {"namespaces": ["web"]}, {}, True, "injected"),
    ("all-namespaces-empty-list", {"ns": "x"}, {"namespaces": []}, {}, True, "injected"),
    ("excluded", {"ns": "shop"}, {"excludeNamespaces": ["shop"]}, {}, False, "namespace shop excluded"),
    ("namespace-label-disabled", {}, {}, {"shop": {"istio-injection": "disabled"}}, False,
     "namespace shop labelled istio-injection=disabled"),
    ("namespace-label-disabled-beats-pod", {"tann": {INJ: "true"}}, {}, {"shop": {"istio-injection": "disabled"}},
     False, "namespace shop labelled istio-injection=disabled"),
    ("namespace-label-enabled-selects", {"ns": "shop"}, {"namespaces": ["other"]},
     {"shop": {"istio-injection": "enabled"}}, True, "injected"),
    ("namespace-label-enabled-beats-exclude", {"ns": "shop"}, {"excludeNamespaces": ["shop"]},
     {"shop": {"istio-injection": "enabled"}}, True, "injected"),
    ("no-namespace-is-default", {"ns": None}, {"namespaces": ["default"]}, {}, True, "injected"),
    ("no-namespace-configurable-default", {"ns": None}, {"defaultNamespace": "kube-system"}, {}, False,
     "ignored namespace kube-system"),
    ("template-annotation-false", {"tann": {INJ: "false"}}, {}, {}, False,
     "sidecar.istio.io/inject=false (pod template annotation)"),
    ("template-label-false", {"tlabels": {INJ: "false"}}, {}, {}, False,
     "sidecar.istio.io/inject=false (pod template label)"),
    ("label-beats-annotation", {"tlabels": {INJ: "true"}, "tann": {INJ: "false"}}, {"policy": "disabled"}, {}, True,
     "injected"),
    ("workload-annotation-false", {"ann": {INJ: "false"}}, {}, {}, False,
     "sidecar.istio.io/inject=false (workload annotation)"),
    ("workload-label-true-with-disabled", {"labels": {INJ: "true"}}, {"policy": "disabled"}, {}, True, "injected"),
    ("template-beats-workload", {"tann": {INJ: "true"}, "ann": {INJ: "false"}}, {}, {}, True, "injected"),
    ("disabled-inject-true", {"tann": {INJ: "true"}}, {"policy": "disabled"}, {}, True, "injected"),
    ("yaml-bool-forms", {"tann": {INJ: "Yes"}}, {"policy": "disabled"}, {}, True, "injected"),
    ("bogus-value-falls-through-enabled", {"tann": {INJ: "maybe"}}, {}, {}, True, "injected"),
    ("bogus-value-falls-through-disabled", {"tann": {INJ: "maybe"}}, {"policy": "disabled"}, {}, False,
     "policy disabled"),
    ("already-injected", {"tann": {"sidecar.istio.io/status": "injected-version-0.2.4"}}, {}, {}, False,
     "already injected"),
]


@pytest.mark.parametrize("kwargs,cfg,namespaces,inject,reason", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_policy_table(kwargs: dict, cfg: dict, namespaces: dict, inject: bool, reason: str) -> None:
    d = decide(workload(**kwargs), build(cfg, "test"), namespaces)
    assert (d.inject, d.reason) == (inject, reason)


def test_bogus_inject_value_warns() -> None:
    d = decide(workload(tann={INJ: "maybe"}), build({}, "test"), {})
    assert d.warning and "maybe" in d.warning and "neither true nor false" in d.warning
    assert decide(workload(tann={INJ: "true"}), build({}, "test"), {}).warning is None
