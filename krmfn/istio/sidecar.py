"""The built-in ``sidecar`` template: the partial pod Istio's chart template renders, built as Python data.

Why data-building code rather than a template text: the chart's template may
not be shipped, and a Go-template text re-rendered by an interpreter would
only be parsed back into the same maps.  Each function below produces one
part of the chart's output (labels, annotations, init container, proxy
container, env, volumes) from a :class:`~krmfn.istio.context.Context`, so the
branches of the chart read as plain ``if`` statements and the output is
already the data the strategic merge needs.
"""

from __future__ import annotations

import marshal

from krmfn.istio.context import Context, exclude_inbound_port, go_str, truthy
from krmfn.istio.jsoncompact import compact as _compact  # json.dumps(value, separators=(",", ":"))
from krmfn.istio.merge import SCALARS, fresh
from krmfn.istio.multus import append_multus_network
from krmfn.istio.proxyconfig import proxy_config_json
from krmfn.names import INIT_CONTAINER, PROXY_CONTAINER, VALIDATION_CONTAINER
from krmfn.plain import dig
from krmfn.records import Frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any


P = "sidecar.istio.io/"
T = "traffic.sidecar.istio.io/"


def canonical_name(ctx: Context) -> str:
    name = (
        ctx.labels.get("service.istio.io/canonical-name")
        or ctx.labels.get("app.kubernetes.io/name")
        or ctx.labels.get("app")
        or ctx.deploy_name
    )
    return name[:63].strip("-_.")


def canonical_revision(ctx: Context) -> str:
    return (
        ctx.labels.get("service.istio.io/canonical-revision")
        or ctx.labels.get("app.kubernetes.io/version")
        or ctx.labels.get("version")
        or "latest"
    )


def default_container_annotations(ctx: Context) -> dict[str, str]:
    out: dict[str, str] = {}
    containers = ctx.app_containers
    if containers:
        if not ctx.isset("kubectl.kubernetes.io/default-logs-container"):
            out["kubectl.kubernetes.io/default-logs-container"] = containers[0]
        if not ctx.isset("kubectl.kubernetes.io/default-container"):
            out["kubectl.kubernetes.io/default-container"] = containers[0]
    return out


def _outbound_ports_set(ctx: Context, which: str) -> bool:
    return ctx.isset(f"{T}{which}OutboundPorts") or go_str(ctx.value("global", "proxy", f"{which}OutboundPorts") or "") != ""


def excluded_inbound(ctx: Context) -> str:
    return exclude_inbound_port(
        ctx.status_port, ctx.annotation(f"{T}excludeInboundPorts", ctx.value("global", "proxy", "excludeInboundPorts"))
    )


def cni_annotations(ctx: Context) -> dict[str, str]:
    out: dict[str, str] = {}
    if ctx.value("pilot", "cni", "provider") == "multus":
        out["k8s.v1.cni.cncf.io/networks"] = append_multus_network(
            ctx.annotations.get("k8s.v1.cni.cncf.io/networks", ""), "default/istio-cni"
        )
    out[P + "interceptionMode"] = ctx.interception_mode
    inc = ctx.annotation(f"{T}includeOutboundIPRanges", ctx.value("global", "proxy", "includeIPRanges"))
    if inc:
        out[f"{T}includeOutboundIPRanges"] = inc
    exc = ctx.annotation(f"{T}excludeOutboundIPRanges", ctx.value("global", "proxy", "excludeIPRanges"))
    if exc:
        out[f"{T}excludeOutboundIPRanges"] = exc
    out[f"{T}includeInboundPorts"] = ctx.annotation(
        f"{T}includeInboundPorts", ctx.value("global", "proxy", "includeInboundPorts")
    )
    out[f"{T}excludeInboundPorts"] = excluded_inbound(ctx)
    for which in ("include", "exclude"):
        if _outbound_ports_set(ctx, which):
            out[f"{T}{which}OutboundPorts"] = ctx.annotation(
                f"{T}{which}OutboundPorts", ctx.value("global", "proxy", f"{which}OutboundPorts")
            )
    for name in (f"{T}kubevirtInterfaces", "istio.io/reroute-virtual-interfaces", f"{T}excludeInterfaces"):
        if ctx.annotations.get(name):
            out[name] = ctx.annotations[name]
    return out


def resources(ctx: Context) -> dict[str, Any] | None:
    keys = {"requests": ("proxyCPU", "proxyMemory"), "limits": ("proxyCPULimit", "proxyMemoryLimit")}
    if any(ctx.isset(P + k) for pair in keys.values() for k in pair):
        out: dict[str, Any] = {}
        for section, (cpu, mem) in keys.items():
            part = {}
            if ctx.isset(P + cpu):
                part["cpu"] = ctx.annotations[P + cpu]
            if ctx.isset(P + mem):
                part["memory"] = ctx.annotations[P + mem]
            if part:
                out[section] = part
        return out
    res = ctx.value("global", "proxy", "resources")
    if not res:
        return None
    return _omit_nil(res)  # type: ignore[no-any-return]


