"""Where a workload keeps its pod, who owns it, and which objects kube-inject leaves alone."""

from __future__ import annotations

import re

from krmfn import workloads
from krmfn.config.fields import ISTIO_IGNORED_NAMESPACES as IGNORED_NAMESPACES
from krmfn.istio.annotations import InjectionError
from krmfn.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_CRONJOB_JOB = r"^(.+)-\d{8,10}$"  # compiled on first use (re caches it): only Jobs owned by a CronJob need it


class NotInjectable(InjectionError):
    """The object is not a workload, or its pod template is unusable; ``path`` names the field."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class PodLocation(Record):
    """The dicts (inside the object being built) that hold the pod's metadata and spec."""

    __slots__ = ("holder", "spec_holder", "paths")
    holder: dict[str, Any]  # the mapping whose "metadata" key is the pod metadata
    spec_holder: dict[str, Any]  # the mapping whose "spec" key is the pod spec
    paths: workloads.PodPaths

    def __init__(self, holder: dict[str, Any], spec_holder: dict[str, Any], paths: workloads.PodPaths) -> None:
        self.holder = holder
        self.spec_holder = spec_holder
        self.paths = paths

    @property
    def metadata_path(self) -> str:
        return ".".join((*self.paths.pod_metadata, "metadata"))

    @property
    def spec_path(self) -> str:
        return ".".join((*self.paths.template, "spec"))


def locate(obj: dict[str, Any]) -> PodLocation:
    """The pod template of a workload.  CronJob metadata is the jobTemplate's, as kube-inject uses it."""
    paths = workloads.pod_paths(obj.get("apiVersion"), obj.get("kind"))
    if paths is None:
        raise NotInjectable(f"{obj.get('apiVersion')}/{obj.get('kind')} has no pod template")
    path = paths.template
    template = _mapping_at(obj, path)
    spec = template.get("spec")
    if not isinstance(spec, dict):
        p = ".".join((*path, "spec"))
        raise NotInjectable(f"{p} is missing or not a mapping", p)
    check_pod_spec(spec, ".".join((*path, "spec")))
    meta_holder = template if paths.pod_metadata == path else _mapping_at(obj, paths.pod_metadata)
    if meta_holder.get("metadata") is not None and not isinstance(meta_holder.get("metadata"), dict):
        raise NotInjectable("pod metadata is not a mapping")
    return PodLocation(meta_holder, template, paths)


