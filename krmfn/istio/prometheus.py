"""Prometheus metrics merge: the pod's scrape settings move to the proxy, prometheus.io/* point at the agent."""

from __future__ import annotations

from krmfn.istio import annotations as A
from krmfn.istio.containers import annotations_of, find_sidecar
from krmfn.istio.jsoncompact import compact as _compact
from krmfn.plain import dig

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


_PROM = ("prometheus_io_scrape", "prometheus_io_port", "prometheus_io_path")
_PROM_CLEARED = _PROM + ("prometheus_istio_io_scrape_targets",)


def sanitize(name: str) -> str:
    out = _SANITIZED.get(name)
    if out is None:
        out = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in name)
        if len(_SANITIZED) < 4096:  # annotation names repeat from pod to pod
            _SANITIZED[name] = out
    return out


_SANITIZED: dict[str, str] = {}


def prometheus_names(annotations: dict[str, Any]) -> dict[str, str]:
    """The annotations whose names may sanitize to a prometheus_* name, and what they sanitize to (in the
    annotations' order).  A name that does not begin with "prometheus" cannot: sanitizing keeps ASCII letters
    and turns every other character of the first ten into "_" (a name that is not a string is sanitized
    all the same, and fails as it would)."""
    return {key: sanitize(key) for key in annotations if key.__class__ is not str or key[:10] == "prometheus"}


def prometheus_port(annotations: dict[str, Any]) -> str | None:
    for key, value in annotations.items():
        if sanitize(key) == "prometheus_io_port":
            return str(value)
    return None


def clear_prometheus(annotations: dict[str, Any]) -> None:
    for key in [k for k in annotations if sanitize(k) in _PROM]:
        del annotations[key]


def _scrape_config(annotations: dict[str, Any], sanitized: dict[str, str]) -> dict[str, Any]:
    cfg: dict[str, Any] = {"scrape": "", "path": "", "port": ""}
    for key, s in sanitized.items():
        if s in _PROM:
            cfg[s.rsplit("_", 1)[1]] = str(annotations[key])
    targets_text = annotations.get(A.SCRAPE_TARGETS)
    if targets_text:
        targets = []
        for item in str(targets_text).split(","):
            port, _, path = item.strip().partition(":")
            if port:
                targets.append({"port": port, "path": path})
        if targets:
            cfg["port"] = cfg["port"] or targets[0]["port"]
            cfg["path"] = cfg["path"] or targets[0]["path"]
            cfg["targets"] = targets
    return cfg


def _merge_target(annotations: dict[str, Any], sanitized: dict[str, str], mesh: dict[str, Any]) -> str | None:
    """The agent's port the metrics merge points prometheus.io/port at, or None: no merge for this pod."""
    for key, s in sanitized.items():
        if s == "prometheus_io_scrape" and A.parse_bool(str(annotations[key])) is False:
            return None
    merge_flag = A.parse_bool(str(annotations.get(A.MERGE_METRICS, "")))
    enabled = merge_flag if merge_flag is not None else mesh.get("enablePrometheusMerge", True) is not False
    if not enabled:
        return None
    target = str(dig(mesh, "defaultConfig", "statusPort"))
    port = next((str(annotations[k]) for k, s in sanitized.items() if s == "prometheus_io_port"), None)
    return None if port == target else target  # (prometheus_port: already the agent's)


def prometheus_merge(pod: dict[str, Any], mesh: dict[str, Any]) -> None:
    """Metrics merge: the pod's scrape settings move to the proxy env; prometheus.io/* point at the agent."""
    annotations = annotations_of(pod)
    sanitized = prometheus_names(annotations)  # annotations is not changed until the end
    target = _merge_target(annotations, sanitized, mesh)
    if target is None:
        return
    cfg = _scrape_config(annotations, sanitized)
    sidecar = find_sidecar(pod) if any(cfg.values()) else None
    if sidecar is not None:
        sidecar.setdefault("env", []).append({"name": "ISTIO_PROMETHEUS_ANNOTATIONS", "value": _compact(cfg)})
    wanted = {"prometheus.io/port": target, "prometheus.io/path": "/stats/prometheus", "prometheus.io/scrape": "true"}
    for key in [k for k, s in sanitized.items() if s in _PROM_CLEARED and k not in wanted]:
        del annotations[key]
    annotations.update(wanted)
