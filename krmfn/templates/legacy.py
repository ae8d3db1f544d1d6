"""The 0.2-era Istio sidecar, as the seed's ``istio-inject`` initializer injected it.

``istio-init`` sets up iptables (``-p 15001 -u <uid>`` and ``-i <ranges>``),
``istio-proxy`` runs ``proxy sidecar`` with the mesh's proxy settings, two
volumes hold Envoy's config and the workload's certificates (secret
``istio.<serviceAccount>``), and ``sidecar.istio.io/status:
injected-version-<version>`` marks the workload and its pod template.
"""

from __future__ import annotations

from ..config import Config
from ..config.fields import LEGACY_TEMPLATE
from ..names import INIT_CONTAINER, PROXY_CONTAINER, STATUS_KEY
from ..patch import Append, Merge, PatchTree, add, apply_to_data
from ..records import Record
from ..workloads import Workload
from .base import Outcome, Target, Template

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ENVOY_VOLUME = "istio-envoy"
CERTS_VOLUME = "istio-certs"
CONFIG_PATH = "/etc/istio/proxy"
CERTS_PATH = "/etc/certs/"
CORE_DUMP_COMMAND = "sysctl -w kernel.core_pattern=/etc/istio/proxy/core.%e.%p.%t && ulimit -c unlimited"


class Injection(Record):
    """The legacy template's additive patch, and how many containers, init containers and volumes it adds."""

    __slots__ = ("patch", "containers", "init_containers", "volumes")
    patch: PatchTree
    containers: int
    init_containers: int
    volumes: int

    def __init__(self, patch: PatchTree, containers: int, init_containers: int, volumes: int) -> None:
        self.patch = patch
        self.containers = containers
        self.init_containers = init_containers
        self.volumes = volumes


def _field_ref(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def init_container(p: dict[str, Any]) -> dict[str, Any]:
    args = ["-p", "15001", "-u", str(p["sidecarProxyUID"])]
    if p["includeIPRanges"]:
        args += ["-i", p["includeIPRanges"]]
    return {
        "name": INIT_CONTAINER,
        "image": p["initImage"],
        "imagePullPolicy": p["imagePullPolicy"],
        "args": args,
        "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}, "privileged": True},
    }


def core_dump_container(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "enable-core-dump",
        "image": "alpine",
        "imagePullPolicy": p["imagePullPolicy"],
        "command": ["/bin/sh"],
        "args": ["-c", CORE_DUMP_COMMAND],
        "securityContext": {"privileged": True},
    }


def proxy_container(p: dict[str, Any], mesh: dict[str, Any], service_cluster: str) -> dict[str, Any]:
    args = [
        "proxy", "sidecar",
        "-v", str(p["verbosity"]),
        "--configPath", CONFIG_PATH,
        "--binaryPath", "/usr/local/bin/envoy",
        "--serviceCluster", service_cluster,
        "--drainDuration", mesh["drainDuration"],
        "--parentShutdownDuration", mesh["parentShutdownDuration"],
        "--discoveryAddress", mesh["discoveryAddress"],
        "--discoveryRefreshDelay", mesh["discoveryRefreshDelay"],
        "--zipkinAddress", mesh["zipkinAddress"],
        "--connectTimeout", mesh["connectTimeout"],
        "--statsdUdpAddress", mesh["statsdUdpAddress"],
        "--proxyAdminPort", str(mesh["proxyAdminPort"]),
    ]
    debug = bool(p["debugMode"])
    return {
        "name": PROXY_CONTAINER,
        "image": p["proxyImage"],
        "imagePullPolicy": p["imagePullPolicy"],
        "args": args,
        "env": [
            _field_ref("POD_NAME", "metadata.name"),
            _field_ref("POD_NAMESPACE", "metadata.namespace"),
            _field_ref("INSTANCE_IP", "status.podIP"),
        ],
        "securityContext": {
            "privileged": debug,
            "readOnlyRootFilesystem": not debug,
            "runAsUser": p["sidecarProxyUID"],
        },
        "volumeMounts": [
            {"name": ENVOY_VOLUME, "mountPath": CONFIG_PATH},
            {"name": CERTS_VOLUME, "mountPath": CERTS_PATH, "readOnly": True},
        ],
    }


def volumes(service_account: str) -> list[dict[str, Any]]:
    return [
        {"name": ENVOY_VOLUME, "emptyDir": {"medium": "Memory"}},
        {"name": CERTS_VOLUME, "secret": {"secretName": f"istio.{service_account}", "optional": True}},
    ]


def build(w: Workload, config: Config) -> Injection:
    p = config.params
    spec = w.pod_spec
    service_account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    service_cluster = w.template_metadata["labels"].get("app") or PROXY_CONTAINER
    inits = [init_container(p)]
    if p["enableCoreDump"]:
        inits.append(core_dump_container(p))
    vols = volumes(str(service_account))
    status = {STATUS_KEY: f"injected-version-{p['version']}"}
    tree: PatchTree = {}
    add(tree, ("metadata", "annotations"), Merge(dict(status)))
    spec_path = (*w.template_path, "spec")
    if w.template_path:
        add(tree, (*w.template_path, "metadata", "annotations"), Merge(dict(status)))
    add(tree, (*spec_path, "containers"), Append([proxy_container(p, config.mesh, service_cluster)]))
    add(tree, (*spec_path, "initContainers"), Append(inits))
    add(tree, (*spec_path, "volumes"), Append(vols))
    return Injection(tree, containers=1, init_containers=len(inits), volumes=len(vols))


class LegacyTemplate(Template):
    """``legacy-0.2``: an additive patch (:func:`build`) applied to the workload; no re-injection."""

    name = LEGACY_TEMPLATE

    def describe(self) -> str:
        return "the seed's 0.2-era sidecar: istio-init (iptables), istio-proxy and two volumes"

    def inject(self, target: Target, cfg: Config) -> Outcome:
        injection = build(target.view, cfg)
        new = apply_to_data(target.data, injection.patch)
        return Outcome(new, injection.containers, injection.init_containers, injection.volumes)
