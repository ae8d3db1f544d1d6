"""Istio's injection functions (pkg/kube/inject InjectionFuncmap), written from their documented
behaviour for the JSON shapes of Kubernetes and mesh-config objects.  Registered after sprig, so
``indent``, ``contains``, ``toYaml`` and ``omit`` are Istio's."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from . import sprig, sprig_collections  # noqa: F401  (sprig registers first: Istio's functions replace same-named ones)
from .funcs import Func, alias, fail, register
from .limits import check_chars
from .marshal import to_json, to_yaml
from .values import MISSING, fmt_value

PROXY_CONTAINER = "istio-proxy"


def _sprint(v: Any) -> str:
    return fmt_value(None if v is MISSING else v, top=False)


@register("isset", "m", "s")
def _isset(m: Mapping[str, Any] | None, key: str) -> bool:
    return m is not None and key in m


@register("annotation", "m", "s", "a")
def _annotation(meta: Mapping[str, Any] | None, name: str, default: Any) -> str:
    annotations = (meta or {}).get("annotations") or (meta or {}).get("Annotations") or {}
    if name in annotations:
        return str(annotations[name])
    return _sprint(default)


@register("valueOrDefault", "a", "a")
def _value_or_default(value: Any, default: Any) -> Any:
    if value is None or (value == "" and isinstance(value, str)):
        return default
    return value


@register("excludeInboundPort", "a", "s")
def _exclude_inbound_port(port: Any, excluded: str) -> str:
    port_str = _sprint(port).strip()
    if not port_str or port_str == "0":
        return excluded
    out: list[str] = []
    for p in excluded.split(","):
        if p == port_str:
            return excluded
        p = p.strip()
        if p:
            out.append(p)
    out.append(port_str)
    return ",".join(out)


def _container_ports(containers: Any, keep: Any) -> str:
    parts: list[str] = []
    for c in containers or []:
        if not isinstance(c, Mapping) or not keep(c):
            continue
        for p in c.get("ports") or []:
            if not isinstance(p, Mapping):
                continue
            if p.get("protocol") in ("UDP", "SCTP"):
                continue
            parts.append(str(int(p.get("containerPort") or 0)))
    return ",".join(parts)


@register("applicationPorts", "l")
def _application_ports(containers: list[Any] | None) -> str:
    return _container_ports(containers, lambda c: c.get("name") != PROXY_CONTAINER)


@register("includeInboundPorts", "l")
def _include_inbound_ports(containers: list[Any] | None) -> str:
    return _container_ports(containers, lambda c: True)


@register("kubevirtInterfaces", "s")
def _kubevirt_interfaces(s: str) -> str:
    return s


alias("excludeInterfaces", "kubevirtInterfaces")


@register("toJSON", "m")
def _to_json_string_map(m: Mapping[str, Any] | None) -> str:
    if m is None:
        return "{}"
    try:
        return to_json(m)
    except ValueError:
        return "{}"


@register("fromJSON", "s")
def _from_json(s: str) -> Any:
    try:
        return json.loads(s, parse_int=float)
    except ValueError:
        return "{}"  # Istio returns the string "{}" when the JSON does not parse


@register("structToJSON", "a")
def _struct_to_json(v: Any) -> str:
    if v is None:
        return "{}"
    try:
        return to_json(v, struct_order=True)
    except ValueError:
        return "{}"


# ProxyConfig fields Istio's cleanProxyConfig drops when they equal mesh.DefaultProxyConfig(),
# by their proto JSON names; durations compared in seconds.
PROXY_CONFIG_DEFAULTS: dict[str, Any] = {
    "configPath": "./etc/istio/proxy",
    "binaryPath": "/usr/local/bin/envoy",
    "controlPlaneAuthPolicy": "MUTUAL_TLS",
    "serviceCluster": "istio-proxy",
    "drainDuration": 45.0,
    "terminationDrainDuration": 5.0,
    "discoveryAddress": "istiod.istio-system.svc:15012",
    "proxyAdminPort": 15000,
    "statNameLength": 189,
    "statusPort": 15020,
}
_DURATIONS = {"drainDuration", "terminationDrainDuration"}


def _is_default(key: str, value: Any) -> bool:
    if key not in PROXY_CONFIG_DEFAULTS:
        return False
    default = PROXY_CONFIG_DEFAULTS[key]
    if key in _DURATIONS:
        try:
            return bool(duration_seconds(value) == default)
        except ValueError:
            return False
    if key == "controlPlaneAuthPolicy" and value in (1, 1.0):
        return True
    if isinstance(default, int) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == default
    return bool(value == default)


# Wrapper-typed (google.protobuf.*Value) fields: set to 0/false they still print.
PROXY_CONFIG_WRAPPERS = {"concurrency", "holdApplicationUntilProxyStarts"}
# Map fields: empty prints nothing (message fields print even when empty: ``"tracing":{}``).
PROXY_CONFIG_MAPS = {"proxyMetadata", "runtimeValues"}
# Enum fields at their zero value.
PROXY_CONFIG_ENUM_ZERO = {"interceptionMode": "REDIRECT", "controlPlaneAuthPolicy": "NONE"}


def _unpopulated(k: str, v: Any) -> bool:
    """Would protojson (without EmitUnpopulated) leave this field out?"""
    if v is None or v == [] or v == "":
        return True
    if k in PROXY_CONFIG_WRAPPERS:
        return False
    if k in PROXY_CONFIG_MAPS and v == {}:
        return True
    if PROXY_CONFIG_ENUM_ZERO.get(k) == v:
        return True
    return v is False or (isinstance(v, (int, float)) and not isinstance(v, bool) and v == 0)


def clean_proxy_config(pc: Mapping[str, Any]) -> dict[str, Any]:
    """Istio's cleanProxyConfig (fields equal to mesh defaults dropped) then protojson's omission of
    unpopulated fields."""
    return {k: v for k, v in pc.items() if not _is_default(k, v) and not _unpopulated(k, v)}


@register("protoToJSON", "a")
def _proto_to_json(v: Any) -> str:
    if v is None:
        return "{}"
    if not isinstance(v, Mapping):
        raise fail(f"wrong type for value; expected proto.Message; got {type(v).__name__}")
    try:
        return to_json(clean_proxy_config(v), struct_order=True)
    except ValueError:
        return "{}"


@register("toYaml", "a")
def _to_yaml(v: Any) -> str:
    try:
        return to_yaml(v)
    except ValueError:
        return ""


@register("indent", "i", "s")
def _indent(spaces: int, source: str) -> str:
    check_chars(len(source) + max(spaces, 0) * source.count("\n"), "indent")
    pad = " " * spaces
    lines = source.split("\n")
    return "\n".join([lines[0]] + [pad + ln for ln in lines[1:]])


@register("directory", "s")
def _directory(path: str) -> str:
    i = path.rfind("/")
    return path[: i + 1]


@register("contains", "s", "s")
def _contains(needle: str, haystack: str) -> bool:
    return needle in haystack


@register("toLower", "s")
def _to_lower(s: str) -> str:
    return s.lower()


@register("appendMultusNetwork", "s", "s")
def _append_multus_network(existing: str, network: str) -> str:
    # the built-in template's, the one implementation (imported when a template calls it)
    from krmfn.istio.multus import append_multus_network

    return append_multus_network(existing, network)


@register("env", "s", "s")
def _env(key: str, default: str) -> str:
    """istiod's environment variable, or the default.  Offline there is no istiod: a render that knows the
    control plane's settings passes them as ``environ`` (:func:`env_func`), this one has none."""
    return default


