"""Go-template functions behave as the release whose template runs expects: ``env`` reads istiod's
environment (values.pilot.env, and an explicit nativeSidecars setting), never krmfn's own; and
``appendMultusNetwork`` is the built-in template's (one implementation, Istio's current form)."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest
import yaml
from helpers import dump, krmfn_cmd

from krmfn.gotemplate import render
from krmfn.istio.multus import append_multus_network

TEMPLATE = """\
metadata:
  annotations:
    native: '{{ env "ENABLE_NATIVE_SIDECARS" "false" }}'
    other: '{{ env "SOME_FLAG" "unset" }}'
    networks: '{{ appendMultusNetwork (index .ObjectMeta.Annotations `k8s.v1.cni.cncf.io/networks`) `default/istio-cni` }}'
"""


def _operator(env: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator", "metadata": {"name": "cp"},
            "spec": {"values": {"pilot": {"env": env},
                                "sidecarInjectorWebhook": {"templates": {"probe": TEMPLATE},
                                                           "defaultTemplates": ["sidecar", "probe"]}}}}


def _pod_annotations(env: dict[str, str], process_env: dict[str, str]) -> dict[str, str]:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop", "annotations": {
        "k8s.v1.cni.cncf.io/networks": '[{"name": "istio-cni"}]'}},
        "spec": {"containers": [{"name": "app", "image": "app:1"}]}}
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [pod],
          "functionConfig": _operator(env)}
    p = subprocess.run(krmfn_cmd(), input=dump(rl).encode(), capture_output=True, timeout=60,
                       env={**os.environ, **process_env})
    assert p.returncode == 0, p.stderr
    return yaml.safe_load(p.stdout)["items"][0]["metadata"]["annotations"]


@pytest.mark.e2e
@pytest.mark.slow
def test_env_reads_values_pilot_env_and_not_the_process_environment() -> None:
    ann = _pod_annotations({"ENABLE_NATIVE_SIDECARS": "true", "SOME_FLAG": "on"}, {})
    assert (ann["native"], ann["other"]) == ("true", "on")
    ann = _pod_annotations({}, {"SOME_FLAG": "from-krmfn-process", "ENABLE_NATIVE_SIDECARS": "true"})
    assert (ann["native"], ann["other"]) == ("false", "unset")


@pytest.mark.e2e
def test_append_multus_network_is_istios_current_form_in_both_engines() -> None:
    # a JSON entry without a namespace is another network than default/istio-cni (Istio compares namespaces)
    ann = _pod_annotations({}, {})
    assert yaml.safe_load(ann["networks"]) == [{"name": "istio-cni"}, {"name": "istio-cni", "namespace": "default"}]
    for existing in ("", "a, b", "default/istio-cni", '[{"name": "alt"}]', '[{"name": "istio-cni", "namespace": '
                     '"default"}]', '["not", "objects"]', "[broken"):
        text = render("{{ appendMultusNetwork .e `default/istio-cni` }}", {"e": existing})
        assert text == append_multus_network(existing, "default/istio-cni")
    assert append_multus_network("a, b", "default/istio-cni") == "a, b, default/istio-cni"
    assert append_multus_network('["not", "objects"]', "default/istio-cni") == '["not", "objects"]'


def test_zero_values_go_drops_are_dropped_from_a_user_templates_containers() -> None:
    from krmfn.istio.gostruct import drop_go_zeroes, encode_partial

    spec = {"containers": [{"name": "p", "tty": False, "imagePullPolicy": "",
                            "securityContext": {"runAsUser": 0, "privileged": False},
                            "readinessProbe": {"initialDelaySeconds": 0, "periodSeconds": 15},
                            "env": [{"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {
                                "resource": "limits.cpu"}}}]},
                           {"name": "app", "tty": False}]}
    encode_partial({"spec": spec})
    drop_go_zeroes(spec, {"p"})
    assert spec == {"containers": [{
        "name": "p", "securityContext": {"runAsUser": 0, "privileged": False},  # pointers in Go: kept
        "readinessProbe": {"periodSeconds": 15},
        "env": [{"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "0"}}}]},
        {"name": "app", "tty": False}]}  # not the template's: as the user wrote it
