"""Exact uninjection: take out exactly what injection put in.

Istio dropped ``kube-uninject`` because it could only guess.  krmfn does not
guess; it checks.  Uninjection reads the ``sidecar.istio.io/status``
annotation (today's JSON, or the 0.2-era ``injected-version-...`` string) and

1. restores rewritten probes from the proxy's ``ISTIO_KUBE_APP_PROBERS`` and
   the user's prometheus annotations from ``ISTIO_PROMETHEUS_ANNOTATIONS``;
2. removes the containers, init containers, volumes and image pull secrets
   the status names (a user container that overrode an injected one comes
   back from ``proxy.istio.io/overrides``);
3. removes the labels and annotations injection adds;
4. applies ``krmfn.dev/uninject`` if present.

That last annotation is how the result is made exact rather than likely: at
injection time :func:`seal` runs steps 1-3 on the injected object and, when
that does not give back the original (a label the user had set that
injection also sets, a named probe port that injection resolved...), records
the difference as a short JSON list of ``[path, value]`` (set) and ``[path]``
(delete) operations in ``krmfn.dev/uninject``, list items addressed by name.
Most objects need none, and then their annotations are exactly Istio's.
The record is written only with ``exactUninject: true`` (``--exact-uninject``).
Without it, uninject warns where it restores what the original may have held
differently (:func:`doubtful`: a probe port restored as the number a named
port of the container has): the loss happens at uninject, and injection
spends nothing on it.
"""

from __future__ import annotations

from .. import workloads
from ..names import PROXY_CONTAINER as PROXY
from ..names import RESTORE_KEY, STATUS_KEY
from ..plain import mapping
from ..text.reconcile import same
from ..workloads import metadata_holders
from .merge import fresh
from .status import Status, parse_status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

STATUS = STATUS_KEY
RESTORE = RESTORE_KEY
OVERRIDES = "proxy.istio.io/overrides"

#: Annotations injection may add (besides any ``injectedAnnotations`` of the config).
INJECTED_ANNOTATIONS = (
    STATUS,
    RESTORE,
    OVERRIDES,
    "istio.io/rev",
    "kubectl.kubernetes.io/default-container",
    "kubectl.kubernetes.io/default-logs-container",
    "prometheus.io/scrape",
    "prometheus.io/path",
    "prometheus.io/port",
    "sidecar.istio.io/interceptionMode",
    "traffic.sidecar.istio.io/includeOutboundIPRanges",
    "traffic.sidecar.istio.io/excludeOutboundIPRanges",
    "traffic.sidecar.istio.io/includeInboundPorts",
    "traffic.sidecar.istio.io/excludeInboundPorts",
    "traffic.sidecar.istio.io/excludeOutboundPorts",
    "traffic.sidecar.istio.io/includeOutboundPorts",
    "traffic.sidecar.istio.io/excludeInterfaces",
    "traffic.sidecar.istio.io/kubevirtInterfaces",
    "k8s.v1.cni.cncf.io/networks",
)
#: Labels injection may add.
INJECTED_LABELS = (
    "security.istio.io/tlsMode",
    "service.istio.io/canonical-name",
    "service.istio.io/canonical-revision",
    "topology.istio.io/network",
)
def find_status(obj: dict[str, Any]) -> Status | None:
    for holder in metadata_holders(obj):
        status = parse_status(mapping(mapping(holder.get("metadata")).get("annotations")).get(STATUS))
        if status is not None:
            return status
    return None


# --- the record: [path, value] to set, [path] to delete -----------------------------
#
# A path step is a mapping key, or {"name": N} for the list item named N.  Lists
# whose items cannot be told apart by name are set whole.


def _named(items: Any) -> list[str] | None:
    if not isinstance(items, list):
        return None
    names = [x.get("name") if isinstance(x, dict) else None for x in items]
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return None
    return names  # type: ignore[return-value]


def record_diff(source: Any, target: Any, path: tuple[Any, ...] = ()) -> list[list[Any]]:
    """Operations that turn ``source`` into ``target`` (one walk: equal subtrees give nothing)."""
    if isinstance(source, dict) and isinstance(target, dict):
        return _diff_maps(source, target, path)
    if isinstance(source, list) and isinstance(target, list):
        names = _named(source)
        if names is not None and names == _named(target):
            ops: list[list[Any]] = []
            for name, a, b in zip(names, source, target, strict=True):
                ops.extend(record_diff(a, b, (*path, {"name": name})))
            return ops
    if same(source, target):
        return []
    return [[list(path), fresh(target)]]