def _omit_nil(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _omit_nil(v) for k, v in value.items() if v is not None}
    return value


def _image(ctx: Context, values_image: str, default: str) -> str:
    chosen = ctx.annotation(P + "proxyImage", values_image)
    return chosen if "/" in chosen else default


def _pull_policy(ctx: Context, container: dict[str, Any]) -> None:
    policy = ctx.value("global", "imagePullPolicy")
    if truthy(policy):
        container["imagePullPolicy"] = go_str(policy)


def _seccomp(ctx: Context, security: dict[str, Any]) -> None:
    profile = ctx.value("global", "proxy", "seccompProfile")
    if profile:
        security["seccompProfile"] = profile


def log_level_arg(ctx: Context) -> str:
    return "--log_output_level=" + ctx.annotation(P + "agentLogLevel", ctx.value("global", "logging", "level"))


def iptables_args(ctx: Context) -> list[str]:
    proxy = ctx.value("global", "proxy") or {}
    mesh = ctx.mesh
    uid = "1337" if ctx.tproxy else go_str(ctx.proxy_uid or 1337)
    args = [
        "istio-iptables",
        "-p", go_str(mesh.get("proxyListenPort") or "15001"),
        "-z", go_str(mesh.get("proxyInboundListenPort") or "15006"),
        "-u", uid,
        "-m", ctx.interception_mode,
        "-i", ctx.annotation(f"{T}includeOutboundIPRanges", proxy.get("includeIPRanges")),
        "-x", ctx.annotation(f"{T}excludeOutboundIPRanges", proxy.get("excludeIPRanges")),
        "-b", ctx.annotation(f"{T}includeInboundPorts", proxy.get("includeInboundPorts")),
        "-d",
    ]
    excluded = excluded_inbound(ctx)
    args.append("15090,15021," + excluded if excluded else "15090,15021")
    for flag, which in (("-q", "include"), ("-o", "exclude")):
        if _outbound_ports_set(ctx, which):
            args += [flag, ctx.annotation(f"{T}{which}OutboundPorts", proxy.get(f"{which}OutboundPorts"))]
    if ctx.isset("istio.io/reroute-virtual-interfaces"):
        args += ["-k", ctx.annotations["istio.io/reroute-virtual-interfaces"]]
    elif ctx.isset(f"{T}kubevirtInterfaces"):
        args += ["-k", ctx.annotations[f"{T}kubevirtInterfaces"]]
    if ctx.isset(f"{T}excludeInterfaces"):
        args += ["-c", ctx.annotations[f"{T}excludeInterfaces"]]
    return args + _iptables_flags(ctx)


def _iptables_flags(ctx: Context) -> list[str]:
    """istio-iptables' log level and switches."""
    args = [log_level_arg(ctx)]
    if truthy(ctx.value("global", "logAsJson")):
        args.append("--log_as_json")
    if truthy(ctx.value("pilot", "cni", "enabled")):
        args += ["--run-validation", "--skip-rule-apply"]
    elif truthy(ctx.value("global", "proxy_init", "forceApplyIptables")):
        args.append("--force-apply")
    if truthy(ctx.value("global", "nativeNftables")):
        args.append("--native-nftables")
    return args


def init_container(ctx: Context) -> dict[str, Any]:
    cni = truthy(ctx.value("pilot", "cni", "enabled"))
    privileged = bool(ctx.value("global", "proxy", "privileged"))
    c: dict[str, Any] = {
        "name": VALIDATION_CONTAINER if cni else INIT_CONTAINER,
        "image": _image(ctx, go_str(ctx.value("global", "proxy_init", "image")), ctx.proxy_init_image),
        "args": iptables_args(ctx),
    }
    _pull_policy(ctx, c)
    if ctx.proxy_metadata:
        c["env"] = [{"name": k, "value": v} for k, v in ctx.proxy_metadata.items()]
    c["resources"] = resources(ctx)
    caps: dict[str, Any] = {}
    if not cni:
        caps["add"] = ["NET_ADMIN", "NET_RAW"]
    caps["drop"] = ["ALL"]
    security: dict[str, Any] = {"allowPrivilegeEscalation": privileged, "privileged": privileged, "capabilities": caps}
    if not cni:
        security.update(readOnlyRootFilesystem=False, runAsGroup=0, runAsNonRoot=False, runAsUser=0)
    else:
        security.update(
            readOnlyRootFilesystem=True,
            runAsGroup=1337 if ctx.tproxy else (ctx.proxy_gid or 1337),
            runAsUser=1337 if ctx.tproxy else (ctx.proxy_uid or 1337),
            runAsNonRoot=True,
        )
    _seccomp(ctx, security)
    c["securityContext"] = security
    return c


