"""The value model of the interpreter: how Python data stands in for Go values.

Data is JSON-shaped Python (dict, list, str, int, float, bool, None).  Go distinguishes two kinds of
"nothing", and so do we:

* ``None`` is a Go nil held in an interface (a ``null`` in the data, a nil returned by a function);
* :data:`MISSING` is Go's *invalid* reflect.Value: what a field lookup gives for a key a map lacks.
  Printing it gives ``<no value>``; passing it to a function parameter of type ``any`` gives nil.

:class:`StrMap` marks a dict as a Go ``map[string]string`` (Kubernetes labels and annotations,
ProxyConfig.proxyMetadata): indexing it with a missing key gives ``""`` (the map's zero value) instead
of no value, as Go's ``index`` does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


class _Missing:
    """Go's invalid reflect.Value (no value): the result of looking up a key a map lacks."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


class StrMap(dict[str, Any]):
    """A dict standing for a Go ``map[string]string``: a missing key indexes as ``""``."""


def truth(v: Any) -> bool:
    """Go template truthiness: false, 0, nil, no value and empty strings, lists and maps are false."""
    if v is None or v is MISSING:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    if isinstance(v, (str, bytes, list, tuple, Mapping)):
        return len(v) > 0
    return True


def go_type(v: Any) -> str:
    """The Go type name fmt shows in %!verb(TYPE=value) and template errors."""
    if v is None or v is MISSING:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, StrMap):
        return "map[string]string"
    if isinstance(v, Mapping):
        return "map[string]interface {}"
    if isinstance(v, (list, tuple)):
        return "[]interface {}"
    return type(v).__name__


def format_float(f: float, fmt: str = "g", prec: int = -1) -> str:
    """Go strconv.FormatFloat(f, fmt, prec, 64) for fmt 'g' (shortest when prec < 0), 'e' and 'f'."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    sign = "-" if f < 0 or (f == 0 and math.copysign(1.0, f) < 0) else ""
    if fmt == "f":
        if prec < 0:
            digits, exp = _shortest(f)
            return sign + _plain(digits, exp)
        return f"{f:.{prec}f}"
    if fmt == "e":
        if prec < 0:
            digits, exp = _shortest(f)
            return sign + _mantissa(digits) + _exp_suffix(exp)
        return f"{f:.{prec}e}"
    if prec < 0:
        digits, exp = _shortest(f)
        if exp < -4 or exp >= 6:
            return sign + _mantissa(digits) + _exp_suffix(exp)
        return sign + _plain(digits, exp)
    return f"{f:.{max(prec, 1)}g}"


def _shortest(f: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of |f| and the decimal exponent of the first digit."""
    if f == 0:
        return "0", 0
    mant, _, e = repr(abs(f)).partition("e")
    exp = int(e) if e else 0
    intpart, _, frac = mant.partition(".")
    raw = intpart + frac
    stripped = raw.lstrip("0")
    lead = len(raw) - len(stripped)
    dexp = len(intpart) + exp - lead - 1
    return stripped.rstrip("0") or "0", dexp


def _mantissa(digits: str) -> str:
    return digits[0] + ("." + digits[1:] if len(digits) > 1 else "")


def _exp_suffix(exp: int) -> str:
    return "e" + ("-" if exp < 0 else "+") + f"{abs(exp):02d}"


def _plain(digits: str, exp: int) -> str:
    if exp < 0:
        return "0." + "0" * (-exp - 1) + digits
    if len(digits) <= exp + 1:
        return digits + "0" * (exp + 1 - len(digits))
    return digits[: exp + 1] + "." + digits[exp + 1 :]


def fmt_value(v: Any, top: bool = True) -> str:
    """fmt's %v of a value (Sprint of one operand)."""
    if v is MISSING:
        return "<no value>" if top else "<nil>"
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format_float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, Mapping):
        items = sorted(v.items(), key=lambda kv: _sort_key(kv[0]))
        return "map[" + " ".join(f"{fmt_value(k, False)}:{fmt_value(x, False)}" for k, x in items) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(fmt_value(x, False) for x in v) + "]"
    if isinstance(v, bytes):
        return "[" + " ".join(str(b) for b in v) + "]"
    return str(v)


