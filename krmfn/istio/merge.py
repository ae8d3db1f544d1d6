"""Strategic merge of a partial pod over a pod, as Kubernetes does it for the fields injection touches.

Maps merge key by key (a null in the patch removes the key); lists that
Kubernetes merges by key (containers by name, ports by containerPort, mounts
by mountPath, ...) merge matching items and order the result as Kubernetes
does (see ``_merge_list``); every other list is replaced.  Existing map keys
keep their position, new keys go at the end.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


# field name -> merge key, for lists merged by key (paths do not matter for the pod fields we meet).
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "env": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "schedulingGates": "name",
    "ownerReferences": "uid",
}


def fresh(value: Any) -> Any:
    """A deep copy that shares nothing, not even between its own parts (copy.deepcopy keeps YAML-alias sharing)."""
    if isinstance(value, dict):
        return {k: fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fresh(v) for v in value]
    return value


def merge(original: Any, patch: Any, field: str = "") -> Any:
    """A new value: ``patch`` merged over ``original`` (neither is modified)."""
    if isinstance(original, dict) and isinstance(patch, dict):
        out = fresh(original)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value, key)
            elif value == [] and key in MERGE_KEYS:
                continue  # merging nothing into an absent list adds nothing (Kubernetes drops the empty list)
            else:
                out[key] = _clean(value)
        return out
    if isinstance(original, list) and isinstance(patch, list) and field in MERGE_KEYS:
        return _merge_list(original, patch, MERGE_KEYS[field], field)
    return _clean(patch)


def _clean(value: Any) -> Any:
    """A patch value added where nothing was: nulls inside maps mean 'absent'."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value  # scalars are immutable; maps and lists above are always new


def _merge_list(original: list[Any], patch: list[Any], key: str, field: str) -> list[Any]:
    """Kubernetes' order: items named in the patch (in patch order) and the original's other items (in
    their order) interleaved, an original item going first only when it preceded the patch item in the
    original -- so new items land before the original items they do not follow."""
    merged = fresh(original)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            merged.append(_clean(item))
            continue
        index = next((i for i, o in enumerate(merged) if isinstance(o, dict) and o.get(key) == item[key]), None)
        if index is None:
            merged.append(_clean(item))
        else:
            merged[index] = merge(merged[index], item, field)
    patch_keys = [p.get(key) for p in patch if isinstance(p, dict) and key in p]
    original_keys = [o.get(key) for o in original if isinstance(o, dict)]

    def key_of(entry: Any) -> Any:
        return entry.get(key) if isinstance(entry, dict) else None

    in_patch = [m for m in merged if isinstance(m, dict) and key_of(m) in patch_keys]
    in_patch.sort(key=lambda m: patch_keys.index(key_of(m)))
    server_only = [m for m in merged if not (isinstance(m, dict) and key_of(m) in patch_keys)]
    out: list[Any] = []
    i = j = 0
    while i < len(server_only) or j < len(in_patch):
        if j >= len(in_patch):
            out.append(server_only[i])
            i += 1
        elif i >= len(server_only):
            out.append(in_patch[j])
            j += 1
        else:
            left, right = key_of(server_only[i]), key_of(in_patch[j])
            if left in original_keys and right in original_keys and original_keys.index(left) < original_keys.index(right):
                out.append(server_only[i])
                i += 1
            else:
                out.append(in_patch[j])
                j += 1
    return out


def merge_pod(pod: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` ({metadata, spec}) merged over ``pod``."""
    return merge(pod, patch)  # type: ignore[no-any-return]