def _field_env(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def _resource_env(name: str, resource: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"resourceFieldRef": {"resource": resource, "divisor": "1"}}}


def _port_json(port: dict[str, Any]) -> str:
    out: dict[str, Any] = {}
    for key in ("name", "hostPort", "containerPort", "protocol", "hostIP"):
        if port.get(key) not in (None, "", 0):
            out[key] = port[key]
    return _compact(out)


def pod_ports(ctx: Context) -> str:
    """ISTIO_META_POD_PORTS: a JSON array, one port per line, continuation lines led by a comma."""
    lines = ["["]
    first = True
    for c in ctx.spec.get("containers") or []:
        for p in c.get("ports") or []:
            lines.append(("    " if first else "    ,") + _port_json(p))
            first = False
    lines.append("]")
    return "\n".join(lines)


def otel_wanted(ctx: Context) -> bool:
    """Whether a mesh OpenTelemetry provider asks for semantic-convention enrichment (OTEL_RESOURCE_ATTRIBUTES)."""
    providers = ctx.mesh.get("extensionProviders") or []
    return any(
        dig(p, "opentelemetry", "serviceAttributeEnrichment") == "OTEL_SEMANTIC_CONVENTIONS"
        for p in providers
        if isinstance(p, dict)
    )


def otel_resource_attributes(ctx: Context) -> str:
    """OTEL_RESOURCE_ATTRIBUTES when a mesh OpenTelemetry provider asks for semantic-convention enrichment."""
    if not otel_wanted(ctx):
        return ""
    return _otel_value(ctx)


def _otel_value(ctx: Context) -> str:
    namespace = ctx.deploy_namespace or "default"
    parts = [f"service.namespace={namespace}"]
    version = ctx.labels.get("app.kubernetes.io/version") or ctx.labels.get("version")
    if version:
        parts.append(f"service.version={version}")
    containers = ctx.app_containers
    if containers:
        parts.append(f"service.instance.id={namespace}.$(POD_NAME).{containers[0]}")
    return ",".join(parts)


def fixed_env(ctx: Context) -> tuple[list[dict[str, Any]], tuple[int, int, int]]:
    """The proxy's env without what the pod itself gives (its ports and containers, its workload and owner,
    OTEL_RESOURCE_ATTRIBUTES), and where those go: :func:`pod_env` puts them in at these indexes."""
    v = ctx.value
    env: list[dict[str, Any]] = []
    if ctx.inbound_policy_mode == "localhost":
        env.append({"name": "REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION", "value": "true"})
    env.append({"name": "PILOT_CERT_PROVIDER", "value": go_str(v("global", "pilotCertProvider"))})
    ca = v("global", "caAddress")
    if not truthy(ca):
        rev = go_str(v("revision") or "")
        ca = f"istiod{'-' + rev if rev else ''}.{go_str(v('global', 'istioNamespace'))}.svc:15012"
    env.append({"name": "CA_ADDR", "value": go_str(ca)})
    env += [
        _field_env("POD_NAME", "metadata.name"),
        _field_env("POD_NAMESPACE", "metadata.namespace"),
        _field_env("INSTANCE_IP", "status.podIP"),
        _field_env("SERVICE_ACCOUNT", "spec.serviceAccountName"),
        _field_env("HOST_IP", "status.hostIP"),
        _resource_env("ISTIO_CPU_LIMIT", "limits.cpu"),
        {"name": "PROXY_CONFIG", "value": proxy_config_json(ctx.proxy_config)},
    ]
    ports_at = len(env)  # ISTIO_META_POD_PORTS, ISTIO_META_APP_CONTAINERS
    env.append(_resource_env("GOMEMLIMIT", "limits.memory"))
    if ctx.compliance_policy:
        env.append({"name": "COMPLIANCE_POLICY", "value": ctx.compliance_policy})
        if ctx.compliance_policy == "fips-140-3":
            env.append({"name": "GODEBUG", "value": "fips140=only"})
    _meta_env(ctx, env)
    workload_at = len(env)  # ISTIO_META_WORKLOAD_NAME, ISTIO_META_OWNER
    _identity_env(ctx, env)
    otel_at = len(env)  # OTEL_RESOURCE_ATTRIBUTES
    env += [{"name": k, "value": val} for k, val in ctx.proxy_metadata.items()]
    return env, (ports_at, workload_at, otel_at)


def pod_env(ctx: Context, env: list[dict[str, Any]], at: tuple[int, int, int], otel: bool) -> None:
    """What the pod gives the proxy's env, put into :func:`fixed_env`'s list (in place) at its indexes;
    ``otel``: :func:`otel_wanted`."""
    ports_at, workload_at, otel_at = at
    if otel:
        value = _otel_value(ctx)
        if value:
            env.insert(otel_at, {"name": "OTEL_RESOURCE_ATTRIBUTES", "value": value})
    env[workload_at:workload_at] = _workload_env(ctx)
    env[ports_at:ports_at] = [
        {"name": "ISTIO_META_POD_PORTS", "value": pod_ports(ctx)},
        {"name": "ISTIO_META_APP_CONTAINERS", "value": ",".join(ctx.app_containers)},
    ]


