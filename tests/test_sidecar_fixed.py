"""krmfn.istio.sidecar.fixed: the sidecar's pod-independent parts, cached by the settings and the pod
annotations their build read (a per-pod annotation no build reads, Helm's checksum/config, shares one entry;
every annotation the build reads, even on one path only, keys it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from krmfn.istio import IstioSettings, inject, sidecar

NATIVE = IstioSettings(native_sidecars=True)
CNI = IstioSettings(values={"pilot": {"cni": {"enabled": True}}}, native_sidecars=False)
DATADOG = IstioSettings(values={"global": {"proxy": {"tracer": "datadog"}}}, native_sidecars=True)


def clear() -> None:
    sidecar._FIXED.clear()
    sidecar._ENTRIES = 0


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    clear()
    yield
    clear()


def entries() -> list[sidecar.Fixed]:
    return [f for known in sidecar._FIXED.values() for _, by in known for f in by.values()]


def read_sets() -> list[frozenset[str] | None]:
    return [reads for known in sidecar._FIXED.values() for reads, _ in known]


def deployment(annotations: dict[str, str], name: str = "web") -> dict[str, Any]:
    pod_meta = {"labels": {"app": name}, "annotations": annotations}
    spec = {"containers": [{"name": name, "image": "nginx", "ports": [{"containerPort": 80, "name": "http"}]}]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"replicas": 2, "template": {"metadata": pod_meta, "spec": spec}},
    }


def uncached(obj: dict[str, Any], settings: IstioSettings) -> dict[str, Any]:
    clear()
    out = inject(obj, settings).obj
    clear()
    return out


def test_pods_differing_in_an_annotation_no_build_reads_share_one_entry() -> None:
    outs = [inject(deployment({"checksum/config": f"{i:064x}", "team": "a"}), NATIVE).obj for i in range(5)]
    assert len(entries()) == 1 and len(read_sets()) == 1
    for i, out in enumerate(outs):
        assert out == uncached(deployment({"checksum/config": f"{i:064x}", "team": "a"}), NATIVE)
    # the datadog env is read only when the values' tracer is datadog: elsewhere the annotation is like any other
    inject(deployment({"apm.datadoghq.com/env": '{"DD_ENV": "prod"}'}), NATIVE)
    assert len(entries()) == 1


RELEVANT = [
    {"sidecar.istio.io/proxyCPU": "300m"},
    {"sidecar.istio.io/proxyCPU": "500m"},
    {"sidecar.istio.io/proxyMemoryLimit": "1Gi"},
    {"sidecar.istio.io/interceptionMode": "TPROXY"},
    {"sidecar.istio.io/interceptionMode": "NONE"},
    {"proxy.istio.io/config": "holdApplicationUntilProxyStarts: true"},
    {"proxy.istio.io/config": "concurrency: 4"},
    {"status.sidecar.istio.io/port": "15999"},
    {"status.sidecar.istio.io/port": "0"},
    {"sidecar.istio.io/userVolume": '{"extra": {"emptyDir": {}}}'},
    {"sidecar.istio.io/userVolumeMount": '{"extra": {"mountPath": "/extra"}}'},
    {"sidecar.istio.io/bootstrapOverride": "my-bootstrap"},
    {"sidecar.istio.io/proxyImage": "my.registry/proxy:1"},
    {"sidecar.istio.io/proxyImageType": "debug"},
    {"sidecar.istio.io/nativeSidecar": "false"},
    {"sidecar.istio.io/nativeSidecar": "true"},
    {"sidecar.istio.io/logLevel": "debug"},
    {"readiness.status.sidecar.istio.io/periodSeconds": "7"},
    {"traffic.sidecar.istio.io/includeOutboundPorts": "8080"},
    {"traffic.sidecar.istio.io/excludeInboundPorts": "9000"},
    # a conditional read: kubevirtInterfaces is looked up only when reroute-virtual-interfaces is not set
    {"istio.io/reroute-virtual-interfaces": "eth1"},
    {"istio.io/reroute-virtual-interfaces": "eth1", "traffic.sidecar.istio.io/kubevirtInterfaces": "eth2"},
    {"traffic.sidecar.istio.io/kubevirtInterfaces": "eth2"},
]


@pytest.mark.parametrize("settings", [NATIVE, CNI], ids=["native", "cni"])
def test_each_relevant_annotation_gets_its_own_parts(settings: IstioSettings) -> None:
    pods = list(RELEVANT) + [{**a, "checksum/config": "x"} for a in RELEVANT]  # and an irrelevant one
    expected = [uncached(deployment(a), settings) for a in pods]
    plain = uncached(deployment({}), settings)
    for _ in range(2):  # the second round meets every entry the first made
        assert inject(deployment({}), settings).obj == plain
        for pod_annotations, want in zip(pods, expected):
            assert inject(deployment(pod_annotations), settings).obj == want, pod_annotations
    # each annotation counts, but the nativeSidecar that says what the settings do
    same = [a for a, out in zip(pods, expected) if _sidecar_parts(out) == _sidecar_parts(plain)]
    assert same == [a for a in pods if a.get("sidecar.istio.io/nativeSidecar") == ("true" if settings is NATIVE else "false")]


def test_an_annotation_read_on_one_path_keys_the_entries_made_on_it() -> None:
    dd = {"apm.datadoghq.com/env": '{"DD_ENV": "prod"}'}
    other = {"apm.datadoghq.com/env": '{"DD_ENV": "test"}'}
    plain = inject(deployment({}), DATADOG).obj
    first = inject(deployment(dd), DATADOG).obj
    second = inject(deployment(other), DATADOG).obj
    assert first == uncached(deployment(dd), DATADOG) and second == uncached(deployment(other), DATADOG)
    assert len({repr(_sidecar_parts(o)) for o in (plain, first, second)}) == 3


def test_a_build_that_iterates_the_annotations_keys_on_all_of_them(monkeypatch: pytest.MonkeyPatch) -> None:
    def counting(ctx: Any) -> str:
        return f"--log_output_level=n{len(ctx.annotations)}:{','.join(sorted(ctx.annotations))}"

    monkeypatch.setattr(sidecar, "log_level_arg", counting)
    outs = [inject(deployment({"checksum/config": str(i)} if i else {}), NATIVE).obj for i in range(3)]
    assert len(entries()) == 3 and read_sets() == [None]
    args = [next(c for c in o["spec"]["template"]["spec"]["initContainers"] if c["name"] == "istio-proxy")["args"]
            for o in outs]
    assert [a[-1] for a in args] == ["--log_output_level=n0:", "--log_output_level=n1:checksum/config",
                                     "--log_output_level=n1:checksum/config"]
    again = inject(deployment({"checksum/config": "1"}), NATIVE).obj
    assert again == outs[1] and len(entries()) == 3


def test_the_recorder_sees_every_way_of_reading() -> None:
    data = {"a": "1", "b": "2"}
    for look in (lambda r: r["a"], lambda r: r.get("a"), lambda r: "a" in r, lambda r: r.get("a", "x")):
        reads = sidecar._Reads(data)
        look(reads)
        assert reads.keys_read == {"a"} and not reads.all
    with pytest.raises(KeyError):
        sidecar._Reads(data)["zz"]
    for see in (iter, len, list, dict, lambda r: list(r.keys()), lambda r: len(r.keys()), lambda r: list(r.items()), lambda r: list(r.values()),
                lambda r: r == data, lambda r: {**r}, sorted, lambda r: [k for k in r]):
        reads = sidecar._Reads(data)
        see(reads)
        assert reads.all, see
    for other in (lambda r: r.copy(), lambda r: r | {}, json.dumps):  # no other way: those fail
        with pytest.raises((AttributeError, TypeError)):
            other(sidecar._Reads(data))
    assert not isinstance(sidecar._Reads(data), dict)  # no C fast path reads a dict behind its methods


def test_the_cache_is_bounded() -> None:
    for i in range(300):
        inject(deployment({"sidecar.istio.io/proxyCPU": f"{i}m"}), NATIVE)
        assert len(entries()) == sidecar._ENTRIES <= 256
    for i in range(40):
        inject(deployment({"proxy.istio.io/config": f"concurrency: {i}"}), NATIVE)
        assert len(sidecar._FIXED) <= 64 and len(entries()) == sidecar._ENTRIES


def _sidecar_parts(out: dict[str, Any]) -> Any:
    """What the sidecar template put in the pod's spec (the pod's own annotations are in any output)."""
    spec = out["spec"]["template"]["spec"]
    return spec.get("initContainers"), spec.get("volumes"), [c for c in spec["containers"] if c["name"] == "istio-proxy"]


def test_the_first_render_takes_the_built_copy_and_shares_nothing() -> None:
    lifecycle = {"preStop": {"exec": {"command": ["sleep", "5"]}}}
    values = {"global": {"proxy": {"lifecycle": lifecycle, "seccompProfile": {"type": "RuntimeDefault"}}}}
    settings = IstioSettings(values=values, native_sidecars=True)
    first = inject(deployment({}), settings).obj  # a miss: the copy the blob was written from
    (fix,) = entries()
    assert fix.first is None and fix.blob is not None
    second = inject(deployment({}), settings).obj  # loaded from the blob
    expected = uncached(deployment({}), settings)
    assert first == second == expected
    proxy = next(c for c in first["spec"]["template"]["spec"]["initContainers"] if c["name"] == "istio-proxy")
    proxy["lifecycle"]["preStop"]["exec"]["command"].append("changed")
    proxy["securityContext"]["seccompProfile"]["type"] = "changed"
    assert second == expected and values["global"]["proxy"]["lifecycle"] == {"preStop": {"exec": {"command": ["sleep", "5"]}}}
    assert inject(deployment({}), settings).obj == expected


def test_parts_holding_a_tuple_are_loaded_even_the_first_time() -> None:
    # fresh() copies dicts and lists only: a list inside a tuple (not from YAML, but possible in code-made
    # values) would be the settings' own; a marshal load copies it
    inner = {"command": ["sleep", "5"]}
    settings = IstioSettings(values={"global": {"proxy": {"lifecycle": {"preStop": (inner,)}}}}, native_sidecars=True)
    out = inject(deployment({}), settings).obj
    proxy = next(c for c in out["spec"]["template"]["spec"]["initContainers"] if c["name"] == "istio-proxy")
    proxy["lifecycle"]["preStop"][0]["command"].append("changed")
    assert inner == {"command": ["sleep", "5"]}
