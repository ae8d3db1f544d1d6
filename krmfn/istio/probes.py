"""App probe rewrite: kubelet probes and lifecycle hooks go to pilot-agent, which runs the originals.

Each HTTP, TCP or gRPC probe (and HTTP/TCP lifecycle hook) of an app
container becomes an HTTP GET on the agent's status port at
``/app-health/<container>/livez|readyz|startupz`` (``/app-lifecycle/...``
for hooks); the originals, named ports resolved, go to the proxy as JSON in
ISTIO_KUBE_APP_PROBERS.
"""

from __future__ import annotations

import json

from krmfn.names import PROXY_CONTAINER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# json.dumps(value, separators=(",", ":")), without making an encoder per call
_compact = json.JSONEncoder(separators=(",", ":")).encode

PROBER_ENV = "ISTIO_KUBE_APP_PROBERS"
_PROBES = (("readinessProbe", "/app-health/{}/readyz"), ("livenessProbe", "/app-health/{}/livez"),
           ("startupProbe", "/app-health/{}/startupz"))
_HOOKS = (("preStop", "/app-lifecycle/{}/prestopz"), ("postStart", "/app-lifecycle/{}/poststartz"))


def _ports(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if part.isdigit():
            out.append(int(part))
    return out


def port_filter(annotations: dict[str, str]) -> dict[int, bool]:
    """Ports explicitly included (True) or excluded (False) from capture; empty means all."""
    include = annotations.get("traffic.sidecar.istio.io/includeInboundPorts", "")
    exclude = annotations.get("traffic.sidecar.istio.io/excludeInboundPorts", "")
    if include and include != "*":
        return {p: True for p in _ports(include) if p}
    return {p: False for p in _ports(exclude) if p}


def port_included(port: int, ports: dict[int, bool]) -> bool:
    if port in ports:
        return ports[port]
    return not any(ports.values())


def _all_containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod.get("spec") or {}
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


def _named_port(pod: dict[str, Any], name: str, container: str) -> int:
    spec = pod.get("spec") or {}
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            if c.get("name") == container:
                for p in c.get("ports") or []:
                    if p.get("name") == name:
                        return int(p.get("containerPort") or 0)
                break
    return 0


def _prober(handler: Any, timeout: bool) -> dict[str, Any] | None:
    if not isinstance(handler, dict):
        return None
    for kind in ("httpGet", "tcpSocket", "grpc"):
        if isinstance(handler.get(kind), dict):
            if kind == "grpc" and not timeout:
                return None
            out: dict[str, Any] = {kind: dict(handler[kind])}  # _resolve sets its port; the rest is only dumped
            if timeout and handler.get("timeoutSeconds"):
                out["timeoutSeconds"] = handler["timeoutSeconds"]
            return out
    return None


def _resolve(pod: dict[str, Any], prober: dict[str, Any] | None, ports: dict[int, bool], container: str) -> Any:
    if prober is None:
        return None
    if "grpc" in prober:
        return prober if port_included(int(prober["grpc"].get("port") or 0), ports) else None
    action = prober["httpGet"] if "httpGet" in prober else prober["tcpSocket"]
    port = action.get("port")
    if isinstance(port, str):
        number = _named_port(pod, port, container)
        if not number:
            if not port.isdigit():
                return None
            number = int(port)
        port = number
    if not isinstance(port, int) or not port_included(port, ports):
        return None
    action["port"] = port
    return prober


def dump_app_probers(pod: dict[str, Any]) -> str:
    """The ISTIO_KUBE_APP_PROBERS value for the pod's probes ("" when there is none)."""
    out: dict[str, Any] = {}
    ports = port_filter((pod.get("metadata") or {}).get("annotations") or {})
    for c in _all_containers(pod):
        name = c.get("name", "")
        if name == PROXY_CONTAINER:
            continue
        for field, url in _PROBES:
            entry = _resolve(pod, _prober(c.get(field), True), ports, name)
            if entry is not None:
                out[url.format(name)] = entry
        lifecycle = c.get("lifecycle") or {}
        for field, url in _HOOKS:
            entry = _resolve(pod, _prober(lifecycle.get(field), False), ports, name)
            if entry is not None:
                out[url.format(name)] = entry
    if not out:
        return ""
    return _compact({k: out[k] for k in sorted(out)})


def _handler_port(handler: dict[str, Any]) -> int:
    for kind in ("httpGet", "tcpSocket"):
        if isinstance(handler.get(kind), dict):
            port = handler[kind].get("port")
            return port if isinstance(port, int) else 0
    if isinstance(handler.get("grpc"), dict):
        return int(handler["grpc"].get("port") or 0)
    return 0


def _convert(handler: dict[str, Any], url: str, status_port: int, grpc: bool) -> None:
    """Rewrite one probe or hook in place to an HTTP GET on the agent."""
    if isinstance(handler.get("httpGet"), dict):
        action = handler["httpGet"]
        action["port"] = status_port
        action["path"] = url
        if action.get("scheme") == "HTTPS":
            action["scheme"] = "HTTP"
        return
    for kind in ("tcpSocket",) + (("grpc",) if grpc else ()):
        if isinstance(handler.get(kind), dict):
            del handler[kind]
            handler["httpGet"] = {"path": url, "port": status_port}
            return


def rewrite_probes(pod: dict[str, Any], status_port: int) -> None:
    """Point every app probe and hook of the pod at pilot-agent (in place)."""
    ports = port_filter((pod.get("metadata") or {}).get("annotations") or {})
    for c in _all_containers(pod):
        name = c.get("name", "")
        if name == PROXY_CONTAINER:
            continue
        for field, url in _PROBES:
            probe = c.get(field)
            if isinstance(probe, dict) and (not ports or port_included(_handler_port(probe), ports)):
                _convert(probe, url.format(name), status_port, True)
        lifecycle = c.get("lifecycle")
        if isinstance(lifecycle, dict):
            for field, url in _HOOKS:
                hook = lifecycle.get(field)
                if isinstance(hook, dict) and (not ports or port_included(_handler_port(hook), ports)):
                    _convert(hook, url.format(name), status_port, False)


def merge_probers(env: list[dict[str, Any]], new: str, previously_injected: bool) -> None:
    """Add ISTIO_KUBE_APP_PROBERS to the proxy env; on re-injection existing entries win over new ones."""
    if previously_injected:
        for entry in env:
            if entry.get("name") == PROBER_ENV:
                try:
                    existing = json.loads(entry.get("value") or "{}")
                    merged = json.loads(new)
                except json.JSONDecodeError:
                    return
                merged.update(existing)
                entry.clear()
                entry.update(name=PROBER_ENV, value=_compact({k: merged[k] for k in sorted(merged)}))
                return
    env.append({"name": PROBER_ENV, "value": new})
