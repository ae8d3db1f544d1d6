"""Which resources carry a pod template, and where.

A workload is recognised by API group *and* kind: an ``example.com/v1``
Deployment is not an ``apps`` Deployment.  Each kind keeps its pod template
(``metadata`` + ``spec``) at a fixed path; a Pod is its own template.
"""

from __future__ import annotations

from .plain import mapping_at
from .records import Frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TEMPLATE = ("spec", "template")
JOB_TEMPLATE = ("spec", "jobTemplate")


class PodPaths(Frozen):
    """Where one workload kind keeps its pod: the template, and the metadata injection reads and marks."""

    __slots__ = ("template", "pod_metadata", "holders")
    template: tuple[str, ...]  # the pod template (metadata + spec); (): the object is its own template
    # The mapping whose ``metadata`` Istio takes as the pod's (kube-inject: a CronJob's is its job template's).
    pod_metadata: tuple[str, ...]
    # The mappings whose ``metadata`` an injection may have marked, innermost first: the pod template,
    # any template between, the object itself (the 0.2 injector marked the workload too).
    holders: tuple[tuple[str, ...], ...]

    def __init__(self, template: tuple[str, ...], pod_metadata: tuple[str, ...] | None = None,
                 between: tuple[tuple[str, ...], ...] = ()) -> None:
        set_ = object.__setattr__
        set_(self, "template", template)
        set_(self, "pod_metadata", template if pod_metadata is None else pod_metadata)
        set_(self, "holders", (template, *between, ()) if template else ((),))


_POD = PodPaths(())
_TEMPLATED = PodPaths(TEMPLATE)
_CRONJOB = PodPaths((*JOB_TEMPLATE, *TEMPLATE), JOB_TEMPLATE, (JOB_TEMPLATE,))

