"""An IstioOperator as functionConfig, end to end through the CLI: hub, tag, native sidecars,
selectors and holdApplicationUntilProxyStarts all reach the output."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import load, resource_list, run_cli

pytestmark = pytest.mark.e2e

OPERATOR = {
    "apiVersion": "install.istio.io/v1alpha1",
    "kind": "IstioOperator",
    "metadata": {"name": "control-plane", "namespace": "istio-system"},
    "spec": {
        "hub": "registry.example.com/istio",
        "tag": "1.29.2",
        "meshConfig": {"defaultConfig": {"holdApplicationUntilProxyStarts": True}},
        "values": {
            "pilot": {"env": {"ENABLE_NATIVE_SIDECARS": "true"}},
            "sidecarInjectorWebhook": {
                "neverInjectSelector": [{"matchExpressions": [{"key": "tier", "operator": "In", "values": ["db"]}]}],
                "alwaysInjectSelector": [{"matchLabels": {"mesh": "always"}}],
            },
            "global": {"proxy": {"autoInject": "disabled"}},
        },
    },
}


def deployment(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": name, "image": f"{name}:1"}]}}},
    }


def test_istio_operator_end_to_end() -> None:
    items = [
        deployment("web", {"app": "web", "mesh": "always"}),          # policy disabled, but always-selected
        deployment("db", {"app": "db", "tier": "db", "mesh": "always"}),  # never wins over always
        deployment("batch", {"app": "batch"}),                          # policy disabled: skipped
    ]
    p = run_cli([], resource_list(items, OPERATOR).encode())
    assert p.returncode == 0, p.stderr
    out = load(p.stdout)
    by_name = {i["metadata"]["name"]: i for i in out["items"]}
    messages = {r["resourceRef"]["name"]: r["message"] for r in out["results"]}
    assert messages["web"].startswith("injected (template istio")
    assert messages["db"].startswith("skipped: neverInjectSelector[0]")
    assert messages["batch"] == "skipped: policy disabled"

    spec = by_name["web"]["spec"]["template"]["spec"]
    # native sidecars: istio-init then istio-proxy (restartPolicy: Always) first in initContainers
    assert [c["name"] for c in spec["initContainers"]] == ["istio-init", "istio-proxy"]
    proxy = spec["initContainers"][1]
    assert proxy["restartPolicy"] == "Always"
    assert [c["name"] for c in spec["containers"]] == ["web"]
    # hub and tag
    assert proxy["image"] == "registry.example.com/istio/proxyv2:1.29.2"
    assert spec["initContainers"][0]["image"] == "registry.example.com/istio/proxyv2:1.29.2"
    # hold application: the proxy config carries it
    env = {e["name"]: e.get("value") for e in proxy["env"]}
    assert '"holdApplicationUntilProxyStarts":true' in env["PROXY_CONFIG"].replace(" ", "")
    for name in ("db", "batch"):
        assert "initContainers" not in by_name[name]["spec"]["template"]["spec"]


def test_a_bad_annotation_is_an_error_naming_workload_and_annotation() -> None:
    bad = deployment("web", {"app": "web"})
    bad["spec"]["template"]["metadata"]["annotations"] = {
        "traffic.sidecar.istio.io/includeInboundPorts": "80,notaport"}
    good = deployment("api", {"app": "api"})
    text = resource_list([bad, good])
    p = run_cli([], text.encode())
    assert p.returncode == 1
    assert b"Traceback" not in p.stderr and b"includeInboundPorts" in p.stderr
    out = load(p.stdout)
    errors = [r for r in out["results"] if r["severity"] == "error"]
    assert len(errors) == 1
    assert errors[0]["resourceRef"]["name"] == "web"
    assert errors[0]["field"]["path"] == (
        "spec.template.metadata.annotations[traffic.sidecar.istio.io/includeInboundPorts]")
    assert out["items"][0] == load(text)["items"][0]  # unchanged
    assert "initContainers" in out["items"][1]["spec"]["template"]["spec"]  # the other one is injected


def test_an_item_injected_by_the_0_2_injector_is_re_injected_with_today_s_sidecar() -> None:
    legacy_cfg = {"apiVersion": "krmfn.dev/v1alpha1", "kind": "SidecarInjector", "metadata": {"name": "l"},
                  "template": "legacy-0.2"}
    old = load(run_cli([], resource_list([deployment("web", {"app": "web"})], legacy_cfg).encode()).stdout)
    old_item = old["items"][0]
    assert old_item["spec"]["template"]["metadata"]["annotations"]["sidecar.istio.io/status"].startswith(
        "injected-version-")
    p = run_cli([], resource_list([old_item]).encode())
    assert p.returncode == 0, p.stderr
    out = load(p.stdout)
    assert out["results"][0]["message"].startswith("re-injected (template istio")
    spec = out["items"][0]["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["containers"]] == ["web", "istio-proxy"]
    assert "istio-certs" not in [v["name"] for v in spec["volumes"]]  # the 0.2 volumes went
    assert spec["containers"][1]["image"].split("/")[-1].startswith("proxyv2:")
    assert "sidecar.istio.io/status" not in (out["items"][0]["metadata"].get("annotations") or {})


def test_a_failing_user_template_or_an_uninjectable_pod_is_an_error_not_a_traceback() -> None:
    config = {"apiVersion": "krmfn.dev/v1alpha1", "kind": "SidecarInjector", "metadata": {"name": "x"},
              "values": {"sidecarInjectorWebhook": {"templates": {"broken": "{{ .Foo | nosuchfn }}"},
                                                    "defaultTemplates": ["sidecar", "broken"]}}}
    bad_ports = deployment("ports", {"app": "ports"})
    bad_ports["spec"]["template"]["spec"]["containers"][0]["ports"] = "80"
    text = resource_list([deployment("web", {"app": "web"}), bad_ports], config)
    p = run_cli([], text.encode())
    assert p.returncode == 1 and b"Traceback" not in p.stderr
    out = load(p.stdout)
    assert out["items"] == load(text)["items"]
    errors = {r["resourceRef"]["name"]: r for r in out["results"] if r["severity"] == "error"}
    assert "broken" in errors["web"]["message"] and errors["web"]["message"].startswith("cannot inject")
    assert errors["ports"]["field"]["path"] == "spec.template.spec.containers[0].ports"