def proxy_env(ctx: Context) -> list[dict[str, Any]]:
    """The proxy container's env."""
    env, at = fixed_env(ctx)
    pod_env(ctx, env, at, otel_wanted(ctx))
    return env


def _meta_env(ctx: Context, env: list[dict[str, Any]]) -> None:
    """The cluster, node, interception mode and network of the proxy's metadata."""
    v = ctx.value
    env.append({"name": "ISTIO_META_CLUSTER_ID", "value": go_str(v("global", "multiCluster", "clusterName") or "Kubernetes")})
    env.append(_field_env("ISTIO_META_NODE_NAME", "spec.nodeName"))
    mode = ctx.annotations.get(P + "interceptionMode") or go_str(ctx.proxy_config.get("interceptionMode") or "REDIRECT")
    env.append({"name": "ISTIO_META_INTERCEPTION_MODE", "value": mode})
    if truthy(v("global", "network")):
        env.append({"name": "ISTIO_META_NETWORK", "value": go_str(v("global", "network"))})


def _workload_env(ctx: Context) -> list[dict[str, Any]]:
    """The workload and owner of the proxy's metadata."""
    env: list[dict[str, Any]] = []
    workload = ctx.labels.get("service.istio.io/workload-name") or ctx.deploy_name
    if workload:
        env.append({"name": "ISTIO_META_WORKLOAD_NAME", "value": workload})
    if ctx.api_version and ctx.deploy_name:
        owner = (
            f"kubernetes://apis/{ctx.api_version}/namespaces/{ctx.deploy_namespace or 'default'}"
            f"/{ctx.kind.lower()}s/{ctx.deploy_name}"
        )
        env.append({"name": "ISTIO_META_OWNER", "value": owner})
    return env


def _identity_env(ctx: Context, env: list[dict[str, Any]]) -> None:
    """The bootstrap override, mesh id, trust domain and Datadog settings."""
    v = ctx.value
    if ctx.isset(P + "bootstrapOverride"):
        env.append({"name": "ISTIO_BOOTSTRAP_OVERRIDE", "value": "/etc/istio/custom-bootstrap/custom_bootstrap.json"})
    mesh_id = v("global", "meshID") or ctx.trust_domain
    if truthy(mesh_id):
        env.append({"name": "ISTIO_META_MESH_ID", "value": go_str(mesh_id)})
    if ctx.trust_domain:
        env.append({"name": "TRUST_DOMAIN", "value": ctx.trust_domain})
    if v("global", "proxy", "tracer") == "datadog" and ctx.isset("apm.datadoghq.com/env"):
        env += _datadog_env(ctx.annotations["apm.datadoghq.com/env"])


def _datadog_env(text: str) -> list[dict[str, Any]]:
    import json  # here, not at start-up (the json package compiles six patterns on import)

    try:
        dd = json.loads(text)
    except json.JSONDecodeError:
        dd = {}
    return [{"name": k, "value": go_str(dd[k])} for k in sorted(dd)] if isinstance(dd, dict) else []