def _diff_maps(source: dict[str, Any], target: dict[str, Any], path: tuple[Any, ...]) -> list[list[Any]]:
    ops: list[list[Any]] = [[[*path, k]] for k in source if k not in target]
    for k, v in target.items():
        if k not in source:
            ops.append([[*path, k], fresh(v)])
            continue
        old = source[k]
        if old is v or (type(old) is type(v) and type(v) in _LEAVES and old == v):
            continue  # what same() says of these, without the call
        ops.extend(record_diff(old, v, (*path, k)))
    return ops


# Scalar types whose equal values of the same type same() calls the same.
_LEAVES = (str, int, bool, float)


def _step(node: Any, step: Any) -> Any:
    if isinstance(step, dict):
        return next((x for x in node if isinstance(x, dict) and x.get("name") == step.get("name")), None)
    return node.get(step) if isinstance(node, dict) else None


def record_apply(obj: dict[str, Any], ops: Any) -> dict[str, Any]:
    """A copy of ``obj`` with the recorded operations applied (malformed ones are ignored)."""
    return _apply(fresh(obj), ops, _step)


def _own_step(node: Any, step: Any) -> Any:
    """``_step``, for a ``node`` the caller owns: the child found becomes the caller's too (a shallow copy,
    put in its place), so that what is applied below it changes nothing shared."""
    if isinstance(node, dict) and not isinstance(step, dict):
        child = node.get(step)
        if isinstance(child, (dict, list)):
            node[step] = child = type(child)(child)
        return child
    if isinstance(node, list) and isinstance(step, dict):
        for i, x in enumerate(node):
            if isinstance(x, dict) and x.get("name") == step.get("name"):
                node[i] = x = dict(x)
                return x
        return None
    return _step(node, step)


def _apply(out: dict[str, Any], ops: Any, step_to: Any) -> dict[str, Any]:
    if not isinstance(ops, list):
        return out
    for op in ops:
        if isinstance(op, list) and len(op) in (1, 2) and isinstance(op[0], list) and op[0]:
            _apply_op(out, op, step_to)
    return out


def _apply_op(out: dict[str, Any], op: list[Any], step_to: Any) -> None:
    """One ``[path, value]`` (set) or ``[path]`` (delete) operation, in place."""
    *parents, last = op[0]
    node: Any = out
    for step in parents:
        node = step_to(node, step)
    if len(op) == 2 and isinstance(node, dict) and not isinstance(last, dict):
        node[last] = fresh(op[1])
    elif len(op) == 2 and isinstance(node, list) and isinstance(last, dict):
        for i, x in enumerate(node):
            if isinstance(x, dict) and x.get("name") == last.get("name"):
                node[i] = fresh(op[1])
    elif len(op) == 1 and isinstance(node, dict) and not isinstance(last, dict):
        node.pop(last, None)


# --- the steps ------------------------------------------------------------------


def _env(container: dict[str, Any], name: str) -> str | None:
    for entry in container.get("env") or []:
        value = entry.get("value") if isinstance(entry, dict) and entry.get("name") == name else None
        if isinstance(value, str):
            return value
    return None


def _json(text: str | None) -> Any:
    import json  # here, not at start-up (the json package compiles six patterns on import)

    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


_PROBES = {"livez": "livenessProbe", "readyz": "readinessProbe", "startupz": "startupProbe"}
_HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")


