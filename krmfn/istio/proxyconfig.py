"""PROXY_CONFIG: the effective ProxyConfig as protobuf JSON, built-in defaults left out."""

from __future__ import annotations

import re
from collections.abc import Mapping

from krmfn.istio.defaults import default_proxy_config
from krmfn.istio.jsoncompact import compact

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# ProxyConfig fields in proto declaration order (protobuf JSON writes them in this order).
FIELD_ORDER = (
    "configPath", "binaryPath", "serviceCluster", "drainDuration", "parentShutdownDuration",
    "discoveryAddress", "discoveryRefreshDelay", "zipkinAddress", "statsdUdpAddress",
    "envoyMetricsServiceAddress", "proxyAdminPort", "availabilityZone", "controlPlaneAuthPolicy",
    "customConfigFile", "statNameLength", "concurrency", "proxyBootstrapTemplatePath", "interceptionMode",
    "tracing", "sds", "envoyAccessLogService", "envoyMetricsService", "proxyMetadata", "runtimeValues",
    "statusPort", "extraStatTags", "gatewayTopology", "terminationDrainDuration", "meshId", "readinessProbe",
    "proxyStatsMatcher", "holdApplicationUntilProxyStarts", "caCertificatesPem", "image",
    "privateKeyProvider", "proxyHeaders", "fileFlushInterval", "fileFlushMinSizeKb",
)
# Scalar fields that protobuf JSON omits at their zero value (wrappers such as concurrency are kept).
_ENUM_ZERO = {"interceptionMode": "REDIRECT", "controlPlaneAuthPolicy": "NONE"}
# Compiled on first use (re caches it): durations equal to the defaults are never parsed.
_DURATION = r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$"
_DURATIONS = ("drainDuration", "parentShutdownDuration", "terminationDrainDuration", "discoveryRefreshDelay",
              "fileFlushInterval")


def _seconds(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    m = re.match(_DURATION, text.strip())
    if not m or not any(m.groups()):
        return None
    h, mi, s, ms = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600 + mi * 60 + s + ms / 1000


def _duration_json(text: Any) -> Any:
    """protobuf JSON spells a Duration in seconds ("1m" -> "60s")."""
    secs = _seconds(text)
    if secs is None:
        return text
    return f"{int(secs)}s" if secs.is_integer() else f"{secs:g}s"


def _same(key: str, value: Any, default: Any) -> bool:
    if value == default:  # (the defaults' durations parse)
        return True
    if key in _DURATIONS:
        return _seconds(value) is not None and _seconds(value) == _seconds(default)
    return bool(value == default)


def cleaned(config: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that differ from Istio's defaults, in proto field order."""
    defaults = _DEFAULTS
    out: dict[str, Any] = {}
    order = list(FIELD_ORDER) + sorted(k for k in config if k not in FIELD_ORDER)
    for key in order:
        if key not in config or config[key] is None:
            continue
        value = config[key]
        if key in defaults and _same(key, value, defaults[key]):
            continue
        if _ENUM_ZERO.get(key) == value:
            continue
        if key == "proxyMetadata":
            if not value:
                continue
            value = {str(k): value[k] for k in sorted(value)}
        elif value in ("", 0, False, [], None) and key not in ("concurrency", "holdApplicationUntilProxyStarts"):
            continue
        if key in _DURATIONS:
            value = _duration_json(value)
        out[key] = value
    return out


def proxy_config_json(config: Mapping[str, Any]) -> str:
    """The PROXY_CONFIG env value (compact JSON and a newline, as the chart's block scalar holds it)."""
    known = _KNOWN.get(id(config))
    if known is not None and known[0] is config:
        return known[1]
    return compact(cleaned(config)) + "\n"


_DEFAULTS = default_proxy_config()
_KNOWN: dict[int, tuple[Mapping[str, Any], str]] = {}


def remember(config: Mapping[str, Any]) -> None:
    """Keep ``config``'s PROXY_CONFIG value for the next calls: for a config that is never modified (the
    mesh's defaultConfig of a prepared IstioSettings, shared by every pod without proxy.istio.io/config)."""
    if len(_KNOWN) > 64:
        _KNOWN.clear()
    _KNOWN[id(config)] = (config, compact(cleaned(config)) + "\n")
