"""Built-in defaults of the modern Istio injector, as plain data.

The values are the documented defaults of the istio-discovery chart and of
Istio's mesh configuration that injection reads (only the keys the built-in
templates use); :func:`effective_values` and :func:`effective_mesh` lay the
user's overrides over them.

Which Istio this is: the built-in templates and defaults follow the istio-discovery chart and the
injector of istio/istio commit ``CHART_COMMIT`` (86c9f01, on master after the release-1.31 branch was
cut: Istio 1.32 development).  They render what that commit's injector renders for its goldens; they are
not the 1.31 release's templates (1.31 still injects ``GOMAXPROCS``, for one).  ``ISTIO_RELEASE`` is only
the default image tag (``global.tag``): the newest release's proxy image, which these templates run.
To render your own release's sidecar, give krmfn that release's ``istio-sidecar-injector`` ConfigMap
(docs/istio-parity.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from .merge import fresh

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: The istio/istio commit whose chart and injector the built-in templates follow.
CHART_COMMIT = "86c9f01fd735fb01d8192f5bcaf0d424afb7f14c"
#: The Istio line that commit belongs to.
CHART_LINE = "1.32 development"
#: Default image tag (global.tag): a released proxy image, not the templates' version.
ISTIO_RELEASE = "1.31.0"
DEFAULT_HUB = "docker.io/istio"
DEFAULT_PROXY_UID = 1337
DEFAULT_PROXY_GID = 1337


def chart_values() -> dict[str, Any]:
    """The chart values injection reads, with their defaults (a fresh copy every call)."""
    return {
        "global": {
            "hub": DEFAULT_HUB,
            "tag": ISTIO_RELEASE,
            "variant": "",
            "imagePullPolicy": "",
            "imagePullSecrets": [],
            "istioNamespace": "istio-system",
            "logging": {"level": "default:info"},
            "logAsJson": False,
            "network": "",
            "meshID": "",
            "multiCluster": {"clusterName": ""},
            "pilotCertProvider": "istiod",
            "caAddress": "",
            "caName": "",
            "trustBundleName": "",
            "sds": {"token": {"aud": "istio-ca"}},
            "sts": {"servicePort": 0},
            "mountMtlsCerts": False,
            "nativeNftables": False,
            "proxy": {
                "image": "proxyv2",
                "autoInject": "enabled",
                "clusterDomain": "cluster.local",
                "componentLogLevel": "misc:error",
                "logLevel": "warning",
                "includeIPRanges": "*",
                "excludeIPRanges": "",
                "includeInboundPorts": "*",
                "excludeInboundPorts": "",
                "includeOutboundPorts": "",
                "excludeOutboundPorts": "",
                "privileged": False,
                "statusPort": 15020,
                "readinessInitialDelaySeconds": 0,
                "readinessPeriodSeconds": 15,
                "readinessFailureThreshold": 4,
                "startupProbe": {"enabled": True, "failureThreshold": 600},
                "resources": {
                    "requests": {"cpu": "100m", "memory": "128Mi"},
                    "limits": {"cpu": "2000m", "memory": "1024Mi"},
                },
                "tracer": "none",
                "outlierLogPath": "",
                "lifecycle": {},
                "seccompProfile": {},
                "holdApplicationUntilProxyStarts": None,
                "capNetBindService": None,
            },
            "proxy_init": {"image": "proxyv2", "forceApplyIptables": False},
        },
        "sidecarInjectorWebhook": {"rewriteAppHTTPProbe": True, "templates": {}, "defaultTemplates": []},
        "pilot": {"cni": {"enabled": False, "provider": "default"}, "env": {}, "crlConfigMapName": ""},
        "gateways": {"securityContext": {}, "seccompProfile": {}},
        "revision": "",
    }


def default_proxy_config() -> dict[str, Any]:
    """Istio's built-in ProxyConfig defaults (what PROXY_CONFIG leaves out)."""
    return {
        "configPath": "./etc/istio/proxy",
        "binaryPath": "/usr/local/bin/envoy",
        "serviceCluster": "istio-proxy",
        "drainDuration": "45s",
        "terminationDrainDuration": "5s",
        "discoveryAddress": "istiod.istio-system.svc:15012",
        "proxyAdminPort": 15000,
        "controlPlaneAuthPolicy": "MUTUAL_TLS",
        "statNameLength": 189,
        "statusPort": 15020,
    }


def mesh_defaults() -> dict[str, Any]:
    """Mesh config defaults as the chart renders them (a fresh copy every call)."""
    return {
        "trustDomain": "cluster.local",
        "rootNamespace": "istio-system",
        "enablePrometheusMerge": True,
        "defaultProviders": {"metrics": ["prometheus"]},
        "inboundTrafficPolicy": {"mode": "PASSTHROUGH"},
        "outboundTrafficPolicy": {"mode": "ALLOW_ANY"},
        "extensionProviders": [
            {"name": "prometheus", "prometheus": {}},
            {"name": "stackdriver", "stackdriver": {}},
            {"name": "envoy", "envoyFileAccessLog": {"path": "/dev/stdout"}},
        ],
        "defaultConfig": default_proxy_config(),
    }


def _merge(base: Any, over: Any) -> Any:
    """Helm-style values merge: maps merge key by key, a null removes the key, anything else replaces.

    Unchanged subtrees are shared with ``base``; callers copy the result (:func:`effective_values`)."""
    if isinstance(base, dict) and isinstance(over, Mapping):
        out = dict(base)
        for key, value in over.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = _merge(out[key], value)
            else:
                out[key] = _without_nulls(value)
        return out
    return _without_nulls(over)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


_EFFECTIVE: dict[int, tuple[Mapping[str, Any], dict[str, Any]]] = {}


def effective_values(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The chart values with ``overrides`` merged in (a fresh copy; the merge is done once per overrides object)."""
    cached = _EFFECTIVE.get(id(overrides))
    if cached is None or cached[0] is not overrides:
        if len(_EFFECTIVE) > 64:
            _EFFECTIVE.clear()
        cached = (overrides, _merge(chart_values(), overrides))
        _EFFECTIVE[id(overrides)] = cached
    return fresh(cached[1])  # type: ignore[no-any-return]


def effective_mesh(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Mesh overrides over the defaults; ``defaultConfig`` merges field by field, ``proxyMetadata`` per key."""
    mesh = mesh_defaults()
    for key, value in overrides.items():
        if key == "defaultConfig" and isinstance(value, Mapping):
            mesh["defaultConfig"] = merge_proxy_config(mesh["defaultConfig"], value)
        elif value is None:
            mesh.pop(key, None)
        else:
            mesh[key] = fresh(value)
    return mesh


def merge_proxy_config(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """ProxyConfig fields given in ``over`` replace those of ``base``; proxyMetadata keeps base keys it lacks."""
    out: dict[str, Any] = fresh(dict(base))
    for key, value in over.items():
        if key == "proxyMetadata" and isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            merged = dict(out[key])
            merged.update(value)
            out[key] = merged
        else:
            out[key] = fresh(value)
    return out
