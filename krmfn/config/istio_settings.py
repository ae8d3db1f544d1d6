"""Istio's values, mesh config and injector config -> :class:`~krmfn.istio.settings.IstioSettings`, shared
by every form that carries them (IstioOperator, the injector ConfigMap, the typed form's ``values``).

Values and mesh stay what the user wrote (overrides, never merged with chart defaults).
"""

from __future__ import annotations

from ..istio.settings import IstioSettings
from ..plain import dig
from ..selectors import check_list
from .checks import check_revision

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def injector_from_values(values: dict[str, Any]) -> dict[str, Any]:
    """The injector config the chart would write into data.config, from values (only what is set)."""
    hook = dig(values, "sidecarInjectorWebhook") or {}
    out = {k: hook.get(k) for k in ("neverInjectSelector", "alwaysInjectSelector", "injectedAnnotations",
                                    "templates", "defaultTemplates")}
    out["policy"] = dig(values, "global", "proxy", "autoInject")
    return {k: v for k, v in out.items() if v is not None}


def _features(values: dict[str, Any]) -> dict[str, str]:
    env = dig(values, "pilot", "env") or {}
    out = {k: str(env[k]) for k in ("COMPLIANCE_POLICY", "PLATFORM") if env.get(k) is not None}
    platform = dig(values, "global", "platform")
    if platform and "PLATFORM" not in out:
        out["PLATFORM"] = str(platform)
    return out


def settings(
    values: dict[str, Any],
    mesh: dict[str, Any],
    injector: dict[str, Any],
    revision: str = "",
    native_sidecars: bool | None = None,
) -> IstioSettings:
    """One IstioSettings from checked values, mesh and injector config."""
    aliases = injector.get("aliases") or {}
    return IstioSettings(
        values=values,
        mesh=mesh,
        revision=revision,
        native_sidecars=native_sidecars,
        templates=dict(injector.get("templates") or {}),
        default_templates=tuple(injector.get("defaultTemplates") or ("sidecar",)),
        aliases={k: tuple(v) for k, v in aliases.items()},
        never_inject_selector=check_list(injector.get("neverInjectSelector"), "neverInjectSelector"),
        always_inject_selector=check_list(injector.get("alwaysInjectSelector"), "alwaysInjectSelector"),
        injected_annotations=dict(injector.get("injectedAnnotations") or {}),
        features=_features(values),
    )


def values_revision(values: dict[str, Any], path: str) -> str:
    return check_revision(values.get("revision"), f"{path}.revision")


def from_fields(fields: dict[str, Any]) -> tuple[IstioSettings, str | None]:
    """Settings from the typed form's checked fields: top-level fields win over the same thing in values."""
    values = fields.get("values") or {}
    injector = injector_from_values(values)
    for key in ("neverInjectSelector", "alwaysInjectSelector"):
        if fields.get(key):
            injector[key] = fields[key]
    revision = check_revision(fields["revision"], "revision") if fields.get("revision") else \
        values_revision(values, "values")
    native = fields.get("nativeSidecars")
    return settings(values, fields.get("meshConfig") or {}, injector, revision, native), injector.get("policy")
