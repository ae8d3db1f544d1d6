"""Choosing templates and rendering them: built-in ones as data, user ones through krmfn.gotemplate."""

from __future__ import annotations

import importlib

from krmfn.istio import annotations as A
from krmfn.istio.context import go_str
from krmfn.istio.merge import fresh

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from krmfn.istio.context import Context
    from krmfn.istio.settings import IstioSettings

# The chart's templates Istio ships: name -> the module of krmfn.istio and the function that builds the
# partial pod.  A module is imported when its template is first rendered: most runs need only the sidecar.
BUILTIN_TEMPLATES = {
    "sidecar": ("sidecar", "render"),
    "gateway": ("gateway", "render"),
    "grpc-agent": ("grpc", "render_agent"),
    "grpc-simple": ("grpc", "render_simple"),
}

# Built-in templates whose function also says whether its partial is the caller's to take as it is.
OWNED_RENDERS = {"sidecar": ("sidecar", "render_owned")}


class TemplateError(A.InjectionError):
    """A template is missing, fails to render, or renders something that is not a partial pod."""


def builtin_template(name: str) -> Callable[[Context], dict[str, Any]]:
    """The Python function that builds the partial pod of built-in template ``name`` (a key of BUILTIN_TEMPLATES)."""
    module, function = BUILTIN_TEMPLATES[name]
    return getattr(importlib.import_module(f"krmfn.istio.{module}"), function)  # type: ignore[no-any-return]


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
    meta = fresh(ctx.pod_metadata)
    meta["labels"] = dict(ctx.labels)
    meta["annotations"] = dict(ctx.annotations)
    spec = fresh(ctx.spec)
    spec.setdefault("containers", [])
    return {
        "TypeMeta": {"Kind": ctx.kind, "APIVersion": ctx.api_version},
        "DeploymentMeta": {"Name": ctx.deploy_name, "Namespace": ctx.deploy_namespace},
        "ObjectMeta": meta,
        "Spec": spec,
        "ProxyConfig": fresh(ctx.proxy_config),
        "MeshConfig": fresh(ctx.mesh),
        "Values": fresh(ctx.values),
        "Revision": ctx.revision,
        "ProxyImage": ctx.proxy_image,
        "ProxyInitImage": ctx.proxy_init_image,
        "ProxyUID": ctx.proxy_uid,
        "ProxyGID": ctx.proxy_gid,
        "NativeSidecars": ctx.native_sidecars,
        "InboundTrafficPolicyMode": ctx.inbound_policy_mode,
        "CompliancePolicy": ctx.compliance_policy,
    }


def istiod_env(ctx: Context, settings: IstioSettings) -> dict[str, str]:
    """The environment the Go-template ``env`` function reads: istiod's, which Istio's chart sets from
    ``values.pilot.env`` (krmfn's own process environment never leaks into a render); an explicit
    ``nativeSidecars`` setting is ENABLE_NATIVE_SIDECARS."""
    env = ctx.values.get("pilot", {}).get("env") if isinstance(ctx.values.get("pilot"), dict) else None
    out = {str(k): go_str(v) for k, v in env.items() if v is not None} if isinstance(env, dict) else {}
    if settings.native_sidecars is not None:
        out["ENABLE_NATIVE_SIDECARS"] = "true" if settings.native_sidecars else "false"
    return out


def render_user_template(name: str, text: str, ctx: Context, settings: IstioSettings) -> dict[str, Any]:
    try:
        from krmfn import gotemplate
    except ImportError:
        raise TemplateError(f"template {name!r} is a Go template, and krmfn.gotemplate is not available") from None
    try:
        rendered = gotemplate.render(text, template_data(ctx, settings), environ=istiod_env(ctx, settings))
    except Exception as e:  # the engine's own errors carry the position; keep its message
        raise TemplateError(f"template {name!r} failed to render: {e}") from None
    from krmfn.istio import podshape

    try:
        data = podshape.load(rendered)
        if data is not None and not isinstance(data, dict):
            raise TemplateError(f"template {name!r} rendered {type(data).__name__}, not a partial pod")
        podshape.check(data)
    except podshape.ShapeError as e:
        raise TemplateError(f"template {name!r} {e}") from None
    if data is None:
        return {}
    # Go's corev1 round trip: what its encoding adds now; the zero values it omits go after the merge
    # (injection.py), so that they still override an old proxy's values as in Istio's re-injection.
    from krmfn.istio.gostruct import encode_partial

    return encode_partial(data)


def render_template(name: str, ctx: Context, settings: IstioSettings) -> tuple[dict[str, Any], bool]:
    """The partial pod of template ``name``, and whether the caller may take its parts as they are (True: it
    shares nothing with anything, not even within itself, and holds no None: :data:`OWNED_RENDERS`)."""
    if name in settings.templates:
        return render_user_template(name, settings.templates[name], ctx, settings), False
    if name not in BUILTIN_TEMPLATES:
        have = ", ".join(sorted(set(BUILTIN_TEMPLATES) | set(settings.templates)))
        raise TemplateError(f"requested template {name!r} not found; have {have}")
    render = _OWNED.get(name)
    if render is None and name in OWNED_RENDERS:
        module, function = OWNED_RENDERS[name]
        render = _OWNED[name] = getattr(importlib.import_module(f"krmfn.istio.{module}"), function)
    if render is not None:
        return render(ctx)
    return builtin_template(name)(ctx), False


# OWNED_RENDERS' functions, imported once (import_module costs a lock and a lookup per call)
_OWNED: dict[str, Callable[[Context], tuple[dict[str, Any], bool]]] = {}
