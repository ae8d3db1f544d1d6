"""Workloads by API group and kind; malformed ones are errors that stop nothing."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import load, resource_list, run_text

from krmfn.istio.uninject import find_status

LEGACY = {"apiVersion": "krmfn.dev/v1alpha1", "kind": "SidecarInjector", "metadata": {"name": "l"},
          "template": "legacy-0.2"}

POD_SPEC = {"containers": [{"name": "app", "image": "app"}]}
TEMPLATE = {"metadata": {"labels": {"app": "x"}}, "spec": POD_SPEC}


def obj(api_version: str, kind: str, spec: Any) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": "w", "namespace": "shop"}, "spec": spec}


KINDS = [
    ("v1", "Pod", POD_SPEC, ("spec",)),
    ("v1", "ReplicationController", {"template": TEMPLATE}, ("spec", "template", "spec")),
    ("apps/v1", "Deployment", {"template": TEMPLATE}, ("spec", "template", "spec")),
    ("apps/v1beta1", "StatefulSet", {"template": TEMPLATE}, ("spec", "template", "spec")),
    ("apps/v1", "DaemonSet", {"template": TEMPLATE}, ("spec", "template", "spec")),
    ("apps/v1", "ReplicaSet", {"template": TEMPLATE}, ("spec", "template", "spec")),
    ("extensions/v1beta1", "Deployment", {"template": TEMPLATE}, ("spec", "template", "spec")),
    ("extensions/v1beta1", "DaemonSet", {"template": TEMPLATE}, ("spec", "template", "spec")),
    ("batch/v1", "Job", {"template": TEMPLATE}, ("spec", "template", "spec")),
    ("batch/v1", "CronJob", {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": TEMPLATE}}},
     ("spec", "jobTemplate", "spec", "template", "spec")),
    ("batch/v1beta1", "CronJob", {"jobTemplate": {"spec": {"template": TEMPLATE}}},
     ("spec", "jobTemplate", "spec", "template", "spec")),
    ("apps.openshift.io/v1", "DeploymentConfig", {"template": TEMPLATE}, ("spec", "template", "spec")),
    ("v1", "DeploymentConfig", {"template": TEMPLATE}, ("spec", "template", "spec")),
    ("argoproj.io/v1alpha1", "Rollout", {"template": TEMPLATE}, ("spec", "template", "spec")),
]


def dig(data: Any, path: tuple[str, ...]) -> Any:
    for k in path:
        data = data[k]
    return data


@pytest.mark.parametrize("api_version,kind,spec,spec_path", KINDS, ids=[f"{k[0]}/{k[1]}" for k in KINDS])
def test_every_workload_kind_is_injected(api_version: str, kind: str, spec: Any, spec_path: tuple[str, ...]) -> None:
    out = run_text(resource_list([obj(api_version, kind, spec)], LEGACY))
    assert out.exit_code == 0
    item = load(out.output)["items"][0]
    pod_spec = dig(item, spec_path)
    assert [c["name"] for c in pod_spec["containers"]] == ["app", "istio-proxy"]
    assert [c["name"] for c in pod_spec["initContainers"]] == ["istio-init"]
    assert item["metadata"]["annotations"]["sidecar.istio.io/status"] == "injected-version-0.2.4"
    template_meta = dig(item, spec_path[:-1] + ("metadata",))
    assert template_meta["annotations"]["sidecar.istio.io/status"] == "injected-version-0.2.4"


@pytest.mark.parametrize("api_version,kind,spec,spec_path", KINDS, ids=[f"{k[0]}/{k[1]}" for k in KINDS])
def test_every_workload_kind_gets_the_modern_sidecar(
    api_version: str, kind: str, spec: Any, spec_path: tuple[str, ...]
) -> None:
    out = run_text(resource_list([obj(api_version, kind, spec)]))
    assert out.exit_code == 0, [r.line() for r in out.results]
    item = load(out.output)["items"][0]
    pod_spec = dig(item, spec_path)
    assert [c["name"] for c in pod_spec["containers"]] == ["app", "istio-proxy"]  # classic by default
    assert [c["name"] for c in pod_spec["initContainers"]] == ["istio-init"]
    status = find_status(item)
    assert status is not None and status.names["containers"] == ("istio-proxy",)


@pytest.mark.parametrize("api_version,kind", [
    ("example.com/v1", "Deployment"), ("v1", "Deployment"), ("apps/v1", "Pod"), ("v1", "Service"),
    ("argoproj.io/v1alpha1", "Workflow"), ("batch/v1", "Deployment"),
])
def test_same_kind_in_another_group_is_not_a_workload(api_version: str, kind: str) -> None:
    text = resource_list([obj(api_version, kind, {"template": TEMPLATE})])
    out = run_text(text)
    assert out.results == [] and out.output == text


MALFORMED = [
    ("containers-not-list", obj("apps/v1", "Deployment", {"template": {"spec": {"containers": "app"}}}),
     "spec.template.spec.containers"),
    ("template-null", obj("apps/v1", "Deployment", {"template": None}), "spec.template"),
    ("template-missing", obj("apps/v1", "Deployment", {"replicas": 1}), "spec.template"),
    ("spec-not-map", obj("apps/v1", "Deployment", "nope"), "spec"),
    ("init-without-name", obj("v1", "Pod", {"containers": [{"name": "a"}], "initContainers": [{"image": "x"}]}),
     "spec.initContainers[0].name"),
    ("container-not-map", obj("v1", "Pod", {"containers": ["a"]}), "spec.containers[0]"),
    ("no-containers", obj("v1", "Pod", {"containers": []}), "spec.containers"),
    ("volumes-not-list", obj("v1", "Pod", {"containers": [{"name": "a"}], "volumes": {"a": 1}}), "spec.volumes"),
    ("annotations-not-map", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": ["x"]},
                             "spec": POD_SPEC}, "metadata.annotations"),
    ("metadata-missing", {"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC}, "metadata"),
]


@pytest.mark.parametrize("bad,path", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_workload_is_an_error_left_unchanged(bad: Any, path: str) -> None:
    good = obj("apps/v1", "Deployment", {"template": TEMPLATE})
    text = resource_list([bad, good])
    out = run_text(text)
    assert out.exit_code == 1
    errors = [r for r in out.results if r.severity == "error"]
    assert len(errors) == 1 and errors[0].field_path == path, [r.line() for r in out.results]
    items = load(out.output)["items"]
    assert items[0] == bad
    assert len(items[1]["spec"]["template"]["spec"]["containers"]) == 2


def test_results_carry_resource_ref_and_file() -> None:
    w = obj("apps/v1", "Deployment", {"template": TEMPLATE})
    w["metadata"]["annotations"] = {"internal.config.kubernetes.io/path": "apps/web.yaml",
                                    "internal.config.kubernetes.io/index": "2"}
    out = run_text(resource_list([w], LEGACY))
    data = load(out.output)["results"][0]
    assert data["resourceRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "w", "namespace": "shop"}
    assert data["file"] == {"path": "apps/web.yaml", "index": 2}
    assert data["severity"] == "info" and data["message"].startswith("injected (template legacy-0.2")


def test_service_account_names_the_certs_secret() -> None:
    spec = {"template": {"spec": {"serviceAccountName": "reviews", "containers": [{"name": "a"}]}}}
    out = run_text(resource_list([obj("apps/v1", "Deployment", spec)], LEGACY))
    vols = load(out.output)["items"][0]["spec"]["template"]["spec"]["volumes"]
    assert vols[1] == {"name": "istio-certs", "secret": {"secretName": "istio.reviews", "optional": True}}
