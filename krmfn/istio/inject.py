"""The injection pipeline: one object in, the injected object out (pure; no I/O).

Steps, as Istio's injector runs them: validate the pod's annotations; lay
the user's values and mesh config (and the pod's proxy.istio.io/config) over
the defaults; strip what an earlier injection added; render every selected
template and strategic-merge it over the pod; re-apply the user's own
istio-proxy/istio-init fields; then post-process (cluster env, Prometheus
metrics merge, app probe rewrite, status annotation, container order).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Callable

import yaml

from krmfn.istio import annotations as A
from krmfn.istio import probes, quantity
from krmfn.istio.context import Context, dig, truthy
from krmfn.istio.defaults import DEFAULT_PROXY_UID, effective_mesh, effective_values, merge_proxy_config
from krmfn.istio.merge import merge_pod
from krmfn.istio.pod import NotInjectable, deploy_meta, locate, str_map
from krmfn.istio.settings import IstioSettings

PROXY = "istio-proxy"
INIT = "istio-init"
VALIDATION = "istio-validation"
CORE_DUMP = "enable-core-dump"
KNOWN_IMAGE_TYPES = ("distroless", "debug")


class TemplateError(ValueError):
    """A template is missing, fails to render, or renders something that is not a partial pod."""


@dataclass(frozen=True)
class Injected:
    """The injected object and what was added, for the result message."""

    obj: dict[str, Any]
    containers: int
    init_containers: int
    volumes: int
    status: dict[str, Any]


def status_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The parsed sidecar.istio.io/status of an injected workload (None when absent or unreadable)."""
    try:
        loc = locate(obj)
    except NotInjectable:
        return None
    text = str_map(str_map_safe(loc.holder.get("metadata")).get("annotations")).get(A.STATUS)
    return parse_status(text)


