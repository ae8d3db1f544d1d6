"""The one field vocabulary of every config form, and the tables written in it.

A *type* is a leaf type name of :data:`LEAVES` (``string``, ``integer``, ``list of strings``,
``selectors``, ``mapping``...), an enum ``("enum", value...)``, or a mapping of known child fields to
their types (``VALUES_SPEC``, ``MESH_SPEC``, ``INJECTOR_SPEC``).  The same names type krmfn's own
settings (:data:`FIELDS`, read by the seed, flat and typed forms) and Istio's (``values``,
``meshConfig``, the injector's ``data.config``); from :data:`LEAVES` come

* the checks (:mod:`krmfn.config.checks`: ``expected`` and ``test`` of each leaf),
* the JSON Schema of the typed form (:mod:`krmfn.config.schema`: ``json`` of each leaf),
* the type column of the reference (``krmfn help config``, docs/reference.md: :func:`label_of`).

No imports beyond the standard library and :mod:`krmfn.records`: every module may import this one.
"""

from __future__ import annotations

from ..records import Frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Spec = str | tuple[Any, ...] | dict[str, Any]  # a leaf type, ("enum", values...), or a mapping of known children

# --- constants -------------------------------------------------------------------------------------------

TYPED_API_VERSION = "krmfn.dev/v1alpha1"
TYPED_KIND = "SidecarInjector"
OPERATOR_API_GROUP = "install.istio.io"
OPERATOR_API_VERSION = "install.istio.io/v1alpha1"
OPERATOR_KIND = "IstioOperator"
INJECTOR_CONFIGMAP = "istio-sidecar-injector"
# One policy vocabulary: krmfn's `policy` setting and Istio's injector data.config `policy`.
POLICIES = ("off", "disabled", "enabled")
LEGACY_TEMPLATE = "legacy-0.2"
MODERN_TEMPLATE = "istio"
# The template every form but the seed's ConfigMap defaults to.
MODERN_DEFAULT_TEMPLATE = MODERN_TEMPLATE
TEMPLATES = (LEGACY_TEMPLATE, MODERN_TEMPLATE)
MODES = ("inject", "uninject")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
LEGACY_VERSION = "0.2.4"
# System namespaces the 0.2 forms (seed, flat, typed) skip by default (their ignoreNamespaces default).
LEGACY_IGNORED_NAMESPACES = ("kube-system", "kube-public", "istio-system")
# Namespaces today's Istio never injects (kube-inject and the webhook); istio-system is not one of them.
# Istio's own forms use them, and krmfn.istio.pod.
ISTIO_IGNORED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "local-path-storage")


def default_template(form: str) -> str:
    """The seed's ConfigMap keeps the 0.2 sidecar; every other form gets the modern default."""
    return LEGACY_TEMPLATE if form == "seed" else MODERN_DEFAULT_TEMPLATE


# --- the vocabulary: leaf types --------------------------------------------------------------------------

STR, SCALAR, BOOL, INT, STRLIST, STRMAP, SELECTORS, MAP, ENV, BOOLISH, ALIASES = (
    "string", "scalar", "boolean", "integer", "list of strings", "mapping of strings", "selectors", "mapping",
    "env", "boolish", "aliases",
)

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


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_scalar(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (str, int, float))


def _is_int(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, int)


