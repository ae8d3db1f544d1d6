"""Choosing templates and rendering them: built-in ones as data, user ones through krmfn.gotemplate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from krmfn.istio import annotations as A
from krmfn.istio import gateway, grpc, sidecar
from krmfn.istio.context import Context
from krmfn.istio.merge import fresh
from krmfn.istio.settings import IstioSettings


class TemplateError(A.InjectionError):
    """A template is missing, fails to render, or renders something that is not a partial pod."""


def builtin_templates() -> dict[str, Callable[[Context], dict[str, Any]]]:
    """The chart's templates Istio ships, as the Python functions that build their partial pods."""
    return dict(_BUILTINS)


_BUILTINS: dict[str, Callable[[Context], dict[str, Any]]] = {
    "sidecar": sidecar.render, "gateway": gateway.render, "grpc-agent": grpc.render_agent,
    "grpc-simple": grpc.render_simple,
}


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
    builtins = _BUILTINS
    if name not in builtins:
        have = ", ".join(sorted(set(builtins) | set(settings.templates)))
        raise TemplateError(f"requested template {name!r} not found; have {have}")
    return builtins[name](ctx)
