"""App probe rewrite to pilot-agent, PROXY_CONFIG defaults removal, Prometheus metrics merge."""

from __future__ import annotations

import json
from typing import Any

from krmfn.istio import IstioSettings, inject
from krmfn.istio.proxyconfig import proxy_config_json


def pod(container: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "annotations": annotations or {}},
        "spec": {"containers": [container]},
    }


def env_of(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]
    proxy = next(c for c in (spec.get("initContainers") or []) + spec["containers"] if c["name"] == "istio-proxy")
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in proxy["env"]}


APP = {
    "name": "app",
    "image": "app",
    "ports": [{"name": "http", "containerPort": 8080}],
    "readinessProbe": {"httpGet": {"path": "/ready", "port": "http", "scheme": "HTTPS"}, "timeoutSeconds": 2},
    "livenessProbe": {"tcpSocket": {"port": 8081}, "periodSeconds": 7},
    "startupProbe": {"grpc": {"port": 9000}},
}


def test_http_tcp_grpc_probes_go_to_the_agent_and_originals_to_the_env() -> None:
    out = inject(pod(dict(APP)), IstioSettings()).obj
    app = out["spec"]["containers"][0]
    assert app["readinessProbe"] == {"httpGet": {"path": "/app-health/app/readyz", "port": 15020, "scheme": "HTTP"},
                                     "timeoutSeconds": 2}
    assert app["livenessProbe"] == {"periodSeconds": 7, "httpGet": {"path": "/app-health/app/livez", "port": 15020}}
    assert app["startupProbe"] == {"httpGet": {"path": "/app-health/app/startupz", "port": 15020}}
    probers = json.loads(env_of(out)["ISTIO_KUBE_APP_PROBERS"])
    assert list(probers) == sorted(probers)
    assert probers["/app-health/app/readyz"] == {"httpGet": {"path": "/ready", "port": 8080, "scheme": "HTTPS"},
                                                 "timeoutSeconds": 2}
    assert probers["/app-health/app/livez"] == {"tcpSocket": {"port": 8081}}
    assert probers["/app-health/app/startupz"] == {"grpc": {"port": 9000}}


def test_exec_probes_and_opt_out_are_left_alone() -> None:
    container = {"name": "app", "image": "app", "readinessProbe": {"exec": {"command": ["true"]}}}
    out = inject(pod(container), IstioSettings()).obj
    assert out["spec"]["containers"][0]["readinessProbe"] == {"exec": {"command": ["true"]}}
    assert "ISTIO_KUBE_APP_PROBERS" not in env_of(out)
    opted_out = inject(pod(dict(APP), {"sidecar.istio.io/rewriteAppHTTPProbers": "false"}), IstioSettings()).obj
    assert opted_out["spec"]["containers"][0]["readinessProbe"] == APP["readinessProbe"]
    assert "ISTIO_KUBE_APP_PROBERS" not in env_of(opted_out)
    by_values = inject(pod(dict(APP)), IstioSettings(values={"sidecarInjectorWebhook": {"rewriteAppHTTPProbe": False}}))
    assert by_values.obj["spec"]["containers"][0]["livenessProbe"] == APP["livenessProbe"]


def test_status_port_annotation_and_excluded_ports() -> None:
    out = inject(pod(dict(APP), {"status.sidecar.istio.io/port": "16000",
                                  "traffic.sidecar.istio.io/excludeInboundPorts": "8081"}), IstioSettings()).obj
    app = out["spec"]["containers"][0]
    assert app["readinessProbe"]["httpGet"]["port"] == 16000
    assert app["livenessProbe"] == APP["livenessProbe"]  # on an excluded port: the kubelet reaches it directly
    assert "/app-health/app/livez" not in json.loads(env_of(out)["ISTIO_KUBE_APP_PROBERS"])


def test_proxy_config_defaults_removed_in_proto_order() -> None:
    assert proxy_config_json({"drainDuration": "45s", "statusPort": 15020, "configPath": "./etc/istio/proxy"}) == "{}\n"
    assert proxy_config_json({"concurrency": 2}) == "{\"concurrency\":2}\n"  # not a default: unset means "by CPU"
    assert proxy_config_json({"drainDuration": "0h0m45s", "interceptionMode": "REDIRECT", "proxyMetadata": {}}) == "{}\n"
    text = proxy_config_json({
        "proxyMetadata": {"B": "2", "A": "1"},
        "concurrency": 0,
        "discoveryAddress": "foo:123",
        "drainDuration": "1m",
        "interceptionMode": "TPROXY",
        "holdApplicationUntilProxyStarts": False,
        "tracing": {},
    })
    assert text.endswith("}\n")
    assert list(json.loads(text).items()) == [
        ("drainDuration", "60s"), ("discoveryAddress", "foo:123"), ("concurrency", 0), ("interceptionMode", "TPROXY"),
        ("tracing", {}), ("proxyMetadata", {"A": "1", "B": "2"}), ("holdApplicationUntilProxyStarts", False)]


