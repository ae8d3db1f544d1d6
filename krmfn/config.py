"""functionConfig -> Config.

One table (:data:`FIELDS`) describes every setting: its type, allowed values,
default and documentation.  The same table drives

* reading the seed's ``istio-inject`` ConfigMap (``data.config`` YAML),
* reading a flat ConfigMap (``kpt fn eval ... -- policy=disabled``),
* the JSON Schema that checks the typed ``SidecarInjector`` resource,
* the reference printed by ``krmfn help config`` and kept in docs/reference.md.

String settings are read from the scalar's source text, so ``version: 1.10``
stays ``1.10`` and ``policy: off`` stays ``off`` (YAML 1.1 would make them
``1.1`` and ``false``).
"""

from __future__ import annotations

from .istio.settings import IstioSettings
from .records import Frozen
from .yamlnodes import Mapping, Node, Scalar, Sequence, YamlError, compose_document, deref, is_null, to_python

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TYPED_API_VERSION = "krmfn.dev/v1alpha1"
TYPED_KIND = "SidecarInjector"
POLICIES = ("off", "disabled", "enabled")
LEGACY_TEMPLATE = "legacy-0.2"
MODERN_TEMPLATE = "istio"
# The template every form but the seed's ConfigMap defaults to.
MODERN_DEFAULT_TEMPLATE = MODERN_TEMPLATE
MODES = ("inject", "uninject")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
LEGACY_VERSION = "0.2.4"


def default_template(form: str) -> str:
    """The seed's ConfigMap keeps the 0.2 sidecar; every other form gets the modern default."""
    return LEGACY_TEMPLATE if form == "seed" else MODERN_DEFAULT_TEMPLATE


TEMPLATES = (LEGACY_TEMPLATE, MODERN_TEMPLATE)


class Field(Frozen):
    __slots__ = ("name", "type", "default", "doc", "enum", "section", "minimum")
    name: str
    type: str  # string | integer | boolean | list | object | selectors
    default: Any
    doc: str
    enum: tuple[str, ...] | None
    section: str  # "" (top level), "params" or "mesh"
    minimum: int | None

    def __init__(
        self,
        name: str,
        type: str,
        default: Any,
        doc: str,
        enum: tuple[str, ...] | None = None,
        section: str = "",
        minimum: int | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "type", type)
        set_(self, "default", default)
        set_(self, "doc", doc)
        set_(self, "enum", enum)
        set_(self, "section", section)
        set_(self, "minimum", minimum)


