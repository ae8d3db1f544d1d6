"""Earlier injections and the user's own istio-proxy/istio-init: strip, record, re-apply."""

from __future__ import annotations

from krmfn.istio import annotations as A
from krmfn.istio import quantity
from krmfn.istio.containers import (
    INIT,
    PROXY,
    VALIDATION,
    annotations_of,
    find_container,
    find_sidecar,
    move_container,
)
from krmfn.istio.jsoncompact import compact
from krmfn.istio.merge import fresh, merge_pod_into
from krmfn.istio.pod import str_map
from krmfn.istio.prometheus import clear_prometheus, prometheus_port
from krmfn.istio.status import NO_STATUS, parse_status, str_map_safe
from krmfn.plain import dig

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def strip(pod: dict[str, Any], mesh: dict[str, Any]) -> dict[str, Any]:
    """The pod without what an earlier injection added (by its status annotation): a copy, or ``pod``
    itself when there is nothing to strip (``pod`` is never modified)."""
    annotations = str_map_safe(pod["metadata"].get("annotations"))
    status = parse_status(annotations.get(A.STATUS), lenient=True)
    if status is None:
        return pod
    out: dict[str, Any] = fresh(pod)
    annotations = str_map_safe(out["metadata"].get("annotations"))
    spec = out["spec"]
    for name in status.names["containers"]:
        if "containers" in spec:
            spec["containers"] = move_container(spec["containers"] or [], name, "remove")
    for name in status.names["initContainers"]:
        if "initContainers" in spec:
            spec["initContainers"] = move_container(spec["initContainers"] or [], name, "remove")
    if prometheus_port(annotations) == str(dig(mesh, "defaultConfig", "statusPort")):
        clear_prometheus(annotations)
    annotations.pop(A.STATUS, None)
    return out


