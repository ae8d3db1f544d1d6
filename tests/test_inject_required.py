"""Istio's TestInjectRequired table (istio/istio pkg/kube/inject/webhook_test.go), in krmfn's terms.

Each row is one case of Istio's table, restated as our own data: the pod's
labels and annotations (a Pod in ``test-namespace``), ``hostNetwork``, and the
injector config (Istio's ``istio-sidecar-injector`` ConfigMap ``data.config``:
policy and the never/always selectors).  The expected answer is Istio's.  The
first column names the Go case the row mirrors (Istio reuses some names; a
suffix tells them apart).

Istio's ``metav1.ParseToLabelSelector("foo")`` is the selector "label foo
exists": :func:`exists` below.

One row cannot be expressed as a decision: Istio accepts ``policy:
wrong_policy`` and then never injects; krmfn rejects that config (one error
result, exit 1, items unchanged), which also injects nothing.  It is checked
as such in :func:`test_wrong_policy_is_a_config_error`.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from helpers import dump, resource_list, run_text

from krmfn.config import ConfigError, parse
from krmfn.policy import decide
from krmfn.text.nodes import compose_document
from krmfn.workloads import view

INJ = "sidecar.istio.io/inject"


def match_labels(**labels: str) -> dict[str, Any]:
    return {"matchLabels": labels}


def exists(key: str) -> dict[str, Any]:
    """What Istio's parseToLabelSelector(t, key) builds: a requirement that the label exists."""
    return {"matchExpressions": [{"key": key, "operator": "Exists"}]}


E, D = "enabled", "disabled"

# (Go case name, policy, never selectors, always selectors, pod labels, pod annotations, hostNetwork, want)
CASES: list[tuple[str, str, list, list, dict, dict, bool, bool]] = [
    ("no-policy/enabled", E, [], [], {}, {}, False, True),
    ("default-policy/enabled", E, [], [], {}, {}, False, True),
    ("force-on-policy/enabled", E, [], [], {}, {INJ: "true"}, False, True),
    ("force-off-policy/enabled", E, [], [], {}, {INJ: "false"}, False, False),
    ("no-policy/disabled", D, [], [], {}, {}, False, False),
    ("default-policy/disabled", D, [], [], {}, {}, False, False),
    ("force-on-policy/disabled", D, [], [], {}, {INJ: "true"}, False, True),
    ("force-off-policy/disabled", D, [], [], {}, {INJ: "false"}, False, False),
    ("invalid-inject-value-yes", E, [], [], {}, {INJ: "yes"}, False, True),
    ("invalid-inject-value-on", D, [], [], {}, {INJ: "on"}, False, False),
    ("invalid-inject-value-random", E, [], [], {INJ: "random"}, {}, False, True),
    ("force-off-policy/hostNetwork", E, [], [], {}, {}, True, False),
    ("policy-enabled-always-inject-no-labels", E, [], [match_labels(foo="bar")], {}, {}, False, True),
    ("policy-enabled-always-inject-with-labels", E, [], [match_labels(foo="bar")], {"foo": "bar1"}, {}, False,
     True),
    ("policy-disabled-always-inject-no-labels", D, [], [match_labels(foo="bar")], {}, {}, False, False),
    ("policy-disabled-always-inject-with-labels", D, [], [match_labels(foo="bar")], {"foo": "bar"}, {}, False,
     True),
    ("policy-enabled-never-inject-no-labels", E, [match_labels(foo="bar")], [], {}, {}, False, True),
    ("policy-enabled-never-inject-with-labels", E, [match_labels(foo="bar")], [], {"foo": "bar"}, {}, False,
     False),
    ("policy-disabled-never-inject-no-labels", D, [match_labels(foo="bar")], [], {}, {}, False, False),
    ("policy-disabled-never-inject-with-labels", D, [match_labels(foo="bar")], [], {"foo": "bar"}, {}, False,
     False),
    ("policy-enabled-never-inject-with-empty-label", E, [exists("foo")], [], {"foo": "", "foo2": "bar2"}, {},
     False, False),
    ("policy-disabled-always-inject-with-empty-label", D, [], [exists("foo")], {"foo": "", "foo2": "bar2"}, {},
     False, True),
    ("policy-disabled-always-never-inject-with-label-returns-true", D, [exists("never")], [exists("always")],
     {"always": "bar", "foo2": "bar2"}, {}, False, True),
    ("policy-disabled-always-never-inject-with-label-returns-false", D, [exists("never")], [exists("always")],
     {"never": "bar", "foo2": "bar2"}, {}, False, False),
    ("policy-disabled-always-never-inject-with-both-labels", D, [exists("never")], [exists("always")],
     {"always": "bar", "never": "bar2"}, {}, False, False),
    ("policy-enabled-annotation-true-never-inject", E, [exists("foo")], [], {"foo": "", "foo2": "bar2"},
     {INJ: "true"}, False, True),
    ("policy-enabled-annotation-false-always-inject", E, [], [exists("foo")], {"foo": "", "foo2": "bar2"},
     {INJ: "false"}, False, False),
    ("policy-disabled-annotation-false-always-inject", D, [], [exists("foo")], {"foo": "", "foo2": "bar2"},
     {INJ: "false"}, False, False),
    ("policy-enabled-never-inject-multiple-labels", E, [exists("foo"), exists("bar")], [],
     {"label1": "", "bar": "anything"}, {}, False, False),
    ("policy-enabled-always-inject-multiple-labels", D, [], [exists("foo"), exists("bar")],
     {"label1": "", "bar": "anything"}, {}, False, True),
    ("policy-disabled-annotation-true-never-inject", D, [exists("foo")], [], {"foo": "", "foo2": "bar2"},
     {INJ: "true"}, False, True),
    ("policy-disabled-label-enabled", D, [], [], {INJ: "true"}, {}, False, True),
    ("policy-disabled-both-enabled", D, [], [], {INJ: "true"}, {INJ: "true"}, False, True),
    ("policy-disabled-label-enabled-annotation-disabled", D, [], [], {INJ: "true"}, {INJ: "false"}, False, True),
    ("policy-disabled-label-disabled-annotation-enabled", D, [], [], {INJ: "false"}, {INJ: "true"}, False, False),
]


