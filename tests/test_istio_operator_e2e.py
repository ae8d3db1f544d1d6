"""An IstioOperator as functionConfig, end to end through the CLI: hub, tag, native sidecars,
selectors and holdApplicationUntilProxyStarts all reach the output."""

from __future__ import annotations

from typing import Any

from helpers import load, resource_list, run_cli

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
