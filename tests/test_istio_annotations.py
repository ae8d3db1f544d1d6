"""Annotation validation for the modern Istio template (values Istio's validate.go rejects)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from krmfn.istio import AnnotationError, IstioSettings, inject
from krmfn.istio.annotations import parse_bool, validate


def deployment(annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "template": {
                "metadata": {"annotations": annotations, "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            }
        },
    }


# (annotation, bad value, lower-case substring the error must contain); the first five are the
# conformance suite's expectError cases.
BAD = [
    ("traffic.sidecar.istio.io/includeOutboundIPRanges", "bad", "includeipranges"),
    ("traffic.sidecar.istio.io/excludeOutboundIPRanges", "*", "excludeipranges"),
    ("traffic.sidecar.istio.io/includeInboundPorts", "bad", "includeinboundports"),
    ("traffic.sidecar.istio.io/excludeInboundPorts", "*", "excludeinboundports"),
    ("traffic.sidecar.istio.io/excludeOutboundPorts", "bad", "excludeoutboundports"),
    ("traffic.sidecar.istio.io/includeOutboundIPRanges", "10.0.0.0/8,300.1.1.1/32", "300.1.1.1/32"),
    ("traffic.sidecar.istio.io/excludeInboundPorts", "80,70000", "70000"),
    ("sidecar.istio.io/interceptionMode", "IPVS", "redirect,tproxy,none"),
    ("status.sidecar.istio.io/port", "-1", "status.sidecar.istio.io/port"),
    ("readiness.status.sidecar.istio.io/periodSeconds", "1.5", "periodseconds"),
    ("readiness.status.sidecar.istio.io/failureThreshold", "4294967296", "failurethreshold"),
    ("prometheus.istio.io/merge-metrics", "maybe", "merge-metrics"),
    ("proxy.istio.io/config", "[1, 2]", "proxy.istio.io/config"),
    ("proxy.istio.io/config", "interceptionMode: SIDEWAYS", "interceptionmode"),
    ("sidecar.istio.io/userVolume", "{not json", "uservolume"),
]


@pytest.mark.parametrize("name,value,substring", BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_bad_annotation_is_rejected_with_its_name(name: str, value: str, substring: str) -> None:
    obj = deployment({name: value})
    before = copy.deepcopy(obj)
    with pytest.raises(AnnotationError) as err:
        inject(obj, IstioSettings())
    assert err.value.annotation == name
    assert substring in str(err.value).lower()
    assert f"'{name}'" in str(err.value) and f"'{value}'" in str(err.value)
    assert obj == before


GOOD = [
    ("traffic.sidecar.istio.io/includeOutboundIPRanges", "*"),
    ("traffic.sidecar.istio.io/includeOutboundIPRanges", ""),
    ("traffic.sidecar.istio.io/includeOutboundIPRanges", "10.96.0.1/24,fd00::/8"),
    ("traffic.sidecar.istio.io/excludeOutboundIPRanges", ""),
    ("traffic.sidecar.istio.io/includeInboundPorts", "*"),
    ("traffic.sidecar.istio.io/includeInboundPorts", " 80, 443 "),
    ("traffic.sidecar.istio.io/excludeInboundPorts", ""),
    ("sidecar.istio.io/interceptionMode", "TPROXY"),
    ("status.sidecar.istio.io/port", "0"),
    ("prometheus.istio.io/merge-metrics", "F"),
    ("proxy.istio.io/config", '{"holdApplicationUntilProxyStarts": true}'),
    ("proxy.istio.io/config", "proxyMetadata:\n  A: b\n"),
]


@pytest.mark.parametrize("name,value", GOOD, ids=[f"{n}={v}" for n, v in GOOD])
def test_valid_values_pass(name: str, value: str) -> None:
    validate({name: value})
    inject(deployment({name: value}), IstioSettings())


def test_unknown_annotations_are_not_checked() -> None:
    validate({"example.com/anything": "*", "sidecar.istio.io/logLevel": "whatever"})


def test_go_parse_bool() -> None:
    assert [parse_bool(v) for v in ("1", "t", "TRUE", "True", "0", "f", "False")] == [True] * 4 + [False] * 3
    assert parse_bool("yes") is None and parse_bool("") is None
