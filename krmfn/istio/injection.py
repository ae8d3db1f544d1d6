"""The injection pipeline: one object in, the injected object out (pure; no I/O).

Steps, as Istio's injector runs them: validate the pod's annotations; lay
the user's values and mesh config (and the pod's proxy.istio.io/config) over
the defaults; strip what an earlier injection added; render every selected
template and strategic-merge it over the pod; re-apply the user's own
istio-proxy/istio-init fields; then post-process (cluster env, Prometheus
metrics merge, app probe rewrite, status annotation, container order).
"""

from __future__ import annotations

from krmfn import workloads
from krmfn.istio import annotations as A
from krmfn.istio import proxyconfig
from krmfn.istio.containers import (
    PROXY,
    annotations_of,
    find_container,
    labels_of,
    move_container,
)
from krmfn.istio.context import Context, truthy
from krmfn.istio.defaults import (
    DEFAULT_PROXY_UID,
    effective_mesh,
    effective_values,
    merge_proxy_config,
)
from krmfn.istio.merge import fresh, merge_pod_into, merge_pod_taking
from krmfn.istio.overrides import reapply_overrides, reinsert_overrides, strip
from krmfn.istio.pod import NotInjectable, deploy_meta, locate, str_map
from krmfn.istio.postprocess import overwrite_cluster_env, reorder, rewrite_app_probes
from krmfn.istio.prometheus import prometheus_merge
from krmfn.istio.settings import IstioSettings
from krmfn.istio.status import parse_status, status_and_lists, status_of
from krmfn.istio.templating import TemplateError, render_template, selected_templates
from krmfn.plain import dig
from krmfn.records import Frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Injected", "TemplateAnnotationError", "TemplateError", "inject", "parse_status", "status_of"]

KNOWN_IMAGE_TYPES = ("distroless", "debug")


class TemplateAnnotationError(A.AnnotationError, TemplateError):
    """A template the pod's inject.istio.io/templates asks for is missing or fails: the annotation is the field."""


class Injected(Frozen):
    """The injected object and what was added, for the result message."""

    __slots__ = ("obj", "containers", "init_containers", "volumes", "status")
    obj: dict[str, Any]
    containers: int
    init_containers: int
    volumes: int
    status: dict[str, Any]

    def __init__(
        self, obj: dict[str, Any], containers: int, init_containers: int, volumes: int, status: dict[str, Any]
    ) -> None:
        set_ = object.__setattr__
        set_(self, "obj", obj)
        set_(self, "containers", containers)
        set_(self, "init_containers", init_containers)
        set_(self, "volumes", volumes)
        set_(self, "status", status)


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


class _Prepared:
    """What injection derives from one :class:`IstioSettings` alone, computed once and then only read:
    the effective values and mesh (never modified; a pod's proxy.istio.io/config gets a copy of the mesh)
    and the names and flags taken from them."""

    __slots__ = ("settings", "values", "mesh", "cluster", "network", "proxy_name", "init_name", "native",
                 "compliance_policy", "hold", "known_images")

    def __init__(self, settings: IstioSettings) -> None:
        values = fresh(dict(settings.values)) if settings.values_complete else effective_values(settings.values)
        if settings.revision and not values.get("revision"):
            values["revision"] = settings.revision
        self.settings = settings  # held, so that its id is not reused while cached
        self.values = values
        self.mesh = effective_mesh(settings.mesh)
        proxyconfig.remember(self.mesh["defaultConfig"])
        self.cluster = str(dig(values, "global", "multiCluster", "clusterName") or "")
        self.network = str(dig(values, "global", "network") or "")
        self.proxy_name = str(dig(values, "global", "proxy", "image") or "proxyv2")
        self.init_name = str(dig(values, "global", "proxy_init", "image") or "proxyv2")
        self.native = native_default(settings, values)
        self.compliance_policy = str(settings.features.get("COMPLIANCE_POLICY", "") or "")
        self.hold = truthy(dig(values, "global", "proxy", "holdApplicationUntilProxyStarts"))
        self.known_images: dict[str | None, tuple[str, str]] = {}

    def images(self, values: dict[str, Any], proxy_config: dict[str, Any],
               annotations: dict[str, str]) -> tuple[str, str]:
        """The proxy and init images (:func:`image_url`); kept by the pod's proxyImageType annotation when
        ``values`` and ``proxy_config`` are this object's own (what else they are made of)."""
        if values is not self.values or proxy_config is not self.mesh["defaultConfig"]:
            return (image_url(values, self.proxy_name, proxy_config, annotations),
                    image_url(values, self.init_name, proxy_config, annotations))
        image_type = annotations.get(A.PROXY_IMAGE_TYPE)  # None: absent (the proxy config's image type)
        found = self.known_images.get(image_type)
        if found is None:
            found = (image_url(values, self.proxy_name, proxy_config, annotations),
                     image_url(values, self.init_name, proxy_config, annotations))
            if len(self.known_images) < 64:
                self.known_images[image_type] = found
        return found


_PREPARED: dict[int, _Prepared] = {}