# (API group, kind) -> where that kind keeps its pod: the one table policy, injection and uninject read.
POD_PATHS: dict[tuple[str, str], PodPaths] = {
    ("", "Pod"): _POD,
    ("", "ReplicationController"): _TEMPLATED,
    **{(g, k): _TEMPLATED for g in ("apps", "extensions")
       for k in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet")},
    ("batch", "Job"): _TEMPLATED,
    ("batch", "CronJob"): _CRONJOB,
    # OpenShift: apps.openshift.io/v1, and the legacy un-grouped v1 form.
    ("apps.openshift.io", "DeploymentConfig"): _TEMPLATED,
    ("", "DeploymentConfig"): _TEMPLATED,
    ("argoproj.io", "Rollout"): _TEMPLATED,
}


def group_of(api_version: Any) -> str | None:
    if not isinstance(api_version, str) or not api_version:
        return None
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def pod_paths(api_version: Any, kind: Any) -> PodPaths | None:
    """Where a workload kind keeps its pod, or None if it is not a workload."""
    group = group_of(api_version)
    if group is None or not isinstance(kind, str):
        return None
    return POD_PATHS.get((group, kind))


def template_path(api_version: Any, kind: Any) -> tuple[str, ...] | None:
    """The pod template path for a workload kind, or None if not a workload."""
    paths = pod_paths(api_version, kind)
    return None if paths is None else paths.template


def metadata_holders(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The mappings (inside ``obj``) whose ``metadata`` injection may have marked, innermost first."""
    paths = pod_paths(obj.get("apiVersion"), obj.get("kind"))
    if paths is None:
        return []
    found = [mapping_at(obj, p) for p in paths.holders]
    return [h for h in found if h is not None]


def is_workload(api_version: Any, kind: Any) -> bool:
    return template_path(api_version, kind) is not None


def is_list(api_version: object, kind: object) -> bool:
    """A ``v1 List`` (kubectl's and kube-inject's container of objects)."""
    return api_version == "v1" and kind == "List"


def is_namespace(api_version: object, kind: object) -> bool:
    return api_version == "v1" and kind == "Namespace"


class Malformed(Exception):
    """A workload whose pod template cannot be injected; ``path`` names the field."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class Workload(Frozen):
    """Plain-data view of one workload: what policy and templates read."""

    __slots__ = ("api_version", "kind", "name", "namespace", "metadata", "template_path", "template_metadata",
                 "pod_spec")
    api_version: str
    kind: str
    name: str
    namespace: str | None
    metadata: dict[str, Any]
    template_path: tuple[str, ...]
    template_metadata: dict[str, Any]
    pod_spec: dict[str, Any]

    def __init__(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None,
        metadata: dict[str, Any],
        template_path: tuple[str, ...],
        template_metadata: dict[str, Any],
        pod_spec: dict[str, Any],
    ) -> None:
        set_ = object.__setattr__
        set_(self, "api_version", api_version)
        set_(self, "kind", kind)
        set_(self, "name", name)
        set_(self, "namespace", namespace)
        set_(self, "metadata", metadata)
        set_(self, "template_path", template_path)
        set_(self, "template_metadata", template_metadata)
        set_(self, "pod_spec", pod_spec)

    def field(self, *rest: str) -> str:
        """A field path inside the pod template, e.g. ``spec.template.spec.containers``."""
        return ".".join(self.template_path + rest)


def _dict_at(data: dict[str, Any], path: tuple[str, ...], what: str) -> dict[str, Any]:
    node: Any = data
    for i, key in enumerate(path):
        if not isinstance(node, dict):
            raise Malformed(f"{'.'.join(path[:i])} is not a mapping", ".".join(path[:i]))
        if key not in node:
            raise Malformed(f"{what} {'.'.join(path[: i + 1])} is missing", ".".join(path[: i + 1]))
        node = node[key]
    if not isinstance(node, dict):
        raise Malformed(f"{what} {'.'.join(path)} is {_describe(node)}, not a mapping", ".".join(path))
    return node


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


def str_map(value: dict[Any, Any]) -> dict[str, str]:
    """Labels or annotations as the strings Kubernetes would hold (YAML true/false/null as text)."""
    return {str(k): ("true" if v is True else "false" if v is False else "" if v is None else str(v)) for k, v in value.items()}


def _str_map(value: Any, at: tuple[str, ...], field: str) -> dict[str, str]:
    """:func:`str_map` of the ``field`` of the metadata of the mapping at ``at``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        path = ".".join((*at, "metadata", field))
        raise Malformed(f"{path} is {_describe(value)}, not a mapping", path)
    return str_map(value)


def view(data: dict[str, Any]) -> Workload:
    """Validate a workload's data and return its view; raises :class:`Malformed`."""
    api_version = data.get("apiVersion")
    kind = data.get("kind")
    path = template_path(api_version, kind)
    assert path is not None and isinstance(api_version, str) and isinstance(kind, str)  # a workload's
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        raise Malformed(f"metadata is {_describe(metadata)}, not a mapping", "metadata")
    name = metadata.get("name")
    namespace = metadata.get("namespace")
    template = _dict_at(data, path, "pod template") if path else data
    tmeta_raw = template.get("metadata") if path else metadata
    if tmeta_raw is not None and not isinstance(tmeta_raw, dict):
        prefix = ".".join((*path, "metadata"))
        raise Malformed(f"{prefix} is {_describe(tmeta_raw)}, not a mapping", prefix)
    tmeta = tmeta_raw or {}
    spec = template.get("spec")
    if not isinstance(spec, dict):
        spec = _dict_at(data, (*path, "spec"), "pod spec")  # (raises)
    _check_spec(spec, path)
    labels = _str_map(tmeta.get("labels"), path, "labels")
    annotations = _str_map(tmeta.get("annotations"), path, "annotations")
    return Workload(
        api_version=api_version,
        kind=kind,
        name=name if isinstance(name, str) else "",
        namespace=namespace if isinstance(namespace, str) and namespace else None,
        metadata={
            "labels": _str_map(metadata.get("labels"), (), "labels"),
            "annotations": _str_map(metadata.get("annotations"), (), "annotations"),
        },
        template_path=path,
        template_metadata={"labels": labels, "annotations": annotations},
        pod_spec=spec,
    )


def _check_spec(spec: dict[str, Any], at: tuple[str, ...]) -> None:
    """The pod spec's containers (a non-empty list of named mappings), init containers, volumes and
    image pull secrets (lists); ``at``: the pod template's path (written only for a message)."""
    containers = spec.get("containers")
    if not isinstance(containers, list) or not containers:
        p = ".".join((*at, "spec", "containers"))
        raise Malformed(
            f"{p} is {_describe(containers) if containers is not None else 'missing'}, expected a non-empty list", p
        )
    for list_key in ("containers", "initContainers"):
        entries = spec.get(list_key)
        if entries is not None:
            _check_containers(entries, at, list_key)
    for list_key in ("volumes", "imagePullSecrets"):
        entries = spec.get(list_key)
        if entries is not None and not isinstance(entries, list):
            p = ".".join((*at, "spec", list_key))
            raise Malformed(f"{p} is {_describe(entries)}, not a list", p)


def _check_containers(entries: Any, at: tuple[str, ...], list_key: str) -> None:
    if not isinstance(entries, list):
        p = ".".join((*at, "spec", list_key))
        raise Malformed(f"{p} is {_describe(entries)}, not a list", p)
    for i, c in enumerate(entries):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c.get("name"):
            p = ".".join((*at, "spec", list_key))
            if not isinstance(c, dict):
                raise Malformed(f"{p}[{i}] is {_describe(c)}, not a mapping", f"{p}[{i}]")
            raise Malformed(f"{p}[{i}] has no name", f"{p}[{i}].name")
