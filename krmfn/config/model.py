"""The settings of a run (:class:`Config`) and :func:`build`, which makes one from checked values.

Every form's reader (:mod:`krmfn.config.dispatch`) ends here: the seed, flat and typed forms with
their checked fields, Istio's own forms through :func:`modern` with ready :class:`IstioSettings`.
"""

from __future__ import annotations

from ..istio.settings import IstioSettings
from ..records import Frozen
from .errors import ConfigError
from .fields import (
    BY_NAME,
    FIELDS,
    ISTIO_IGNORED_NAMESPACES,
    LEGACY_IGNORED_NAMESPACES,
    LEGACY_TEMPLATE,
    MESH_SPEC,
    MODERN_DEFAULT_TEMPLATE,
    MODERN_FIELDS,
    VALUES_SPEC,
    default_template,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Config(Frozen):
    """The settings of a run; ``cfg.replace(mode="uninject")`` makes a changed copy."""

    __slots__ = (
        "policy", "namespaces", "exclude_namespaces", "ignore_namespaces", "default_namespace", "template",
        "params", "mesh", "form", "notes", "istio", "mode", "strict_inject_values",
        "exact_uninject",
    )
    policy: str
    namespaces: tuple[str, ...]
    exclude_namespaces: tuple[str, ...]
    ignore_namespaces: tuple[str, ...]
    default_namespace: str
    template: str
    params: dict[str, Any]
    mesh: dict[str, Any]
    form: str
    notes: tuple[str, ...]
    # Today's Istio settings (values/mesh overrides, revision, selectors, templates), for the istio template
    # and the policy; empty for the legacy forms unless they set values/meshConfig/revision/selectors.
    istio: IstioSettings
    mode: str  # inject | uninject
    # True for Istio's own config formats: only "true"/"false" count in sidecar.istio.io/inject (Istio today);
    # False keeps the seed's YAML 1.1 forms (y/yes/on, n/no/off).
    strict_inject_values: bool
    # True: write krmfn.dev/uninject where the status annotation alone cannot restore the object.
    exact_uninject: bool

    def __init__(
        self,
        policy: str = "enabled",
        namespaces: tuple[str, ...] = ("",),
        exclude_namespaces: tuple[str, ...] = (),
        ignore_namespaces: tuple[str, ...] = LEGACY_IGNORED_NAMESPACES,
        default_namespace: str = "default",
        template: str = MODERN_DEFAULT_TEMPLATE,
        params: dict[str, Any] | None = None,
        mesh: dict[str, Any] | None = None,
        form: str = "default",
        notes: tuple[str, ...] = (),
        istio: IstioSettings | None = None,
        mode: str = "inject",
        strict_inject_values: bool = False,
        exact_uninject: bool = False,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "policy", policy)
        set_(self, "namespaces", namespaces)
        set_(self, "exclude_namespaces", exclude_namespaces)
        set_(self, "ignore_namespaces", ignore_namespaces)
        set_(self, "default_namespace", default_namespace)
        set_(self, "template", template)
        set_(self, "params", {} if params is None else params)
        set_(self, "mesh", {} if mesh is None else mesh)
        set_(self, "form", form)
        set_(self, "notes", notes)
        set_(self, "istio", IstioSettings() if istio is None else istio)
        set_(self, "mode", mode)
        set_(self, "strict_inject_values", strict_inject_values)
        set_(self, "exact_uninject", exact_uninject)

    @property
    def all_namespaces(self) -> bool:
        return not self.namespaces or all(n == "" for n in self.namespaces)


def modern(policy: str | None, istio: IstioSettings, form: str, notes: tuple[str, ...] = ()) -> Config:
    """A Config for Istio's own formats: their policy, settings, ignored namespaces and inject-value rules."""
    values: dict[str, Any] = {"ignoreNamespaces": list(ISTIO_IGNORED_NAMESPACES)}
    if policy:
        values["policy"] = policy
    return build(values, form, istio=istio, strict=True, notes=notes)


def build(
    values: dict[str, Any],
    form: str,
    istio: IstioSettings | None = None,
    strict: bool = False,
    notes: tuple[str, ...] = (),
) -> Config:
    """A Config from checked values; applies defaults that depend on others.

    ``istio`` comes ready from Istio's own formats; otherwise it is made from
    the ``values``/``meshConfig``/``revision``/selector settings, if any.
    """

    def get(name: str) -> Any:
        v = values.get(name)
        return BY_NAME[name].default if v is None else v

    policy = values.get("policy")
    template = values.get("template") or default_template(form)
    legacy_only = _legacy_given(values)
    if template != LEGACY_TEMPLATE and legacy_only:
        values = _legacy_for_istio(values, legacy_only, form, istio)
    if istio is None and any(values.get(k) not in (None, "", [], {}) for k in MODERN_FIELDS):
        from .istio_settings import from_fields

        istio, values_policy = from_fields(values)
        policy = policy or values_policy
    return Config(
        policy=policy or BY_NAME["policy"].default,
        namespaces=tuple(get("namespaces")),
        exclude_namespaces=tuple(get("excludeNamespaces")),
        ignore_namespaces=tuple(get("ignoreNamespaces")),
        default_namespace=get("defaultNamespace"),
        template=template,
        params=_params(get),
        mesh={f.name: get(f.name) for f in FIELDS if f.section == "mesh"},
        form=form,
        notes=notes + _offline_notes(values),
        istio=istio if istio is not None else IstioSettings(),
        mode=get("mode"),
        strict_inject_values=strict,
        exact_uninject=bool(get("exactUninject")),
    )


def _legacy_given(values: dict[str, Any]) -> list[str]:
    """The 0.2-era params/mesh settings given (meshConfigMapName aside: it only earns a note)."""
    return [f.name for f in FIELDS if f.section in ("params", "mesh")
            and values.get(f.name) is not None and f.name != "meshConfigMapName"]


def _params(get: Any) -> dict[str, Any]:
    """The legacy template's params, with the images and version derived from hub and tag."""
    params = {f.name: get(f.name) for f in FIELDS if f.section == "params"}
    hub, tag = params["hub"], params["tag"]
    if params["version"] is None:
        params["version"] = tag
    if params["initImage"] is None:
        params["initImage"] = f"{hub}/proxy_init:{tag}"
    if params["proxyImage"] is None:
        params["proxyImage"] = f"{hub}/proxy_debug:{tag}" if params["debugMode"] else f"{hub}/proxy:{tag}"
    return params


def _offline_notes(values: dict[str, Any]) -> tuple[str, ...]:
    if values.get("meshConfigMapName"):
        return (f"params.meshConfigMapName {values['meshConfigMapName']!r} has no effect offline: "
                "krmfn reads no cluster; set mesh fields in the config instead",)
    return ()


def _legacy_for_istio(
    values: dict[str, Any], names: list[str], form: str, istio: IstioSettings | None
) -> dict[str, Any]:
    """The 0.2-era settings ``names`` turned into the Istio values and mesh config they stand for
    (krmfn.config.legacy.LEGACY), merged into ``values``; a setting Istio's template cannot take is refused."""
    from .checks import check_tree
    from .legacy import legacy_overrides, merge_overrides

    section_of = {n: "data" if form == "flat" else BY_NAME[n].section for n in names}
    if istio is not None:
        where = f"{section_of.get(names[0], '')}.{names[0]}".lstrip(".")
        raise ConfigError(f"{where}: not available beside Istio's own config; set its values instead", where)
    over_values, over_mesh = legacy_overrides({n: values[n] for n in names}, section_of)
    out = dict(values)
    if over_values:
        out["values"] = merge_overrides(values.get("values"), over_values, "values")
        check_tree(out["values"], VALUES_SPEC, "values")
    if over_mesh:
        out["meshConfig"] = merge_overrides(values.get("meshConfig"), over_mesh, "meshConfig")
        check_tree(out["meshConfig"], MESH_SPEC, "meshConfig")
    return out