def _prepared(settings: IstioSettings) -> _Prepared:
    """The settings' :class:`_Prepared` (IstioSettings holds dicts, so it is not hashable: cached by id,
    the entry holding the settings object itself)."""
    prep = _PREPARED.get(id(settings))
    if prep is None or prep.settings is not settings:
        if len(_PREPARED) > 64:
            _PREPARED.clear()
        prep = _PREPARED[id(settings)] = _Prepared(settings)
    return prep


def _context(pod: dict[str, Any], obj: dict[str, Any], settings: IstioSettings, values: dict[str, Any],
             mesh: dict[str, Any], mesh_key: Any = None) -> Context:
    """``mesh_key``: what ``values`` and ``mesh`` are made of, hashable (None: say nothing, templates cache
    nothing); the context's ``fixed_key`` adds the images (made of the pod's proxyImageType annotation too):
    with ``prep``'s constants below, all the fields but the pod's annotations, labels, spec, metadata and
    controller are made of (a template caching under it keys on the annotations it reads itself)."""
    annotations = str_map(pod["metadata"].get("annotations"))
    name, namespace, api_version, kind = deploy_meta(obj)
    proxy_config = mesh["defaultConfig"]
    prep = _prepared(settings)  # names and flags from the settings' values (which ``values`` are)
    proxy_image, proxy_init_image = prep.images(values, proxy_config, annotations)
    fixed_key = None if mesh_key is None else (mesh_key, proxy_image, proxy_init_image)
    return Context(
        annotations=annotations,
        labels=str_map(pod["metadata"].get("labels")),
        spec=pod["spec"],
        values=values,
        mesh=mesh,
        proxy_config=proxy_config,
        revision=settings.revision,
        proxy_image=proxy_image,
        proxy_init_image=proxy_init_image,
        proxy_uid=DEFAULT_PROXY_UID,
        proxy_gid=DEFAULT_PROXY_UID,
        native_sidecars=prep.native,
        deploy_name=name,
        deploy_namespace=namespace,
        api_version=api_version,
        kind=kind,
        compliance_policy=prep.compliance_policy,
        pod_metadata=pod["metadata"],
        fixed_key=fixed_key,
    )


