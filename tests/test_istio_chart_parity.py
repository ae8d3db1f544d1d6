"""The built-in templates, written as Python data, render what Istio's chart templates render.

Differential test: the chart's template texts (read from ../shared, skipped when absent, never copied)
are executed by krmfn.gotemplate with the same SidecarTemplateData, and the partial pods compared
after the strategic merge's reading (nulls dropped).  Pods: every conformance input under its case's
settings, plus one pod under many value and annotation variations the goldens do not cover.
"""

from __future__ import annotations

import copy
import importlib
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from krmfn.istio import IstioSettings, grpc, sidecar
from krmfn.istio import gateway as gateway_template
from krmfn.istio.annotations import PROXY_CONFIG, parse_proxy_config
from krmfn.istio.context import Context
from krmfn.istio.defaults import effective_mesh, effective_values, merge_proxy_config
from krmfn.istio.merge import merge_pod
from krmfn.istio.pod import locate
from tests.helpers import CONFORMANCE
from tests.test_conformance_modern import (
    CASES,
    SEMANTIC_FIELDS,
    SUITE,
    _is_workload,
    in_scope,
    settings_for,
)

gotemplate = pytest.importorskip("krmfn.gotemplate")
I = importlib.import_module("krmfn.istio.injection")  # noqa: E741 - short aliases, as the chart parity tables read
O = importlib.import_module("krmfn.istio.overrides")  # noqa: E741 - as above
T = importlib.import_module("krmfn.istio.templating")
CHART = CONFORMANCE / "istio-modern" / "chart"
pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not CHART.exists(), reason="../shared/conformance/istio-modern/chart is absent"),
]

TEMPLATES: dict[str, tuple[str, Callable[[Context], dict[str, Any]]]] = {
    "sidecar": ("injection-template.yaml", sidecar.render),
    "gateway": ("gateway-injection-template.yaml", gateway_template.render),
    "grpc-agent": ("grpc-agent.yaml", grpc.render_agent),
    "grpc-simple": ("grpc-simple.yaml", grpc.render_simple),
}


def _normal(value: Any, key: str = "") -> Any:
    """The partial pod as Kubernetes reads it: nulls gone, zero initialDelaySeconds gone, JSON env parsed,
    the gRPC bootstrap command reduced to what it does (bootstrap_of)."""
    if isinstance(value, dict):
        out = {k: _normal(v, k) for k, v in value.items() if v is not None and not (k == "initialDelaySeconds" and v == 0)}
        reduce = SEMANTIC_FIELDS.get((out.get("name"), "command"))
        if reduce is not None and "command" in out:
            out["command"] = reduce(out["command"])
        if out.get("name") == "PROXY_CONFIG" and isinstance(out.get("value"), str):
            out["value"] = json.loads(out["value"])
        return out
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _context(obj: dict[str, Any], settings: IstioSettings) -> Context:
    loc = locate(obj)
    pod = {"metadata": copy.deepcopy(loc.holder.get("metadata") or {}), "spec": copy.deepcopy(loc.spec_holder["spec"])}
    values, mesh = effective_values(settings.values), effective_mesh(settings.mesh)
    annotations = pod["metadata"].get("annotations") or {}
    if PROXY_CONFIG in annotations:
        mesh["defaultConfig"] = merge_proxy_config(mesh["defaultConfig"], parse_proxy_config(annotations[PROXY_CONFIG]))
    return I._context(O.reinsert_overrides(O.strip(pod, mesh)), obj, settings, values, mesh)  # type: ignore[no-any-return]


_TEXTS: dict[str, str] = {}


def _chart_text(path: str) -> str:
    if path not in _TEXTS:
        _TEXTS[path] = (CHART / path).read_text()
    return _TEXTS[path]


def differences(obj: dict[str, Any], settings: IstioSettings) -> list[str]:
    ctx = _context(obj, settings)
    diffs = []
    for name, (path, build) in TEMPLATES.items():
        rendered = gotemplate.render(_chart_text(path), T.template_data(ctx, settings))
        theirs = _normal(merge_pod({}, yaml.safe_load(rendered) or {}))
        ours = _normal(merge_pod({}, build(ctx)))
        # The Multus JSON form: the conformance golden (hello-existing-cncf-networks-json) writes
        # {"name": "istio-cni", "namespace": "default"}; the engine's appendMultusNetwork predates that.
        for partial in (theirs, ours):
            partial.get("metadata", {}).get("annotations", {}).pop("k8s.v1.cni.cncf.io/networks", None)
        if theirs != ours:
            diffs.append(f"{name}: ours {json.dumps(ours, sort_keys=True)}\n   chart {json.dumps(theirs, sort_keys=True)}")
    return diffs