def _int(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text


def _probe(path: str, port: int, **fields: Any) -> dict[str, Any]:
    probe: dict[str, Any] = {"httpGet": {"path": path, "port": port}}
    for key, value in fields.items():
        if value not in (0, None, ""):
            probe[key] = value
    return probe


def proxy_probes(ctx: Context) -> dict[str, Any]:
    if ctx.status_port == "0":
        return {}
    out: dict[str, Any] = {}
    proxy = ctx.value("global", "proxy") or {}
    startup = proxy.get("startupProbe") or {}
    if truthy(startup.get("enabled")):
        out["startupProbe"] = _probe(
            "/healthz/ready", 15021, initialDelaySeconds=0, periodSeconds=1, timeoutSeconds=3,
            failureThreshold=startup.get("failureThreshold"),
        )
    r = "readiness.status.sidecar.istio.io/"
    out["readinessProbe"] = _probe(
        "/healthz/ready", 15021,
        initialDelaySeconds=_int(ctx.annotation(r + "initialDelaySeconds", proxy.get("readinessInitialDelaySeconds"))),
        periodSeconds=_int(ctx.annotation(r + "periodSeconds", proxy.get("readinessPeriodSeconds"))),
        timeoutSeconds=3,
        failureThreshold=_int(ctx.annotation(r + "failureThreshold", proxy.get("readinessFailureThreshold"))),
    )
    return out


def proxy_security(ctx: Context) -> dict[str, Any]:
    privileged = bool(ctx.value("global", "proxy", "privileged"))
    if ctx.proxy_metadata.get("IPTABLES_TRACE_LOGGING") == "true":
        security: dict[str, Any] = {
            "allowPrivilegeEscalation": True,
            "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]},
            "privileged": True,
            "readOnlyRootFilesystem": True,
            "runAsGroup": ctx.proxy_gid or 1337,
            "runAsNonRoot": False,
            "runAsUser": 0,
        }
    else:
        cap_bind = ctx.annotation(P + "capNetBindService", ctx.value("global", "proxy", "capNetBindService")) == "true"
        caps: dict[str, Any] = {}
        add = (["NET_ADMIN"] if ctx.tproxy else []) + (["NET_BIND_SERVICE"] if cap_bind else [])
        if add:
            caps["add"] = add
        caps["drop"] = ["ALL"]
        security = {"allowPrivilegeEscalation": privileged, "capabilities": caps, "privileged": privileged,
                    "readOnlyRootFilesystem": True}
        if ctx.tproxy or cap_bind:
            security.update(runAsNonRoot=False, runAsUser=0, runAsGroup=1337)
        else:
            security.update(runAsNonRoot=True, runAsUser=ctx.proxy_uid or 1337, runAsGroup=ctx.proxy_gid or 1337)
    _seccomp(ctx, security)
    return security


def _json_entries(ctx: Context, annotation: str) -> list[dict[str, Any]]:
    if not ctx.isset(annotation):
        return []
    import json  # here, not at start-up (the json package compiles six patterns on import)

    try:
        data = json.loads(ctx.annotations[annotation])
    except json.JSONDecodeError:
        return []
    if not isinstance(data, dict):
        return []
    return [{"name": k, **(data[k] if isinstance(data[k], dict) else {})} for k in sorted(data)]


def volume_mounts(ctx: Context) -> list[dict[str, Any]]:
    gke = ctx.value("global", "caName") == "GkeWorkloadCertificate"
    mounts: list[dict[str, Any]] = [
        {"name": "workload-socket", "mountPath": "/var/run/secrets/workload-spiffe-uds"},
        {"name": "credential-socket", "mountPath": "/var/run/secrets/credential-uds"},
        {"name": "gke-workload-certificate", "mountPath": "/var/run/secrets/workload-spiffe-credentials", "readOnly": True}
        if gke
        else {"name": "workload-certs", "mountPath": "/var/run/secrets/workload-spiffe-credentials"},
    ]
    if ctx.value("global", "pilotCertProvider") == "istiod":
        mounts += [
            {"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"},
            {"mountPath": "/var/run/secrets/istio/crl", "name": "istio-ca-crl"},
        ]
    mounts.append({"mountPath": "/var/lib/istio/data", "name": "istio-data"})
    if ctx.isset(P + "bootstrapOverride"):
        mounts.append({"mountPath": "/etc/istio/custom-bootstrap", "name": "custom-bootstrap-volume"})
    mounts += [
        {"mountPath": "/etc/istio/proxy", "name": "istio-envoy"},
        {"mountPath": "/var/run/secrets/tokens", "name": "istio-token"},
    ]
    if truthy(ctx.value("global", "mountMtlsCerts")):
        mounts.append({"mountPath": "/etc/certs/", "name": "istio-certs", "readOnly": True})
    mounts.append({"name": "istio-podinfo", "mountPath": "/etc/istio/pod"})
    mounts += _json_entries(ctx, P + "userVolumeMount")
    return mounts


def volumes(ctx: Context) -> list[dict[str, Any]]:
    out, certs_at = fixed_volumes(ctx)
    if certs_at is not None:
        out.insert(certs_at, certs_volume(ctx))
    return out


def certs_volume(ctx: Context) -> dict[str, Any]:
    """istio-certs (values.global.mountMtlsCerts): the secret of the pod's service account."""
    sa = ctx.spec.get("serviceAccountName") or ""
    return {"name": "istio-certs", "secret": {"optional": True, "secretName": f"istio.{sa}" if sa else "istio.default"}}


def fixed_volumes(ctx: Context) -> tuple[list[dict[str, Any]], int | None]:
    """The volumes without istio-certs, which depends on the pod's service account, and where it goes (None:
    not mounted)."""
    v = ctx.value
    out: list[dict[str, Any]] = [{"name": "workload-socket"}, {"name": "credential-socket"}]
    if v("global", "caName") == "GkeWorkloadCertificate":
        out.append({"name": "gke-workload-certificate", "csi": {"driver": "workloadcertificates.security.cloud.google.com"}})
    else:
        out.append({"name": "workload-certs"})
    if ctx.isset(P + "bootstrapOverride"):
        out.append({"name": "custom-bootstrap-volume", "configMap": {"name": ctx.annotations[P + "bootstrapOverride"]}})
    out += [
        {"emptyDir": {"medium": "Memory"}, "name": "istio-envoy"},
        {"name": "istio-data", "emptyDir": {}},
        {
            "name": "istio-podinfo",
            "downwardAPI": {
                "items": [
                    {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                    {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}},
                ]
            },
        },
        {
            "name": "istio-token",
            "projected": {
                "sources": [
                    {
                        "serviceAccountToken": {
                            "path": "istio-token",
                            "expirationSeconds": 43200,
                            "audience": go_str(v("global", "sds", "token", "aud")),
                        }
                    }
                ]
            },
        },
    ]
    if v("global", "pilotCertProvider") == "istiod":
        bundle = v("global", "trustBundleName")
        if v("pilot", "env", "ENABLE_CLUSTER_TRUST_BUNDLE_API") is True:
            source: dict[str, Any] = {
                "projected": {
                    "sources": [
                        {
                            "clusterTrustBundle": {
                                "name": f"istio.io:istiod-ca:{bundle or 'root-cert'}",
                                "path": "root-cert.pem",
                            }
                        }
                    ]
                }
            }
        else:
            source = {"configMap": {"name": bundle or "istio-ca-root-cert"}}
        out.append({"name": "istiod-ca-cert", **source})
    out.append({"name": "istio-ca-crl", "configMap": {"name": v("pilot", "crlConfigMapName") or "istio-ca-crl", "optional": True}})
    certs_at = len(out) if truthy(v("global", "mountMtlsCerts")) else None
    out += _json_entries(ctx, P + "userVolume")
    return out, certs_at


def proxy_args(ctx: Context, kind: str, outlier: bool = True) -> list[str]:
    v = ctx.value
    args = [
        "proxy",
        kind,
        "--domain",
        f"$(POD_NAMESPACE).svc.{go_str(v('global', 'proxy', 'clusterDomain'))}",
        "--proxyLogLevel=" + ctx.annotation(P + "logLevel", v("global", "proxy", "logLevel")),
        "--proxyComponentLogLevel=" + ctx.annotation(P + "componentLogLevel", v("global", "proxy", "componentLogLevel")),
        log_level_arg(ctx),
    ]
    if truthy(v("global", "sts", "servicePort")):
        args.append(f"--stsPort={go_str(v('global', 'sts', 'servicePort'))}")
    if truthy(v("global", "logAsJson")):
        args.append("--log_as_json")
    if outlier and kind == "sidecar" and truthy(v("global", "proxy", "outlierLogPath")):
        args.append(f"--outlierLogPath={go_str(v('global', 'proxy', 'outlierLogPath'))}")
    return args


def proxy_container(ctx: Context, hold: bool, env: list[dict[str, Any]]) -> dict[str, Any]:
    c: dict[str, Any] = {
        "name": PROXY_CONTAINER,
        "image": _image(ctx, go_str(ctx.value("global", "proxy", "image")), ctx.proxy_image),
    }
    if ctx.native:
        c["restartPolicy"] = "Always"
    c["ports"] = [{"containerPort": 15090, "protocol": "TCP", "name": "http-envoy-prom"}]
    c["args"] = proxy_args(ctx, "sidecar")
    lifecycle = ctx.value("global", "proxy", "lifecycle")
    if lifecycle:
        c["lifecycle"] = lifecycle
    elif hold:
        c["lifecycle"] = {"postStart": {"exec": {"command": ["pilot-agent", "wait"]}}}
    elif ctx.native:
        c["lifecycle"] = {
            "preStop": {
                "exec": {"command": ["pilot-agent", "request", f"--debug-port={ctx.status_port}", "POST", "drain"]}
            }
        }
    c["env"] = env
    _pull_policy(ctx, c)
    c.update(proxy_probes(ctx))
    c["securityContext"] = proxy_security(ctx)
    c["resources"] = resources(ctx)
    c["volumeMounts"] = volume_mounts(ctx)
    return c


class Fixed:
    """What the sidecar template renders that does not depend on the pod's labels, spec or controller: the
    proxy container (its env without the pod's entries), the init containers, the volumes (without
    istio-certs), the pull secrets and the CNI annotations -- as ``marshal`` bytes, each render loading its
    own copy (the first takes the one they were written from) -- and the layout and indexes :func:`render_owned` puts the pod's parts in with; ``reads``: the
    pod annotations the build looked up (None: it saw them all, :class:`_Reads`)."""

    __slots__ = ("blob", "first", "layout", "otel", "tunnel", "clean", "reads")
    blob: bytes | None
    first: dict[str, Any] | None  # the copy the blob was written from, for the first render (see parts)
    layout: Layout
    otel: bool  # OTEL_RESOURCE_ATTRIBUTES wanted
    tunnel: bool  # the networking.istio.io/tunnel label wanted
    clean: bool  # the parts hold no None and are loaded from the blob: the render's partial is the caller's
    reads: frozenset[str] | None

    def __init__(self, ctx: Context) -> None:
        free = ctx.without_pod()  # reading the pod's labels, spec or names fails here instead of being cached
        seen = _Reads(ctx.annotations)
        free.annotations = seen  # type: ignore[assignment]  # every read of the annotations is recorded
        parts, self.layout = _fixed_parts(free)
        self.otel = otel_wanted(free)
        self.tunnel = free.proxy_metadata.get("ISTIO_META_ENABLE_HBONE") == "true"
        self.reads = None if seen.all else frozenset(seen.keys_read)
        # fresh(): no object twice in the parts (a seccompProfile of the values sits in both containers), so
        # the loaded copies share nothing either.  A value marshal cannot write leaves blob None: then
        # every render builds its own parts (Fixed.parts) and the merge copies them.
        copy = fresh(parts)
        try:
            self.blob = marshal.dumps(copy)
        except ValueError:
            self.blob = None
        self.clean = self.blob is not None and not _holds_null(parts)
        # The first render takes the copy the blob was written from, sparing a load: it shares nothing with
        # the settings or any later copy when it holds only dicts, lists and scalars (fresh() copies those
        # all the way down; it would leave a tuple's list shared, which a load copies).
        self.first = copy if self.blob is not None and _plain(copy) else None

    def parts(self, ctx: Context) -> dict[str, Any]:
        """A copy of the fixed parts that shares nothing with any other copy (or with the settings)."""
        first = self.first
        if first is not None:
            self.first = None  # handed over: no one else holds it
            return first
        if self.blob is None:
            return _fixed_parts(ctx.without_pod())[0]
        return marshal.loads(self.blob)  # type: ignore[no-any-return]


class _Reads:
    """A pod's annotations as :class:`Fixed`'s build sees them, recording what it learns of them: each key
    looked up (``[]``, ``get``, ``in``) in ``keys_read``; anything that sees which keys there are
    (iteration, ``len``, ``keys``/``items``/``values``, ``==``, ``dict()`` and ``**`` through ``keys``) sets
    ``all``.  Not a dict, so no C fast path reads the data behind these methods' back; any other use
    (``copy``, ``|``, JSON) fails loudly rather than unrecorded.  (Not a collections.abc.Mapping: making an
    ABC costs start-up.)"""

    __slots__ = ("_data", "keys_read", "all")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, data: dict[str, str]) -> None:
        self._data = data
        self.keys_read: set[str] = set()
        self.all = False

    def __getitem__(self, key: str) -> str:
        self.keys_read.add(key)
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.keys_read.add(key)
        return self._data.get(key, default)

    def __contains__(self, key: str) -> bool:
        self.keys_read.add(key)
        return key in self._data

    def _seen(self) -> dict[str, str]:
        self.all = True
        return self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._seen())

    def __len__(self) -> int:
        return len(self._seen())

    def keys(self) -> Iterable[str]:
        return self._seen().keys()

    def items(self) -> Iterable[tuple[str, str]]:
        return self._seen().items()

    def values(self) -> Iterable[str]:
        return self._seen().values()

    def __eq__(self, other: object) -> bool:
        return self._seen() == (other._seen() if isinstance(other, _Reads) else other)


