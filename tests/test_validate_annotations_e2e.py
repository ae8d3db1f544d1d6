"""Every entry of Istio's validate.go annotation table (AnnotationValidation, chart commit 86c9f01), end to
end through the ``krmfn`` executable as a KRM function: a bad value gives an error result that names the
annotation (field path included), the workload is left as it was (not injected), and the exit code is 1;
a good value for the same annotation is injected beside it in the same run."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
import yaml
from helpers import dump, krmfn_cmd

from krmfn.istio.annotations import VALIDATORS

#: annotation -> (a value Istio rejects, a value it accepts), one row per entry of validate.go's table.
TABLE: dict[str, tuple[str, str]] = {
    "sidecar.istio.io/interceptionMode": ("MAGIC", "TPROXY"),
    "status.sidecar.istio.io/port": ("70000", "15021"),
    "readiness.status.sidecar.istio.io/initialDelaySeconds": ("-1", "5"),
    "readiness.status.sidecar.istio.io/periodSeconds": ("soon", "10"),
    "readiness.status.sidecar.istio.io/failureThreshold": ("4294967296", "3"),
    "traffic.sidecar.istio.io/includeOutboundIPRanges": ("10.0.0.0", "10.0.0.0/8,192.168.0.0/16"),
    "traffic.sidecar.istio.io/excludeOutboundIPRanges": ("10.0.0.0/33", "10.96.0.1/32"),
    "traffic.sidecar.istio.io/includeInboundPorts": ("80,http", "*"),
    "traffic.sidecar.istio.io/excludeInboundPorts": ("65536", "8080, 9090"),
    "traffic.sidecar.istio.io/excludeOutboundPorts": ("-5", "3306"),
    "traffic.sidecar.istio.io/excludeInterfaces": ("eth0,,eth1", "eth0,net1"),
    "traffic.sidecar.istio.io/kubevirtInterfaces": ("0net", "net1"),
    "istio.io/reroute-virtual-interfaces": ("averyveryverylongname", "net1,net2"),
    "prometheus.istio.io/merge-metrics": ("yes", "false"),
    "proxy.istio.io/config": ("interceptionMode: MAGIC", "concurrency: 2"),
    "sidecar.istio.io/proxyCPU": ("lots", "100m"),
    "sidecar.istio.io/proxyMemory": ("128MiB", "128Mi"),
    "sidecar.istio.io/proxyCPULimit": ("2 cores", "2"),
    "sidecar.istio.io/proxyMemoryLimit": ("1G\n", "1Gi"),
}


def deployment(name: str, annotation: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}, "annotations": {annotation: value}},
                              "spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
    }


def test_the_table_is_validate_gos() -> None:
    """Istio's 19 entries are all checked by krmfn (krmfn adds its own checks beside them)."""
    assert len(TABLE) == 19
    assert set(TABLE) <= set(VALIDATORS)


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("annotation", sorted(TABLE))
def test_bad_value_is_an_error_result_and_the_pod_is_not_injected(annotation: str) -> None:
    bad, good = TABLE[annotation]
    items = [deployment("bad", annotation, bad), deployment("good", annotation, good)]
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}
    p = subprocess.run(krmfn_cmd(), input=dump(rl).encode(), capture_output=True, timeout=60)
    assert p.returncode == 1, p.stderr
    assert b"Traceback" not in p.stderr
    out = yaml.safe_load(p.stdout)
    by_name = {i["metadata"]["name"]: i for i in out["items"]}
    assert by_name["bad"] == items[0]  # left as it was
    good_spec = by_name["good"]["spec"]["template"]["spec"]
    assert "istio-proxy" in [c["name"] for c in good_spec.get("initContainers", []) + good_spec["containers"]]
    errors = [r for r in out["results"] if r["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["resourceRef"]["name"] == "bad"
    assert f"'{annotation}'" in errors[0]["message"] and errors[0]["message"].startswith("invalid annotation")
    assert errors[0]["field"]["path"].endswith(f"annotations[{annotation}]")
    assert annotation in p.stderr.decode()  # the one line on stderr names it too
