"""Pod annotations that act at injection, and their validation (as Istio's validate.go checks them)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping

import yaml

from krmfn.names import STATUS_KEY

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

INJECT_TEMPLATES = "inject.istio.io/templates"
PROXY_CONFIG = "proxy.istio.io/config"
PROXY_OVERRIDES = "proxy.istio.io/overrides"
STATUS = STATUS_KEY
INTERCEPTION_MODE = "sidecar.istio.io/interceptionMode"
NATIVE_SIDECAR = "sidecar.istio.io/nativeSidecar"
PROXY_IMAGE = "sidecar.istio.io/proxyImage"
PROXY_IMAGE_TYPE = "sidecar.istio.io/proxyImageType"
REWRITE_PROBERS = "sidecar.istio.io/rewriteAppHTTPProbers"
STATUS_PORT = "status.sidecar.istio.io/port"
MERGE_METRICS = "prometheus.istio.io/merge-metrics"
SCRAPE_TARGETS = "prometheus.istio.io/scrape-targets"
INCLUDE_INBOUND_PORTS = "traffic.sidecar.istio.io/includeInboundPorts"
EXCLUDE_INBOUND_PORTS = "traffic.sidecar.istio.io/excludeInboundPorts"
USER_VOLUME = "sidecar.istio.io/userVolume"
USER_VOLUME_MOUNT = "sidecar.istio.io/userVolumeMount"
INIT_BEFORE_PROXY = "sidecar.istio.io/init-containers-before-proxy"


class InjectionError(ValueError):
    """Base of every error :func:`krmfn.istio.inject` raises on bad input (its text is the user message)."""


class AnnotationError(InjectionError):
    """A pod annotation holds a value Istio rejects; ``annotation`` names it."""

    def __init__(self, annotation: str, message: str) -> None:
        super().__init__(message)
        self.annotation = annotation
        self.message = message


def _uint(value: str, bits: int) -> int:
    text = value.strip() if bits == 16 else value
    if not text.isdigit() or not text.isascii():
        raise ValueError(f"{value!r} is not an unsigned integer")
    n = int(text)
    if n >= 2**bits:
        raise ValueError(f"{value!r} is out of range")
    return n


def _port_list(name: str, value: str) -> None:
    text = value.strip()
    if not text:
        return
    for part in text.split(","):
        try:
            _uint(part, 16)
        except ValueError as e:
            raise ValueError(f"{name} invalid: failed parsing port '{part}': {e}") from None


def _cidr_list(value: str) -> None:
    if not value:
        return
    for cidr in value.split(","):
        if "/" not in cidr:
            raise ValueError(f"failed parsing cidr '{cidr}': no '/'")
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError as e:
            raise ValueError(f"failed parsing cidr '{cidr}': {e}") from None


def _interception_mode(value: str) -> None:
    if value not in ("REDIRECT", "TPROXY", "NONE"):
        raise ValueError(f"interceptionMode invalid, use REDIRECT,TPROXY,NONE: {value}")


def _status_port(value: str) -> None:
    try:
        _uint(value, 16)
    except ValueError as e:
        raise ValueError(f"excludeInboundPorts invalid: failed parsing port '{value}': {e}") from None


def _uint32(value: str) -> None:
    _uint(value, 32)


def _include_ip_ranges(value: str) -> None:
    if value != "*":
        try:
            _cidr_list(value)
        except ValueError as e:
            raise ValueError(f"includeIPRanges invalid: {e}") from None


def _exclude_ip_ranges(value: str) -> None:
    try:
        _cidr_list(value)
    except ValueError as e:
        raise ValueError(f"excludeIPRanges invalid: {e}") from None


def _include_inbound_ports(value: str) -> None:
    if value != "*":
        _port_list("includeInboundPorts", value)


GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def parse_bool(value: str) -> bool | None:
    """Go's strconv.ParseBool; None when the text is not a boolean."""
    if value in GO_TRUE:
        return True
    if value in GO_FALSE:
        return False
    return None


def _bool(value: str) -> None:
    if parse_bool(value) is None:
        raise ValueError(f"{value!r} is not a boolean")