def _documents() -> list[tuple[str, dict[str, Any], IstioSettings]]:
    """Every distinct (workload, settings) pair of the conformance cases."""
    out = []
    seen: set[str] = set()
    for case in CASES:
        if not in_scope(case) or case.get("expectError"):
            continue
        settings = settings_for(case)
        for i, doc in enumerate(yaml.safe_load_all((SUITE / "testdata" / case["input"]).read_text())):
            items = doc.get("items") if isinstance(doc, dict) and doc.get("kind") == "List" else [doc]
            for j, item in enumerate(items or []):
                key = json.dumps([item, repr(settings)], sort_keys=True, default=str)
                if _is_workload(item) and key not in seen:
                    seen.add(key)
                    out.append((f"{case['name']}[{i}.{j}]", item, settings))
    return out


DOCUMENTS = _documents() if CHART.exists() else []


@pytest.mark.slow
@pytest.mark.parametrize("obj,settings", [(d, s) for _, d, s in DOCUMENTS], ids=[n for n, _, _ in DOCUMENTS])
def test_conformance_inputs(obj: dict[str, Any], settings: IstioSettings) -> None:
    assert differences(obj, settings) == []


BASE = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "shop", "namespace": "prod"},
    "spec": {"template": {
        "metadata": {"labels": {"app": "shop", "version": "v3"}},
        "spec": {"serviceAccountName": "shop-sa", "containers": [
            {"name": "api", "image": "api", "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}]},
            {"name": "worker", "image": "worker", "ports": [{"containerPort": 9090}]}]},
    }},
}

VALUES = [
    {"global": {"logAsJson": True, "sts": {"servicePort": 15463}, "proxy": {"outlierLogPath": "/dev/stdout"}}},
    {"global": {"proxy": {"lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}}, "privileged": True,
                          "seccompProfile": {"type": "RuntimeDefault"}}}},
    {"global": {"caName": "GkeWorkloadCertificate", "caAddress": "ca.example:443", "meshID": "mesh1",
                "network": "net1", "multiCluster": {"clusterName": "c1"}, "trustBundleName": "bundle"}},
    {"global": {"pilotCertProvider": "kubernetes", "mountMtlsCerts": True, "imagePullPolicy": "IfNotPresent",
                "imagePullSecrets": ["a", "b"]}},
    {"pilot": {"cni": {"enabled": True, "provider": "multus"}, "crlConfigMapName": "crl",
               "env": {"ENABLE_CLUSTER_TRUST_BUNDLE_API": True}}, "revision": "canary"},
    {"global": {"proxy_init": {"forceApplyIptables": True}, "nativeNftables": True,
                "proxy": {"includeOutboundPorts": "80,443", "excludeOutboundPorts": "5432",
                          "startupProbe": {"enabled": False}, "resources": {}}}},
    {"global": {"proxy": {"tracer": "datadog", "capNetBindService": True}}},
]

ANNOTATIONS = [
    {"sidecar.istio.io/interceptionMode": "TPROXY", "sidecar.istio.io/capNetBindService": "true"},
    {"sidecar.istio.io/bootstrapOverride": "my-bootstrap", "traffic.sidecar.istio.io/excludeInterfaces": "eth1",
     "traffic.sidecar.istio.io/includeOutboundPorts": "80", "sidecar.istio.io/logLevel": "debug",
     "sidecar.istio.io/componentLogLevel": "misc:info", "sidecar.istio.io/agentLogLevel": "default:debug"},
    {"sidecar.istio.io/proxyMemory": "64Mi", "sidecar.istio.io/proxyCPULimit": "1", "apm.datadoghq.com/env": '{"DD_ENV":"prod"}',
     "status.sidecar.istio.io/port": "15999", "readiness.status.sidecar.istio.io/periodSeconds": "3"},
    {"proxy.istio.io/config": "proxyMetadata:\n  ISTIO_META_ENABLE_HBONE: 'true'\n  IPTABLES_TRACE_LOGGING: 'true'\n"
                              "holdApplicationUntilProxyStarts: true\n", "sidecar.istio.io/nativeSidecar": "false"},
    {"sidecar.istio.io/interceptionMode": "NONE", "sidecar.istio.io/proxyImage": "my.reg/proxy:1"},
]

VARIATIONS = [(f"values{i}", v, {}) for i, v in enumerate(VALUES)] + [
    (f"annotations{i}-{mode}", v, a) for i, a in enumerate(ANNOTATIONS) for mode, v in (("native", {}), ("cni", VALUES[4]))
]


@pytest.mark.parametrize("values,annotations", [(v, a) for _, v, a in VARIATIONS], ids=[n for n, _, _ in VARIATIONS])
@pytest.mark.parametrize("native", [True, False], ids=["native", "classic"])
def test_variations(values: dict[str, Any], annotations: dict[str, str], native: bool) -> None:
    obj = copy.deepcopy(BASE)
    obj["spec"]["template"]["metadata"]["annotations"] = dict(annotations)
    settings = IstioSettings(values={"global": {"hub": "r.example"}, **values}, native_sidecars=native,
                             mesh={"inboundTrafficPolicy": {"mode": "LOCALHOST"}}, features={"COMPLIANCE_POLICY": "fips-140-3"})
    assert differences(obj, settings) == []