class Layout(Frozen):
    """Where the pod's parts go in the fixed ones: the proxy's env indexes (:func:`fixed_env`), istio-certs'
    index in the volumes (None: not mounted); whether the proxy is a native sidecar; whether the partial has
    an empty initContainers."""

    __slots__ = ("env_at", "certs_at", "native", "no_inits")
    env_at: tuple[int, int, int]
    certs_at: int | None
    native: bool
    no_inits: bool

    def __init__(self, env_at: tuple[int, int, int], certs_at: int | None, native: bool, no_inits: bool) -> None:
        set_ = object.__setattr__
        set_(self, "env_at", env_at)
        set_(self, "certs_at", certs_at)
        set_(self, "native", native)
        set_(self, "no_inits", no_inits)


def _fixed_parts(free: Context) -> tuple[dict[str, Any], Layout]:
    """The parts :class:`Fixed` holds, and their layout; ``free``: a Context without the pod's labels, spec
    and names."""
    native = free.native
    hold = free.hold_application and not native
    mode = free.interception_mode
    env, env_at = fixed_env(free)
    volumes, certs_at = fixed_volumes(free)
    secrets = free.value("global", "imagePullSecrets")
    parts = {
        "proxy": proxy_container(free, hold, env),
        "inits": [init_container(free)] if mode != "NONE" else [],
        "volumes": volumes,
        "secrets": [{"name": go_str(s)} for s in secrets] if secrets else [],
        "cni": cni_annotations(free) if truthy(free.value("pilot", "cni", "enabled")) else {},
    }
    return parts, Layout(env_at, certs_at, native, mode == "NONE" and not native)


