"""Today's Istio configuration as functionConfig -> (policy, IstioSettings).

Three shapes are read here; :mod:`krmfn.config` turns the result into a
:class:`~krmfn.config.Config`:

* an ``install.istio.io/v1alpha1`` ``IstioOperator`` (``spec.values``,
  ``spec.meshConfig``, ``spec.hub``/``tag``/``revision``...);
* Istio's injector ConfigMap ``istio-sidecar-injector`` (``data.config`` YAML
  with policy, selectors, templates; ``data.values`` JSON; optionally
  ``data.mesh``), alone or in a ``v1`` ``List`` with the mesh ConfigMap
  ``istio`` (``data.mesh``) -- what ``kubectl get cm istio-sidecar-injector
  istio -n istio-system -o yaml`` prints;
* the ``values``/``meshConfig`` sections of the typed ``SidecarInjector``.

Values and mesh stay what the user wrote (overrides, never merged with chart
defaults).  Known fields are type-checked against small tables below; other
fields pass through untouched for the template to read.
"""

from __future__ import annotations

import json
import re

from .config import ConfigError
from .istio.settings import IstioSettings
from .selectors import SelectorError, check_list
from .yamlnodes import (
    EXPANSION_BUDGET, Mapping, Node, Scalar, Sequence, YamlError, compose_document, deref, is_null, to_python,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Union

    Spec = Union[str, tuple, dict]  # a leaf type, ("enum", values...), or a mapping of known children

OPERATOR_API_VERSION = "install.istio.io/v1alpha1"
OPERATOR_KIND = "IstioOperator"
INJECTOR_CONFIGMAP = "istio-sidecar-injector"
INJECTOR_POLICIES = ("off", "disabled", "enabled")

# Leaf types of the tables below.
STR, SCALAR, BOOL, INT, STRLIST, STRMAP, SELECTORS, MAP, ENV, BOOLISH, ALIASES = (
    "string", "scalar", "boolean", "integer", "list of strings", "mapping of strings", "selectors", "mapping",
    "env", "boolish", "aliases",
)

VALUES_SPEC: dict[str, Spec] = {
    "revision": STR,
    "revisionTags": STRLIST,
    "global": {
        "hub": STR, "tag": SCALAR, "imagePullPolicy": ("enum", "", "Always", "IfNotPresent", "Never"),
        "imagePullSecrets": STRLIST, "istioNamespace": STR, "network": STR, "platform": STR, "logAsJson": BOOL,
        "proxy": {
            "image": STR, "autoInject": ("enum", "enabled", "disabled"), "privileged": BOOL, "enableCoreDump": BOOL,
            "logLevel": STR, "componentLogLevel": STR, "clusterDomain": STR, "statusPort": INT, "tracer": STR,
            "includeIPRanges": STR, "excludeIPRanges": STR, "includeInboundPorts": STR,
            "excludeInboundPorts": STR, "excludeOutboundPorts": STR, "holdApplicationUntilProxyStarts": BOOL,
            "readinessInitialDelaySeconds": INT, "readinessPeriodSeconds": INT, "readinessFailureThreshold": INT,
            "resources": MAP, "lifecycle": MAP,
        },
        "proxy_init": {"image": STR, "resources": MAP},
    },
    "sidecarInjectorWebhook": {
        "neverInjectSelector": SELECTORS, "alwaysInjectSelector": SELECTORS, "rewriteAppHTTPProbe": BOOL,
        "injectedAnnotations": STRMAP, "templates": STRMAP, "defaultTemplates": STRLIST,
        "enableNamespacesByDefault": BOOL, "reinvocationPolicy": ("enum", "Never", "IfNeeded"),
    },
    "pilot": {"env": ENV, "cni": {"enabled": BOOL}},
}

MESH_SPEC: dict[str, Spec] = {
    "trustDomain": STR, "rootNamespace": STR, "accessLogFile": STR, "enableTracing": BOOL,
    "defaultConfig": {
        "discoveryAddress": STR, "proxyMetadata": STRMAP, "holdApplicationUntilProxyStarts": BOOL,
        "tracing": MAP, "image": MAP, "concurrency": INT,
    },
}

# Istio's injector data.config: a closed set of keys (a typo is an error, not a silent no-op).
INJECTOR_SPEC: dict[str, Spec] = {
    "policy": ("enum",) + INJECTOR_POLICIES, "alwaysInjectSelector": SELECTORS, "neverInjectSelector": SELECTORS,
    "injectedAnnotations": STRMAP, "defaultTemplates": STRLIST, "aliases": ALIASES, "templates": STRMAP,
    "template": STR,
}

OPERATOR_SPEC_KEYS = (
    "profile", "installPackagePath", "namespace", "hub", "tag", "resourceSuffix", "revision",
    "compatibilityVersion", "meshConfig", "components", "values", "unvalidatedValues",
)
# Keys of Istio's injector ConfigMap data (istioctl's three files merged into one ConfigMap may carry all of them);
# meshNetworks comes with the mesh ConfigMap ``istio``.
INJECTOR_DATA_KEYS = ("config", "mesh", "meshNetworks", "values")
MESH_DATA_KEYS = ("mesh", "meshNetworks")
# Keys whose data.config mark Istio's injector ConfigMap rather than the seed's istio-inject one.
INJECTOR_ONLY_KEYS = ("templates", "defaultTemplates", "aliases", "injectedAnnotations")

_REVISION = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


# --- node -> data, keeping the text of string fields ------------------------------


def node_data(node: Node | None, spec: Spec | None, budget: list[int] | None = None) -> Any:
    """Plain data of a node; where ``spec`` expects strings, plain scalars keep their text (``tag: 1.20``).

    Aliases are expanded within one budget for the whole tree (an alias bomb is a YamlError).
    """
    budget = _spend(budget)
    node = deref(node)
    if node is None:
        return None
    if isinstance(spec, dict) and isinstance(node, Mapping):
        out: dict[Any, Any] = {}
        for k, v in node.pairs:
            key = to_python(k, budget)
            out[key] = node_data(v, spec.get(key) if isinstance(key, str) else None, budget)
        return out
    if spec in (STR, SCALAR) or (isinstance(spec, tuple) and spec[0] == "enum"):
        return _text(node, budget)
    if spec == STRLIST and isinstance(node, Sequence):
        return [_text(i, _spend(budget)) for i in node.items]
    if spec in (STRMAP, ENV) and isinstance(node, Mapping):
        return {to_python(k, budget): _text(v, _spend(budget)) for k, v in node.pairs}
    if spec == ALIASES and isinstance(node, Mapping):
        return {to_python(k, budget): node_data(v, STRLIST, budget) for k, v in node.pairs}
    if spec == SELECTORS and isinstance(node, Sequence):
        return [node_data(i, _SELECTOR_NODES, budget) for i in node.items]
    if spec == _EXPRESSIONS and isinstance(node, Sequence):
        return [node_data(i, {"key": STR, "operator": STR, "values": STRLIST}, budget) for i in node.items]
    return to_python(node, budget)


def _spend(budget: list[int] | None) -> list[int]:
    if budget is None:
        budget = [EXPANSION_BUDGET]
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlError(f"alias expansion exceeds the limit of {EXPANSION_BUDGET} nodes (alias bomb?)")
    return budget


_EXPRESSIONS = "expressions"
_SELECTOR_NODES: dict[str, Spec] = {"matchLabels": STRMAP, "matchExpressions": _EXPRESSIONS}


def _text(node: Node, budget: list[int]) -> Any:
    node = deref(node)  # type: ignore[assignment]
    if isinstance(node, Scalar) and node.tag is None and node.style is None and not is_null(node):
        return node.value
    return to_python(node, budget)


# --- checking -----------------------------------------------------------------------


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def check_tree(data: Any, spec: Spec, path: str, closed: bool = False) -> None:
    """Type-check ``data`` against ``spec``; raises ConfigError naming the field.

    Whole ``values`` and mesh trees are also checked against Istio's own field tables (krmfn.istio_check):
    an unknown field or a wrong type anywhere in them is an error, as in istioctl."""
    _check_table(data, spec, path, closed)
    if data and isinstance(data, dict) and (spec is VALUES_SPEC or spec is MESH_SPEC):
        _check_istio(data, "values" if spec is VALUES_SPEC else "meshConfig", path)


def _check_table(data: Any, spec: Spec, path: str, closed: bool = False) -> None:
    if isinstance(spec, dict):
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping, got {_show(data)}", path)
        for k, v in data.items():
            sub = spec.get(k) if isinstance(k, str) else None
            if sub is None and closed:
                allowed = ", ".join(sorted(spec))
                raise ConfigError(f"{path}.{k}: unknown field; allowed: {allowed}", f"{path}.{k}")
            if sub is not None and v is not None:
                _check_table(v, sub, f"{path}.{k}")
        return
    _check_leaf(data, spec, path)


def _check_istio(data: dict[str, Any], root: str, path: str) -> None:
    from .istio_check import IstioFieldError, check

    try:
        check(data, root, path)
    except IstioFieldError as e:
        raise ConfigError(str(e), e.path) from None


def _check_leaf(value: Any, spec: Spec, path: str) -> None:
    def fail(expected: str) -> None:
        raise ConfigError(f"{path}: expected {expected}, got {_show(value)}", path)

    if isinstance(spec, tuple):
        if value not in spec[1:]:
            shown = ", ".join(repr(v) if v == "" else str(v) for v in spec[1:])
            raise ConfigError(f"{path}: {value!r} is not one of {shown}", path)
    elif spec == STR and not isinstance(value, str):
        fail("a string")
    elif spec == SCALAR and (isinstance(value, bool) or not isinstance(value, (str, int, float))):
        fail("a string")
    elif spec == BOOL and not isinstance(value, bool):
        fail("true or false")
    elif spec == INT and (isinstance(value, bool) or not isinstance(value, int)):
        fail("an integer")
    elif spec == STRLIST and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        fail("a list of strings")
    elif spec == STRMAP and not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
        fail("a mapping of strings to strings")
    elif spec == MAP and not isinstance(value, dict):
        fail("a mapping")
    elif spec == ENV:
        _check_env(value, path)
    elif spec == ALIASES:
        if not isinstance(value, dict):
            fail("a mapping of names to lists of template names")
        for k, v in value.items():
            _check_leaf(v, STRLIST, f"{path}.{k}")
    elif spec == SELECTORS:
        try:
            check_list(value, path)
        except SelectorError as e:
            raise ConfigError(str(e), e.path) from None
    elif spec == BOOLISH and not (isinstance(value, bool) or str(value).lower() in ("true", "false")):
        fail('true or false (or "true"/"false")')


def _check_env(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: expected a mapping of variable names to values, got {_show(value)}", path)
    for k, v in value.items():
        if isinstance(v, (dict, list)) or v is None:
            raise ConfigError(f"{path}.{k}: expected a string, got {_show(v)}", f"{path}.{k}")
    native = value.get("ENABLE_NATIVE_SIDECARS")
    if native is not None:
        _check_leaf(native, BOOLISH, f"{path}.ENABLE_NATIVE_SIDECARS")


def check_revision(value: Any, path: str) -> str:
    """A revision name ("" and "default" mean the default revision)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{path}: expected a string, got {_show(value)}", path)
    if value and not _REVISION.match(value):
        raise ConfigError(f"{path}: {value!r} is not a valid revision (lower-case letters, digits and '-')", path)
    return "" if value == "default" else value


# --- values -> settings ---------------------------------------------------------------


def _get(data: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(k)
    return data


def injector_from_values(values: dict[str, Any]) -> dict[str, Any]:
    """The injector config the chart would write into data.config, from values (only what is set)."""
    hook = _get(values, "sidecarInjectorWebhook") or {}
    out = {k: hook.get(k) for k in ("neverInjectSelector", "alwaysInjectSelector", "injectedAnnotations",
                                    "templates", "defaultTemplates")}
    out["policy"] = _get(values, "global", "proxy", "autoInject")
    return {k: v for k, v in out.items() if v is not None}


def _features(values: dict[str, Any]) -> dict[str, str]:
    env = _get(values, "pilot", "env") or {}
    out = {k: str(env[k]) for k in ("COMPLIANCE_POLICY", "PLATFORM") if env.get(k) is not None}
    platform = _get(values, "global", "platform")
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


# The typed (and seed) forms' structured settings and their tables.
FIELD_SPECS: dict[str, Spec] = {
    "values": VALUES_SPEC, "meshConfig": MESH_SPEC, "neverInjectSelector": SELECTORS,
    "alwaysInjectSelector": SELECTORS,
}


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


# --- IstioOperator ----------------------------------------------------------------------


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def from_operator(node: Mapping) -> tuple[str | None, IstioSettings, list[str]]:
    """An IstioOperator -> (policy or None, settings, notes)."""
    spec_node = deref(node.get("spec"))
    if spec_node is None or is_null(spec_node):
        return None, settings({}, {}, {}), []
    if not isinstance(spec_node, Mapping):
        raise ConfigError("spec: expected a mapping", "spec")
    spec = node_data(spec_node, {"hub": STR, "tag": SCALAR, "revision": STR, "values": VALUES_SPEC,
                                 "unvalidatedValues": VALUES_SPEC, "meshConfig": MESH_SPEC})
    for key in spec:
        if key not in OPERATOR_SPEC_KEYS:
            allowed = ", ".join(sorted(OPERATOR_SPEC_KEYS))
            raise ConfigError(f"spec.{key}: unknown field; allowed: {allowed}", f"spec.{key}")
    values = spec.get("values") or {}
    check_tree(values, VALUES_SPEC, "spec.values")
    extra = spec.get("unvalidatedValues") or {}
    check_tree(extra, MAP, "spec.unvalidatedValues")
    values = _deep_merge(values, extra)
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
    return _deep_merge(mesh, from_values)


# What the istio-discovery chart's injector ConfigMap picks from its values (its data.values).
INJECTOR_VALUE_KEYS = ("global", "sidecarInjectorWebhook", "revision")


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
    glob: dict[str, Any] = {}
    for key in ("hub", "tag"):
        if spec.get(key) is not None:
            _check_leaf(spec[key], STR if key == "hub" else SCALAR, f"spec.{key}")
            glob[key] = spec[key]
    derived: dict[str, Any] = {"global": glob} if glob else {}
    if spec.get("revision") is not None:
        derived["revision"] = spec["revision"]
    cni = _get(spec, "components", "cni", "enabled")
    if cni is not None:  # istioctl writes false when absent: the chart's default, so only a given value is kept
        _check_leaf(cni, BOOL, "spec.components.cni.enabled")
        derived["pilot"] = {"cni": {"enabled": cni}}
    merged = _deep_merge(derived, values)
    pilot = merged.get("pilot") if isinstance(merged.get("pilot"), dict) else {}
    out = {k: v for k, v in merged.items() if k not in ("cni", "env")}
    for key in INJECTOR_VALUE_KEYS:
        if isinstance(pilot.get(key), dict) and isinstance(merged.get(key), dict):
            out[key] = _deep_merge(merged[key], pilot[key])
        elif key in pilot:
            out[key] = pilot[key]
    injector_pilot: dict[str, Any] = {}
    for key in ("cni", "env"):
        top, own = merged.get(key), pilot.get(key)
        if isinstance(top, dict) and isinstance(own, dict):
            injector_pilot[key] = _deep_merge(top, own)
        elif own is not None or top is not None:
            injector_pilot[key] = own if own is not None else top
    k8s_env = _k8s_env(spec)
    if k8s_env:  # istiod's container env, patched in after the chart: over values.pilot.env
        injector_pilot["env"] = {**(injector_pilot.get("env") or {}), **k8s_env}
    if pilot or injector_pilot:
        out["pilot"] = {**pilot, **injector_pilot}
    return out


def _k8s_env(spec: dict[str, Any]) -> dict[str, str]:
    """spec.components.pilot.k8s.env (istiod's env, e.g. ENABLE_NATIVE_SIDECARS) as name -> value."""
    path = "spec.components.pilot.k8s.env"
    entries = _get(spec, "components", "pilot", "k8s", "env")
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected a list of {{name, value}}, got {_show(entries)}", path)
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
            raise ConfigError(f"{where}.value: expected a string, got {_show(value)}", f"{where}.value")
        out[e["name"]] = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
    return out


# --- Istio's injector ConfigMap (+ mesh ConfigMap) --------------------------------------


def is_injector_configmap(name: Any, data_keys: list[str], config_keys: list[Any], seed_keys: set[str]) -> bool:
    """Istio's injector ConfigMap, not the seed's istio-inject one (whose data.config keys are ``seed_keys``)."""
    if isinstance(name, str) and name.startswith(INJECTOR_CONFIGMAP):
        return True
    if "values" in data_keys or "mesh" in data_keys:
        return True
    if any(k in seed_keys and k not in INJECTOR_SPEC for k in config_keys):
        return False
    return any(k in INJECTOR_ONLY_KEYS for k in config_keys)


def config_keys(data_node: Mapping) -> list[Any]:
    """Top-level keys of data.config (best effort: [] when it is not a YAML mapping)."""
    raw = deref(data_node.get("config"))
    if not isinstance(raw, Scalar):
        return []
    try:
        inner = deref(compose_document(raw.value))
    except YamlError:
        return []
    return [to_python(k) for k, _ in inner.pairs] if isinstance(inner, Mapping) else []


def _embedded_yaml(data_node: Mapping, key: str, prefix: str) -> Node | None:
    raw = deref(data_node.get(key))
    path = f"{prefix}data.{key}"
    if raw is None or is_null(raw):
        return None
    if not isinstance(raw, Scalar):
        raise ConfigError(f"{path} must be a string holding YAML", path)
    try:
        inner = compose_document(raw.value)
    except YamlError as e:
        raise ConfigError(f"{path} {e.bare}" if e.line is None else f"{path}: {e}", path) from None
    if inner is not None and not is_null(inner) and not isinstance(deref(inner), Mapping):
        raise ConfigError(f"{path} must hold a YAML mapping", path)
    return inner


def _json_values(data_node: Mapping, prefix: str) -> dict[str, Any]:
    raw = deref(data_node.get("values"))
    path = f"{prefix}data.values"
    if raw is None or is_null(raw):
        return {}
    if not isinstance(raw, Scalar):
        raise ConfigError(f"{path} must be a string holding JSON", path)
    try:
        values = json.loads(raw.value) if raw.value.strip() else {}
    except ValueError as e:
        raise ConfigError(f"{path} is not valid JSON: {e}", path) from None
    except RecursionError:
        raise ConfigError(f"{path} is nested too deeply", path) from None
    check_tree(values, VALUES_SPEC, path)
    return values


def _mesh(data_node: Mapping, prefix: str) -> dict[str, Any] | None:
    inner = _embedded_yaml(data_node, "mesh", prefix)
    if inner is None or is_null(inner):
        return None if deref(data_node.get("mesh")) is None else {}
    mesh = node_data(inner, MESH_SPEC)
    check_tree(mesh, MESH_SPEC, f"{prefix}data.mesh")
    return mesh


def _data_of(node: Mapping, prefix: str) -> Mapping:
    data = deref(node.get("data"))
    if data is None or is_null(data):
        return Mapping([])
    if not isinstance(data, Mapping):
        raise ConfigError(f"{prefix}data must be a mapping of strings", f"{prefix}data")
    return data


def _name_of(node: Mapping) -> Any:
    meta = deref(node.get("metadata"))
    name = deref(meta.get("name")) if isinstance(meta, Mapping) else None
    return to_python(name) if name is not None else None


def from_injector(node: Mapping, mesh_cm: Mapping | None = None, prefix: str = "",
                  mesh_prefix: str = "") -> tuple[str | None, IstioSettings]:
    """Istio's injector ConfigMap (and optionally the mesh ConfigMap) -> (policy or None, settings)."""
    data = _data_of(node, prefix)
    extra = sorted(str(to_python(k)) for k, _ in data.pairs if to_python(k) not in INJECTOR_DATA_KEYS)
    if extra:
        raise ConfigError(f"{prefix}data.{extra[0]}: unknown key; allowed: {', '.join(INJECTOR_DATA_KEYS)}",
                          f"{prefix}data.{extra[0]}")
    _mesh_networks(data, prefix)
    inner = _embedded_yaml(data, "config", prefix)
    injector = node_data(inner, INJECTOR_SPEC) if inner is not None and not is_null(inner) else {}
    check_tree(injector, INJECTOR_SPEC, f"{prefix}data.config", closed=True)
    injector = {k: v for k, v in injector.items() if v is not None}
    values = _json_values(data, prefix)
    # A release's data.values is complete as Istio reads it: nothing is filled from krmfn's chart defaults.
    complete = _has_text(data, "values")
    mesh = _mesh(data, prefix)
    if mesh_cm is not None:
        _mesh_networks(_data_of(mesh_cm, mesh_prefix), mesh_prefix)
        other = _mesh(_data_of(mesh_cm, mesh_prefix), mesh_prefix)
        if mesh is not None and other is not None:
            raise ConfigError(f"{mesh_prefix}data.mesh: mesh given twice (also in {prefix}data.mesh)",
                              f"{mesh_prefix}data.mesh")
        mesh = other if other is not None else mesh
    revision = values_revision(values, f"{prefix}data.values")
    name = _name_of(node)
    if not revision and isinstance(name, str) and name.startswith(INJECTOR_CONFIGMAP + "-"):
        revision = check_revision(name[len(INJECTOR_CONFIGMAP) + 1:], f"{prefix}metadata.name")
    if complete:
        _check_images_given(values, prefix)
    return injector.get("policy"), settings(values, mesh or {}, injector, revision).replace(values_complete=complete)


def _check_images_given(values: Any, prefix: str) -> None:
    """A complete data.values must name the proxy image as Istio's chart does (global.hub and global.tag, or a
    global.proxy.image with a registry): nothing is filled in, and the template would write ``None/proxyv2:``."""
    g = values.get("global") if isinstance(values, dict) else None
    g = g if isinstance(g, dict) else {}
    proxy = g.get("proxy")
    image = proxy.get("image") if isinstance(proxy, dict) else None
    if isinstance(image, str) and "/" in image:
        return
    for key in ("hub", "tag"):
        if g.get(key) in (None, ""):
            raise ConfigError(
                f"{prefix}data.values: global.{key} is missing; Istio takes data.values as complete (its chart always "
                f"writes global.hub and global.tag): add it, or give an IstioOperator to start from the chart defaults",
                f"{prefix}data.values.global.{key}")


def _has_text(data: Mapping, key: str) -> bool:
    raw = deref(data.get(key))
    return isinstance(raw, Scalar) and not is_null(raw) and bool(raw.value.strip())


def _mesh_networks(data: Mapping, prefix: str) -> None:
    """data.meshNetworks (the ``istio`` ConfigMap renders it beside data.mesh): istiod's cross-network routing,
    which injection does not read; it must still be a YAML mapping."""
    _embedded_yaml(data, "meshNetworks", prefix)


def is_mesh_configmap(name: Any, data_keys: list[Any]) -> bool:
    """Istio's mesh ConfigMap ``istio``: data.mesh, with data.meshNetworks beside it as the chart renders it."""
    return "mesh" in data_keys and set(data_keys) <= set(MESH_DATA_KEYS) and \
        not str(name or "").startswith(INJECTOR_CONFIGMAP)


def from_list(node: Mapping) -> tuple[str | None, IstioSettings]:
    """A v1 List holding Istio's injector ConfigMap and, optionally, the mesh ConfigMap."""
    items = deref(node.get("items"))
    if not isinstance(items, Sequence):
        raise ConfigError("items: expected a list of ConfigMaps", "items")
    injector: tuple[Mapping, str] | None = None
    mesh: tuple[Mapping, str] | None = None
    for i, item in enumerate(items.items):
        item = deref(item)  # type: ignore[assignment]
        prefix = f"items[{i}]."
        if not isinstance(item, Mapping) or _scalar(item, "kind") != "ConfigMap" or \
                _scalar(item, "apiVersion") not in ("v1", None):
            raise ConfigError(f"{prefix}kind: a List functionConfig holds only v1 ConfigMaps "
                              f"({INJECTOR_CONFIGMAP} and the mesh ConfigMap)", f"{prefix}kind")
        keys = [to_python(k) for k, _ in _data_of(item, prefix).pairs]
        is_mesh_only = is_mesh_configmap(_name_of(item), keys)
        slot = "mesh" if is_mesh_only else "injector"
        if (mesh if slot == "mesh" else injector) is not None:
            what = "mesh ConfigMap (data.mesh)" if slot == "mesh" else f"{INJECTOR_CONFIGMAP} ConfigMap"
            raise ConfigError(f"items[{i}]: a second {what}; give one", f"items[{i}]")
        if slot == "mesh":
            mesh = (item, prefix)
        else:
            injector = (item, prefix)
    if injector is None:
        if mesh is None:
            raise ConfigError(f"items: no {INJECTOR_CONFIGMAP} ConfigMap in the List", "items")
        return from_injector(Mapping([]), mesh[0], "", mesh[1])
    return from_injector(injector[0], mesh[0] if mesh else None, injector[1], mesh[1] if mesh else "")


def _scalar(node: Mapping, key: str) -> Any:
    v = deref(node.get(key))
    return to_python(v) if isinstance(v, Scalar) else None
