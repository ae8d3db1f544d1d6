"""User-defined Go templates end to end: an IstioOperator functionConfig with
sidecarInjectorWebhook.templates, run through the krmfn command."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from helpers import resource_list, run_cli

pytestmark = pytest.mark.e2e


def deployment(templates: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}, "annotations": {"inject.istio.io/templates": templates}},
                "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 8080}]}]},
            },
        },
    }


def operator(templates: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "install.istio.io/v1alpha1",
        "kind": "IstioOperator",
        "metadata": {"name": "control-plane"},
        "spec": {"values": {"sidecarInjectorWebhook": {"templates": templates}}},
    }


CUSTOM = """\
spec:
  containers:
  {{- range .Spec.Containers }}
  - name: {{ .Name }}
    env:
    - name: APP_PORTS
      value: {{ applicationPorts $.Spec.Containers | quote }}
    - name: OWNER
      value: {{ printf "%s/%s" (.Name | upper) $.DeploymentMeta.Namespace | quote }}
  {{- end }}
"""


def test_a_user_template_is_rendered_and_merged() -> None:
    stdin = resource_list([deployment("custom")], operator({"custom": CUSTOM})).encode()
    proc = run_cli([], stdin)
    assert proc.returncode == 0, proc.stderr.decode()
    out = yaml.safe_load(proc.stdout)
    container = out["items"][0]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx"
    assert {e["name"]: e["value"] for e in container["env"]} == {"APP_PORTS": "8080", "OWNER": "WEB/shop"}


def test_a_broken_user_template_is_a_clear_error_with_its_position() -> None:
    broken = "spec:\n  containers:\n  - name: {{ .Spec.Containers | nosuchfunc }}\n"
    stdin = resource_list([deployment("custom")], operator({"custom": broken})).encode()
    proc = run_cli([], stdin)
    err = proc.stderr.decode()
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert "template: inject:3:" in err, err
    assert 'function "nosuchfunc" not defined' in err
    out = yaml.safe_load(proc.stdout)
    assert out["items"][0]["metadata"]["name"] == "web"  # nothing lost
    assert any(r.get("severity") == "error" and "nosuchfunc" in r.get("message", "") for r in out.get("results") or [])


def test_an_execution_error_is_reported_with_the_action() -> None:
    failing = "spec:\n  containers:\n  - name: {{ index .Spec.Containers 5 }}\n"
    stdin = resource_list([deployment("custom")], operator({"custom": failing})).encode()
    proc = run_cli([], stdin)
    err = proc.stderr.decode()
    assert proc.returncode != 0 and "Traceback" not in err
    assert "index out of range: 5" in err and "<index .Spec.Containers 5>" in err