def _plain(value: Any) -> bool:
    """``value`` holds nothing but dicts, lists and :data:`~krmfn.istio.merge.SCALARS`."""
    if type(value) is dict:
        return all(type(v) in SCALARS or _plain(v) for v in value.values())
    if type(value) is list:
        return all(type(v) in SCALARS or _plain(v) for v in value)
    return type(value) in SCALARS


def _holds_null(value: Any) -> bool:
    """A None anywhere in ``value`` (which the merge drops or lets remove a key)."""
    if isinstance(value, dict):
        return any(v is None or _holds_null(v) for v in value.values())
    if isinstance(value, list):
        return any(v is None or _holds_null(v) for v in value)
    return False


# Fixed parts by what they are made of, correct by construction: a Fixed is a deterministic function of the
# context's fields but the pod's labels, spec, metadata and controller (Context.fixed_key stands for all of
# them but the annotations) and of the pod's annotations *as its build read them*.  _FIXED keeps, per
# fixed_key, the sets of annotation keys builds have read (None: one saw them all), each with the Fixed
# made under it by the pod's annotations at those keys (absent ones left out).  A pod that
# agrees with a build's pod on every key that build read takes the same path through the same reads to the
# same parts: so a lookup projects the pod's annotations on each read set kept and takes any entry it
# meets.  An annotation no build reads (Helm's checksum/config, a unique one per pod) makes no difference.
# The entries hold bytes and immutable values (and, until the first render takes it, the copy the bytes were
# written from): nothing handed out is shared.
_FIXED: dict[Any, list[tuple[frozenset[str] | None, dict[tuple[tuple[str, str], ...], Fixed]]]] = {}
_ENTRIES = 0  # Fixed objects in _FIXED