def _mapping_at(obj: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node: Any = obj
    for i, key in enumerate(path):
        node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise NotInjectable(f"{'.'.join(path[: i + 1])} is missing or not a mapping", ".".join(path[: i + 1]))
    return node  # type: ignore[no-any-return]


def check_pod_spec(spec: dict[str, Any], path: str) -> None:
    """The pod spec's lists, and the containers' fields injection reads, have the shapes Kubernetes gives them.
    (Field paths are written only for a message.)"""
    for key in ("containers", "initContainers", "volumes", "imagePullSecrets"):
        entries = spec.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            p = f"{path}.{key}"
            raise NotInjectable(f"{p} is not a list", p)
        named = key != "imagePullSecrets"
        for i, c in enumerate(entries):
            if not isinstance(c, dict) or (named and not isinstance(c.get("name"), str)):
                p = f"{path}.{key}[{i}]"
                raise NotInjectable(f"{p} is not a mapping with a name", p)
    for key in ("containers", "initContainers"):
        for i, c in enumerate(spec.get(key) or ()):
            _check_container(c, path, key, i)


_MAPS = ("securityContext", "resources", "lifecycle", "readinessProbe", "livenessProbe", "startupProbe")
_PROBES = _MAPS[3:]
_HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")


def _fail(what: str, path: str) -> NotInjectable:
    return NotInjectable(f"{path} {what}", path)


def check_container(c: dict[str, Any], path: str) -> None:
    """The container fields injection reads have the shapes Kubernetes gives them."""
    _check_container(c, path, "", 0)


def _check_container(c: dict[str, Any], spec_path: str, key: str, index: int) -> None:
    """:func:`check_container` for item ``index`` of the spec's ``key`` list (``key`` empty: ``spec_path`` is
    the container's own path)."""
    for field in ("ports", "env", "volumeMounts"):
        entries = c.get(field)
        if entries is not None:
            _check_entries(entries, spec_path, key, index, field)
    for field in _MAPS:
        value = c.get(field)
        if value is not None and not isinstance(value, dict):
            raise _fail("is not a mapping", f"{_at(spec_path, key, index)}.{field}")
    for field in _PROBES:
        if field in c:
            _check_handler(c[field], spec_path, key, index, field)
    lifecycle = c.get("lifecycle")
    if lifecycle:
        for field in ("preStop", "postStart"):
            if field in lifecycle:
                _check_handler(lifecycle[field], spec_path, key, index, "lifecycle." + field)


def _check_entries(entries: Any, spec_path: str, key: str, index: int, field: str) -> None:
    """The ``field`` list (ports, env or volumeMounts) of a container (:func:`_check_container`'s arguments)."""
    if not isinstance(entries, list):
        raise _fail("is not a list", f"{_at(spec_path, key, index)}.{field}")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _fail("is not a mapping", f"{_at(spec_path, key, index)}.{field}[{i}]")
        if field == "ports":
            port = entry.get("containerPort")
            if port is not None and port.__class__ is not int and (not isinstance(port, int) or isinstance(port, bool)):
                raise _fail("is not a port number", f"{_at(spec_path, key, index)}.{field}[{i}].containerPort")
        elif field == "env" and not isinstance(entry.get("name"), str):
            raise _fail("has no name", f"{_at(spec_path, key, index)}.{field}[{i}]")


def _at(spec_path: str, key: str, index: int) -> str:
    """The path of a container (:func:`_check_container`'s arguments)."""
    return f"{spec_path}.{key}[{index}]" if key else spec_path


def _check_handler(handler: Any, spec_path: str, key: str, index: int, field: str) -> None:
    """A probe or lifecycle hook (``field`` of a container): a mapping whose actions are mappings."""
    if handler is None:
        return
    if not isinstance(handler, dict):
        raise _fail("is not a mapping", f"{_at(spec_path, key, index)}.{field}")
    for kind in _HANDLERS:
        if kind in handler and not isinstance(handler[kind], dict):
            raise _fail("is not a mapping", f"{_at(spec_path, key, index)}.{field}.{kind}")


def str_text(value: Any) -> str:
    """One value as :func:`str_map` gives it."""
    return "true" if value is True else "false" if value is False else "" if value is None else str(value)


def str_map(value: Any) -> dict[str, str]:
    """:func:`krmfn.workloads.str_map`, {} for anything but a mapping."""
    return workloads.str_map(value) if isinstance(value, dict) else {}


def deploy_meta(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    """(name, namespace, apiVersion, kind) of the controller, as Istio derives them."""
    meta: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    name = str(meta.get("name") or "")
    namespace = str(meta.get("namespace") or "")
    if obj.get("kind") != "Pod" or obj.get("apiVersion") != "v1":
        return name, namespace, str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
    if not name:
        name = str(meta.get("generateName") or "")
    owner = _controller_ref(meta) if meta.get("generateName") else None
    if owner is None:
        return name, namespace, "v1", "Pod"
    name, api_version, kind = _controller(owner, str_map(meta.get("labels")))
    return name, namespace, api_version, kind


def _controller_ref(meta: dict[str, Any]) -> dict[str, Any] | None:
    return next((o for o in meta.get("ownerReferences") or [] if isinstance(o, dict) and o.get("controller") is True), None)


def _controller(owner: dict[str, Any], labels: dict[str, str]) -> tuple[str, str, str]:
    """(name, apiVersion, kind) of a pod's controller from its owner reference, through the ReplicaSet,
    ReplicationController or Job to the Deployment, DeploymentConfig or CronJob that made it."""
    api_version, kind, name = str(owner.get("apiVersion", "")), str(owner.get("kind", "")), str(owner.get("name", ""))
    pth = labels.get("pod-template-hash", "")
    if kind == "ReplicaSet" and pth and name.endswith(pth):
        return name[: -len(pth) - 1], "apps/v1", "Deployment"
    if kind == "ReplicationController" and labels.get("deploymentconfig"):
        return labels["deploymentconfig"], "apps.openshift.io/v1", "DeploymentConfig"
    if kind == "Job":
        m = re.match(_CRONJOB_JOB, name)
        if m:
            return m.group(1), "batch/v1", "CronJob"
    return name, api_version, kind


def kube_inject_skip_reason(obj: dict[str, Any]) -> str | None:
    """Why ``istioctl kube-inject`` would leave this workload alone, or None."""
    loc = locate(obj)
    meta = loc.holder.get("metadata") or {}
    spec = loc.spec_holder["spec"]
    name, namespace, _, kind = deploy_meta(obj)
    full = f"{namespace}/{name}" if namespace else name
    if spec.get("hostNetwork") is True:
        return f'{kind} "{full}" has host networking enabled'
    if meta.get("namespace") in IGNORED_NAMESPACES:
        return f'{kind} "{full}" has sidecar injection disabled'
    labels, annotations = str_map(meta.get("labels")), str_map(meta.get("annotations"))
    selector = labels.get("sidecar.istio.io/inject", annotations.get("sidecar.istio.io/inject", ""))
    if selector and selector.lower() not in ("y", "yes", "true", "on"):
        return f'{kind} "{full}" has sidecar injection disabled'
    return None