def _walk(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


_NAMED = ("initContainers", "containers", "volumes", "imagePullSecrets")


def _names_of(partial: dict[str, Any]) -> dict[str, Any]:
    """What of a partial pod the template pod is read for (the names of its spec's containers, init
    containers, volumes and pull secrets), in a form that merges as the partial would: entries keep only
    their name (and lists merged by name only look at names), the rest is left out.  Spares copying each
    partial a second time."""
    if "spec" not in partial:
        return {}
    spec = partial["spec"]
    if not isinstance(spec, dict):
        return {"spec": spec}
    out: dict[str, Any] = {}
    for key in _NAMED:
        if key in spec:
            items = spec[key]
            if isinstance(items, list):
                items = [({"name": x["name"]} if "name" in x else {}) if isinstance(x, dict) else x for x in items]
            out[key] = items
    return {"spec": out}


def _names(items: Any) -> set[str]:
    return {str(i.get("name")) for i in items or [] if isinstance(i, dict)}


def _added(new: Any, old: Any) -> int:
    """How many names the entries of ``new`` have that those of ``old`` lack."""
    added = _names(new)
    if added and old:
        added -= _names(old)
    return len(added)


def inject(obj: dict[str, Any], settings: IstioSettings) -> Injected:
    """Inject the Istio sidecar into one workload object (plain data); the input is not modified.

    Raises :class:`AnnotationError` for a bad annotation value, :class:`TemplateError` for a template
    problem and :class:`NotInjectable` for an object without a usable pod template (all are
    :class:`InjectionError`).
    """
    try:
        return _inject(obj, settings)
    except A.InjectionError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        # A shape the checks above did not foresee: still a message, never a traceback.
        raise NotInjectable(f"cannot inject: unexpected structure in the pod template or settings ({e})") from e


def _pod_mesh(mesh: dict[str, Any], pod_annotations: dict[str, str]) -> dict[str, Any]:
    """The mesh config with the pod's proxy.istio.io/config merged into its defaultConfig."""
    if A.PROXY_CONFIG not in pod_annotations:
        return mesh
    mesh = dict(mesh)  # the prepared mesh is shared: this pod's gets its own defaultConfig
    mesh["defaultConfig"] = merge_proxy_config(mesh["defaultConfig"], A.parse_proxy_config(pod_annotations[A.PROXY_CONFIG]))
    return mesh


def _cluster_envs(prep: Any, pod: dict[str, Any]) -> dict[str, str]:
    """The cluster and network the proxy's environment names (the pod's network label wins)."""
    envs: dict[str, str] = {}
    network = str_map(pod["metadata"].get("labels")).get("topology.istio.io/network") or prep.network
    if prep.cluster:
        envs["ISTIO_META_CLUSTER_ID"] = prep.cluster
    if network:
        envs["ISTIO_META_NETWORK"] = network
    return envs


def _output(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """One copy of the object, and the mappings in it that hold the pod's ``metadata`` and ``spec`` (which
    injection changes in place, then sets again)."""
    paths = workloads.pod_paths(obj.get("apiVersion"), obj.get("kind"))
    assert paths is not None  # locate() checked
    out = fresh(obj)
    return out, _walk(out, paths.pod_metadata), _walk(out, paths.template)


def _render_all(merged: dict[str, Any], ctx: Context, settings: IstioSettings,
                pod_annotations: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pod with each selected template's partial pod merged in (in order), and the template pod (what
    the templates alone give, for the status and the user's overrides)."""
    template_pod: dict[str, Any] = {}
    selected = selected_templates(pod_annotations, settings)
    for name in selected:
        try:
            partial, owned = render_template(name, ctx, settings)
        except TemplateError as e:
            if A.INJECT_TEMPLATES in pod_annotations:
                raise TemplateAnnotationError(A.INJECT_TEMPLATES, f"{e} (asked for by '{A.INJECT_TEMPLATES}')") from e
            raise
        # an owned partial's names are its own strings: nothing to copy or clean
        template_pod = (merge_pod_taking if owned else merge_pod_into)(template_pod, _names_of(partial))
        tspec = template_pod.get("spec") or {}
        if find_container(tspec.get("initContainers"), PROXY) is not None and find_container(merged["spec"].get("containers"), PROXY):
            proxy = find_container(merged["spec"]["containers"], PROXY)
            merged["spec"]["containers"] = move_container(merged["spec"]["containers"], PROXY, "remove")
            merged["spec"]["initContainers"] = [*(merged["spec"].get("initContainers") or []), proxy]
        merged = (merge_pod_taking if owned else merge_pod_into)(merged, partial)
    template_pod.setdefault("spec", {})
    if any(name in settings.templates for name in selected):
        # as Istio's corev1.Pod round trip of the merged pod
        from krmfn.istio.gostruct import drop_go_zeroes

        drop_go_zeroes(merged["spec"], {c.get("name") for c in tspec_containers(template_pod)})
    return merged, template_pod


def tspec_containers(template_pod: dict[str, Any]) -> list[dict[str, Any]]:
    spec = template_pod.get("spec") or {}
    return [c for key in ("containers", "initContainers") for c in spec.get(key) or [] if isinstance(c, dict)]


def _inject(obj: dict[str, Any], settings: IstioSettings) -> Injected:
    loc_in = locate(obj)
    meta = loc_in.holder.get("metadata")
    # The input's own pod: only ever read (strip and reinsert_overrides copy before they change anything).
    pod = {"metadata": meta if isinstance(meta, dict) else {}, "spec": loc_in.spec_holder["spec"]}
    pod_annotations = str_map(pod["metadata"].get("annotations"))
    A.validate(pod_annotations)

    prep = _prepared(settings)
    values = prep.values
    mesh = _pod_mesh(prep.mesh, pod_annotations)
    envs = _cluster_envs(prep, pod)
    stripped = reinsert_overrides(strip(pod, mesh))
    # values and mesh are made of the settings (prep holds them) and the pod's proxy.istio.io/config alone
    ctx = _context(stripped, obj, settings, values, mesh, (prep, pod_annotations.get(A.PROXY_CONFIG)))

    out, meta_holder, spec_holder = _output(obj)
    meta_copy = meta_holder.get("metadata")  # (locate() checked: a mapping or None, which counts as {})
    merged = {"metadata": meta_copy if isinstance(meta_copy, dict) else {}, "spec": spec_holder["spec"]}
    merged, template_pod = _render_all(merged, ctx, settings, pod_annotations)
    merged = reapply_overrides(merged, pod, template_pod, mesh["defaultConfig"])
    annotations_of(merged)
    labels_of(merged)
    overwrite_cluster_env(merged, envs)
    prometheus_merge(merged, mesh)
    rewrite_app_probes(merged, values, mesh)
    if "ISTIO_META_NETWORK" in envs:
        labels_of(merged)["topology.istio.io/network"] = envs["ISTIO_META_NETWORK"]
    status_text, status = status_and_lists(template_pod["spec"], settings.revision)
    annotations_of(merged)[A.STATUS] = status_text
    annotations_of(merged).update(settings.injected_annotations)
    hold = bool(mesh["defaultConfig"].get("holdApplicationUntilProxyStarts")) or prep.hold
    reorder(merged, hold)

    # merged shares nothing with the input or the settings: it began as a copy, and the merges copy
    # every part they take from a template (a seccompProfile, a lifecycle from the values...), but of a
    # partial made for this pod alone (the sidecar's: copies of its cached parts), which they take as it is
    meta_holder["metadata"] = merged["metadata"]
    spec_holder["spec"] = merged["spec"]
    ospec = pod["spec"]
    nspec = merged["spec"]
    return Injected(
        obj=out,
        containers=_added(nspec.get("containers"), ospec.get("containers")),
        init_containers=_added(nspec.get("initContainers"), ospec.get("initContainers")),
        volumes=_added(nspec.get("volumes"), ospec.get("volumes")),
        status=status,
    )

