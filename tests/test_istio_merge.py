"""Strategic merge (Kubernetes list order, nulls), values/mesh layering, quantities."""

from __future__ import annotations

from krmfn.istio.defaults import ISTIO_RELEASE, effective_mesh, effective_values
from krmfn.istio.merge import merge_pod
from krmfn.istio.quantity import canonical


def test_lists_merge_by_key_in_kubernetes_order() -> None:
    pod = {"spec": {
        "containers": [{"name": "app", "image": "a", "env": [{"name": "X", "value": "1"}]}, {"name": "istio-proxy", "image": "mine"}],
        "imagePullSecrets": [{"name": "user"}],
        "volumes": [{"name": "data", "emptyDir": {}}],
    }}
    patch = {"spec": {
        "containers": [{"name": "istio-proxy", "image": "istio", "args": ["proxy"]}],
        "imagePullSecrets": [{"name": "istio"}],
        "volumes": [{"name": "istio-envoy", "emptyDir": {"medium": "Memory"}}, {"name": "data", "emptyDir": None}],
        "initContainers": [],
    }}
    out = merge_pod(pod, patch)
    # items the patch names keep their relative place to the original ones; new ones go before those they do not follow
    assert [c["name"] for c in out["spec"]["containers"]] == ["app", "istio-proxy"]
    assert out["spec"]["containers"][1] == {"name": "istio-proxy", "image": "istio", "args": ["proxy"]}
    assert [s["name"] for s in out["spec"]["imagePullSecrets"]] == ["istio", "user"]
    assert out["spec"]["volumes"] == [{"name": "istio-envoy", "emptyDir": {"medium": "Memory"}}, {"name": "data"}]
    assert "initContainers" not in out["spec"]
    assert pod["spec"]["volumes"] == [{"name": "data", "emptyDir": {}}]  # the input is not modified


def test_maps_merge_keys_keep_their_place_and_other_lists_are_replaced() -> None:
    pod = {"metadata": {"labels": {"b": "1", "a": "2"}}, "spec": {"containers": [
        {"name": "c", "args": ["x", "y"], "securityContext": {"runAsUser": 1, "capabilities": {"add": ["A"]}}}]}}
    patch = {"metadata": {"labels": {"a": "3", "c": "4"}}, "spec": {"containers": [
        {"name": "c", "args": ["z"], "securityContext": {"capabilities": {"add": ["B"]}, "runAsGroup": 2}}]}}
    out = merge_pod(pod, patch)
    assert list(out["metadata"]["labels"].items()) == [("b", "1"), ("a", "3"), ("c", "4")]
    container = out["spec"]["containers"][0]
    assert container["args"] == ["z"]
    assert container["securityContext"] == {"runAsUser": 1, "capabilities": {"add": ["B"]}, "runAsGroup": 2}


def test_values_layering_and_nulls() -> None:
    values = effective_values({"global": {"hub": "r.example", "proxy": {"resources": {"limits": {"cpu": None}}}}})
    assert values["global"]["hub"] == "r.example" and values["global"]["tag"] == ISTIO_RELEASE
    assert values["global"]["proxy"]["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"},
                                                      "limits": {"memory": "1024Mi"}}
    assert values["global"]["proxy"]["logLevel"] == "warning"
    assert effective_values({})["global"]["hub"] == "docker.io/istio"


def test_mesh_layering() -> None:
    mesh = effective_mesh({"defaultConfig": {"proxyMetadata": {"A": "1"}, "drainDuration": "10s"}, "trustDomain": "td"})
    assert mesh["trustDomain"] == "td"
    assert mesh["defaultConfig"]["drainDuration"] == "10s" and mesh["defaultConfig"]["statusPort"] == 15020
    assert mesh["defaultConfig"]["proxyMetadata"] == {"A": "1"}
    assert effective_mesh({})["enablePrometheusMerge"] is True


def test_canonical_quantities() -> None:
    pairs = {"3000m": "3", "1024Mi": "1Gi", "100m": "100m", "2000": "2k", "1500": "1500", "0.5Gi": "512Mi",
             "0": "0", "1536Mi": "1536Mi", "not-a-quantity": "not-a-quantity"}
    assert {q: canonical(q) for q in pairs} == pairs
