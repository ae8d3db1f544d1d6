"""Istio's chart templates rendered by krmfn.gotemplate for every conformance case (with the case's
values, IstioOperator file, features and mesh config), compared with what Istio injected: the
istio-init and istio-proxy arguments exactly, every istio-proxy env var the template writes (by
value, JSON compared as JSON), resources (as quantities), volume mounts and volumes.  Reference data is read from ../shared at test time
(skipped when absent).  Only the template's part is compared: what Istio adds after the template
(probe rewriting, prometheus annotations, the merge into the pod) is not the renderer's job."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import yaml
from helpers import CONFORMANCE
from test_gotemplate_chart import CHART, TESTDATA, chart_values, template_data

from krmfn.gotemplate import render

CASES_FILE = CONFORMANCE / "istio-modern" / "cases.yaml"
TEMPLATE_FILES = {
    "sidecar": "injection-template.yaml",
    "gateway": "gateway-injection-template.yaml",
    "grpc-agent": "grpc-agent.yaml",
    "grpc-simple": "grpc-simple.yaml",
}
JSON_ENV = {"PROXY_CONFIG", "ISTIO_META_POD_PORTS"}
SKIP_CASES = ("expectError", "unused")

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not CASES_FILE.is_file(), reason="../shared/conformance/istio-modern absent"),
]


def all_cases() -> list[dict[str, Any]]:
    if not CASES_FILE.is_file():
        return []
    cases = yaml.safe_load(CASES_FILE.read_text())["cases"]
    return [c for c in cases if not any(k in c for k in SKIP_CASES)]


def case_values(case: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The case's values overrides (IstioOperator file, then --set flags) and its user templates."""
    overrides: dict[str, Any] = {}
    templates: dict[str, str] = {}
    if "iop" in case:
        iop_values = (yaml.safe_load((TESTDATA / case["iop"]).read_text()).get("spec") or {}).get("values") or {}
        templates = dict((iop_values.get("sidecarInjectorWebhook") or {}).get("templates") or {})
        overrides = copy.deepcopy(iop_values)
    for path, value in (case.get("values") or {}).items():
        keys = path.split(".")
        if keys[:2] == ["components", "cni"]:
            keys = ["pilot", "cni", keys[-1]]
        elif keys[:2] == ["values", "cni"]:
            keys = ["pilot", "cni"] + keys[2:]
        else:
            keys = keys[1:]
        cur = overrides
        for k in keys[:-1]:
            cur = cur.setdefault(k, {})
        cur[keys[-1]] = value
    return overrides, templates


def apply_mesh(data: dict[str, Any], mesh: dict[str, Any]) -> None:
    """A case's meshConfig over the defaults: defaultConfig merges into ProxyConfig."""
    for key, value in mesh.items():
        if key == "defaultConfig":
            data["ProxyConfig"].update(copy.deepcopy(value))
        elif key == "inboundTrafficPolicy":
            data["InboundTrafficPolicyMode"] = str(value.get("mode", "PASSTHROUGH")).lower()
        elif key == "extensionProviders":
            data["MeshConfig"]["extensionProviders"] = copy.deepcopy(value.get("append", value))
        else:
            data["MeshConfig"][key] = copy.deepcopy(value)


