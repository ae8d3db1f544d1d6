"""The ``install.istio.io/v1alpha1`` ``IstioOperator`` form: ``spec.values``, ``spec.meshConfig``,
``spec.hub``/``tag``/``revision``, ``spec.components.cni.enabled`` and istiod's env, read as istioctl renders
them for the istio-discovery chart's injector.
"""

from __future__ import annotations

from ..istio.settings import IstioSettings
from ..plain import dig
from ..text.nodes import Mapping, deref, is_null
from .checks import check_leaf, check_revision, check_tree, node_data, show
from .errors import ConfigError
from .fields import BOOL, MAP, MESH_SPEC, OPERATOR_SPEC_KEYS, SCALAR, STR, VALUES_SPEC
from .istio_settings import deep_merge, injector_from_values, settings, values_revision
from .model import Config, modern

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# What the istio-discovery chart's injector ConfigMap picks from its values (its data.values).
INJECTOR_VALUE_KEYS = ("global", "sidecarInjectorWebhook", "revision")
_SPEC: dict[str, Any] = {"hub": STR, "tag": SCALAR, "revision": STR, "values": VALUES_SPEC,
                         "unvalidatedValues": VALUES_SPEC, "meshConfig": MESH_SPEC}


def read(node: Mapping) -> Config:
    policy, istio, notes = from_operator(node)
    return modern(policy, istio, "istio-operator", tuple(notes))


def from_operator(node: Mapping) -> tuple[str | None, IstioSettings, list[str]]:
    """An IstioOperator -> (policy or None, settings, notes)."""
    spec_node = deref(node.get("spec"))
    if spec_node is None or is_null(spec_node):
        return None, settings({}, {}, {}), []
    if not isinstance(spec_node, Mapping):
        raise ConfigError("spec: expected a mapping", "spec")
    spec = node_data(spec_node, _SPEC)
    for key in spec:
        if key not in OPERATOR_SPEC_KEYS:
            allowed = ", ".join(sorted(OPERATOR_SPEC_KEYS))
            raise ConfigError(f"spec.{key}: unknown field; allowed: {allowed}", f"spec.{key}")
    values = spec.get("values") or {}
    check_tree(values, VALUES_SPEC, "spec.values")
    extra = spec.get("unvalidatedValues") or {}
    check_tree(extra, MAP, "spec.unvalidatedValues")
    values = deep_merge(values, extra)
    mesh = _operator_mesh(spec, values)
    values = _operator_overrides(spec, values)
    revision = check_revision(spec.get("revision"), "spec.revision") if spec.get("revision") is not None \
        else values_revision(values, "spec.values")
    injector = injector_from_values(values)
    notes = []
    if spec.get("profile") not in (None, "", "default"):
        notes.append(f"spec.profile {spec['profile']!r} is not applied: krmfn uses only the values given "
                     "over Istio's chart defaults")
    return injector.get("policy"), settings(values, mesh, injector, revision), notes


def _operator_mesh(spec: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The mesh config istioctl renders: spec.meshConfig goes into values.meshConfig, then the user's
    spec.values are laid over again, so values.meshConfig wins where both set a field
    (operator/pkg/render/manifest.go, translateIstioOperatorToHelm and MergeInputs)."""
    from_values = values.get("meshConfig") or {}
    check_tree(from_values, MESH_SPEC, "spec.values.meshConfig")
    mesh = spec.get("meshConfig") or {}
    check_tree(mesh, MESH_SPEC, "spec.meshConfig")
    return deep_merge(mesh, from_values)


def _operator_overrides(spec: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The values the injector sees when istioctl renders the istio-discovery chart from an IstioOperator.

    * spec.hub, spec.tag and spec.revision become values.global.hub, values.global.tag and values.revision,
      and spec.components.cni.enabled becomes values.pilot.cni.enabled (absent: false); the user's
      spec.values are laid over these again, so a value set in both places is the spec.values one
      (translateIstioOperatorToHelm, then MergeInputs);
    * the chart's top level is pilot's: values.X and then values.pilot.X over it (zzy_descope_legacy.yaml),
      and its injector ConfigMap writes global, sidecarInjectorWebhook and revision from there, and
      pilot = {cni, env} from the top-level cni and env: so values.cni.provider (the CNI component's
      setting) reaches the template as pilot.cni.provider, with values.pilot.cni over it.
    """
    merged = deep_merge(_from_spec(spec), values)
    pilot: dict[str, Any] = merged["pilot"] if isinstance(merged.get("pilot"), dict) else {}
    out = {k: v for k, v in merged.items() if k not in ("cni", "env")}
    for key in INJECTOR_VALUE_KEYS:
        if key in pilot:
            both = isinstance(pilot[key], dict) and isinstance(merged.get(key), dict)
            out[key] = deep_merge(merged[key], pilot[key]) if both else pilot[key]
    injector_pilot: dict[str, Any] = {}
    for key in ("cni", "env"):
        top, own = merged.get(key), pilot.get(key)
        if own is not None or top is not None:
            injector_pilot[key] = _over(top, own)
    k8s_env = _k8s_env(spec)
    if k8s_env:  # istiod's container env, patched in after the chart: over values.pilot.env
        injector_pilot["env"] = {**(injector_pilot.get("env") or {}), **k8s_env}
    if pilot or injector_pilot:
        out["pilot"] = {**pilot, **injector_pilot}
    return out


def _over(base: Any, own: Any) -> Any:
    """``own`` laid over ``base``: merged when both are mappings, else ``own`` unless it is None."""
    if isinstance(base, dict) and isinstance(own, dict):
        return deep_merge(base, own)
    return own if own is not None else base


def _from_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The values istioctl derives from spec.hub, spec.tag, spec.revision and spec.components.cni.enabled."""
    glob: dict[str, Any] = {}
    for key in ("hub", "tag"):
        if spec.get(key) is not None:
            check_leaf(spec[key], STR if key == "hub" else SCALAR, f"spec.{key}")
            glob[key] = spec[key]
    derived: dict[str, Any] = {"global": glob} if glob else {}
    if spec.get("revision") is not None:
        derived["revision"] = spec["revision"]
    cni = dig(spec, "components", "cni", "enabled")
    if cni is not None:  # istioctl writes false when absent: the chart's default, so only a given value is kept
        check_leaf(cni, BOOL, "spec.components.cni.enabled")
        derived["pilot"] = {"cni": {"enabled": cni}}
    return derived


def _k8s_env(spec: dict[str, Any]) -> dict[str, str]:
    """spec.components.pilot.k8s.env (istiod's env, e.g. ENABLE_NATIVE_SIDECARS) as name -> value."""
    path = "spec.components.pilot.k8s.env"
    entries = dig(spec, "components", "pilot", "k8s", "env")
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected a list of {{name, value}}, got {show(entries)}", path)
    out: dict[str, str] = {}
    for i, e in enumerate(entries):
        where = f"{path}[{i}]"
        if not isinstance(e, dict) or not isinstance(e.get("name"), str):
            raise ConfigError(f"{where}: expected {{name, value}}", where)
        if "valueFrom" in e:
            raise ConfigError(f"{where}.valueFrom: krmfn reads no cluster; write the value "
                              f"(or values.pilot.env.{e['name']})", f"{where}.valueFrom")
        value = e.get("value", "")
        if isinstance(value, (dict, list)):
            raise ConfigError(f"{where}.value: expected a string, got {show(value)}", f"{where}.value")
        out[e["name"]] = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
    return out