def str_map_safe(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_status(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    out: dict[str, Any] = {}
    for key in ("initContainers", "containers", "volumes", "imagePullSecrets"):
        names = data.get(key)
        out[key] = [str(n) for n in names] if isinstance(names, list) else []
    out["revision"] = str(data.get("revision") or "")
    return out


def status_json(spec: dict[str, Any], revision: str) -> str:
    """sidecar.istio.io/status for a merged template pod: names in template order, empty lists as null."""
    def names(key: str) -> list[str] | None:
        found = [str(i.get("name")) for i in spec.get(key) or [] if isinstance(i, dict)]
        return found or None

    status = {
        "initContainers": names("initContainers"),
        "containers": names("containers"),
        "volumes": names("volumes"),
        "imagePullSecrets": names("imagePullSecrets"),
        "revision": revision or "default",
    }
    return json.dumps(status, separators=(",", ":"))


# --- small helpers on pod dicts -------------------------------------------------------------------------


def _find(containers: list[dict[str, Any]] | None, name: str) -> dict[str, Any] | None:
    return next((c for c in containers or [] if c.get("name") == name), None)


def find_sidecar(pod: dict[str, Any]) -> dict[str, Any] | None:
    spec = pod["spec"]
    return _find(spec.get("containers"), PROXY) or _find(spec.get("initContainers"), PROXY)


def _move(containers: list[dict[str, Any]], name: str, where: str) -> list[dict[str, Any]]:
    match = next((c for c in containers if c.get("name") == name), None)
    rest = [c for c in containers if c.get("name") != name]
    if match is None or where == "remove":
        return rest
    return [match] + rest if where == "first" else rest + [match]


def _annotations(pod: dict[str, Any]) -> dict[str, Any]:
    meta = pod.setdefault("metadata", {})
    if not isinstance(meta.get("annotations"), dict):
        meta["annotations"] = {}
    return meta["annotations"]  # type: ignore[no-any-return]


def _labels(pod: dict[str, Any]) -> dict[str, Any]:
    meta = pod.setdefault("metadata", {})
    if not isinstance(meta.get("labels"), dict):
        meta["labels"] = {}
    return meta["labels"]  # type: ignore[no-any-return]


# --- settings -------------------------------------------------------------------------------------------


def native_default(settings: IstioSettings, values: dict[str, Any]) -> bool:
    if settings.native_sidecars is not None:
        return settings.native_sidecars
    flag = dig(values, "pilot", "env", "ENABLE_NATIVE_SIDECARS")
    return flag is True or str(flag).lower() == "true"


def _image_tag(tag: str, image_type: str) -> str:
    if not image_type:
        return tag
    for known in KNOWN_IMAGE_TYPES:
        if tag.endswith("-" + known):
            tag = tag[: -len(known) - 1]
            break
    return tag if image_type == "default" else f"{tag}-{image_type}"


def image_url(values: dict[str, Any], name: str, proxy_config: dict[str, Any], annotations: dict[str, str]) -> str:
    image_type = str(dig(proxy_config, "image", "imageType", default="") or "")
    image_type = annotations.get(A.PROXY_IMAGE_TYPE, image_type)
    tag = dig(values, "global", "tag", default="")
    return f"{dig(values, 'global', 'hub')}/{name}:{_image_tag('' if tag is None else str(tag), image_type)}"


# --- strip / overrides ----------------------------------------------------------------------------------

_PROM = ("prometheus_io_scrape", "prometheus_io_port", "prometheus_io_path")
_PROM_CLEARED = _PROM + ("prometheus_istio_io_scrape_targets",)


def sanitize(name: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in name)


def _prom_port(annotations: dict[str, Any]) -> str | None:
    for key, value in annotations.items():
        if sanitize(key) == "prometheus_io_port":
            return str(value)
    return None


def _clear_prom(annotations: dict[str, Any]) -> None:
    for key in [k for k in annotations if sanitize(k) in _PROM]:
        del annotations[key]


def strip(pod: dict[str, Any], mesh: dict[str, Any]) -> dict[str, Any]:
    """The pod without what an earlier injection added (by its status annotation)."""
    out = copy.deepcopy(pod)
    annotations = str_map_safe(out["metadata"].get("annotations"))
    status = parse_status(annotations.get(A.STATUS)) if A.STATUS in annotations else None
    if status is None:
        return out
    spec = out["spec"]
    for name in status["containers"]:
        if "containers" in spec:
            spec["containers"] = _move(spec["containers"] or [], name, "remove")
    for name in status["initContainers"]:
        if "initContainers" in spec:
            spec["initContainers"] = _move(spec["initContainers"] or [], name, "remove")
    if _prom_port(annotations) == str(dig(mesh, "defaultConfig", "statusPort")):
        _clear_prom(annotations)
    annotations.pop(A.STATUS, None)
    return out


def parse_overrides(annotations: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    text = annotations.get(A.PROXY_OVERRIDES)
    if text is None:
        return {"containers": [], "initContainers": []}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise A.AnnotationError(A.PROXY_OVERRIDES, f"invalid value for annotation '{A.PROXY_OVERRIDES}': {e}") from None
    if not isinstance(data, dict):
        raise A.AnnotationError(A.PROXY_OVERRIDES, f"invalid value for annotation '{A.PROXY_OVERRIDES}': not an object")
    return {k: [c for c in data.get(k) or [] if isinstance(c, dict)] for k in ("containers", "initContainers")}


def reinsert_overrides(pod: dict[str, Any]) -> dict[str, Any]:
    overrides = parse_overrides(str_map(pod["metadata"].get("annotations")))
    for key in ("containers", "initContainers"):
        for c in overrides[key]:
            if _find(pod["spec"].get(key), c.get("name", "")) is None:
                pod["spec"].setdefault(key, []).append(copy.deepcopy(c))
    return pod


# --- templates ------------------------------------------------------------------------------------------


def builtin_templates() -> dict[str, Callable[[Context], dict[str, Any]]]:
    from krmfn.istio import gateway, grpc, sidecar

    return {"sidecar": sidecar.render, "gateway": gateway.render, "grpc-agent": grpc.render_agent,
            "grpc-simple": grpc.render_simple}


def selected_templates(annotations: dict[str, str], settings: IstioSettings) -> list[str]:
    if A.INJECT_TEMPLATES in annotations:
        names = [n.strip() for n in annotations[A.INJECT_TEMPLATES].split(",")]
    else:
        names = list(settings.default_templates)
    out: list[str] = []
    for name in names:
        out += list(settings.aliases.get(name, (name,)))
    return out


def template_data(ctx: Context, settings: IstioSettings) -> dict[str, Any]:
    """Istio's SidecarTemplateData with Go field names, for user-defined templates."""
    meta = copy.deepcopy(ctx.pod_metadata)
    meta["labels"] = dict(ctx.labels)
    meta["annotations"] = dict(ctx.annotations)
    spec = copy.deepcopy(ctx.spec)
    spec.setdefault("containers", [])
    return {
        "TypeMeta": {"Kind": ctx.kind, "APIVersion": ctx.api_version},
        "DeploymentMeta": {"Name": ctx.deploy_name, "Namespace": ctx.deploy_namespace},
        "ObjectMeta": meta,
        "Spec": spec,
        "ProxyConfig": copy.deepcopy(ctx.proxy_config),
        "MeshConfig": copy.deepcopy(ctx.mesh),
        "Values": copy.deepcopy(ctx.values),
        "Revision": ctx.revision,
        "ProxyImage": ctx.proxy_image,
        "ProxyInitImage": ctx.proxy_init_image,
        "ProxyUID": ctx.proxy_uid,
        "ProxyGID": ctx.proxy_gid,
        "NativeSidecars": ctx.native_sidecars,
        "InboundTrafficPolicyMode": ctx.inbound_policy_mode,
        "CompliancePolicy": ctx.compliance_policy,
    }


def render_user_template(name: str, text: str, ctx: Context, settings: IstioSettings) -> dict[str, Any]:
    try:
        from krmfn import gotemplate  # type: ignore[attr-defined]
    except ImportError:
        raise TemplateError(f"template {name!r} is a Go template, and krmfn.gotemplate is not available") from None
    try:
        rendered = gotemplate.render(text, template_data(ctx, settings))
    except Exception as e:  # the engine's own errors carry the position; keep its message
        raise TemplateError(f"template {name!r} failed to render: {e}") from None
    try:
        data = yaml.safe_load(rendered)
    except yaml.YAMLError as e:
        raise TemplateError(f"template {name!r} did not render YAML: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TemplateError(f"template {name!r} rendered {type(data).__name__}, not a partial pod")
    return data


def render_template(name: str, ctx: Context, settings: IstioSettings) -> dict[str, Any]:
    if name in settings.templates:
        return render_user_template(name, settings.templates[name], ctx, settings)
    builtins = builtin_templates()
    if name not in builtins:
        have = ", ".join(sorted(set(builtins) | set(settings.templates)))
        raise TemplateError(f"requested template {name!r} not found; have {have}")
    return builtins[name](ctx)


# --- post-processing ------------------------------------------------------------------------------------


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
    """The user's own containers named like injected ones win field by field over the template's.

    As in Istio, the overrides are recorded in proxy.istio.io/overrides on first injection.  Unlike Istio,
    a re-injection re-applies the recorded overrides (Istio drops them), so injecting twice changes nothing.
    """
    orig_ann = str_map(original["metadata"].get("annotations"))
    existing = parse_overrides(orig_ann)
    already = A.STATUS in orig_ann
    status = (parse_status(orig_ann[A.STATUS]) if already else None) or {"containers": [], "initContainers": []}
    overrides: dict[str, list[dict[str, Any]]] = {"containers": [], "initContainers": []}
    ospec = original["spec"]
    for key in ("containers", "initContainers"):
        for c in template_pod["spec"].get(key) or []:
            name = c.get("name", "")
            match = _find(existing[key], name)
            if name in status[key] and match is None:
                continue
            if match is None:
                match = _find(ospec.get("containers"), name)
                if match is None and key == "initContainers":
                    match = _find(ospec.get("initContainers"), name)
            if match is None:
                continue
            overlay = copy.deepcopy(match)
            if overlay.get("image") == "auto":
                del overlay["image"]
            overrides[key].append(overlay)
            before = _find(ospec.get("containers"), name) or _find(ospec.get("initContainers"), name) or {}
            overlay = _respell_quantities(overlay, before)
            patch: dict[str, Any] = {"spec": {key: [overlay]}}
            final = merge_pod(final, patch)
    if not already and (overrides["containers"] or overrides["initContainers"]):
        shown = {k: [go_container(c) for c in v] for k, v in overrides.items() if v}
        _annotations(final)[A.PROXY_OVERRIDES] = json.dumps(shown, separators=(",", ":"))
    user = _find(existing["containers"], PROXY) or _find(existing["initContainers"], PROXY) or find_sidecar(original)
    adjust_init_user(final, user, proxy_config)
    return final


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
        have = current.get(section) if isinstance(current.get(section), dict) else {}
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
    init = _find(inits, INIT) or _find(inits, VALIDATION)
    if init is None:
        return
    tproxy = proxy_config.get("interceptionMode") == "TPROXY" or (
        str_map(final["metadata"].get("annotations")).get(A.INTERCEPTION_MODE) == "TPROXY"
    )
    if tproxy and sc.get("runAsUser") is not None:
        sidecar = find_sidecar(final)
        if sidecar is not None:
            sidecar.setdefault("securityContext", {})["runAsUser"] = 0
    if not tproxy and init.get("name") == VALIDATION:
        isc = init.setdefault("securityContext", {})
        if sc.get("runAsUser") is not None:
            isc["runAsUser"] = sc["runAsUser"]
        if sc.get("runAsGroup") is not None:
            isc["runAsGroup"] = sc["runAsGroup"]
    uid = sc.get("runAsUser")
    if not uid:
        return
    args = init.get("args") or []
    for i, arg in enumerate(args[:-1]):
        if arg == "-u":
            args[i + 1] = str(uid)
            return


def overwrite_cluster_env(pod: dict[str, Any], envs: dict[str, str]) -> None:
    sidecar = find_sidecar(pod)
    if sidecar is None or not envs:
        return
    kept = [e for e in sidecar.get("env") or [] if e.get("name") not in envs]
    sidecar["env"] = kept + [{"name": k, "value": envs[k]} for k in sorted(envs)]


def _scrape_config(annotations: dict[str, Any]) -> dict[str, Any]:
    cfg = {"scrape": "", "path": "", "port": ""}
    for key, value in annotations.items():
        s = sanitize(key)
        if s in _PROM:
            cfg[s.rsplit("_", 1)[1]] = str(value)
    targets_text = annotations.get(A.SCRAPE_TARGETS)
    if targets_text:
        targets = []
        for item in str(targets_text).split(","):
            port, _, path = item.strip().partition(":")
            if port:
                targets.append({"port": port, "path": path})
        if targets:
            cfg["port"] = cfg["port"] or targets[0]["port"]
            cfg["path"] = cfg["path"] or targets[0]["path"]
            cfg["targets"] = targets
    return cfg


def prometheus_merge(pod: dict[str, Any], mesh: dict[str, Any]) -> None:
    """Metrics merge: the pod's scrape settings move to the proxy env; prometheus.io/* point at the agent."""
    annotations = _annotations(pod)
    for key, value in annotations.items():
        if sanitize(key) == "prometheus_io_scrape" and A.parse_bool(str(value)) is False:
            return
    merge_flag = A.parse_bool(str(annotations.get(A.MERGE_METRICS, "")))
    enabled = merge_flag if merge_flag is not None else mesh.get("enablePrometheusMerge", True) is not False
    if not enabled:
        return
    target = str(dig(mesh, "defaultConfig", "statusPort"))
    if _prom_port(annotations) == target:
        return
    cfg = _scrape_config(annotations)
    sidecar = find_sidecar(pod)
    if sidecar is not None and any(cfg.values()):
        sidecar.setdefault("env", []).append({"name": "ISTIO_PROMETHEUS_ANNOTATIONS", "value": json.dumps(cfg, separators=(",", ":"))})
    wanted = {"prometheus.io/port": target, "prometheus.io/path": "/stats/prometheus", "prometheus.io/scrape": "true"}
    for key in [k for k in annotations if sanitize(k) in _PROM_CLEARED and k not in wanted]:
        del annotations[key]
    annotations.update(wanted)


def rewrite_app_probes(pod: dict[str, Any], values: dict[str, Any], mesh: dict[str, Any]) -> None:
    sidecar = find_sidecar(pod)
    if sidecar is None:
        return
    annotations = str_map(pod["metadata"].get("annotations"))
    flag = A.parse_bool(annotations.get(A.REWRITE_PROBERS, ""))
    rewrite = flag if flag is not None else bool(dig(values, "sidecarInjectorWebhook", "rewriteAppHTTPProbe"))
    if not rewrite:
        return
    prober = probes.dump_app_probers(pod)
    if prober:
        env = sidecar.get("env")
        if not isinstance(env, list):
            env = sidecar["env"] = []
        probes.merge_probers(env, prober, A.STATUS in annotations)
    port = annotations.get(A.STATUS_PORT)
    status_port = int(port) if port is not None and port.strip().isdigit() else int(dig(mesh, "defaultConfig", "statusPort"))
    probes.rewrite_probes(pod, status_port)


def reorder(pod: dict[str, Any], hold: bool) -> None:
    spec = pod["spec"]
    if "containers" in spec:
        spec["containers"] = _move(spec["containers"] or [], PROXY, "first" if hold else "last")
    inits = spec.get("initContainers")
    if inits is None:
        return
    if _find(inits, PROXY) is not None:
        before = []
        for name in str_map(pod["metadata"].get("annotations")).get(A.INIT_BEFORE_PROXY, "").split(","):
            if name and name not in before:
                before.append(name)
        inits = _move(inits, CORE_DUMP, "first")
        inits = _move(inits, PROXY, "first")
        for name in reversed(before):
            inits = _move(inits, name, "first")
        inits = _move(inits, VALIDATION, "first")
        inits = _move(inits, INIT, "first")
    else:
        inits = _move(inits, VALIDATION, "first")
        inits = _move(inits, INIT, "last")
        inits = _move(inits, CORE_DUMP, "last")
    spec["initContainers"] = inits


# --- the pipeline ---------------------------------------------------------------------------------------


def _context(pod: dict[str, Any], obj: dict[str, Any], settings: IstioSettings, values: dict[str, Any],
             mesh: dict[str, Any]) -> Context:
    annotations = str_map(pod["metadata"].get("annotations"))
    name, namespace, api_version, kind = deploy_meta(obj)
    proxy_config = mesh["defaultConfig"]
    proxy_name = str(dig(values, "global", "proxy", "image") or "proxyv2")
    init_name = str(dig(values, "global", "proxy_init", "image") or "proxyv2")
    return Context(
        annotations=annotations,
        labels=str_map(pod["metadata"].get("labels")),
        spec=pod["spec"],
        values=values,
        mesh=mesh,
        proxy_config=proxy_config,
        revision=settings.revision,
        proxy_image=image_url(values, proxy_name, proxy_config, annotations),
        proxy_init_image=image_url(values, init_name, proxy_config, annotations),
        proxy_uid=DEFAULT_PROXY_UID,
        proxy_gid=DEFAULT_PROXY_UID,
        native_sidecars=native_default(settings, values),
        deploy_name=name,
        deploy_namespace=namespace,
        api_version=api_version,
        kind=kind,
        compliance_policy=str(settings.features.get("COMPLIANCE_POLICY", "") or ""),
        pod_metadata=pod["metadata"],
    )


def _names(items: Any) -> set[str]:
    return {str(i.get("name")) for i in items or [] if isinstance(i, dict)}


def inject(obj: dict[str, Any], settings: IstioSettings) -> Injected:
    """Inject the Istio sidecar into one workload object (plain data); the input is not modified.

    Raises :class:`AnnotationError` for a bad annotation value, :class:`TemplateError` for a template
    problem and :class:`NotInjectable` for an object without a usable pod template.
    """
    out = copy.deepcopy(obj)
    loc = locate(out)
    meta = loc.holder.get("metadata")
    pod = {"metadata": copy.deepcopy(meta) if isinstance(meta, dict) else {}, "spec": copy.deepcopy(loc.spec_holder["spec"])}
    pod_annotations = str_map(pod["metadata"].get("annotations"))
    A.validate(pod_annotations)

    values = effective_values(settings.values)
    if settings.revision and not values.get("revision"):
        values["revision"] = settings.revision
    mesh = effective_mesh(settings.mesh)
    if A.PROXY_CONFIG in pod_annotations:
        mesh["defaultConfig"] = merge_proxy_config(mesh["defaultConfig"], A.parse_proxy_config(pod_annotations[A.PROXY_CONFIG]))

    envs: dict[str, str] = {}
    cluster = str(dig(values, "global", "multiCluster", "clusterName") or "")
    network = str_map(pod["metadata"].get("labels")).get("topology.istio.io/network") or str(dig(values, "global", "network") or "")
    if cluster:
        envs["ISTIO_META_CLUSTER_ID"] = cluster
    if network:
        envs["ISTIO_META_NETWORK"] = network

    stripped = reinsert_overrides(strip(pod, mesh))
    ctx = _context(stripped, out, settings, values, mesh)

    merged = copy.deepcopy(pod)
    template_pod: dict[str, Any] = {}
    for name in selected_templates(pod_annotations, settings):
        partial = render_template(name, ctx, settings)
        template_pod = merge_pod(template_pod, partial)
        tspec = template_pod.get("spec") or {}
        if _find(tspec.get("initContainers"), PROXY) is not None and _find(merged["spec"].get("containers"), PROXY):
            proxy = _find(merged["spec"]["containers"], PROXY)
            merged["spec"]["containers"] = _move(merged["spec"]["containers"], PROXY, "remove")
            merged["spec"].setdefault("initContainers", []).append(proxy)
        merged = merge_pod(merged, partial)
    template_pod.setdefault("spec", {})

    merged = reapply_overrides(merged, pod, template_pod, mesh["defaultConfig"])
    _annotations(merged)
    _labels(merged)
    overwrite_cluster_env(merged, envs)
    prometheus_merge(merged, mesh)
    rewrite_app_probes(merged, values, mesh)
    if "ISTIO_META_NETWORK" in envs:
        _labels(merged)["topology.istio.io/network"] = envs["ISTIO_META_NETWORK"]
    status_text = status_json(template_pod["spec"], settings.revision)
    _annotations(merged)[A.STATUS] = status_text
    _annotations(merged).update(settings.injected_annotations)
    hold = bool(mesh["defaultConfig"].get("holdApplicationUntilProxyStarts")) or truthy(
        dig(values, "global", "proxy", "holdApplicationUntilProxyStarts")
    )
    reorder(merged, hold)

    loc.holder["metadata"] = merged["metadata"]
    loc.spec_holder["spec"] = merged["spec"]
    ospec = pod["spec"]
    nspec = merged["spec"]
    return Injected(
        obj=out,
        containers=len(_names(nspec.get("containers")) - _names(ospec.get("containers"))),
        init_containers=len(_names(nspec.get("initContainers")) - _names(ospec.get("initContainers"))),
        volumes=len(_names(nspec.get("volumes")) - _names(ospec.get("volumes"))),
        status=parse_status(status_text) or {},
    )
