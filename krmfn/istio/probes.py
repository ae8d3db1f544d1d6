"""App probe rewrite: kubelet probes and lifecycle hooks go to pilot-agent, which runs the originals.

Each HTTP, TCP or gRPC probe (and HTTP/TCP lifecycle hook) of an app
container becomes an HTTP GET on the agent's status port at
``/app-health/<container>/livez|readyz|startupz`` (``/app-lifecycle/...``
for hooks); the originals, named ports resolved, go to the proxy as JSON in
ISTIO_KUBE_APP_PROBERS.
"""

from __future__ import annotations

from krmfn.istio.jsoncompact import compact as _compact
from krmfn.names import PROXY_CONTAINER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


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
    if exclude == "":  # (the usual case: what _ports("") gives)
        return {}
    return {p: False for p in _ports(exclude) if p}


def port_included(port: int, ports: dict[int, bool]) -> bool:
    if port in ports:
        return ports[port]
    return not any(ports.values())


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


class AppProbes:
    """The pod's app probes and lifecycle hooks, read in one pass over its containers (the proxy's
    skipped): :attr:`probers`, what ISTIO_KUBE_APP_PROBERS holds (by URL, named ports resolved), and the
    handlers :meth:`rewrite` points at the agent.  Reading changes nothing: the probers are copies."""

    __slots__ = ("probers", "targets")

    def __init__(self, pod: dict[str, Any]) -> None:
        self.probers: dict[str, Any] = {}
        #: (handler, URL, whether a gRPC action is rewritten too): the probes and hooks to rewrite, in order
        self.targets: list[tuple[dict[str, Any], str, bool]] = []
        ports = port_filter((pod.get("metadata") or {}).get("annotations") or {})
        spec = pod.get("spec") or {}
        for key in ("initContainers", "containers"):
            for c in spec.get(key) or ():
                name = c.get("name", "")
                if name != PROXY_CONTAINER:
                    self._container(pod, c, name, ports)

    def _container(self, pod: dict[str, Any], c: dict[str, Any], name: str, ports: dict[int, bool]) -> None:
        for field, url in _PROBES:
            if field in c:
                probe = c[field]
                entry = _resolve(pod, _prober(probe, True), ports, name)
                at = url.format(name)
                if entry is not None:
                    self.probers[at] = entry
                if isinstance(probe, dict) and (not ports or port_included(_handler_port(probe), ports)):
                    self.targets.append((probe, at, True))
        lifecycle = c.get("lifecycle")
        if lifecycle:
            for field, url in _HOOKS:
                hook = lifecycle.get(field)
                if hook is None:
                    continue
                entry = _resolve(pod, _prober(hook, False), ports, name)
                at = url.format(name)
                if entry is not None:
                    self.probers[at] = entry
                if isinstance(lifecycle, dict) and isinstance(hook, dict) and (
                        not ports or port_included(_handler_port(hook), ports)):
                    self.targets.append((hook, at, False))

    def dump(self) -> str:
        """The ISTIO_KUBE_APP_PROBERS value ("" when there is none)."""
        probers = self.probers
        if not probers:
            return ""
        return _compact({k: probers[k] for k in sorted(probers)})

    def rewrite(self, status_port: int) -> None:
        """Point every app probe and hook read at pilot-agent (in place)."""
        for handler, url, grpc in self.targets:
            _convert(handler, url, status_port, grpc)


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


def merge_probers(env: list[dict[str, Any]], new: str, previously_injected: bool) -> None:
    """Add ISTIO_KUBE_APP_PROBERS to the proxy env; on re-injection existing entries win over new ones."""
    import json  # here, not at start-up (the json package compiles six patterns on import)

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
