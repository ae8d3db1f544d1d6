"""The injection pipeline: one object in, the injected object out (pure; no I/O).

Steps, as Istio's injector runs them: validate the pod's annotations; lay
the user's values and mesh config (and the pod's proxy.istio.io/config) over
the defaults; strip what an earlier injection added; render every selected
template and strategic-merge it over the pod; re-apply the user's own
istio-proxy/istio-init fields; then post-process (cluster env, Prometheus
metrics merge, app probe rewrite, status annotation, container order).
"""

from __future__ import annotations

from krmfn.istio import annotations as A
from krmfn.istio.containers import (
    PROXY,
    annotations_of,
    find_container,
    labels_of,
    move_container,
)
from krmfn.istio.context import Context, dig, truthy
from krmfn.istio.defaults import (
    DEFAULT_PROXY_UID,
    effective_mesh,
    effective_values,
    merge_proxy_config,
)
from krmfn.istio.merge import fresh, merge_pod
from krmfn.istio.overrides import reapply_overrides, reinsert_overrides, strip
from krmfn.istio.pod import NotInjectable, deploy_meta, locate, str_map
from krmfn.istio.postprocess import overwrite_cluster_env, reorder, rewrite_app_probes
from krmfn.istio.prometheus import prometheus_merge
from krmfn.istio.settings import IstioSettings
from krmfn.istio.status import parse_status, status_json, status_of
from krmfn.istio.templating import TemplateError, render_template, selected_templates
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


def _inject(obj: dict[str, Any], settings: IstioSettings) -> Injected:
    out = fresh(obj)
    loc = locate(out)
    meta = loc.holder.get("metadata")
    pod = {"metadata": fresh(meta) if isinstance(meta, dict) else {}, "spec": fresh(loc.spec_holder["spec"])}
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

    merged = fresh(pod)
    template_pod: dict[str, Any] = {}
    for name in selected_templates(pod_annotations, settings):
        try:
            partial = render_template(name, ctx, settings)
        except TemplateError as e:
            if A.INJECT_TEMPLATES in pod_annotations:
                raise TemplateAnnotationError(A.INJECT_TEMPLATES, f"{e} (asked for by '{A.INJECT_TEMPLATES}')") from e
            raise
        template_pod = merge_pod(template_pod, partial)
        tspec = template_pod.get("spec") or {}
        if find_container(tspec.get("initContainers"), PROXY) is not None and find_container(merged["spec"].get("containers"), PROXY):
            proxy = find_container(merged["spec"]["containers"], PROXY)
            merged["spec"]["containers"] = move_container(merged["spec"]["containers"], PROXY, "remove")
            merged["spec"]["initContainers"] = list(merged["spec"].get("initContainers") or []) + [proxy]
        merged = merge_pod(merged, partial)
    template_pod.setdefault("spec", {})

    merged = reapply_overrides(merged, pod, template_pod, mesh["defaultConfig"])
    annotations_of(merged)
    labels_of(merged)
    overwrite_cluster_env(merged, envs)
    prometheus_merge(merged, mesh)
    rewrite_app_probes(merged, values, mesh)
    if "ISTIO_META_NETWORK" in envs:
        labels_of(merged)["topology.istio.io/network"] = envs["ISTIO_META_NETWORK"]
    status_text = status_json(template_pod["spec"], settings.revision)
    annotations_of(merged)[A.STATUS] = status_text
    annotations_of(merged).update(settings.injected_annotations)
    hold = bool(mesh["defaultConfig"].get("holdApplicationUntilProxyStarts")) or truthy(
        dig(values, "global", "proxy", "holdApplicationUntilProxyStarts")
    )
    reorder(merged, hold)

    # fresh: template parts taken from settings (a seccompProfile, a lifecycle) must not be shared nodes
    loc.holder["metadata"] = fresh(merged["metadata"])
    loc.spec_holder["spec"] = fresh(merged["spec"])
    ospec = pod["spec"]
    nspec = merged["spec"]
    return Injected(
        obj=out,
        containers=len(_names(nspec.get("containers")) - _names(ospec.get("containers"))),
        init_containers=len(_names(nspec.get("initContainers")) - _names(ospec.get("initContainers"))),
        volumes=len(_names(nspec.get("volumes")) - _names(ospec.get("volumes"))),
        status=parse_status(status_text) or {},
    )
