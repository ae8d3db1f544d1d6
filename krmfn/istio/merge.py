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
    from collections.abc import Callable
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


#: The exact types of the scalars YAML gives: a value of one of them is its own copy (a test of the exact
#: type is cheaper than isinstance against (dict, list); anything else, subclasses included, takes the
#: general path).
SCALARS = frozenset((str, int, float, bool, type(None)))


def fresh(value: Any) -> Any:
    """A deep copy that shares nothing, not even between its own parts (copy.deepcopy keeps YAML-alias sharing)."""
    if isinstance(value, dict):
        return {k: v if type(v) in SCALARS else fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if type(v) in SCALARS else fresh(v) for v in value]
    return value


def merge(original: Any, patch: Any, field: str = "") -> Any:
    """A new value: ``patch`` merged over ``original`` (neither is modified)."""
    return merge_into(fresh(original), patch, field)


def merge_into(owned: Any, patch: Any, field: str = "") -> Any:
    """``patch`` merged over ``owned``, which the caller owns: it is updated in place (and returned) where
    it can be, so the merge copies nothing of it.  ``patch`` is not modified and the result shares nothing
    with it."""
    return _merge(owned, patch, field, _clean)


def _merge(owned: Any, patch: Any, field: str, clean: Callable[[Any], Any]) -> Any:
    """:func:`merge_into`, ``clean`` making what the patch adds where nothing was (:func:`_clean`, or
    :func:`_taken` for a patch the caller hands over)."""
    if isinstance(owned, dict) and isinstance(patch, dict):
        for key, value in patch.items():
            if value is None:
                owned.pop(key, None)
            elif type(value) in SCALARS:  # (what _merge and clean make of a scalar patch value)
                owned[key] = value
            elif key in owned:
                owned[key] = _merge(owned[key], value, key, clean)
            elif value == [] and key in MERGE_KEYS:
                continue  # merging nothing into an absent list adds nothing (Kubernetes drops the empty list)
            else:
                owned[key] = clean(value)
        return owned
    if isinstance(owned, list) and isinstance(patch, list) and field in MERGE_KEYS:
        return _merge_list(owned, patch, MERGE_KEYS[field], field, clean)
    return clean(patch)


def _taken(value: Any) -> Any:
    """A value of a handed-over patch, as it is (it holds no None: nothing to clean)."""
    return value


def _clean(value: Any) -> Any:
    """A patch value added where nothing was: nulls inside maps mean 'absent'."""
    if isinstance(value, dict):
        return {k: _clean(v) if isinstance(v, (dict, list)) else v for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) if isinstance(v, (dict, list)) else v for v in value]
    return value  # scalars are immutable; maps and lists above are always new


def _merge_list(owned: list[Any], patch: list[Any], key: str, field: str, clean: Callable[[Any], Any]) -> list[Any]:
    """Kubernetes' order: items named in the patch (in patch order) and the original's other items (in
    their order) interleaved, an original item going first only when it preceded the patch item in the
    original -- so new items land before the original items they do not follow.  ``owned`` is the
    caller's: its items are merged in place."""
    original_keys = [o.get(key) for o in owned if isinstance(o, dict)]
    patch_keys = [p.get(key) for p in patch if isinstance(p, dict) and key in p]
    if _only_new(patch, patch_keys, original_keys):
        # Only new entries, each named once (an injection's containers and volumes): what the general
        # case below gives, in one step -- the patch's entries (in order) before all the original's.
        return [clean(p) for p in patch] + owned
    merged = _merge_items(owned, patch, key, field, clean)

    def key_of(entry: Any) -> Any:
        return entry.get(key) if isinstance(entry, dict) else None

    in_patch = [m for m in merged if isinstance(m, dict) and key_of(m) in patch_keys]
    in_patch.sort(key=lambda m: patch_keys.index(key_of(m)))
    server_only = [m for m in merged if not (isinstance(m, dict) and key_of(m) in patch_keys)]
    return _interleave(server_only, in_patch, original_keys, key_of)


def _only_new(patch: list[Any], patch_keys: list[Any], original_keys: list[Any]) -> bool:
    """Every patch item is keyed, once, and none is in the original."""
    if len(patch_keys) != len(patch):
        return False
    try:  # the usual keys (names, ports, paths) hash: sets say it at once, with the same equality as ``in``
        keys = set(patch_keys)
        return len(keys) == len(patch_keys) and keys.isdisjoint(original_keys)
    except TypeError:  # an unhashable key
        return not any(k in original_keys for k in patch_keys) and all(
            k not in patch_keys[:i] for i, k in enumerate(patch_keys))


def _merge_items(merged: list[Any], patch: list[Any], key: str, field: str, clean: Callable[[Any], Any]) -> list[Any]:
    """Each patch item merged into the item of ``merged`` with its key, or appended (in place)."""
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            merged.append(clean(item))
            continue
        index = next((i for i, o in enumerate(merged) if isinstance(o, dict) and o.get(key) == item[key]), None)
        if index is None:
            merged.append(clean(item))
        else:
            merged[index] = _merge(merged[index], item, field, clean)
    return merged


def _interleave(server_only: list[Any], in_patch: list[Any], original_keys: list[Any], key_of: Any) -> list[Any]:
    """The two runs merged: a server-only item first only when it preceded the patch item in the original."""
    out: list[Any] = []
    i = j = 0
    while i < len(server_only) and j < len(in_patch):
        left, right = key_of(server_only[i]), key_of(in_patch[j])
        if left in original_keys and right in original_keys and original_keys.index(left) < original_keys.index(right):
            out.append(server_only[i])
            i += 1
        else:
            out.append(in_patch[j])
            j += 1
    return out + server_only[i:] + in_patch[j:]


def merge_pod(pod: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` ({metadata, spec}) merged over ``pod`` (a new pod; neither is modified)."""
    return merge(pod, patch)  # type: ignore[no-any-return]


def merge_pod_into(pod: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` ({metadata, spec}) merged over ``pod``, which the caller owns and which is updated in place."""
    return merge_into(pod, patch)  # type: ignore[no-any-return]


def merge_pod_taking(pod: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """:func:`merge_pod_into` for a patch the caller hands over: one that holds no None and shares no object
    with anything, not even within itself (what a render made for this merge alone).  Its parts become the
    pod's as they are: the same result, without copying them."""
    return _merge(pod, patch, "", _taken)  # type: ignore[no-any-return]
