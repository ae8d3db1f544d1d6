"""The built-in ``gateway`` template: istio-proxy as a router in ``containers`` (no init container).

Built as data for the same reason as :mod:`krmfn.istio.sidecar`, whose helpers it shares.
"""

from __future__ import annotations

from krmfn.istio import sidecar as S
from krmfn.istio.context import Context, go_str, truthy
from krmfn.istio.proxyconfig import proxy_config_json
from krmfn.names import PROXY_CONTAINER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def common_labels(ctx: Context) -> dict[str, str]:
    """canonical-name/-revision as the gateway and gRPC templates write them (no truncation)."""
    name = (
        ctx.labels.get("service.istio.io/canonical-name")
        or ctx.labels.get("app.kubernetes.io/name")
        or ctx.labels.get("app")
        or ctx.deploy_name
    )
    return {"service.istio.io/canonical-name": name, "service.istio.io/canonical-revision": S.canonical_revision(ctx)}


def owner_env(ctx: Context) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = []
    if ctx.deploy_name:
        env.append({"name": "ISTIO_META_WORKLOAD_NAME", "value": ctx.deploy_name})
    if ctx.api_version and ctx.deploy_name:
        env.append({
            "name": "ISTIO_META_OWNER",
            "value": f"kubernetes://apis/{ctx.api_version}/namespaces/{ctx.deploy_namespace or 'default'}"
            f"/{ctx.kind.lower()}s/{ctx.deploy_name}",
        })
    return env


def mesh_id_env(ctx: Context) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = []
    mesh_id = ctx.value("global", "meshID") or ctx.trust_domain
    if truthy(mesh_id):
        env.append({"name": "ISTIO_META_MESH_ID", "value": go_str(mesh_id)})
    if ctx.trust_domain:
        env.append({"name": "TRUST_DOMAIN", "value": ctx.trust_domain})
    return env


def base_env(ctx: Context) -> list[dict[str, Any]]:
    """PILOT_CERT_PROVIDER .. HOST_IP, common to the gateway and gRPC agent templates."""
    v = ctx.value
    ca = v("global", "caAddress")
    if not truthy(ca):
        rev = go_str(v("revision") or "")
        ca = f"istiod{'-' + rev if rev else ''}.{go_str(v('global', 'istioNamespace'))}.svc:15012"
    return [
        {"name": "PILOT_CERT_PROVIDER", "value": go_str(v("global", "pilotCertProvider"))},
        {"name": "CA_ADDR", "value": go_str(ca)},
        S._field_env("POD_NAME", "metadata.name"),
        S._field_env("POD_NAMESPACE", "metadata.namespace"),
        S._field_env("INSTANCE_IP", "status.podIP"),
        S._field_env("SERVICE_ACCOUNT", "spec.serviceAccountName"),
        S._field_env("HOST_IP", "status.hostIP"),
    ]


def gateway_env(ctx: Context) -> list[dict[str, Any]]:
    v = ctx.value
    env = [
        *base_env(ctx),
        S._resource_env("ISTIO_CPU_LIMIT", "limits.cpu"),
        {"name": "PROXY_CONFIG", "value": proxy_config_json(ctx.proxy_config)},
        {"name": "ISTIO_META_POD_PORTS", "value": S.pod_ports(ctx)},
        S._resource_env("GOMEMLIMIT", "limits.memory"),
    ]
    if ctx.compliance_policy:
        env.append({"name": "COMPLIANCE_POLICY", "value": ctx.compliance_policy})
        if ctx.compliance_policy == "fips-140-3":
            env.append({"name": "GODEBUG", "value": "fips140=only"})
    env += [
        {"name": "ISTIO_META_APP_CONTAINERS", "value": ",".join(ctx.app_containers)},
        {"name": "ISTIO_META_CLUSTER_ID", "value": go_str(v("global", "multiCluster", "clusterName") or "Kubernetes")},
        S._field_env("ISTIO_META_NODE_NAME", "spec.nodeName"),
        {"name": "ISTIO_META_INTERCEPTION_MODE", "value": go_str(ctx.proxy_config.get("interceptionMode") or "REDIRECT")},
    ]
    if truthy(v("global", "network")):
        env.append({"name": "ISTIO_META_NETWORK", "value": go_str(v("global", "network"))})
    env += owner_env(ctx)
    if ctx.isset(S.P + "bootstrapOverride"):
        env.append({"name": "ISTIO_BOOTSTRAP_OVERRIDE", "value": "/etc/istio/custom-bootstrap/custom_bootstrap.json"})
    env += mesh_id_env(ctx)
    env += [{"name": k, "value": val} for k, val in ctx.proxy_metadata.items()]
    return env


def gateway_mounts(ctx: Context) -> list[dict[str, Any]]:
    return [m for m in S.volume_mounts(ctx) if m["name"] not in ("istio-ca-crl",) and m["name"] not in _user_names(ctx, "userVolumeMount")]


def _user_names(ctx: Context, annotation: str) -> set[str]:
    return {e["name"] for e in S._json_entries(ctx, S.P + annotation)}


def gateway_volumes(ctx: Context) -> list[dict[str, Any]]:
    out = []
    for vol in S.volumes(ctx):
        if vol["name"] in ("istio-ca-crl",) or vol["name"] in _user_names(ctx, "userVolume"):
            continue
        if vol["name"] in ("credential-socket", "workload-certs") and len(vol) == 1:
            vol = {"emptyDir": {}, **vol}
        out.append(vol)
    return out


def render(ctx: Context) -> dict[str, Any]:
    v = ctx.value
    annotations = {"istio.io/rev": ctx.revision or "default"}
    annotations.update(S.default_container_annotations(ctx))
    security = v("gateways", "securityContext") or {
        "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]
    }
    proxy: dict[str, Any] = {
        "name": PROXY_CONTAINER,
        "image": S._image(ctx, go_str(v("global", "proxy", "image")), ctx.proxy_image),
        "ports": [{"containerPort": 15090, "protocol": "TCP", "name": "http-envoy-prom"}],
        "args": S.proxy_args(ctx, "router"),
    }
    if v("global", "proxy", "lifecycle"):
        proxy["lifecycle"] = v("global", "proxy", "lifecycle")
    proxy["securityContext"] = {"runAsUser": ctx.proxy_uid or 1337, "runAsGroup": ctx.proxy_gid or 1337}
    proxy["env"] = gateway_env(ctx)
    S._pull_policy(ctx, proxy)
    proxy["readinessProbe"] = S._probe(
        "/healthz/ready", 15021,
        initialDelaySeconds=v("global", "proxy", "readinessInitialDelaySeconds"),
        periodSeconds=v("global", "proxy", "readinessPeriodSeconds"),
        timeoutSeconds=3,
        failureThreshold=v("global", "proxy", "readinessFailureThreshold"),
    )
    proxy["volumeMounts"] = gateway_mounts(ctx)
    spec: dict[str, Any] = {"securityContext": security, "containers": [proxy], "volumes": gateway_volumes(ctx)}
    secrets = v("global", "imagePullSecrets")
    if secrets:
        spec["imagePullSecrets"] = [{"name": go_str(s)} for s in secrets]
    return {"metadata": {"labels": common_labels(ctx), "annotations": annotations}, "spec": spec}