def _is_strlist(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _is_strmap(v: Any) -> bool:
    return isinstance(v, dict) and all(isinstance(x, str) for x in v.values())


def _is_boolish(v: Any) -> bool:
    return isinstance(v, bool) or str(v).lower() in ("true", "false")


class Leaf(Frozen):
    """One leaf type: what a value must be (``test``; None: checked by its own code), the words of the
    message when it is not (``expected``), its JSON Schema (``json``; None: not a typed-form field type)
    and its label in the reference."""

    __slots__ = ("expected", "test", "json", "label")
    expected: str
    test: Callable[[Any], bool] | None
    json: dict[str, Any] | None
    label: str

    def __init__(self, expected: str, test: Callable[[Any], bool] | None, json: dict[str, Any] | None = None,
                 label: str = "") -> None:
        set_ = object.__setattr__
        set_(self, "expected", expected)
        set_(self, "test", test)
        set_(self, "json", json)
        set_(self, "label", label)


LEAVES: dict[str, Leaf] = {
    STR: Leaf("a string", _is_str, {"type": "string"}, "string"),
    SCALAR: Leaf("a string", _is_scalar),
    BOOL: Leaf("true or false", lambda v: isinstance(v, bool), {"type": "boolean"}, "boolean"),
    INT: Leaf("an integer", _is_int, {"type": "integer"}, "integer"),
    STRLIST: Leaf("a list of strings", _is_strlist, {"type": "array", "items": {"type": "string"}}, "list"),
    STRMAP: Leaf("a mapping of strings to strings", _is_strmap),
    MAP: Leaf("a mapping", lambda v: isinstance(v, dict), {"type": "object"}, "object"),
    BOOLISH: Leaf('true or false (or "true"/"false")', _is_boolish),
    ENV: Leaf("a mapping of variable names to values", None),
    ALIASES: Leaf("a mapping of names to lists of template names", None),
    SELECTORS: Leaf("a list of label selectors", None, {"type": "array", "items": SELECTOR_SCHEMA}, "selectors"),
}

# --- Istio's settings, as far as krmfn reads them (other fields pass through to the template) -------------

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
    "policy": ("enum",) + POLICIES, "alwaysInjectSelector": SELECTORS, "neverInjectSelector": SELECTORS,
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

# --- krmfn's own settings (seed, flat and typed forms) ---------------------------------------------------


class Field(Frozen):
    """One setting: its leaf ``type`` (of :data:`LEAVES`), the table of its known children for a ``mapping``
    (``values``, ``meshConfig``), default, doc, allowed values, section and minimum."""

    __slots__ = ("name", "type", "default", "doc", "enum", "section", "minimum", "children")
    name: str
    type: str  # STR | INT | BOOL | STRLIST | MAP | SELECTORS
    default: Any
    doc: str
    enum: tuple[str, ...] | None
    section: str  # "" (top level), "params" or "mesh"
    minimum: int | None
    children: dict[str, Spec] | None

    def __init__(
        self,
        name: str,
        type: str,
        default: Any,
        doc: str,
        enum: tuple[str, ...] | None = None,
        section: str = "",
        minimum: int | None = None,
        children: dict[str, Spec] | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "type", type)
        set_(self, "default", default)
        set_(self, "doc", doc)
        set_(self, "enum", enum)
        set_(self, "section", section)
        set_(self, "minimum", minimum)
        set_(self, "children", children)

    @property
    def spec(self) -> Spec:
        """The field's type as the Istio tables write types (its children table for a mapping)."""
        return self.children if self.children is not None else self.type


FIELDS: tuple[Field, ...] = (
    Field("policy", STR, "enabled", "off: never inject; disabled: inject only workloads that ask "
          "(sidecar.istio.io/inject: \"true\"); enabled: inject all but those that opt out.", POLICIES),
    Field("namespaces", STRLIST, [""], 'Namespaces to inject; [""] or [] means every namespace.'),
    Field("excludeNamespaces", STRLIST, [], "Namespaces never injected."),
    Field("ignoreNamespaces", STRLIST, list(LEGACY_IGNORED_NAMESPACES),
          "System namespaces skipped before any other rule."),
    Field("defaultNamespace", STR, "default", "Namespace of items that set none."),
    Field("template", STR, None, "Sidecar template to inject (default: legacy-0.2 for the seed's "
          f"ConfigMap, else {MODERN_DEFAULT_TEMPLATE}).", TEMPLATES),
    Field("mode", STR, "inject", "inject: add the sidecar; uninject: remove it"
          + ".", MODES),
    Field("exactUninject", BOOL, False, "Record in krmfn.dev/uninject what the status annotation cannot "
          "restore, so that uninject is exact (off: output carries only what Istio writes)."),
    Field("revision", STR, "", 'Istio revision this config stands for ("" or default: the default '
          "revision); workloads asking for another one (istio.io/rev) are skipped."),
    Field("nativeSidecars", BOOL, None, "Force native (true) or classic (false) sidecars; default: "
          "values.pilot.env.ENABLE_NATIVE_SIDECARS."),
    Field("neverInjectSelector", SELECTORS, [], "Label selectors (OR'ed): matching pods are not injected "
          "unless sidecar.istio.io/inject says so."),
    Field("alwaysInjectSelector", SELECTORS, [], "Label selectors (OR'ed): matching pods are injected "
          "unless sidecar.istio.io/inject or neverInjectSelector says no."),
    Field("values", MAP, {}, "Istio Helm values overrides (global.hub, global.proxy.*, "
          "sidecarInjectorWebhook.*, pilot.env.*...), as in IstioOperator spec.values; "
          "global.proxy.autoInject is the policy unless policy is set.", children=VALUES_SPEC),
    Field("meshConfig", MAP, {}, "Istio meshConfig overrides (defaultConfig.*, trustDomain...), as in "
          "IstioOperator spec.meshConfig.", children=MESH_SPEC),
    Field("initializerName", STR, "", "Accepted for the seed's ConfigMap; unused offline."),
    Field("hub", STR, "docker.io/istio", "Image registry/organisation for default images.", section="params"),
    Field("tag", STR, LEGACY_VERSION, "Image tag for default images.", section="params"),
    Field("version", STR, None, "Version written to sidecar.istio.io/status (default: tag).", section="params"),
    Field("initImage", STR, None, "istio-init image (default: <hub>/proxy_init:<tag>).", section="params"),
    Field("proxyImage", STR, None,
          "istio-proxy image (default: <hub>/proxy:<tag>, or <hub>/proxy_debug:<tag> with debugMode).",
          section="params"),
    Field("verbosity", INT, 2, "Proxy log verbosity (-v).", section="params", minimum=0),
    Field("imagePullPolicy", STR, "IfNotPresent", "Pull policy of injected containers.", PULL_POLICIES,
          section="params"),
    Field("sidecarProxyUID", INT, 1337, "UID the proxy runs as; iptables skips its traffic.",
          section="params", minimum=0),
    Field("includeIPRanges", STR, "", "Comma-separated CIDRs to redirect (istio-init -i); empty: all.",
          section="params"),
    Field("enableCoreDump", BOOL, False, "Add the enable-core-dump init container.", section="params"),
    Field("debugMode", BOOL, False, "Debug proxy image, privileged, writable root filesystem.",
          section="params"),
    Field("meshConfigMapName", STR, "", "Accepted for the seed's ConfigMap; no effect offline (use mesh).",
          section="params"),
    Field("discoveryAddress", STR, "istio-pilot.istio-system:8080", "Pilot address.", section="mesh"),
    Field("drainDuration", STR, "2s", "Proxy drain duration.", section="mesh"),
    Field("parentShutdownDuration", STR, "3s", "Proxy parent shutdown duration.", section="mesh"),
    Field("discoveryRefreshDelay", STR, "1s", "Discovery refresh delay.", section="mesh"),
    Field("connectTimeout", STR, "1s", "Upstream connect timeout.", section="mesh"),
    Field("proxyAdminPort", INT, 15000, "Envoy admin port.", section="mesh", minimum=1),
    Field("zipkinAddress", STR, "", "Zipkin collector address; empty: tracing off.", section="mesh"),
    Field("statsdUdpAddress", STR, "", "statsd UDP address; empty: off.", section="mesh"),
)

BY_NAME = {f.name: f for f in FIELDS}
# Settings that make IstioSettings (the rest configure the legacy template and the policy).
MODERN_FIELDS = ("values", "meshConfig", "revision", "nativeSidecars", "neverInjectSelector", "alwaysInjectSelector")
# The section keys of the seed and typed forms.
SECTIONS = ("params", "mesh")
# data.config keys of the seed's istio-inject ConfigMap.
SEED_KEYS = frozenset(f.name for f in FIELDS if not f.section) | frozenset(SECTIONS)


def enum_of(f: Field) -> tuple[str, ...] | None:
    """Allowed values of a field."""
    return f.enum


def label_of(f: Field) -> str:
    """The type column of the reference: the allowed values, else the leaf's label."""
    return " \\| ".join(f.enum) if f.enum else LEAVES[f.type].label