FIELDS: tuple[Field, ...] = (
    Field("policy", "string", "enabled", "off: never inject; disabled: inject only workloads that ask "
          "(sidecar.istio.io/inject: \"true\"); enabled: inject all but those that opt out.", POLICIES),
    Field("namespaces", "list", [""], 'Namespaces to inject; [""] or [] means every namespace.'),
    Field("excludeNamespaces", "list", [], "Namespaces never injected."),
    Field("ignoreNamespaces", "list", ["kube-system", "kube-public", "istio-system"],
          "System namespaces skipped before any other rule."),
    Field("defaultNamespace", "string", "default", "Namespace of items that set none."),
    Field("template", "string", None, "Sidecar template to inject (default: legacy-0.2 for the seed's "
          f"ConfigMap, else {MODERN_DEFAULT_TEMPLATE}).", TEMPLATES),
    Field("mode", "string", "inject", "inject: add the sidecar; uninject: remove it"
          + ".", MODES),
    Field("exactUninject", "boolean", False, "Record in krmfn.dev/uninject what the status annotation cannot "
          "restore, so that uninject is exact (off: output carries only what Istio writes)."),
    Field("revision", "string", "", 'Istio revision this config stands for ("" or default: the default '
          "revision); workloads asking for another one (istio.io/rev) are skipped."),
    Field("nativeSidecars", "boolean", None, "Force native (true) or classic (false) sidecars; default: "
          "values.pilot.env.ENABLE_NATIVE_SIDECARS."),
    Field("neverInjectSelector", "selectors", [], "Label selectors (OR'ed): matching pods are not injected "
          "unless sidecar.istio.io/inject says so."),
    Field("alwaysInjectSelector", "selectors", [], "Label selectors (OR'ed): matching pods are injected "
          "unless sidecar.istio.io/inject or neverInjectSelector says no."),
    Field("values", "object", {}, "Istio Helm values overrides (global.hub, global.proxy.*, "
          "sidecarInjectorWebhook.*, pilot.env.*...), as in IstioOperator spec.values; "
          "global.proxy.autoInject is the policy unless policy is set."),
    Field("meshConfig", "object", {}, "Istio meshConfig overrides (defaultConfig.*, trustDomain...), as in "
          "IstioOperator spec.meshConfig."),
    Field("initializerName", "string", "", "Accepted for the seed's ConfigMap; unused offline."),
    Field("hub", "string", "docker.io/istio", "Image registry/organisation for default images.", section="params"),
    Field("tag", "string", LEGACY_VERSION, "Image tag for default images.", section="params"),
    Field("version", "string", None, "Version written to sidecar.istio.io/status (default: tag).", section="params"),
    Field("initImage", "string", None, "istio-init image (default: <hub>/proxy_init:<tag>).", section="params"),
    Field("proxyImage", "string", None,
          "istio-proxy image (default: <hub>/proxy:<tag>, or <hub>/proxy_debug:<tag> with debugMode).",
          section="params"),
    Field("verbosity", "integer", 2, "Proxy log verbosity (-v).", section="params", minimum=0),
    Field("imagePullPolicy", "string", "IfNotPresent", "Pull policy of injected containers.", PULL_POLICIES,
          section="params"),
    Field("sidecarProxyUID", "integer", 1337, "UID the proxy runs as; iptables skips its traffic.",
          section="params", minimum=0),
    Field("includeIPRanges", "string", "", "Comma-separated CIDRs to redirect (istio-init -i); empty: all.",
          section="params"),
    Field("enableCoreDump", "boolean", False, "Add the enable-core-dump init container.", section="params"),
    Field("debugMode", "boolean", False, "Debug proxy image, privileged, writable root filesystem.",
          section="params"),
    Field("meshConfigMapName", "string", "", "Accepted for the seed's ConfigMap; no effect offline (use mesh).",
          section="params"),
    Field("discoveryAddress", "string", "istio-pilot.istio-system:8080", "Pilot address.", section="mesh"),
    Field("drainDuration", "string", "2s", "Proxy drain duration.", section="mesh"),
    Field("parentShutdownDuration", "string", "3s", "Proxy parent shutdown duration.", section="mesh"),
    Field("discoveryRefreshDelay", "string", "1s", "Discovery refresh delay.", section="mesh"),
    Field("connectTimeout", "string", "1s", "Upstream connect timeout.", section="mesh"),
    Field("proxyAdminPort", "integer", 15000, "Envoy admin port.", section="mesh", minimum=1),
    Field("zipkinAddress", "string", "", "Zipkin collector address; empty: tracing off.", section="mesh"),
    Field("statsdUdpAddress", "string", "", "statsd UDP address; empty: off.", section="mesh"),
)

BY_NAME = {f.name: f for f in FIELDS}
# Settings that make IstioSettings (the rest configure the legacy template and the policy).
MODERN_FIELDS = ("values", "meshConfig", "revision", "nativeSidecars", "neverInjectSelector", "alwaysInjectSelector")


class ConfigError(Exception):
    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


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
        ignore_namespaces: tuple[str, ...] = ("kube-system", "kube-public", "istio-system"),
        default_namespace: str = "default",
        template: str = "legacy-0.2",
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


SELECTOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string", "minLength": 1},
                    "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


def enum_of(f: Field) -> tuple[str, ...] | None:
    """Allowed values of a field."""
    return f.enum