def _project(annotations: dict[str, str], reads: frozenset[str] | None) -> tuple[tuple[str, str], ...]:
    """The annotations at the keys of ``reads`` (None: all of them, in order, as iteration saw them)."""
    if not annotations:
        return ()
    if reads is None:
        return tuple(annotations.items())
    hit = reads.intersection(annotations)  # walks the pod's annotations, not the read set
    if not hit:
        return ()
    return tuple(sorted([(k, annotations[k]) for k in hit]))


def fixed(ctx: Context) -> Fixed:
    """The :class:`Fixed` parts for ``ctx`` (cached when it has a ``fixed_key``)."""
    global _ENTRIES
    key = ctx.fixed_key
    if key is None:
        return Fixed(ctx)
    annotations = ctx.annotations
    known = _FIXED.get(key)
    if known is not None:
        for reads, entries in known:
            found = entries.get(_project(annotations, reads))
            if found is not None:
                return found
    found = Fixed(ctx)
    reads = found.reads
    if _ENTRIES >= 256 or len(_FIXED) >= 64 or (known is not None and len(known) >= 16):
        _FIXED.clear()
        _ENTRIES = 0
        known = None
    if known is None:
        known = _FIXED[key] = []
    bucket = next((by for seen, by in known if seen == reads), None)
    if bucket is None:
        bucket = {}
        known.append((reads, bucket))
    bucket[_project(annotations, reads)] = found
    _ENTRIES += 1
    return found


def metadata(ctx: Context, tunnel: bool, cni: dict[str, str]) -> dict[str, Any]:
    labels = {"security.istio.io/tlsMode": ctx.labels.get("security.istio.io/tlsMode") or "istio"}
    if tunnel:
        labels["networking.istio.io/tunnel"] = ctx.labels.get("networking.istio.io/tunnel") or "http"
    labels["service.istio.io/canonical-name"] = canonical_name(ctx)
    labels["service.istio.io/canonical-revision"] = canonical_revision(ctx)
    annotations = {"istio.io/rev": ctx.revision or "default"}
    annotations.update(default_container_annotations(ctx))
    annotations.update(cni)
    return {"labels": labels, "annotations": annotations}


def render(ctx: Context) -> dict[str, Any]:
    """The partial pod the ``sidecar`` template stands for."""
    return render_owned(ctx)[0]


def render_owned(ctx: Context) -> tuple[dict[str, Any], bool]:
    """The partial pod the ``sidecar`` template stands for: the :class:`Fixed` parts with the pod's put in;
    and whether the caller may take its parts as they are (True: it shares nothing with anything, not even
    within itself, and holds no None)."""
    fix = fixed(ctx)
    layout = fix.layout
    parts = fix.parts(ctx)
    proxy = parts["proxy"]
    pod_env(ctx, proxy["env"], layout.env_at, fix.otel)
    volumes = parts["volumes"]
    if layout.certs_at is not None:
        volumes.insert(layout.certs_at, certs_volume(ctx))
    spec: dict[str, Any] = {}
    if layout.no_inits:
        spec["initContainers"] = []
    else:
        spec["initContainers"] = parts["inits"] + ([proxy] if layout.native else [])
    if not layout.native:
        spec["containers"] = [proxy]
    spec["volumes"] = volumes
    if parts["secrets"]:
        spec["imagePullSecrets"] = parts["secrets"]
    return {"metadata": metadata(ctx, fix.tunnel, parts["cni"]), "spec": spec}, fix.clean
