"""Istio's chart templates rendered by krmfn.gotemplate for every simple conformance case (no values,
mesh config, feature or IstioOperator changes), compared with what Istio injected: the istio-init
and istio-proxy arguments exactly, every istio-proxy env var the template writes (by value, JSON
compared as JSON), volume mounts and volumes.  Reference data is read from ../shared at test time
(skipped when absent).  Only the template's part is compared: what Istio adds after the template
(probe rewriting, prometheus annotations, the merge into the pod) is not the renderer's job."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from helpers import CONFORMANCE
from test_gotemplate_chart import CHART, TESTDATA, template_data

from krmfn.gotemplate import render

CASES_FILE = CONFORMANCE / "istio-modern" / "cases.yaml"
TEMPLATE_FILES = {
    "sidecar": "injection-template.yaml",
    "gateway": "gateway-injection-template.yaml",
    "grpc-agent": "grpc-agent.yaml",
    "grpc-simple": "grpc-simple.yaml",
}
JSON_ENV = {"PROXY_CONFIG", "ISTIO_META_POD_PORTS"}
CHANGES = ("values", "features", "iop", "meshConfig", "expectError", "unused")

pytestmark = pytest.mark.skipif(not CASES_FILE.is_file(), reason="../shared/conformance/istio-modern absent")


def simple_cases() -> list[dict[str, Any]]:
    if not CASES_FILE.is_file():
        return []
    cases = yaml.safe_load(CASES_FILE.read_text())["cases"]
    return [c for c in cases if not any(k in c for k in CHANGES)]


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


def data_for(doc: dict[str, Any], native: bool) -> dict[str, Any]:
    if doc["kind"] == "Pod":  # kube.GetDeployMetaFromPod: the pod itself, or its controller
        data = template_data(doc, native=native)
        owner = next((o for o in doc["metadata"].get("ownerReferences") or [] if o.get("controller")), None)
        if owner is not None:
            data["TypeMeta"] = {"apiVersion": owner["apiVersion"], "kind": owner["kind"]}
            data["DeploymentMeta"]["name"] = owner["name"]
        return data
    meta, spec = pod_of(doc)
    shaped = {"apiVersion": doc["apiVersion"], "kind": doc["kind"], "metadata": doc.get("metadata") or {}, "spec": {"template": {"metadata": meta, "spec": spec}}}
    return template_data(shaped, native=native)


def containers(pod_spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or [])}


def skip_reason(meta: dict[str, Any], spec: dict[str, Any], golden_spec: dict[str, Any]) -> str | None:
    annotations = meta.get("annotations") or {}
    if "istio-proxy" not in containers(golden_spec):
        return "not injected (policy)"
    if {"istio-proxy", "istio-init"} & set(containers(spec)):
        return "the pod overrides injected containers (merged over the template's)"
    if "proxy.istio.io/config" in annotations:
        return "per-pod ProxyConfig (the injector merges it into the mesh config)"
    if "sidecar.istio.io/status" in annotations:
        return "re-injection (the injector strips the earlier sidecar first)"
    names = [n.strip() for n in annotations.get("inject.istio.io/templates", "sidecar").split(",")]
    if len(names) != 1 or names[0] not in TEMPLATE_FILES:
        return f"templates {names}"
    return None


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    it = iter(whole)
    return all(x in it for x in part)


def compare(ours: dict[str, Any], golden_spec: dict[str, Any], where: str) -> None:
    mine, theirs = containers(ours.get("spec") or {}), containers(golden_spec)
    for name in ("istio-init", "istio-validation", "istio-proxy"):
        if name in mine:
            assert name in theirs, f"{where}: {name} not in golden"
            assert mine[name].get("args") == theirs[name].get("args"), f"{where}: {name} args"
    proxy, gproxy = mine["istio-proxy"], theirs["istio-proxy"]
    genv = {e["name"]: e for e in gproxy.get("env") or []}
    for e in proxy.get("env") or []:
        assert e["name"] in genv, f"{where}: env {e['name']} not in golden"
        g = genv[e["name"]]
        if e["name"] in JSON_ENV:
            assert json.loads(e["value"]) == json.loads(g["value"]), f"{where}: env {e['name']}"
        elif "valueFrom" in e:
            assert e["valueFrom"] == g["valueFrom"], f"{where}: env {e['name']}"
        else:
            assert str(e.get("value", "")) == g.get("value", ""), f"{where}: env {e['name']}"
    mounts = [m["name"] for m in proxy.get("volumeMounts") or []]
    assert is_subsequence(mounts, [m["name"] for m in gproxy.get("volumeMounts") or []]), f"{where}: volumeMounts"
    golden_volumes = {v["name"] for v in golden_spec.get("volumes") or []}
    assert {v["name"] for v in (ours.get("spec") or {}).get("volumes") or []} <= golden_volumes, f"{where}: volumes"


_RESULTS: dict[str, tuple[int, list[str]]] = {}


def run_case(case: dict[str, Any]) -> tuple[int, list[str]]:
    if case["name"] in _RESULTS:
        return _RESULTS[case["name"]]
    inputs = [w for d in yaml.safe_load_all((TESTDATA / case["input"]).read_text()) if d for w in workloads(d)]
    goldens = [w for d in yaml.safe_load_all((TESTDATA / case["name"]).read_text()) if d for w in workloads(d)]
    assert len(inputs) == len(goldens), case["name"]
    compared, skipped = 0, []
    for i, (doc, gold) in enumerate(zip(inputs, goldens)):
        meta, spec = pod_of(doc)
        _, gspec = pod_of(gold)
        reason = skip_reason(meta, spec, gspec)
        if reason:
            skipped.append(reason)
            continue
        template = (meta.get("annotations") or {}).get("inject.istio.io/templates", "sidecar").strip()
        text = (CHART / TEMPLATE_FILES[template]).read_text()
        out = yaml.safe_load(render(text, data_for(doc, case["nativeSidecars"]), name=template))
        compare(out, gspec, f"{case['name']}[{i}]")
        compared += 1
    _RESULTS[case["name"]] = (compared, skipped)
    return compared, skipped


@pytest.mark.parametrize("case", simple_cases(), ids=lambda c: c["name"])
def test_case_template_output_matches_golden(case: dict[str, Any]) -> None:
    run_case(case)


def test_most_simple_cases_are_compared() -> None:
    total = 0
    for case in simple_cases():
        compared, _ = run_case(case)
        total += compared
    print(f"{total} workloads compared")
    assert total >= 60, total