def env_func(environ: Mapping[str, str]) -> Func:
    """``env`` reading ``environ`` (istiod's environment: values.pilot.env), as Istio's reads os.Getenv:
    the value, or the default when it is unset or empty."""

    def env(key: str, default: str) -> str:
        return environ.get(key) or default

    return Func("env", env, "ss", None, False)


@register("omit", "m", variadic="s")
def _omit(d: Mapping[str, Any] | None, *keys: str) -> dict[str, Any]:
    return {k: v for k, v in (d or {}).items() if k not in keys}


@register("strdict", variadic="s")
def _strdict(*kv: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in range(0, len(kv), 2):
        out[kv[i]] = kv[i + 1] if i + 1 < len(kv) else ""
    return out


@register("mergeMaps", variadic="m")
def _merge_maps(*maps: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in maps:
        out.update(m or {})
    return out


@register("toJsonMap", variadic="m")
def _to_json_map(*maps: Mapping[str, Any] | None) -> dict[str, Any]:
    return _merge_maps(*maps)


def omit_nil(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {k: omit_nil(x) for k, x in v.items() if x is not None and x is not MISSING}
    if isinstance(v, list):
        return [omit_nil(x) for x in v]
    return v


register("omitNil", "a")(omit_nil)


@register("formatDuration", "a")
def _format_duration(d: Any) -> str:
    if d is None:
        return "0s"
    try:
        return go_duration(duration_seconds(d))
    except ValueError as e:
        raise fail(str(e)) from None


@register("otelResourceAttributes", "a", "m", "m", "a", "l")
def _otel_resource_attributes(mesh: Any, annotations: Mapping[str, Any] | None, labels: Mapping[str, Any] | None, namespace: Any, containers: list[Any] | None) -> str:
    """OTEL_RESOURCE_ATTRIBUTES for an OpenTelemetry provider with semantic-convention enrichment
    (serviceAttributeEnrichment: OTEL_SEMANTIC_CONVENTIONS), else "".  An approximation from
    Istio's documented output: service.namespace, service.version and service.instance.id."""
    if not _semantic_enrichment(mesh):
        return ""
    labels = labels or {}
    ns = "" if namespace is None else _sprint(namespace)
    attrs: list[str] = []
    if ns:
        attrs.append(f"service.namespace={ns}")
    version = labels.get("app.kubernetes.io/version") or labels.get("version")
    if version:
        attrs.append(f"service.version={version}")
    app = [c.get("name") for c in containers or [] if isinstance(c, Mapping) and c.get("name") != PROXY_CONTAINER]
    if app:
        attrs.append(f"service.instance.id={ns}.$(POD_NAME).{app[0]}")
    return ",".join(attrs)


def _semantic_enrichment(mesh: Any) -> bool:
    """Whether the mesh config has an OpenTelemetry provider with OTEL_SEMANTIC_CONVENTIONS enrichment."""
    if not isinstance(mesh, Mapping):
        return False
    return any(
        isinstance(p, Mapping)
        and isinstance(p.get("opentelemetry"), Mapping)
        and p["opentelemetry"].get("serviceAttributeEnrichment") == "OTEL_SEMANTIC_CONVENTIONS"
        for p in mesh.get("extensionProviders") or []
    )


_DUR_RE = re.compile(r"^(-)?(\d+)(?:\.(\d{1,9}))?s$")


def duration_seconds(d: Any) -> float:
    """A protobuf Duration (JSON "1.5s", or {seconds, nanos}) in seconds."""
    if isinstance(d, Mapping):
        return float(d.get("seconds") or 0) + float(d.get("nanos") or 0) / 1e9
    if isinstance(d, (int, float)) and not isinstance(d, bool):
        return float(d)
    if isinstance(d, str):
        m = _DUR_RE.match(d.strip())
        if m:
            secs = int(m.group(2)) + (int((m.group(3) or "0").ljust(9, "0")) / 1e9)
            return -secs if m.group(1) else secs
    raise ValueError(f"bad duration {d!r}")


def go_duration(seconds: float) -> str:
    """time.Duration.String(): 1h2m3.5s, 1.5s, 500ms, 0s."""
    ns = round(seconds * 1e9)
    if ns == 0:
        return "0s"
    neg = ns < 0
    ns = abs(ns)
    sign = "-" if neg else ""
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                return sign + _frac(ns, size) + unit
    h, rem = divmod(ns, 3_600_000_000_000)
    m, rem = divmod(rem, 60_000_000_000)
    s = _frac(rem, 1_000_000_000) + "s"
    if h:
        return f"{sign}{h}h{m}m{s}"
    if m:
        return f"{sign}{m}m{s}"
    return sign + s


def _frac(v: int, size: int) -> str:
    whole, frac = divmod(v, size)
    if not frac:
        return str(whole)
    digits = str(frac).rjust(len(str(size)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"