def json_schema() -> dict[str, Any]:
    """JSON Schema of the typed ``SidecarInjector`` functionConfig."""

    def prop(f: Field) -> dict[str, Any]:
        if f.type == "list":
            p: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
        elif f.type == "selectors":
            p = {"type": "array", "items": SELECTOR_SCHEMA}
        else:
            p = {"type": f.type}
        if enum_of(f):
            p["enum"] = list(enum_of(f) or ())
        if f.minimum is not None:
            p["minimum"] = f.minimum
        p["description"] = f.doc
        return p

    sections: dict[str, dict[str, Any]] = {"": {}, "params": {}, "mesh": {}}
    for f in FIELDS:
        sections[f.section][f.name] = prop(f)
    top = dict(sections[""])
    for name in ("params", "mesh"):
        top[name] = {"type": "object", "additionalProperties": False, "properties": sections[name]}
    top["apiVersion"] = {"const": TYPED_API_VERSION}
    top["kind"] = {"const": TYPED_KIND}
    top["metadata"] = {"type": "object"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": TYPED_KIND,
        "type": "object",
        "required": ["apiVersion", "kind"],
        "additionalProperties": False,
        "properties": top,
    }


# --- reading ------------------------------------------------------------------


def _typed_data(node: Node, top: bool = True) -> Any:
    """Python data of a config mapping, string fields taken from source text."""
    node = deref(node)  # type: ignore[assignment]
    if not isinstance(node, Mapping):
        return to_python(node)
    out: dict[str, Any] = {}
    for k, v in node.pairs:
        key = _key(k)
        f = BY_NAME.get(key)
        v = deref(v)  # type: ignore[assignment]
        if top and key in ("params", "mesh"):
            out[key] = _typed_data(v, top=False)
        elif f is not None and f.type in ("object", "selectors"):
            from . import istio_forms

            out[key] = istio_forms.node_data(v, istio_forms.FIELD_SPECS[key])
        elif f is not None and f.type == "string" and isinstance(v, Scalar) and v.tag is None:
            out[key] = None if is_null(v) else v.value
        elif f is not None and f.type == "list" and isinstance(v, Sequence):
            out[key] = [_source_text(i) for i in v.items]
        else:
            out[key] = to_python(v)
    return out


def _key(node: Node) -> str:
    """A config key as written (``on:`` stays ``on``); a key that is a list or mapping is an error."""
    target = deref(node)
    if not isinstance(target, Scalar):
        raise ConfigError(f"a key at line {node.line + 1} is a {'list' if isinstance(target, Sequence) else 'mapping'},"
                          " not a field name", None)
    return target.value


def _source_text(node: Node) -> Any:
    """A scalar's text as written (no YAML 1.1 typing), other nodes as data."""
    target = deref(node)
    if isinstance(target, Scalar) and target.tag is None:
        return target.value
    return to_python(node)