def parse_overrides(annotations: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    text = annotations.get(A.PROXY_OVERRIDES)
    if text is None:
        return {"containers": [], "initContainers": []}
    import json  # here, not at start-up (the json package compiles six patterns on import)

    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise A.AnnotationError(A.PROXY_OVERRIDES, f"invalid value for annotation '{A.PROXY_OVERRIDES}': {e}") from None
    if not isinstance(data, dict):
        raise A.AnnotationError(A.PROXY_OVERRIDES, f"invalid value for annotation '{A.PROXY_OVERRIDES}': not an object")
    return {k: [c for c in data.get(k) or [] if isinstance(c, dict)] for k in ("containers", "initContainers")}


def reinsert_overrides(pod: dict[str, Any]) -> dict[str, Any]:
    """The pod with the user's recorded containers it lacks put back: a copy, or ``pod`` itself when it
    lacks none (``pod`` is never modified)."""
    overrides = parse_overrides(str_map(pod["metadata"].get("annotations")))
    if all(find_container(pod["spec"].get(key), c.get("name", "")) is not None
           for key in ("containers", "initContainers") for c in overrides[key]):
        return pod
    pod = fresh(pod)
    for key in ("containers", "initContainers"):
        for c in overrides[key]:
            if find_container(pod["spec"].get(key), c.get("name", "")) is None:
                pod["spec"].setdefault(key, []).append(fresh(c))
    return pod


def go_container(c: dict[str, Any]) -> dict[str, Any]:
    """A container as Go's JSON encoding writes it (resources always present)."""
    out = dict(c)
    res = out.get("resources")
    if isinstance(res, dict):
        out["resources"] = {
            k: ({n: quantity.canonical(q) for n, q in v.items()} if isinstance(v, dict) else v) for k, v in res.items()
        }
    else:
        out["resources"] = {}
    return out


def reapply_overrides(final: dict[str, Any], original: dict[str, Any], template_pod: dict[str, Any],
                      proxy_config: dict[str, Any]) -> dict[str, Any]:
    """The user's own containers named like injected ones win field by field over the template's
    (``final`` is the caller's: it is updated in place).

    As in Istio, the overrides are recorded in proxy.istio.io/overrides on first injection.  Unlike Istio,
    a re-injection re-applies the recorded overrides (Istio drops them), so injecting twice changes nothing.
    """
    orig_ann = str_map(original["metadata"].get("annotations"))
    existing = parse_overrides(orig_ann)
    already = A.STATUS in orig_ann
    status = (parse_status(orig_ann[A.STATUS], lenient=True) if already else None) or NO_STATUS
    overrides: dict[str, list[dict[str, Any]]] = {"containers": [], "initContainers": []}
    ospec = original["spec"]
    for key in ("containers", "initContainers"):
        for c in template_pod["spec"].get(key) or []:
            name = c.get("name", "")
            match = _user_container(key, name, existing, status.names[key], ospec)
            if match is None:
                continue
            overlay = _overlay(match)
            overrides[key].append(overlay)
            before = find_container(ospec.get("containers"), name) or find_container(ospec.get("initContainers"), name) or {}
            patch: dict[str, Any] = {"spec": {key: [_respell_quantities(overlay, before)]}}
            final = merge_pod_into(final, patch)
    if not already and (overrides["containers"] or overrides["initContainers"]):
        shown = {k: [go_container(c) for c in v] for k, v in overrides.items() if v}
        annotations_of(final)[A.PROXY_OVERRIDES] = compact(shown)
    adjust_init_user(final, _user_proxy(existing, original), proxy_config)
    return final


def _overlay(match: dict[str, Any]) -> dict[str, Any]:
    """A copy of the user's container, without an ``image: auto`` (the webhook's placeholder)."""
    overlay = fresh(match)
    if overlay.get("image") == "auto":
        del overlay["image"]
    return overlay  # type: ignore[no-any-return]


def _user_proxy(existing: dict[str, list[dict[str, Any]]], original: dict[str, Any]) -> dict[str, Any] | None:
    """The user's istio-proxy: the recorded override, else the pod's own."""
    return find_container(existing["containers"], PROXY) or find_container(existing["initContainers"], PROXY) or find_sidecar(original)


def _user_container(key: str, name: str, existing: dict[str, list[dict[str, Any]]], injected: tuple[str, ...],
                    ospec: dict[str, Any]) -> dict[str, Any] | None:
    """The user's container that overrides the template's ``name`` in ``key``: the recorded override, else
    the pod's own container of that name (unless an earlier injection added it)."""
    match = find_container(existing[key], name)
    if match is not None or name in injected:
        return match
    match = find_container(ospec.get("containers"), name)
    if match is None and key == "initContainers":
        match = find_container(ospec.get("initContainers"), name)
    return match


def _respell_quantities(overlay: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Overlay resources equal (as quantities) to the pod's own keep the pod's spelling ("3000m", not "3")."""
    res = overlay.get("resources")
    if res == {}:  # Go's encoding writes an empty resources; merging it only adds the key
        return {k: v for k, v in overlay.items() if k != "resources"}
    current = before.get("resources")
    if not isinstance(res, dict) or not isinstance(current, dict):
        return overlay
    out = dict(overlay)
    out["resources"] = {}
    for section, entries in res.items():
        have: dict[str, Any] = current[section] if isinstance(current.get(section), dict) else {}
        if isinstance(entries, dict):
            entries = {n: (have[n] if _same_quantity(q, have.get(n)) else q) for n, q in entries.items()}
        out["resources"][section] = entries
    return out


def _same_quantity(a: Any, b: Any) -> bool:
    if b is None:
        return False
    try:
        return quantity.parse(a)[0] == quantity.parse(b)[0]
    except ValueError:
        return bool(a == b)


def adjust_init_user(final: dict[str, Any], user: dict[str, Any] | None, proxy_config: dict[str, Any]) -> None:
    """The user's istio-proxy runAsUser/runAsGroup reach istio-iptables -u and istio-validation (not under TPROXY)."""
    sc = (user or {}).get("securityContext") or {}
    if user is None or (sc.get("runAsUser") is None and sc.get("runAsGroup") is None):
        return
    inits = final["spec"].get("initContainers") or []
    init = find_container(inits, INIT) or find_container(inits, VALIDATION)
    if init is None:
        return
    tproxy = proxy_config.get("interceptionMode") == "TPROXY" or (
        str_map(final["metadata"].get("annotations")).get(A.INTERCEPTION_MODE) == "TPROXY"
    )
    _carry_user(final, init, sc, tproxy)
    if sc.get("runAsUser"):
        _set_iptables_user(init.get("args") or [], str(sc["runAsUser"]))


def _carry_user(final: dict[str, Any], init: dict[str, Any], sc: dict[str, Any], tproxy: bool) -> None:
    """Under TPROXY the proxy runs as root; otherwise istio-validation runs as the user's proxy user/group."""
    if tproxy and sc.get("runAsUser") is not None:
        sidecar = find_sidecar(final)
        if sidecar is not None:
            sidecar.setdefault("securityContext", {})["runAsUser"] = 0
    if not tproxy and init.get("name") == VALIDATION:
        isc = init.setdefault("securityContext", {})
        for key in ("runAsUser", "runAsGroup"):
            if sc.get(key) is not None:
                isc[key] = sc[key]


def _set_iptables_user(args: list[Any], uid: str) -> None:
    """istio-iptables' ``-u`` argument set to ``uid`` (in place)."""
    for i, arg in enumerate(args[:-1]):
        if arg == "-u":
            args[i + 1] = uid
            return
