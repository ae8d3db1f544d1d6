"""The built-in proxyless gRPC templates, as data (see :mod:`krmfn.istio.sidecar` for why).

``grpc-agent``: pilot-agent runs beside the app (no Envoy) and serves xDS and
certificates over a shared volume; ``grpc-simple``: only a bootstrap file
written by an init container.
"""

from __future__ import annotations

import json

from krmfn.istio import gateway as G
from krmfn.istio import sidecar as S
from krmfn.istio.context import Context, go_str, truthy
from krmfn.istio.proxyconfig import proxy_config_json
from krmfn.names import PROXY_CONTAINER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _agent_env(ctx: Context) -> list[dict[str, Any]]:
    v = ctx.value
    env: list[dict[str, Any]] = [
        {"name": "ISTIO_META_GENERATOR", "value": "grpc"},
        {"name": "OUTPUT_CERTS", "value": "/var/lib/istio/data"},
    ]
    if ctx.inbound_policy_mode == "localhost":
        env.append({"name": "REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION", "value": "true"})
    env += [
        *G.base_env(ctx),
        {"name": "PROXY_CONFIG", "value": proxy_config_json(ctx.proxy_config)},
        {"name": "ISTIO_META_POD_PORTS", "value": S.pod_ports(ctx)},
        {"name": "ISTIO_META_APP_CONTAINERS", "value": ",".join(ctx.app_containers)},
        {"name": "ISTIO_META_CLUSTER_ID", "value": go_str(v("global", "multiCluster", "clusterName") or "Kubernetes")},
        S._field_env("ISTIO_META_NODE_NAME", "spec.nodeName"),
    ]
    if truthy(v("global", "network")):
        env.append({"name": "ISTIO_META_NETWORK", "value": go_str(v("global", "network"))})
    env += G.owner_env(ctx) + G.mesh_id_env(ctx)
    env += [{"name": k, "value": val} for k, val in ctx.proxy_metadata.items()]
    env += [{"name": "ISTIO_META_DNS_CAPTURE", "value": "false"}, {"name": "DISABLE_ENVOY", "value": "true"}]
    return env


def _certs_mount(ctx: Context) -> dict[str, Any]:
    if ctx.value("global", "caName") == "GkeWorkloadCertificate":
        return {"name": "gke-workload-certificate", "mountPath": "/var/run/secrets/workload-spiffe-credentials",
                "readOnly": True}
    return {"name": "workload-certs", "mountPath": "/var/run/secrets/workload-spiffe-credentials"}


def _agent_mounts(ctx: Context) -> list[dict[str, Any]]:
    mounts = [{"name": "workload-socket", "mountPath": "/var/run/secrets/workload-spiffe-uds"}, _certs_mount(ctx)]
    if ctx.value("global", "pilotCertProvider") == "istiod":
        mounts.append({"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"})
    mounts += [
        {"mountPath": "/var/lib/istio/data", "name": "istio-data"},
        {"mountPath": "/etc/istio/proxy", "name": "istio-xds"},
        {"mountPath": "/var/run/secrets/tokens", "name": "istio-token"},
    ]
    if truthy(ctx.value("global", "mountMtlsCerts")):
        mounts.append({"mountPath": "/etc/certs/", "name": "istio-certs", "readOnly": True})
    mounts.append({"name": "istio-podinfo", "mountPath": "/etc/istio/pod"})
    return mounts


def _agent_volumes(ctx: Context) -> list[dict[str, Any]]:
    keep = {"workload-socket", "gke-workload-certificate", "workload-certs", "custom-bootstrap-volume", "istio-data",
            "istio-podinfo", "istio-token", "istiod-ca-cert", "istio-certs"}
    out: list[dict[str, Any]] = []
    for vol in S.volumes(ctx):
        if vol["name"] == "istio-envoy":
            out.append({"emptyDir": {"medium": "Memory"}, "name": "istio-xds"})
        elif vol["name"] in keep or vol["name"] in {e["name"] for e in S._json_entries(ctx, S.P + "userVolume")}:
            out.append(vol)
    return out


