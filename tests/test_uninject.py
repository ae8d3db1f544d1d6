"""Exact uninjection (krmfn.istio.uninject) on hand-made injected objects.

The round trip over every modern conformance input is tests/test_roundtrip_modern.py.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from krmfn.istio.status import parse_status
from krmfn.istio.uninject import RESTORE, record_apply, record_diff, seal, uninject

ORIGINAL: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {"name": "app", "image": "nginx", "ports": [{"name": "http", "containerPort": 8080}],
                     "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 3}},
                ],
            },
        }
    },
}


def _inject(obj: dict[str, Any]) -> dict[str, Any]:
    """A stand-in for the istio template: what it adds, by its documented rules."""
    out = copy.deepcopy(obj)
    tpl = out["spec"]["template"]
    meta = tpl.setdefault("metadata", {})
    meta.setdefault("labels", {}).update({"security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": "web"})
    meta.setdefault("annotations", {}).update({
        "sidecar.istio.io/status": json.dumps({"initContainers": ["istio-init", "istio-proxy"], "containers": None,
                                               "volumes": ["istio-envoy"], "imagePullSecrets": None,
                                               "revision": "default"}),
        "kubectl.kubernetes.io/default-container": "app",
    })
    spec = tpl["spec"]
    probers = {}
    for c in spec["containers"]:
        probe = c.get("readinessProbe")
        if probe and "httpGet" in probe:
            probers[f"/app-health/{c['name']}/readyz"] = {"httpGet": probe["httpGet"]}
            probe["httpGet"] = {"path": f"/app-health/{c['name']}/readyz", "port": 15020}
    spec["initContainers"] = [
        {"name": "istio-init", "image": "proxyv2"},
        {"name": "istio-proxy", "image": "proxyv2", "restartPolicy": "Always",
         "env": [{"name": "ISTIO_KUBE_APP_PROBERS", "value": json.dumps(probers)}]},
    ] + spec.get("initContainers", [])
    spec.setdefault("volumes", []).append({"name": "istio-envoy", "emptyDir": {}})
    return out


def test_strip_restores_the_original() -> None:
    injected = _inject(ORIGINAL)
    assert uninject(injected) == ORIGINAL
    assert seal(ORIGINAL, injected) is injected  # nothing to record: the very object back


def test_a_label_the_user_had_is_recorded_and_restored() -> None:
    original = copy.deepcopy(ORIGINAL)
    original["spec"]["template"]["metadata"]["labels"]["service.istio.io/canonical-name"] = "web"
    injected = _inject(original)
    assert uninject(injected) != original  # the guess drops it...
    sealed = seal(original, injected)
    assert RESTORE in sealed["spec"]["template"]["metadata"]["annotations"]
    assert uninject(sealed) == original  # ...the record brings it back


def test_volumes_the_user_had_stay() -> None:
    original = copy.deepcopy(ORIGINAL)
    original["spec"]["template"]["spec"]["volumes"] = [{"name": "data", "emptyDir": {}}]
    original["spec"]["template"]["spec"]["initContainers"] = [{"name": "setup", "image": "busybox"}]
    injected = _inject(original)
    assert uninject(injected) == original
    assert seal(original, injected) is injected


def test_legacy_string_status() -> None:
    legacy = copy.deepcopy(ORIGINAL)
    tpl = legacy["spec"]["template"]
    tpl["metadata"]["annotations"] = {"sidecar.istio.io/status": "injected-version-0.2.4"}
    legacy["metadata"]["annotations"] = {"sidecar.istio.io/status": "injected-version-0.2.4"}
    tpl["spec"]["initContainers"] = [{"name": "istio-init"}]
    tpl["spec"]["containers"].append({"name": "istio-proxy"})
    tpl["spec"]["volumes"] = [{"name": "istio-envoy"}, {"name": "istio-certs"}]
    assert uninject(legacy) == ORIGINAL


def test_not_injected() -> None:
    assert uninject(ORIGINAL) is None
    assert parse_status("not json") is None
    assert parse_status('{"containers": [1]}') is None


@pytest.mark.parametrize(
    "a, b",
    [
        ({"a": 1, "b": {"c": 2, "d": 3}}, {"a": 1, "b": {"c": 4}, "e": [1]}),
        ({"x": [1, 2]}, {"x": [2]}),
        ({}, {"k": {"n": "v"}}),
        ({"c": [{"name": "a", "p": 1}, {"name": "b"}]}, {"c": [{"name": "a", "p": "http"}, {"name": "b"}]}),
        ({"c": [{"name": "a"}, {"name": "b"}]}, {"c": [{"name": "b"}]}),
        ({"x": None, "y": 1}, {"x": 1, "y": None}),
    ],
)
def test_record_round_trip(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert record_apply(a, record_diff(a, b)) == b


def test_record_addresses_list_items_by_name() -> None:
    a = {"spec": {"containers": [{"name": "app", "readinessProbe": {"httpGet": {"port": 8080}}}]}}
    b = copy.deepcopy(a)
    b["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = "http"
    assert record_diff(a, b) == [[["spec", "containers", {"name": "app"}, "readinessProbe", "httpGet", "port"], "http"]]
