"""After the templates: cluster env, app probe rewrite, container order (Istio's postProcessPod)."""

from __future__ import annotations

from krmfn.istio import annotations as A
from krmfn.istio import probes
from krmfn.istio.containers import (
    CORE_DUMP,
    INIT,
    PROXY,
    VALIDATION,
    find_container,
    find_sidecar,
    move_container,
)
from krmfn.istio.pod import str_map, str_text
from krmfn.plain import dig

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def overwrite_cluster_env(pod: dict[str, Any], envs: dict[str, str]) -> None:
    sidecar = find_sidecar(pod)
    if sidecar is None or not envs:
        return
    kept = [e for e in sidecar.get("env") or [] if e.get("name") not in envs]
    sidecar["env"] = kept + [{"name": k, "value": envs[k]} for k in sorted(envs)]


def rewrite_app_probes(pod: dict[str, Any], values: dict[str, Any], mesh: dict[str, Any]) -> None:
    sidecar = find_sidecar(pod)
    if sidecar is None:
        return
    annotations = pod["metadata"].get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}  # (only three are read: str_text)
    flag = A.parse_bool(str_text(annotations.get(A.REWRITE_PROBERS, "")))
    rewrite = flag if flag is not None else bool(dig(values, "sidecarInjectorWebhook", "rewriteAppHTTPProbe"))
    if not rewrite:
        return
    found = probes.AppProbes(pod)  # read before any is rewritten
    prober = found.dump()
    if prober:
        env = sidecar.get("env")
        if not isinstance(env, list):
            env = sidecar["env"] = []
        probes.merge_probers(env, prober, A.STATUS in annotations)
    port = annotations.get(A.STATUS_PORT)
    port = None if port is None else str_text(port)
    status_port = int(port) if port is not None and port.strip().isdigit() else int(dig(mesh, "defaultConfig", "statusPort"))
    found.rewrite(status_port)


def reorder(pod: dict[str, Any], hold: bool) -> None:
    spec = pod["spec"]
    if "containers" in spec:
        spec["containers"] = move_container(spec["containers"] or [], PROXY, "first" if hold else "last")
    inits = spec.get("initContainers")
    if inits is None:
        return
    if find_container(inits, PROXY) is not None:
        before = []
        for name in str_map(pod["metadata"].get("annotations")).get(A.INIT_BEFORE_PROXY, "").split(","):
            if name and name not in before:
                before.append(name)
        inits = move_container(inits, CORE_DUMP, "first")
        inits = move_container(inits, PROXY, "first")
        for name in reversed(before):
            inits = move_container(inits, name, "first")
        inits = move_container(inits, VALIDATION, "first")
        inits = move_container(inits, INIT, "first")
    else:
        inits = move_container(inits, VALIDATION, "first")
        inits = move_container(inits, INIT, "last")
        inits = move_container(inits, CORE_DUMP, "last")
    spec["initContainers"] = inits
