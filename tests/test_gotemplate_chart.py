"""Istio's real injection templates (read from ../shared at test time, never copied) rendered by
krmfn.gotemplate with realistic data, checked against the structure of Istio's own goldens."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from helpers import CONFORMANCE, deep_merge

from krmfn.gotemplate import json_numbers, render

MODERN = CONFORMANCE / "istio-modern"
CHART = MODERN / "chart"
TESTDATA = MODERN / "testdata"

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not CHART.is_dir(), reason="../shared/conformance/istio-modern absent"),
]

CHART_TEMPLATES = ["injection-template.yaml", "gateway-injection-template.yaml", "grpc-agent.yaml", "grpc-simple.yaml"]
IMAGE = "registry.istio.io/testing/proxyv2:latest"


def chart_values(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The values istiod hands templates: the chart defaults' global, sidecarInjectorWebhook, revision,
    pilot (cni, env) and gateways, with the test hub and tag, numbers as Go's JSON decoding makes them."""
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())["_internal_defaults_do_not_set"]
    glob = copy.deepcopy(defaults["global"])
    glob.update(hub="registry.istio.io/testing", tag="latest")
    values = {
        "global": glob,
        "sidecarInjectorWebhook": copy.deepcopy(defaults.get("sidecarInjectorWebhook", {})),
        "revision": "",
        "pilot": {"cni": copy.deepcopy(defaults.get("cni", {"enabled": False, "provider": "default"})), "env": copy.deepcopy(defaults.get("env", {}))},
        "gateways": {},
    }
    deep_merge(values, overrides or {})
    return json_numbers(values)


def workload(name: str) -> dict[str, Any]:
    """The first workload (a Pod or an object with a pod template) of a testdata file."""
    docs = [d for d in yaml.safe_load_all((TESTDATA / name).read_text()) if d]
    return next(d for d in docs if d.get("kind") == "Pod" or "template" in (d.get("spec") or {}))


def template_data(doc: dict[str, Any], *, native: bool = True, values: dict[str, Any] | None = None, proxy_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Istio's SidecarTemplateData for a Deployment-like workload, as a dict."""
    pod = doc["spec"]["template"] if doc["kind"] != "Pod" else doc
    meta = copy.deepcopy(pod.get("metadata") or {})
    return {
        "TypeMeta": {"apiVersion": doc["apiVersion"], "kind": doc["kind"]},
        "DeploymentMeta": {"name": doc["metadata"]["name"], "namespace": doc["metadata"].get("namespace", "")},
        "ObjectMeta": meta,
        "Spec": copy.deepcopy(pod["spec"]),
        "ProxyConfig": proxy_config if proxy_config is not None else {
            "configPath": "./etc/istio/proxy", "binaryPath": "/usr/local/bin/envoy", "serviceCluster": "istio-proxy",
            "drainDuration": "45s", "terminationDrainDuration": "5s", "discoveryAddress": "istiod.istio-system.svc:15012",
            "proxyAdminPort": 15000, "controlPlaneAuthPolicy": "MUTUAL_TLS", "statNameLength": 189, "statusPort": 15020,
            "interceptionMode": "REDIRECT", "proxyMetadata": {},
        },
        "MeshConfig": {"trustDomain": "cluster.local", "rootNamespace": "istio-system", "defaultConfig": {}},
        "Values": values if values is not None else chart_values(),
        "Revision": "",
        "NativeSidecars": native,
        "ProxyImage": IMAGE,
        "ProxyInitImage": IMAGE,
        "ProxyUID": 1337,
        "ProxyGID": 1337,
        "InboundTrafficPolicyMode": "passthrough",
        "CompliancePolicy": "",
    }


def render_chart(name: str, data: dict[str, Any]) -> dict[str, Any]:
    out = render((CHART / name).read_text(), data, name=name)
    doc = yaml.safe_load(out)
    assert isinstance(doc, dict), out
    return doc


def golden_pod(name: str) -> dict[str, Any]:
    doc = next(d for d in yaml.safe_load_all((TESTDATA / name).read_text()) if d)
    return doc["spec"]["template"] if doc["kind"] != "Pod" else doc


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in items}


def omit_zero(d: dict[str, Any]) -> dict[str, Any]:
    """What Go's omitempty leaves of a probe: zero numbers dropped."""
    return {k: omit_zero(v) if isinstance(v, dict) else v for k, v in d.items() if v != 0}


def env_names(c: dict[str, Any]) -> list[str]:
    return [e["name"] for e in c.get("env") or []]


# -- the sidecar template against Istio's goldens --------------------------------------------------