def _check(data: dict[str, Any], section: str, path: str) -> dict[str, Any]:
    """Validate one section of seed/flat data against the field table."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        f = BY_NAME.get(key) if isinstance(key, str) else None
        if section == "" and key in ("params", "mesh"):
            if value is None:
                continue
            if not isinstance(value, dict):
                raise ConfigError(f"{path}{key} must be a mapping", f"{path}{key}")
            out.update(_check(value, key, f"{path}{key}."))
            continue
        if f is None or f.section != section:
            allowed = sorted(x.name for x in FIELDS if x.section == section)
            if section == "":
                allowed += ["mesh", "params"]
            raise ConfigError(
                f"{path}{key}: unknown field; allowed: {', '.join(allowed)}", f"{path}{key}"
            )
        out[key] = _coerce(f, value, f"{path}{key}")
    return out


def _coerce(f: Field, value: Any, path: str) -> Any:
    if value is None:
        return f.default
    if f.type == "string":
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ConfigError(f"{path}: expected a string, got {value!r}", path)
        value = str(value)
        enum = enum_of(f)
        if enum and value not in enum:
            raise ConfigError(f"{path}: {value!r} is not one of {', '.join(enum)}", path)
        return _check_value(f, value, path)
    if f.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected an integer, got {value!r}", path)
        if f.minimum is not None and value < f.minimum:
            raise ConfigError(f"{path}: {value} is below the minimum {f.minimum}", path)
        return value
    if f.type == "boolean":
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false, got {value!r}", path)
        return value
    if f.type == "list":
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ConfigError(f"{path}: expected a list of strings, got {value!r}", path)
        return value
    if f.type in ("object", "selectors"):
        from . import istio_forms

        istio_forms.check_tree(value, istio_forms.FIELD_SPECS[f.name], path)
        return value
    raise AssertionError(f.type)  # pragma: no cover


def _check_value(f: Field, value: Any, path: str) -> Any:
    """Checks beyond the type: revision names."""
    if f.name == "revision":
        from . import istio_forms

        return istio_forms.check_revision(value, path)
    return value


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    """Flat ConfigMap data: every value a string, lists comma-separated."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"data.{key}"
        f = BY_NAME.get(key) if isinstance(key, str) else None
        if f is None and isinstance(key, str) and isinstance(value, str):
            from . import istio_flat

            if istio_flat.is_dotted(key):  # values.a.b=... / meshConfig.a.b=..., as istioctl --set
                istio_flat.set_dotted(out, key, value, path)
                continue
        if f is None:
            allowed = ", ".join(sorted(BY_NAME))
            raise ConfigError(f"{path}: unknown field; allowed: {allowed} (and values.<path>, "
                              "meshConfig.<path> as istioctl --set)", path)
        if f.type in ("object", "selectors"):
            raise ConfigError(f"{path}: not available in a flat ConfigMap; use the typed {TYPED_KIND} "
                              "or a data.config", path)
        if not isinstance(value, str):
            raise ConfigError(f"{path}: expected a string, got {value!r}", path)
        text = value
        if f.type == "list":
            out[key] = [p.strip() for p in text.split(",")] if text.strip() else []
            if out[key] == [""]:
                out[key] = []
        elif f.type == "integer":
            try:
                out[key] = int(text.strip())
            except ValueError:
                raise ConfigError(f"{path}: expected an integer, got {text!r}", path) from None
            out[key] = _coerce(f, out[key], path)
        elif f.type == "boolean":
            low = text.strip().lower()
            if low not in ("true", "false"):
                raise ConfigError(f"{path}: expected true or false, got {text!r}", path)
            out[key] = low == "true"
        else:
            out[key] = _coerce(f, text, path)
    for key in ("values", "meshConfig"):
        if key in out:
            out[key] = _coerce(BY_NAME[key], out[key], f"data.{key}")
    return out


def _parse_embedded(text: str, path: str) -> Node | None:
    try:
        return compose_document(text)
    except YamlError as e:
        raise ConfigError(f"{path} {e.bare}" if e.line is None else f"{path}: {e}", path) from None


def parse_text(text: str) -> Node | None:
    """A functionConfig given as YAML text (a config file).

    A file of several documents (Istio's injector ConfigMap, then the mesh
    ConfigMap) reads as the ``v1`` ``List`` holding them.
    """
    spans = _document_spans(text)
    if len(spans) <= 1:
        return _parse_embedded(text, "config")
    # each document composed alone, behind blank lines so that error lines count from the file's start
    docs = [_parse_embedded("\n" * text.count("\n", 0, a) + text[a:b], f"config document {i + 1}")
            for i, (a, b) in enumerate(spans)]
    items = [d for d in docs if d is not None]
    if len(items) <= 1:
        return items[0] if items else None
    return Mapping([(Scalar("apiVersion"), Scalar("v1")), (Scalar("kind"), Scalar("List")),
                    (Scalar("items"), Sequence(items))])