def _proxy(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The istio-proxy container (or native sidecar) of a pod spec."""
    return next((c for key in ("containers", "initContainers") for c in spec.get(key) or []
                 if isinstance(c, dict) and c.get("name") == PROXY), None)


def _proxy_json(proxy: dict[str, Any] | None, name: str) -> Any:
    """The JSON value of the proxy's environment variable ``name`` (None: absent or not JSON)."""
    return _json(_env(proxy, name)) if proxy else None


def _rewritten_probes(spec: dict[str, Any], probers: Any) -> Iterator[tuple[str, dict[str, Any], str, dict[str, Any]]]:
    """(container name, container, probe field, original probe) for each entry of ``ISTIO_KUBE_APP_PROBERS``
    whose container has that probe."""
    if not isinstance(probers, dict):
        return
    by_name = {c.get("name"): c for c in spec.get("containers") or [] if isinstance(c, dict)}
    for path, original in probers.items():
        parts = str(path).strip("/").split("/")
        if len(parts) != 3 or parts[0] != "app-health" or parts[2] not in _PROBES or not isinstance(original, dict):
            continue
        container = by_name.get(parts[1])
        field = _PROBES[parts[2]]
        if isinstance(container, dict) and isinstance(container.get(field), dict):
            yield parts[1], container, field, original


def _restore_probes(spec: dict[str, Any], probers: Any) -> None:
    for _, container, field, original in _rewritten_probes(spec, probers):
        probe = container[field]
        for handler in _HANDLERS:
            probe.pop(handler, None)
        for key, value in original.items():
            if key in _HANDLERS:
                probe[key] = fresh(value)
            elif key == "timeoutSeconds" and "timeoutSeconds" not in probe:
                probe[key] = value


def _restore_prometheus(annotations: dict[str, Any], scrape: Any) -> None:
    if not isinstance(scrape, dict):
        return
    for key in ("scrape", "path", "port"):
        value = scrape.get(key)
        if isinstance(value, str) and value:
            annotations[f"prometheus.io/{key}"] = value


def _remove_named(spec: dict[str, Any], key: str, names: tuple[str, ...], overrides: list[dict[str, Any]]) -> None:
    """Take the named entries out of ``spec[key]``; the user's own entries that injection merged
    (``proxy.istio.io/overrides``) go back to the end of the list they came from."""
    items = spec.get(key)
    kept = [x for x in items if not (isinstance(x, dict) and x.get("name") in names)] if isinstance(items, list) else []
    kept += [fresh(c) for c in overrides if c.get("name") not in {x.get("name") for x in kept
                                                                        if isinstance(x, dict)}]
    if kept:
        spec[key] = kept
    elif key in spec and (names or overrides):
        del spec[key]


def strip(obj: dict[str, Any], status: Status, extra_annotations: tuple[str, ...] = ()) -> dict[str, Any]:
    """Steps 1-3 on a copy of ``obj`` (no ``krmfn.dev/uninject``)."""
    return _strip(fresh(obj), status, extra_annotations)


def _own_parts(obj: dict[str, Any], probes: bool) -> dict[str, Any]:
    """A copy of ``obj`` that owns the nodes :func:`_strip` changes (and, for the record, the pod template's
    metadata and annotations): the path to the pod template, each holder's metadata, annotations and
    labels, the pod spec and (``probes``) its containers and their probes; the rest is shared with ``obj``."""
    out = dict(obj)
    path = workloads.template_path(obj.get("apiVersion"), obj.get("kind")) or ()
    node = out
    for key in path:
        child = node.get(key)
        if not isinstance(child, dict):
            break
        node[key] = node = dict(child)
    holders = metadata_holders(out)
    for holder in holders:
        meta = holder.get("metadata")
        if isinstance(meta, dict):
            holder["metadata"] = meta = dict(meta)
            for key in ("annotations", "labels"):
                if isinstance(meta.get(key), dict):
                    meta[key] = dict(meta[key])
    if probes and holders:
        spec = holders[0].get("spec")
        if isinstance(spec, dict):
            holders[0]["spec"] = spec = dict(spec)
            containers = spec.get("containers")
            if isinstance(containers, list):
                spec["containers"] = [_own_probes(c) for c in containers]
    return out


def _own_probes(container: Any) -> Any:
    if not isinstance(container, dict):
        return container
    out = dict(container)
    for field in _PROBES.values():
        if isinstance(out.get(field), dict):
            out[field] = dict(out[field])
    return out


def _strip(out: dict[str, Any], status: Status, extra_annotations: tuple[str, ...]) -> dict[str, Any]:
    """Steps 1-3 on ``out``, in place: ``out`` owns what they change (a copy, or :func:`_own_parts`)."""
    holders = metadata_holders(out)
    if not holders:
        return out
    template = holders[0]
    spec = mapping(template.get("spec"))
    proxy = _proxy(spec)
    scrape = _proxy_json(proxy, "ISTIO_PROMETHEUS_ANNOTATIONS")
    if not status.legacy:
        _restore_probes(spec, _proxy_json(proxy, "ISTIO_KUBE_APP_PROBERS"))
    overrides = _recorded_overrides(holders)
    for key, names in status.names.items():
        _remove_named(spec, key, names, overrides.get(key, []))
    for holder in holders:
        _strip_metadata(holder, status.legacy, INJECTED_ANNOTATIONS + extra_annotations,
                        scrape if holder is template and not status.legacy else None)
    return out


def _recorded_overrides(holders: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The user's containers that injection merged, as ``proxy.istio.io/overrides`` recorded them."""
    overrides: dict[str, list[dict[str, Any]]] = {}
    for holder in holders:
        recorded = _json(mapping(mapping(holder.get("metadata")).get("annotations")).get(OVERRIDES))
        for key, entries in recorded.items() if isinstance(recorded, dict) else ():
            if key in ("containers", "initContainers") and isinstance(entries, list):
                overrides[key] = [c for c in entries if isinstance(c, dict) and isinstance(c.get("name"), str)]
    return overrides


def _strip_metadata(holder: dict[str, Any], legacy: bool, annotation_keys: tuple[str, ...], scrape: Any) -> None:
    """The labels and annotations injection adds, taken out of ``holder``'s metadata (in place); the
    user's prometheus annotations (``scrape``, for the pod template) restored."""
    meta = holder.get("metadata")
    if not isinstance(meta, dict):
        return
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        for key in annotation_keys:
            annotations.pop(key, None)
        _restore_prometheus(annotations, scrape)
        if not annotations:
            del meta["annotations"]
    labels = meta.get("labels")
    if isinstance(labels, dict) and not legacy:
        for key in INJECTED_LABELS:
            labels.pop(key, None)
        if not labels:
            del meta["labels"]
    if not meta:
        del holder["metadata"]


def uninject(obj: dict[str, Any], extra_annotations: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The object as it was before injection, or None when it carries no status krmfn understands."""
    status = find_status(obj)
    if status is None:
        return None
    restore = None
    for holder in metadata_holders(obj):
        restore = _json(mapping(mapping(holder.get("metadata")).get("annotations")).get(RESTORE)) or restore
    out = strip(obj, status, extra_annotations)
    if restore is not None:
        out = record_apply(out, restore)
    return out


def reinjectable(obj: dict[str, Any]) -> dict[str, Any]:
    """What Istio's injector may re-inject: ``obj`` when its pod template carries today's JSON status
    (without krmfn's record, which the new injection replaces), else ``obj`` uninjected (a 0.2-era
    status, which Istio's strip does not read)."""
    holders = metadata_holders(obj)
    annotations = mapping(mapping(holders[0].get("metadata")).get("annotations")) if holders else {}
    status = parse_status(annotations.get(STATUS))
    if status is None or status.legacy:
        return uninject(obj) or obj
    if RESTORE not in annotations:
        return obj
    out = _own_parts(obj, False)
    annotations = metadata_holders(out)[0]["metadata"]["annotations"]
    del annotations[RESTORE]
    return out


def _path_text(path: list[Any]) -> str:
    return "".join(f"[{step.get('name')}]" if isinstance(step, dict) else f".{step}" for step in path).lstrip(".")


def doubtful(obj: dict[str, Any]) -> list[str]:
    """The fields (paths, sorted) that :func:`uninject` gives back from the status annotation alone but the
    original may have held differently: a probe port restored as a number that a named port of its
    container has (Istio's prober list keeps only the number).  [] when ``obj`` has a
    ``krmfn.dev/uninject`` record (which restores them) or no status krmfn understands."""
    status = find_status(obj)
    holders = metadata_holders(obj)
    if status is None or status.legacy or any(
        RESTORE in mapping(mapping(h.get("metadata")).get("annotations")) for h in holders
    ):
        return []
    spec = mapping(holders[0].get("spec"))
    probers = _proxy_json(_proxy(spec), "ISTIO_KUBE_APP_PROBERS")
    prefix = ".".join((*(workloads.template_path(obj.get("apiVersion"), obj.get("kind")) or ()), "spec", "containers"))
    out = set()
    for name, container, field, original in _rewritten_probes(spec, probers):
        named = {p.get("containerPort") for p in container.get("ports") or []
                 if isinstance(p, dict) and isinstance(p.get("name"), str) and p.get("name")}
        for handler in _HANDLERS:
            port = mapping(original.get(handler)).get("port")
            if type(port) is int and port in named:
                out.add(f"{prefix}[{name}].{field}.{handler}.port")
    return sorted(out)


def seal(original: dict[str, Any], injected: dict[str, Any], extra_annotations: tuple[str, ...] = ()) -> dict[str, Any]:
    """``injected``, plus ``krmfn.dev/uninject`` when uninjecting it would not give ``original`` back
    (``injected`` is not modified; the result shares with it what it leaves unchanged).

    Raises ValueError when even the recorded patch cannot restore the original
    (an explicit ``null`` in the input, which a merge patch cannot express).
    """
    import json  # here, not at start-up (the json package compiles six patterns on import)

    status = find_status(injected)
    if status is None:
        raise ValueError("injected object has no status annotation")
    # guess shares the parts strip leaves alone with injected, and is only read after
    guess = _strip(_own_parts(injected, True), status, extra_annotations)
    ops = record_diff(guess, original)
    if not ops:
        return injected
    patch = sorted(ops, key=lambda op: json.dumps(op[0]))  # canonical order
    # uninject(sealed) is strip(sealed) == guess (the record is an annotation strip removes), then the record
    if not same(_apply(dict(guess), json.loads(json.dumps(patch)), _own_step), original):
        raise ValueError("the object cannot be restored exactly")
    sealed = _own_parts(injected, False)  # what it leaves unchanged is injected's (which it replaces)
    holder = metadata_holders(sealed)[0]
    meta = holder.setdefault("metadata", {})
    meta.setdefault("annotations", {})[RESTORE] = json.dumps(patch, separators=(",", ":"))
    return sealed