def injector_configmap(policy: str, never: list, always: list) -> dict[str, Any]:
    """Istio's injector ConfigMap carrying one case's policy and selectors."""
    config: dict[str, Any] = {"policy": policy, "defaultTemplates": ["sidecar"]}
    if never:
        config["neverInjectSelector"] = never
    if always:
        config["alwaysInjectSelector"] = always
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "istio-sidecar-injector", "namespace": "istio-system"},
            "data": {"config": dump(config), "values": '{"global": {"hub": "docker.io/istio", "tag": "1.31.0"}}'}}


def pod(name: str, labels: dict, annotations: dict, host_network: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name.replace("/", "-"), "namespace": "test-namespace"}
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "app:1"}]}
    if host_network:
        spec["hostNetwork"] = True
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def test_the_table_has_every_case() -> None:
    assert len(CASES) == 35
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("policy,never,always,labels,annotations,host_network,want", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_inject_required(policy: str, never: list, always: list, labels: dict, annotations: dict,
                         host_network: bool, want: bool) -> None:
    config = parse(compose_document(dump(injector_configmap(policy, never, always))))
    assert config.form == "istio-injector" and config.strict_inject_values
    decision = decide(view(pod("p", labels, annotations, host_network)), config, {})
    assert decision.inject is want, decision.reason


@pytest.mark.parametrize("policy,never,always,labels,annotations,host_network,want", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_inject_required_end_to_end(policy: str, never: list, always: list, labels: dict, annotations: dict,
                                    host_network: bool, want: bool) -> None:
    """The same answer through the whole function: functionConfig in, one result per Pod out."""
    out = run_text(resource_list([pod("p", labels, annotations, host_network)],
                                 injector_configmap(policy, never, always)))
    assert out.exit_code == 0
    messages = [r.message for r in out.results if r.severity == "info"]
    assert len(messages) == 1
    assert messages[0].startswith("injected") is want, messages[0]
    assert ("sidecar.istio.io/status" in out.output) is want


def test_wrong_policy_is_a_config_error() -> None:
    """Go case "wrong-policy": Istio never injects; krmfn refuses the config, so nothing is injected either."""
    cm = injector_configmap("wrong_policy", [], [])
    with pytest.raises(ConfigError) as e:
        parse(compose_document(dump(cm)))
    assert e.value.path == "data.config.policy"
    out = run_text(resource_list([pod("wrong-policy", {}, {}, False)], cm))
    assert out.exit_code == 1
    assert [r.field_path for r in out.results if r.severity == "error"] == ["functionConfig.data.config.policy"]
    assert "sidecar.istio.io/status" not in out.output
    assert yaml.safe_load(out.output)["items"][0]["spec"]["containers"] == [{"name": "app", "image": "app:1"}]


# Beyond Istio's table: its ignored namespaces are skipped before any annotation; istio-system is not one.
@pytest.mark.parametrize("namespace", ["kube-system", "kube-public", "kube-node-lease", "local-path-storage"])
def test_ignored_namespaces_beat_an_explicit_inject(namespace: str) -> None:
    config = parse(compose_document(dump(injector_configmap(E, [], [exists("app")]))))
    p = pod("p", {"app": "x", INJ: "true"}, {}, False)
    p["metadata"]["namespace"] = namespace
    d = decide(view(p), config, {})
    assert (d.inject, d.reason) == (False, f"ignored namespace {namespace}")


def test_istio_system_is_injected_with_istio_config() -> None:
    """Gateways live in istio-system: Istio injects there (the seed's config ignores it)."""
    config = parse(compose_document(dump(injector_configmap(E, [], []))))
    p = pod("gw", {}, {}, False)
    p["metadata"]["namespace"] = "istio-system"
    assert decide(view(p), config, {}).inject is True