def _document_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the documents of a YAML stream, up to the one that cannot be scanned (composing it
    reports the error)."""
    import yaml

    from . import yamlc

    starts: list[int] = []
    loader = yamlc.SafeLoader(text)
    try:
        while True:
            ev = loader.get_event()
            if ev is None or isinstance(ev, yaml.StreamEndEvent):
                break
            if isinstance(ev, yaml.DocumentStartEvent):
                starts.append(ev.start_mark.index)
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return [(a, b) for a, b in zip(starts, starts[1:] + [len(text)])]


def parse(node: Node | None) -> Config:
    """Read a functionConfig node (or None) into a Config; raises ConfigError."""
    try:
        return _parse(node)
    except YamlError as e:  # e.g. an alias bomb met while reading the config's data
        raise ConfigError(f"functionConfig cannot be read: {e}", None) from None


def _parse(node: Node | None) -> Config:
    node = deref(node)
    if node is None or is_null(node):
        return build({}, "default")
    if not isinstance(node, Mapping):
        raise ConfigError("functionConfig must be a mapping", "")
    if not node.pairs:
        return build({}, "default")
    api_version = to_python(node.get("apiVersion")) if node.get("apiVersion") is not None else None
    kind = to_python(node.get("kind")) if node.get("kind") is not None else None
    if kind == "List" and api_version == "v1":
        from . import istio_forms

        policy, istio = istio_forms.from_list(node)
        return _modern(policy, istio, "istio-injector")
    if kind == "IstioOperator" and isinstance(api_version, str) and api_version.startswith("install.istio.io/"):
        from . import istio_forms

        policy, istio, notes = istio_forms.from_operator(node)
        return _modern(policy, istio, "istio-operator", tuple(notes))
    if kind == "ConfigMap" and api_version in ("v1", None):
        data_node = deref(node.get("data"))
        if data_node is None or is_null(data_node):
            return build({}, "flat")
        if not isinstance(data_node, Mapping):
            raise ConfigError("data must be a mapping of strings", "data")
        keys = [k.value for k, _ in data_node.pairs if isinstance(k, Scalar)]
        if _is_injector(node, keys, data_node):
            from . import istio_forms

            policy, istio = istio_forms.from_injector(node)
            return _modern(policy, istio, "istio-injector")
        if "config" in keys:
            extra = [k for k in keys if k != "config"]
            if extra:
                raise ConfigError(
                    f"data.{extra[0]}: unknown key beside data.config; put every setting in data.config",
                    f"data.{extra[0]}",
                )
            raw = deref(data_node.get("config"))
            if not isinstance(raw, Scalar):
                raise ConfigError("data.config must be a string holding YAML", "data.config")
            inner = _parse_embedded(raw.value, "data.config")
            if inner is None:
                return build({}, "seed")
            if not isinstance(deref(inner), Mapping):
                raise ConfigError("data.config must hold a YAML mapping", "data.config")
            data = _typed_data(inner)
            return build(_check(data, "", "data.config."), "seed")
        return build(_flat({_key(k): _source_text(v) for k, v in data_node.pairs}), "flat")
    if kind == TYPED_KIND or api_version == TYPED_API_VERSION:
        data = _typed_data(node)
        _validate_typed(data)
        values = {k: v for k, v in data.items() if k not in ("apiVersion", "kind", "metadata")}
        return build(_check(values, "", ""), "typed")
    raise ConfigError(
        f"functionConfig {api_version}/{kind} is not supported; use a ConfigMap (v1), a List (v1) of Istio's "
        f"ConfigMaps, an install.istio.io/v1alpha1 IstioOperator or {TYPED_API_VERSION} {TYPED_KIND}",
        "kind",
    )


def _is_injector(node: Mapping, data_keys: list[str], data_node: Mapping) -> bool:
    from . import istio_forms

    meta = deref(node.get("metadata"))
    name = to_python(meta.get("name")) if isinstance(meta, Mapping) and meta.get("name") is not None else None
    inner_keys = istio_forms.config_keys(data_node) if "config" in data_keys else []
    seed_keys = {f.name for f in FIELDS if not f.section} | {"params", "mesh"}
    return istio_forms.is_injector_configmap(name, data_keys, inner_keys, seed_keys)


# Namespaces today's Istio never injects (kube-inject and the webhook); istio-system is not one of them.
ISTIO_IGNORED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "local-path-storage")


def _modern(policy: str | None, istio: IstioSettings, form: str, notes: tuple[str, ...] = ()) -> Config:
    """A Config for Istio's own formats: their policy, settings, ignored namespaces and inject-value rules."""
    values: dict[str, Any] = {"ignoreNamespaces": list(ISTIO_IGNORED_NAMESPACES)}
    if policy:
        values["policy"] = policy
    return build(values, form, istio=istio, strict=True, notes=notes)