def parse_proxy_config(value: str) -> dict[str, Any]:
    """The proxy.istio.io/config annotation (YAML or JSON) as a mapping."""
    try:
        data = yaml.safe_load(value)
    except yaml.YAMLError as e:
        raise ValueError(f"failed to convert to apply proxy config: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("failed to convert to apply proxy config: not a mapping")
    return data


def _proxy_config(value: str) -> None:
    config = parse_proxy_config(value)
    if config:  # Istio's ProxyConfig fields and types (the tables load only when a pod carries the annotation)
        from krmfn.config.istio_check import IstioFieldError, check

        try:
            check(config, "proxyConfig", "")
        except IstioFieldError as e:
            raise ValueError(str(e)) from None
    meta = config.get("proxyMetadata")
    if meta is not None and not isinstance(meta, dict):
        raise ValueError("proxyMetadata must be a map of strings")
    mode = config.get("interceptionMode")
    if mode is not None and mode not in ("REDIRECT", "TPROXY", "NONE"):
        raise ValueError(f"interceptionMode invalid: {mode}")


def _json_map(value: str) -> None:
    import json  # here, not at start-up (the json package compiles six patterns on import)

    try:
        data = json.loads(value)
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object keyed by name")


# Kubernetes' resource.ParseQuantity: a signed decimal number, then a binary-SI or decimal-SI suffix or
# a decimal exponent (e/E and an integer).  Compiled on first use (re caches it), as _INTERFACE: start-up does
# not pay for them.
_QUANTITY = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?"


def _resource_quantity(value: str) -> None:
    import unicodedata  # only when a quantity annotation is there to check

    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("value contains control characters")
    if not re.fullmatch(_QUANTITY, value):
        raise ValueError("quantities must be a number with an optional suffix (Ki, Mi, Gi..., m, k, M, G...), "
                         "e.g. 100m, 128Mi")


# Linux interface names, as Istio's netutil.ValidateInterfaceNames checks a comma-separated list of them.
_INTERFACE = r"[a-zA-Z][a-zA-Z0-9_.\-]*"


def _interface_names(value: str) -> None:
    if not value:
        return
    for name in value.split(","):
        name = name.strip()
        if not name:
            raise ValueError("empty interface name")
        if len(name) > 15:
            raise ValueError(f'interface name "{name}" too long (max 15 chars)')
        if not re.fullmatch(_INTERFACE, name):
            raise ValueError(f'interface name "{name}" contains invalid characters')


PROXY_CPU = "sidecar.istio.io/proxyCPU"
PROXY_MEMORY = "sidecar.istio.io/proxyMemory"
PROXY_CPU_LIMIT = "sidecar.istio.io/proxyCPULimit"
PROXY_MEMORY_LIMIT = "sidecar.istio.io/proxyMemoryLimit"
EXCLUDE_INTERFACES = "traffic.sidecar.istio.io/excludeInterfaces"
KUBEVIRT_INTERFACES = "traffic.sidecar.istio.io/kubevirtInterfaces"
REROUTE_VIRTUAL_INTERFACES = "istio.io/reroute-virtual-interfaces"

#: Istio's validate.go table (AnnotationValidation), entry for entry, then krmfn's own additions.
VALIDATORS: dict[str, Callable[[str], None]] = {
    INTERCEPTION_MODE: _interception_mode,
    STATUS_PORT: _status_port,
    "readiness.status.sidecar.istio.io/initialDelaySeconds": _uint32,
    "readiness.status.sidecar.istio.io/periodSeconds": _uint32,
    "readiness.status.sidecar.istio.io/failureThreshold": _uint32,
    "traffic.sidecar.istio.io/includeOutboundIPRanges": _include_ip_ranges,
    "traffic.sidecar.istio.io/excludeOutboundIPRanges": _exclude_ip_ranges,
    INCLUDE_INBOUND_PORTS: _include_inbound_ports,
    EXCLUDE_INBOUND_PORTS: lambda v: _port_list("excludeInboundPorts", v),
    "traffic.sidecar.istio.io/excludeOutboundPorts": lambda v: _port_list("excludeOutboundPorts", v),
    MERGE_METRICS: _bool,
    PROXY_CONFIG: _proxy_config,
    PROXY_CPU: _resource_quantity,
    PROXY_MEMORY: _resource_quantity,
    PROXY_CPU_LIMIT: _resource_quantity,
    PROXY_MEMORY_LIMIT: _resource_quantity,
    EXCLUDE_INTERFACES: _interface_names,
    KUBEVIRT_INTERFACES: _interface_names,
    REROUTE_VIRTUAL_INTERFACES: _interface_names,
    # Not checked by Istio itself, but the templates parse them; a clear message beats a broken pod.
    USER_VOLUME: _json_map,
    USER_VOLUME_MOUNT: _json_map,
}


def validate(annotations: Mapping[str, str]) -> None:
    """Raise :class:`AnnotationError` for the first (by name) annotation whose value Istio rejects."""
    for name in sorted([n for n in annotations if n in VALIDATORS]):  # (the others pass: no need to sort them)
        check = VALIDATORS[name]
        value = annotations[name]
        try:
            check(value)
        except ValueError as e:
            raise AnnotationError(name, f"invalid value '{value}' for annotation '{name}': {e}") from None