def test_proxy_config_annotation_reaches_proxy_config_env_and_init_env() -> None:
    settings = IstioSettings(mesh={"defaultConfig": {"proxyMetadata": {"MESH": "m", "BOTH": "mesh"}}})
    annotations = {"proxy.istio.io/config": "proxyMetadata:\n  BOTH: pod\n  POD: p\nconcurrency: 4\n"}
    out = inject(pod({"name": "app", "image": "app"}, annotations), settings).obj
    env = env_of(out)
    assert json.loads(env["PROXY_CONFIG"]) == {"concurrency": 4, "proxyMetadata": {"BOTH": "pod", "MESH": "m", "POD": "p"}}
    assert (env["BOTH"], env["MESH"], env["POD"]) == ("pod", "m", "p")
    init = out["spec"]["initContainers"][0]
    assert init["name"] == "istio-init" and [e["name"] for e in init["env"]] == ["BOTH", "MESH", "POD"]


def test_prometheus_annotations_move_to_the_agent() -> None:
    annotations = {"prometheus.io/scrape": "true", "prometheus.io/port": "9090", "prometheus.io.path": "/m"}
    out = inject(pod({"name": "app", "image": "app"}, annotations), IstioSettings()).obj
    assert json.loads(env_of(out)["ISTIO_PROMETHEUS_ANNOTATIONS"]) == {"scrape": "true", "path": "/m", "port": "9090"}
    got = out["metadata"]["annotations"]
    assert (got["prometheus.io/scrape"], got["prometheus.io/port"], got["prometheus.io/path"]) == (
        "true", "15020", "/stats/prometheus")
    assert "prometheus.io.path" not in got
    assert list(got)[:2] == ["prometheus.io/scrape", "prometheus.io/port"]  # existing keys keep their place


def test_prometheus_opt_outs() -> None:
    for given, settings in (
        ({"prometheus.io/scrape": "false"}, IstioSettings()),
        ({"prometheus.istio.io/merge-metrics": "false", "prometheus.io/port": "1"}, IstioSettings()),
        ({"prometheus.io/port": "1"}, IstioSettings(mesh={"enablePrometheusMerge": False})),
    ):
        out = inject(pod({"name": "app", "image": "app"}, dict(given)), settings).obj
        got = out["metadata"]["annotations"]
        assert "ISTIO_PROMETHEUS_ANNOTATIONS" not in env_of(out)
        assert {k: got[k] for k in given} == given
        assert "prometheus.io/path" not in got


def test_one_probe_shared_by_two_fields_is_dumped_as_read_then_rewritten_twice() -> None:
    """The probers are read before any probe is rewritten, even where the input shares one probe (a YAML
    alias) between two fields (the copy injection makes shares nothing, but the reader must not rely on it)."""
    from krmfn.istio.probes import AppProbes

    probe = {"httpGet": {"path": "/ready", "port": "http"}}
    app = {"name": "app", "ports": [{"name": "http", "containerPort": 8080}], "readinessProbe": probe,
           "livenessProbe": probe, "lifecycle": {"preStop": {"tcpSocket": {"port": 8081}}}}
    found = AppProbes({"metadata": {}, "spec": {"containers": [app]}})
    assert json.loads(found.dump()) == {
        "/app-health/app/livez": {"httpGet": {"path": "/ready", "port": 8080}},
        "/app-health/app/readyz": {"httpGet": {"path": "/ready", "port": 8080}},
        "/app-lifecycle/app/prestopz": {"tcpSocket": {"port": 8081}},
    }
    found.rewrite(15020)
    assert probe == {"httpGet": {"path": "/app-health/app/livez", "port": 15020}}  # readiness, then liveness
    assert app["lifecycle"]["preStop"] == {"httpGet": {"path": "/app-lifecycle/app/prestopz", "port": 15020}}


def test_only_names_beginning_with_prometheus_are_read_as_scrape_settings() -> None:
    from krmfn.istio.prometheus import prometheus_names, sanitize

    names = ["prometheus.io/port", "prometheus-io-scrape", "Prometheus.io/port", "xprometheus.io/port",
             "prometheus\u00e9io/path", "app.kubernetes.io/name", "prometheus"]
    got = prometheus_names({n: "1" for n in names})
    assert got == {n: sanitize(n) for n in names if sanitize(n).startswith("prometheus")}
    assert list(got) == ["prometheus.io/port", "prometheus-io-scrape", "prometheus\u00e9io/path", "prometheus"]
    annotations = {"app": "x", "prometheus-io-scrape": "true", "prometheus_io_port": "9090"}
    env = env_of(inject(pod({"name": "app", "image": "app"}, annotations), IstioSettings()).obj)
    assert json.loads(env["ISTIO_PROMETHEUS_ANNOTATIONS"]) == {"scrape": "true", "path": "", "port": "9090"}


def test_the_status_text_is_kept_by_names_and_revision() -> None:
    from krmfn.istio.status import status_and_lists

    def spec(volume: str) -> dict[str, Any]:
        return {"containers": [{"name": "istio-proxy"}], "volumes": [{"name": "a"}, {"name": volume}]}

    seen = set()
    for volume, revision in (("b", ""), ("c", ""), ("b", "canary"), ("b", "")):
        text, lists = status_and_lists(spec(volume), revision)
        assert json.loads(text) == {"initContainers": None, "containers": ["istio-proxy"], "volumes": ["a", volume],
                                    "imagePullSecrets": None, "revision": revision or "default"}
        assert lists == {"initContainers": [], "containers": ["istio-proxy"], "volumes": ["a", volume],
                         "imagePullSecrets": [], "revision": revision or "default"}
        seen.add(text)
    assert len(seen) == 3