def render_agent(ctx: Context) -> dict[str, Any]:
    annotations = {"istio.io/rev": ctx.revision or "default"}
    annotations.update(S.default_container_annotations(ctx))
    annotations["sidecar.istio.io/rewriteAppHTTPProbers"] = "false"
    v = ctx.value
    proxy: dict[str, Any] = {
        "name": PROXY_CONTAINER,
        "image": S._image(ctx, go_str(v("global", "proxy", "image")), ctx.proxy_image),
        "ports": [{"containerPort": 15020, "protocol": "TCP", "name": "mesh-metrics"}],
        "args": S.proxy_args(ctx, "sidecar", outlier=False),
        "lifecycle": {"postStart": {"exec": {"command": ["pilot-agent", "wait", "--url=http://localhost:15020/healthz/ready"]}}},
        "env": _agent_env(ctx),
    }
    S._pull_policy(ctx, proxy)
    if ctx.status_port != "0":
        r = "readiness.status.sidecar.istio.io/"
        proxy["readinessProbe"] = S._probe(
            "/healthz/ready", 15020,
            initialDelaySeconds=S._int(ctx.annotation(r + "initialDelaySeconds", v("global", "proxy", "readinessInitialDelaySeconds"))),
            periodSeconds=S._int(ctx.annotation(r + "periodSeconds", v("global", "proxy", "readinessPeriodSeconds"))),
            timeoutSeconds=3,
            failureThreshold=S._int(ctx.annotation(r + "failureThreshold", v("global", "proxy", "readinessFailureThreshold"))),
        )
        # (the chart keeps resources and mounts inside the status-port condition too)
        proxy["resources"] = S.resources(ctx)
        proxy["volumeMounts"] = _agent_mounts(ctx) + S._json_entries(ctx, S.P + "userVolumeMount")
    containers = [proxy]
    for name in ctx.app_containers:
        containers.append({
            "name": name,
            "env": [{"name": "GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT", "value": "true"},
                    {"name": "GRPC_XDS_BOOTSTRAP", "value": "/etc/istio/proxy/grpc-bootstrap.json"}],
            "volumeMounts": [{"mountPath": "/var/lib/istio/data", "name": "istio-data"},
                             {"mountPath": "/etc/istio/proxy", "name": "istio-xds"}, _certs_mount(ctx)],
        })
    spec: dict[str, Any] = {"containers": containers, "volumes": _agent_volumes(ctx)}
    secrets = v("global", "imagePullSecrets")
    if secrets:
        spec["imagePullSecrets"] = [{"name": go_str(s)} for s in secrets]
    return {"metadata": {"labels": G.common_labels(ctx), "annotations": annotations}, "spec": spec}


BOOTSTRAP_FILE = "/var/lib/grpc/data/bootstrap.json"
# The gRPC xDS bootstrap the init container writes; ${...} are expanded by the shell (unquoted here-document).
BOOTSTRAP = {
    "xds_servers": [
        {"server_uri": "${SERVER_URI}", "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}
    ],
    "node": {"id": "${NODE_ID}", "metadata": {"GENERATOR": "grpc"}},
}


def bootstrap_script() -> str:
    """Our own shell for the init container: the same node id, server URI and bootstrap JSON as Istio's
    grpc-simple template writes (Istio's script text is not reproduced; whitespace in the JSON differs)."""
    return "\n".join([
        'NODE_ID="sidecar~${INSTANCE_IP}~${POD_NAME}.${POD_NAMESPACE}~cluster.local"',
        'SERVER_URI="dns:///istiod.${ISTIO_NAMESPACE}.svc:15010"',
        f"cat > {BOOTSTRAP_FILE} <<EOF",
        json.dumps(BOOTSTRAP, indent=2),
        "EOF",
    ])


def render_simple(ctx: Context) -> dict[str, Any]:
    mount = {"mountPath": "/var/lib/grpc/data/", "name": "grpc-io-proxyless-bootstrap"}
    init = {
        "name": "grpc-bootstrap-init",
        "image": "busybox:1.28",
        "volumeMounts": [dict(mount)],
        "env": [
            S._field_env("INSTANCE_IP", "status.podIP"),
            S._field_env("POD_NAME", "metadata.name"),
            S._field_env("POD_NAMESPACE", "metadata.namespace"),
            {"name": "ISTIO_NAMESPACE", "value": go_str(ctx.value("global", "istioNamespace")) + "\n"},
        ],
        "command": ["sh", "-c", bootstrap_script()],
    }
    containers = [
        {
            "name": c.get("name", ""),
            "env": [{"name": "GRPC_XDS_BOOTSTRAP", "value": BOOTSTRAP_FILE},
                    {"name": "GRPC_GO_LOG_VERBOSITY_LEVEL", "value": "99"},
                    {"name": "GRPC_GO_LOG_SEVERITY_LEVEL", "value": "info"}],
            "volumeMounts": [dict(mount)],
        }
        for c in ctx.spec.get("containers") or []
    ]
    return {
        "metadata": {"annotations": {"sidecar.istio.io/rewriteAppHTTPProbers": "false"}},
        "spec": {"initContainers": [init], "containers": containers,
                 "volumes": [{"name": "grpc-io-proxyless-bootstrap", "emptyDir": {}}]},
    }