def test_sidecar_template_native_matches_golden_structure() -> None:
    doc = render_chart("injection-template.yaml", template_data(workload("hello.yaml"), native=True))
    golden = golden_pod("hello.yaml.injected")
    spec, gspec = doc["spec"], golden["spec"]
    # native sidecars: istio-init and istio-proxy are both init containers, no containers list
    assert [c["name"] for c in spec["initContainers"]] == [c["name"] for c in gspec["initContainers"]] == ["istio-init", "istio-proxy"]
    assert "containers" not in spec
    ours, theirs = by_name(spec["initContainers"]), by_name(gspec["initContainers"])
    for name in ("istio-init", "istio-proxy"):
        assert ours[name]["args"] == theirs[name]["args"], name
        assert ours[name]["image"] == theirs[name]["image"] == IMAGE
    proxy, gproxy = ours["istio-proxy"], theirs["istio-proxy"]
    assert proxy["restartPolicy"] == "Always"
    assert env_names(proxy) == env_names(gproxy)
    genv = {e["name"]: e for e in gproxy["env"]}
    for e in proxy["env"]:
        g = genv[e["name"]]
        if e["name"] in ("PROXY_CONFIG", "ISTIO_META_POD_PORTS"):
            assert json.loads(e["value"]) == json.loads(g["value"]), e["name"]
        elif "value" in g:
            assert str(e["value"]) == g["value"], e["name"]
        else:
            assert e["valueFrom"] == g["valueFrom"], e["name"]
    assert [m["name"] for m in proxy["volumeMounts"]] == [m["name"] for m in gproxy["volumeMounts"]]
    assert omit_zero(proxy["readinessProbe"]) == gproxy["readinessProbe"]
    assert omit_zero(proxy["startupProbe"]) == gproxy["startupProbe"]
    assert proxy["lifecycle"] == gproxy["lifecycle"]
    assert proxy["securityContext"] == gproxy["securityContext"]
    status = json.loads(golden["metadata"]["annotations"]["sidecar.istio.io/status"])
    assert [v["name"] for v in spec["volumes"]] == status["volumes"]
    assert doc["metadata"]["labels"] == {k: v for k, v in golden["metadata"]["labels"].items() if k not in ("app", "tier", "track")}
    for k, v in doc["metadata"]["annotations"].items():
        assert golden["metadata"]["annotations"][k] == v


def test_sidecar_template_classic_puts_proxy_in_containers() -> None:
    doc = render_chart("injection-template.yaml", template_data(workload("hello.yaml"), native=False))
    assert [c["name"] for c in doc["spec"]["initContainers"]] == ["istio-init"]
    assert [c["name"] for c in doc["spec"]["containers"]] == ["istio-proxy"]
    proxy = doc["spec"]["containers"][0]
    assert "restartPolicy" not in proxy
    assert "lifecycle" not in proxy


def test_sidecar_template_pod_ports_and_app_containers() -> None:
    doc = workload("hello.yaml")
    doc["spec"]["template"]["spec"]["containers"].append(
        {"name": "second", "image": "x", "ports": [{"containerPort": 9090, "protocol": "UDP"}, {"name": "grpc", "containerPort": 8081}]}
    )
    out = render_chart("injection-template.yaml", template_data(doc))
    proxy = by_name(out["spec"]["initContainers"])["istio-proxy"]
    env = {e["name"]: e.get("value") for e in proxy["env"]}
    assert json.loads(env["ISTIO_META_POD_PORTS"]) == [
        {"name": "http", "containerPort": 80},
        {"containerPort": 9090, "protocol": "UDP"},
        {"name": "grpc", "containerPort": 8081},
    ]
    assert env["ISTIO_META_APP_CONTAINERS"] == "hello,second"
    assert out["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"] == "hello"


def test_sidecar_template_annotations_drive_the_output() -> None:
    doc = workload("hello.yaml")
    doc["spec"]["template"]["metadata"]["annotations"] = {
        "sidecar.istio.io/interceptionMode": "TPROXY",
        "sidecar.istio.io/proxyCPU": "250m",
        "sidecar.istio.io/proxyMemoryLimit": "1Gi",
        "traffic.sidecar.istio.io/excludeOutboundPorts": "3306",
        "sidecar.istio.io/userVolume": '{"extra":{"emptyDir":{}}}',
        "sidecar.istio.io/userVolumeMount": '{"extra":{"mountPath":"/extra","readOnly":true}}',
    }
    out = render_chart("injection-template.yaml", template_data(doc, native=False))
    init = by_name(out["spec"]["initContainers"])["istio-init"]
    args = init["args"]
    assert args[args.index("-m") + 1] == "TPROXY"
    assert args[args.index("-o") + 1] == "3306"
    assert args[args.index("-u") + 1] == "1337"
    proxy = by_name(out["spec"]["containers"])["istio-proxy"]
    assert proxy["resources"] == {"requests": {"cpu": "250m"}, "limits": {"memory": "1Gi"}}
    assert proxy["securityContext"]["capabilities"]["add"] == ["NET_ADMIN"]
    assert by_name(proxy["volumeMounts"])["extra"] == {"name": "extra", "mountPath": "/extra", "readOnly": True}
    assert by_name(out["spec"]["volumes"])["extra"] == {"name": "extra", "emptyDir": {}}
    assert {e["name"]: e.get("value") for e in proxy["env"]}["ISTIO_META_INTERCEPTION_MODE"] == "TPROXY"