def workloads(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The workload documents of a file, List items included, in order."""
    if doc.get("kind") == "List":
        for item in doc.get("items") or []:
            yield from workloads(item)
    elif doc.get("kind") in ("Pod", "CronJob") or "template" in (doc.get("spec") or {}):
        yield doc


def pod_of(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metadata, spec) Istio's kube-inject hands the templates."""
    if doc["kind"] == "Pod":
        return doc.get("metadata") or {}, doc["spec"]
    if doc["kind"] == "CronJob":
        job = doc["spec"]["jobTemplate"]
        return job.get("metadata") or {}, job["spec"]["template"]["spec"]
    return doc["spec"]["template"].get("metadata") or {}, doc["spec"]["template"]["spec"]


def data_for(doc: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    overrides, _ = case_values(case)
    values = chart_values(overrides)
    native = case["nativeSidecars"]
    if doc["kind"] == "Pod":  # kube.GetDeployMetaFromPod: the pod itself, or its controller
        data = template_data(doc, native=native, values=values)
        owner = next((o for o in doc["metadata"].get("ownerReferences") or [] if o.get("controller")), None)
        if owner is not None:
            data["TypeMeta"] = {"apiVersion": owner["apiVersion"], "kind": owner["kind"]}
            data["DeploymentMeta"]["name"] = owner["name"]
    else:
        meta, spec = pod_of(doc)
        shaped = {"apiVersion": doc["apiVersion"], "kind": doc["kind"], "metadata": doc.get("metadata") or {}, "spec": {"template": {"metadata": meta, "spec": spec}}}
        data = template_data(shaped, native=native, values=values)
    glob = values["global"]
    data["ProxyImage"] = f"{glob['hub']}/{glob['proxy']['image']}:{glob['tag']}"
    data["ProxyInitImage"] = f"{glob['hub']}/{glob['proxy_init']['image']}:{glob['tag']}"
    data["CompliancePolicy"] = (case.get("features") or {}).get("COMPLIANCE_POLICY", "")
    apply_mesh(data, case.get("meshConfig") or {})
    pod_config = (data["ObjectMeta"].get("annotations") or {}).get("proxy.istio.io/config")
    if pod_config:  # mesh.ApplyProxyConfig: the pod's ProxyConfig over the mesh's
        data["ProxyConfig"].update(yaml.safe_load(pod_config) or {})
    return data


def containers(pod_spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or [])}


def skip_reason(meta: dict[str, Any], golden_spec: dict[str, Any], templates: dict[str, str]) -> str | None:
    annotations = meta.get("annotations") or {}
    if not golden_spec.get("volumes") and "istio-proxy" not in containers(golden_spec) and "inject.istio.io/templates" not in annotations:
        return "not injected (policy)"
    if "sidecar.istio.io/status" in annotations:
        return "re-injection (the injector strips the earlier sidecar first)"
    names = [n.strip() for n in annotations.get("inject.istio.io/templates", "sidecar").split(",")]
    if len(names) != 1 or names[0] not in {**TEMPLATE_FILES, **templates}:
        return f"templates {names} (several templates are merged by the injector)"
    return None


_SUFFIX = {"m": Decimal("0.001"), "": Decimal(1), "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
           "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40)}


def quantities(resources: dict[str, Any]) -> dict[str, dict[str, Decimal]]:
    """Resources with quantities as numbers (``2`` equals ``2000m``); empty sections dropped."""
    out = {}
    for section, values in resources.items():
        if values:
            out[section] = {k: _quantity(str(v)) for k, v in values.items()}
    return out


def _quantity(q: str) -> Decimal:
    m = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", q)
    assert m, q
    return Decimal(m.group(1)) * _SUFFIX[m.group(2)]


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    it = iter(whole)
    return all(x in it for x in part)


def compare(ours: dict[str, Any], golden_spec: dict[str, Any], pod_spec: dict[str, Any], where: str) -> None:
    """Every container the template writes against the golden's, leaving out what the pod itself
    sets in a container of the same name (the injector merges the pod's fields over the template's)."""
    mine, theirs, pods = containers(ours.get("spec") or {}), containers(golden_spec), containers(pod_spec)
    # a pod's own istio-proxy user: the injector makes the iptables rules (-u) follow it after templating
    own_uid = "securityContext" in pods.get("istio-proxy", {})
    for name, c in mine.items():
        assert name in theirs, f"{where}: {name} not in golden"
        g, pod = theirs[name], pods.get(name, {})
        if own_uid and name in ("istio-init", "istio-validation"):
            continue
        if "args" in c and "args" not in pod:
            assert c["args"] == g.get("args"), f"{where}: {name} args"
        if "image" in c and "image" not in pod:
            assert c["image"] == g.get("image"), f"{where}: {name} image"
        pod_env = {e["name"] for e in pod.get("env") or []}
        genv = {e["name"]: e for e in g.get("env") or []}
        for e in c.get("env") or []:
            if e["name"] in pod_env:
                continue
            assert e["name"] in genv, f"{where}: {name} env {e['name']} not in golden"
            ge = genv[e["name"]]
            if e["name"] in JSON_ENV:
                assert json.loads(e["value"]) == json.loads(ge["value"]), f"{where}: env {e['name']}"
            elif "valueFrom" in e:
                assert e["valueFrom"] == ge["valueFrom"], f"{where}: env {e['name']}"
            else:
                assert str(e.get("value", "")) == ge.get("value", ""), f"{where}: env {e['name']}"
        if "volumeMounts" not in pod:
            mounts = [m["name"] for m in c.get("volumeMounts") or []]
            assert is_subsequence(mounts, [m["name"] for m in g.get("volumeMounts") or []]), f"{where}: {name} volumeMounts"
        if "resources" in c and "resources" not in pod:
            assert quantities(c["resources"] or {}) == quantities(g.get("resources") or {}), f"{where}: {name} resources"
    golden_volumes = {v["name"] for v in golden_spec.get("volumes") or []}
    assert {v["name"] for v in (ours.get("spec") or {}).get("volumes") or []} <= golden_volumes, f"{where}: volumes"


_RESULTS: dict[str, tuple[int, list[str]]] = {}


def run_case(case: dict[str, Any]) -> tuple[int, list[str]]:
    if case["name"] in _RESULTS:
        return _RESULTS[case["name"]]
    inputs = [w for d in yaml.safe_load_all((TESTDATA / case["input"]).read_text()) if d for w in workloads(d)]
    goldens = [w for d in yaml.safe_load_all((TESTDATA / case["name"]).read_text()) if d for w in workloads(d)]
    assert len(inputs) == len(goldens), case["name"]
    _, user_templates = case_values(case)
    compared, skipped = 0, []
    for i, (doc, gold) in enumerate(zip(inputs, goldens)):
        meta, spec = pod_of(doc)
        _, gspec = pod_of(gold)
        reason = skip_reason(meta, gspec, user_templates)
        if reason:
            skipped.append(reason)
            continue
        template = (meta.get("annotations") or {}).get("inject.istio.io/templates", "sidecar").strip()
        text = user_templates[template] if template in user_templates else (CHART / TEMPLATE_FILES[template]).read_text()
        out = yaml.safe_load(render(text, data_for(doc, case), name=template))
        compare(out, gspec, spec, f"{case['name']}[{i}]")
        compared += 1
    _RESULTS[case["name"]] = (compared, skipped)
    return compared, skipped


@pytest.mark.slow
@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c["name"])
def test_case_template_output_matches_golden(case: dict[str, Any]) -> None:
    run_case(case)


def test_most_cases_are_compared() -> None:
    total = 0
    for case in all_cases():
        compared, _ = run_case(case)
        total += compared
    print(f"{total} workloads compared")
    assert total >= 105, total