def _validate_typed(data: dict[str, Any]) -> None:
    import jsonschema  # only here: it costs ~70 ms of start-up

    validator = jsonschema.Draft202012Validator(json_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    err = errors[0]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path).lstrip(".")
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        field_path = ".".join([p for p in (path, extra[0] if extra else "") if p])
        allowed = ", ".join(sorted(err.schema.get("properties", {})))
        raise ConfigError(f"{field_path}: unknown field; allowed: {allowed}", field_path)
    if err.validator == "enum":
        raise ConfigError(
            f"{path}: {err.instance!r} is not one of {', '.join(map(str, err.validator_value))}", path
        )
    if err.validator == "const":
        raise ConfigError(f"{path}: must be {err.validator_value!r}", path)
    raise ConfigError(f"{path or 'functionConfig'}: {err.message}", path or None)


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

    params = {f.name: get(f.name) for f in FIELDS if f.section == "params"}
    hub, tag = params["hub"], params["tag"]
    if params["version"] is None:
        params["version"] = tag
    if params["initImage"] is None:
        params["initImage"] = f"{hub}/proxy_init:{tag}"
    if params["proxyImage"] is None:
        params["proxyImage"] = f"{hub}/proxy_debug:{tag}" if params["debugMode"] else f"{hub}/proxy:{tag}"
    mesh = {f.name: get(f.name) for f in FIELDS if f.section == "mesh"}
    policy = values.get("policy")
    template = values.get("template") or default_template(form)
    legacy_only = [f.name for f in FIELDS if f.section in ("params", "mesh")
                   and values.get(f.name) is not None and f.name != "meshConfigMapName"]
    if template != LEGACY_TEMPLATE and legacy_only:
        values = _legacy_for_istio(values, legacy_only, form, istio)
    if istio is None and any(values.get(k) not in (None, "", [], {}) for k in MODERN_FIELDS):
        from . import istio_forms

        istio, values_policy = istio_forms.from_fields(values)
        policy = policy or values_policy
    all_notes = list(notes)
    if values.get("meshConfigMapName"):
        all_notes.append(
            f"params.meshConfigMapName {values['meshConfigMapName']!r} has no effect offline: "
            "krmfn reads no cluster; set mesh fields in the config instead"
        )
    return Config(
        policy=policy or BY_NAME["policy"].default,
        namespaces=tuple(get("namespaces")),
        exclude_namespaces=tuple(get("excludeNamespaces")),
        ignore_namespaces=tuple(get("ignoreNamespaces")),
        default_namespace=get("defaultNamespace"),
        template=template,
        params=params,
        mesh=mesh,
        form=form,
        notes=tuple(all_notes),
        istio=istio if istio is not None else IstioSettings(),
        mode=get("mode"),
        strict_inject_values=strict,
        exact_uninject=bool(get("exactUninject")),
    )


def _legacy_for_istio(
    values: dict[str, Any], names: list[str], form: str, istio: IstioSettings | None
) -> dict[str, Any]:
    """The 0.2-era settings ``names`` turned into the Istio values and mesh config they stand for
    (krmfn.istio_flat.LEGACY), merged into ``values``; a setting Istio's template cannot take is refused."""
    from . import istio_flat, istio_forms

    section_of = {n: "data" if form == "flat" else BY_NAME[n].section for n in names}
    if istio is not None:
        where = f"{section_of.get(names[0], '')}.{names[0]}".lstrip(".")
        raise ConfigError(f"{where}: not available beside Istio's own config; set its values instead", where)
    over_values, over_mesh = istio_flat.legacy_overrides({n: values[n] for n in names}, section_of)
    out = dict(values)
    if over_values:
        out["values"] = istio_flat.merge_overrides(values.get("values"), over_values, "values")
        istio_forms.check_tree(out["values"], istio_forms.VALUES_SPEC, "values")
    if over_mesh:
        out["meshConfig"] = istio_flat.merge_overrides(values.get("meshConfig"), over_mesh, "meshConfig")
        istio_forms.check_tree(out["meshConfig"], istio_forms.MESH_SPEC, "meshConfig")
    return out