def test_sidecar_template_values_drive_the_output() -> None:
    values = chart_values({"global": {"imagePullSecrets": ["barSecret"], "mountMtlsCerts": True, "proxy": {"resources": {"limits": {"cpu": None, "memory": "500Mi"}, "requests": {"cpu": "100m", "memory": None}}}}, "pilot": {"cni": {"enabled": True}}})
    out = render_chart("injection-template.yaml", template_data(workload("hello.yaml"), values=values))
    assert out["spec"]["imagePullSecrets"] == [{"name": "barSecret"}]
    assert "istio-certs" in [v["name"] for v in out["spec"]["volumes"]]
    assert by_name(out["spec"]["volumes"])["istio-certs"]["secret"]["secretName"] == "istio.default"
    init = out["spec"]["initContainers"]
    assert init[0]["name"] == "istio-validation"
    assert "--run-validation" in init[0]["args"]
    proxy = by_name(init)["istio-proxy"]
    assert proxy["resources"] == {"limits": {"memory": "500Mi"}, "requests": {"cpu": "100m"}}  # omitNil
    assert out["metadata"]["annotations"]["sidecar.istio.io/interceptionMode"] == "REDIRECT"


def test_sidecar_template_proxy_config_json() -> None:
    pc = {"discoveryAddress": "foo:123", "concurrency": 0, "proxyMetadata": {"FOO": "bar"}, "interceptionMode": "REDIRECT", "statusPort": 15020}
    out = render_chart("injection-template.yaml", template_data(workload("hello.yaml"), proxy_config=pc))
    init = by_name(out["spec"]["initContainers"])
    env = {e["name"]: e.get("value") for e in init["istio-proxy"]["env"]}
    assert env["PROXY_CONFIG"].strip() == '{"discoveryAddress":"foo:123","concurrency":0,"proxyMetadata":{"FOO":"bar"}}'
    assert env["FOO"] == "bar"
    assert {e["name"]: e.get("value") for e in init["istio-init"]["env"]} == {"FOO": "bar"}


# -- every chart template and every template in the testdata's IstioOperator files ------------------


@pytest.mark.parametrize("name", CHART_TEMPLATES)
@pytest.mark.parametrize("native", [True, False])
def test_every_chart_template_renders_yaml(name: str, native: bool) -> None:
    for workload_file in ("hello.yaml", "hello-probes.yaml", "frontend.yaml", "gateway.yaml"):
        if not (TESTDATA / workload_file).exists():
            continue
        doc = workload(workload_file)
        out = render_chart(name, template_data(doc, native=native))
        assert "spec" in out or "metadata" in out
        text = render((CHART / name).read_text(), template_data(doc, native=native))
        assert "<no value>" not in text, (name, workload_file)


def test_gateway_template_structure() -> None:
    out = render_chart("gateway-injection-template.yaml", template_data(workload("gateway.yaml")))
    proxy = by_name(out["spec"]["containers"])["istio-proxy"]
    assert proxy["args"][:2] == ["proxy", "router"]
    assert "ISTIO_META_POD_PORTS" in env_names(proxy)


def iop_templates() -> list[tuple[str, str, str]]:
    found = []
    if TESTDATA.is_dir():
        for f in sorted(TESTDATA.glob("*.iop.yaml")):
            iop = yaml.safe_load(f.read_text())
            templates = (((iop.get("spec") or {}).get("values") or {}).get("sidecarInjectorWebhook") or {}).get("templates") or {}
            for name, text in templates.items():
                found.append((f.name, name, text))
    return found


def test_testdata_has_iop_templates() -> None:
    assert {name for _, name, _ in iop_templates()} >= {"custom", "spire"}


@pytest.mark.parametrize("iop, name, text", iop_templates(), ids=[f"{a}:{b}" for a, b, _ in iop_templates()])
def test_iop_template_renders(iop: str, name: str, text: str) -> None:
    doc = workload("hello.yaml")
    out = yaml.safe_load(render(text, template_data(doc), name=name))
    assert isinstance(out["spec"], dict)
    if name == "custom":
        assert [c["name"] for c in out["spec"]["containers"]] == ["hello"]
        assert out["spec"]["containers"][0]["env"][0] == {"name": "SOME_ENV", "value": "true"}
        assert out["metadata"]["annotations"]["foo"] == "bar"


def test_values_templated_strings_render() -> None:
    """hello-template-in-values.iop.yaml carries a template inside a value; it renders too."""
    iop = yaml.safe_load((TESTDATA / "hello-template-in-values.iop.yaml").read_text())
    search = iop["spec"]["values"]["global"]["podDNSSearchNamespaces"]
    data = template_data(workload("hello.yaml"))
    assert [render(s, data) for s in search] == ["global", "default.global"]