def _sort_key(k: Any) -> tuple[int, Any]:
    if isinstance(k, bool):
        return (0, int(k))
    if isinstance(k, (int, float)):
        return (1, k)
    return (2, str(k))


def print_value(v: Any) -> str:
    """What ``{{ pipeline }}`` writes: no value and nil print as ``<no value>``."""
    if v is MISSING or v is None:
        return "<no value>"
    return fmt_value(v)


def sprint(args: list[Any]) -> str:
    """fmt.Sprint: a space between operands when neither side is a string."""
    out: list[str] = []
    prev_string = True
    for i, a in enumerate(args):
        is_string = isinstance(a, str)
        if i > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append(fmt_value(None if a is MISSING else a, top=False))
        prev_string = is_string
    return "".join(out)


def sprintln(args: list[Any]) -> str:
    return " ".join(fmt_value(None if a is MISSING else a, top=False) for a in args) + "\n"


def sorted_keys(m: Mapping[Any, Any]) -> list[Any]:
    return sorted(m.keys(), key=_sort_key)


def json_numbers(v: Any) -> Any:
    """The value as Go's json.Unmarshal into interface{} holds it: every number a float64.

    Istio hands ``.Values`` to templates that way, so ``{{ .Values.x }}`` of 1000000 prints
    ``1e+06`` and ``eq .Values.port 15020`` is a type error, exactly as in Istio."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, Mapping):
        return {k: json_numbers(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_numbers(x) for x in v]
    return v


# Zero values of the Go struct fields Istio's SidecarTemplateData reaches (metav1.TypeMeta and
# ObjectMeta, types.NamespacedName, corev1.PodSpec, Container and ContainerPort, mesh ProxyConfig
# and MeshConfig, and SidecarTemplateData itself).  A field absent from the JSON of such an object
# reads as its Go zero value, not as "no value": ``{{ if eq .Spec.ServiceAccountName "" }}`` holds
# for a pod that sets none, exactly as in Istio.  Pointer, slice and message fields stay no value.
_STRING_MAP = object()
STRUCT_ZEROS: dict[str, Any] = {
    **dict.fromkeys(
        [
            # TypeMeta, ObjectMeta, NamespacedName
            "Kind", "APIVersion", "Name", "Namespace", "GenerateName", "UID", "ResourceVersion",
            # PodSpec
            "ServiceAccountName", "DeprecatedServiceAccount", "NodeName", "Hostname", "Subdomain",
            "SchedulerName", "PriorityClassName", "RestartPolicy", "DNSPolicy",
            # Container, ContainerPort
            "Image", "ImagePullPolicy", "WorkingDir", "TerminationMessagePath", "TerminationMessagePolicy",
            "Protocol", "HostIP",
            # ProxyConfig, MeshConfig
            "ConfigPath", "BinaryPath", "DiscoveryAddress", "ServiceCluster", "CustomConfigFile",
            "TrustDomain", "RootNamespace", "IngressClass", "IngressService", "AccessLogFile",
            "AccessLogFormat",
            # SidecarTemplateData
            "Revision", "ProxyImage", "ProxyInitImage", "InboundTrafficPolicyMode", "CompliancePolicy",
        ],
        "",
    ),
    **dict.fromkeys(
        ["ContainerPort", "HostPort", "StatusPort", "ProxyAdminPort", "StatNameLength", "ProxyListenPort",
         "ProxyInboundListenPort", "ProxyHttpPort", "ProxyUID", "ProxyGID"],
        0,
    ),
    **dict.fromkeys(["HostNetwork", "HostPID", "HostIPC", "Stdin", "TTY", "EnableTracing", "NativeSidecars"], False),
    **dict.fromkeys(["Labels", "Annotations", "NodeSelector", "ProxyMetadata"], _STRING_MAP),
    "InterceptionMode": "REDIRECT",
    "ControlPlaneAuthPolicy": "NONE",
}


def struct_zero(field: str) -> Any:
    """The Go zero value of a known struct field missing from its JSON, else no value."""
    z = STRUCT_ZEROS.get(field, MISSING)
    return StrMap() if z is _STRING_MAP else z
