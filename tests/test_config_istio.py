"""Today's Istio configuration as functionConfig: IstioOperator, Istio's injector ConfigMap (alone or in a
List with the mesh ConfigMap), and the typed form's values/meshConfig/revision/selectors/mode."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import yaml
from helpers import CONFORMANCE, dump, resource_list, run_text

import krmfn.config as config_mod
from krmfn.config import ConfigError, json_schema, parse, parse_text
from krmfn.function import run_stream
from krmfn.text.nodes import compose_document

DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
}
DB = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "db", "namespace": "shop"},
    "spec": {"template": {"metadata": {"labels": {"app": "db"}},
                          "spec": {"containers": [{"name": "db", "image": "postgres"}]}}},
}


def cfg(text: str) -> config_mod.Config:
    return parse(compose_document(text))


def operator(spec: Any) -> dict[str, Any]:
    return {"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator",
            "metadata": {"name": "control-plane", "namespace": "istio-system"}, "spec": spec}


def injector(config: Any = None, values: Any = None, mesh: str | None = None,
             name: str = "istio-sidecar-injector") -> dict[str, Any]:
    data: dict[str, Any] = {}
    if config is not None:
        data["config"] = config if isinstance(config, str) else dump(config)
    if values is not None:
        data["values"] = values if isinstance(values, str) else json.dumps(values, indent=2)
    if mesh is not None:
        data["mesh"] = mesh
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "istio-system"},
            "data": data}


def mesh_cm(mesh: str, name: str = "istio") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "istio-system"},
            "data": {"mesh": mesh}}


def as_list(*items: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": list(items)}


def typed(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "krmfn.dev/v1alpha1", "kind": "SidecarInjector", "metadata": {"name": "x"}, **fields}


def outcomes(fc: Any, items: list | None = None) -> dict[str, str]:
    out = run_text(resource_list(items or [DEPLOY, DB], fc))
    assert out.exit_code == 0, [r.line() for r in out.results]
    return {r.resource_ref["name"]: r.message for r in out.results if r.resource_ref and r.severity == "info"}


# --- IstioOperator -----------------------------------------------------------------------

OPERATOR_TEXT = """\
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata:
  name: control-plane
spec:
  hub: registry.example.com/istio
  tag: 1.20
  revision: canary
  components:
    cni:
      enabled: true
  meshConfig:
    trustDomain: example.org
    defaultConfig:
      holdApplicationUntilProxyStarts: true
  values:
    global:
      hub: ignored.example.com
      imagePullSecrets: [pull-secret]
      platform: openshift
      proxy:
        autoInject: disabled
        excludeInboundPorts: 9090
        resources:
          requests: {cpu: 10m}
      proxy_init:
        image: proxyv2
    meshConfig:
      trustDomain: overridden.example.org
      accessLogFile: /dev/stdout
    sidecarInjectorWebhook:
      rewriteAppHTTPProbe: false
      neverInjectSelector:
      - matchExpressions:
        - {key: app, operator: In, values: [db]}
      alwaysInjectSelector:
      - matchLabels: {mesh: "on"}
      injectedAnnotations:
        example.com/owner: team
      defaultTemplates: [sidecar, custom]
      templates:
        custom: |
          metadata:
            labels:
              custom: "{{ .Values.global.tag }}"
    pilot:
      env:
        ENABLE_NATIVE_SIDECARS: true
        COMPLIANCE_POLICY: fips-140-2
"""


def test_istio_operator_fills_the_settings() -> None:
    c = cfg(OPERATOR_TEXT)
    s = c.istio
    assert (c.form, c.policy, c.strict_inject_values, c.mode) == ("istio-operator", "disabled", True, "inject")
    assert c.template == config_mod.MODERN_DEFAULT_TEMPLATE
    assert s.revision == "canary"
    glob = s.values["global"]
    # istioctl copies spec.hub into values.global.hub, then lays the user's spec.values over again: the value
    # written in spec.values wins (operator/pkg/render/manifest.go, MergeInputs)
    assert glob["hub"] == "ignored.example.com"
    assert glob["tag"] == "1.20"  # the text as written, not the float 1.2
    assert glob["imagePullSecrets"] == ["pull-secret"]
    assert glob["proxy"]["excludeInboundPorts"] == "9090"
    assert glob["proxy"]["resources"] == {"requests": {"cpu": "10m"}}
    assert glob["proxy_init"] == {"image": "proxyv2"}
    assert s.values["revision"] == "canary"
    assert s.values["pilot"]["cni"] == {"enabled": True}
    assert s.values["pilot"]["env"]["ENABLE_NATIVE_SIDECARS"] == "true"
    assert s.values["sidecarInjectorWebhook"]["rewriteAppHTTPProbe"] is False
    # spec.meshConfig goes into values.meshConfig, then spec.values are laid over again: values.meshConfig wins
    assert s.mesh == {"trustDomain": "overridden.example.org", "accessLogFile": "/dev/stdout",
                      "defaultConfig": {"holdApplicationUntilProxyStarts": True}}
    assert s.never_inject_selector == ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["db"]}]},)
    assert s.always_inject_selector == ({"matchLabels": {"mesh": "on"}},)
    assert s.injected_annotations == {"example.com/owner": "team"}
    assert s.default_templates == ("sidecar", "custom")
    assert s.templates == {"custom": 'metadata:\n  labels:\n    custom: "{{ .Values.global.tag }}"\n'}
    assert s.native_sidecars is None  # the template reads pilot.env.ENABLE_NATIVE_SIDECARS
    assert s.features == {"COMPLIANCE_POLICY": "fips-140-2", "PLATFORM": "openshift"}


def test_istio_operator_values_are_overrides_only() -> None:
    s = cfg(dump(operator({"values": {"global": {"tag": "1.22.0"}}}))).istio
    assert s.values == {"global": {"tag": "1.22.0"}}
    assert s.mesh == {} and s.revision == "" and s.templates == {} and s.default_templates == ("sidecar",)
    empty = cfg(dump(operator(None)))
    assert (empty.form, empty.policy, empty.istio.values) == ("istio-operator", "enabled", {})


def test_istio_operator_unvalidated_values_and_values_revision() -> None:
    s = cfg(dump(operator({"values": {"revision": "stable", "global": {"hub": "a"}},
                           "unvalidatedValues": {"global": {"custom": 1}}}))).istio
    assert s.revision == "stable"
    assert s.values["global"] == {"hub": "a", "custom": 1}
    assert cfg(dump(operator({"revision": "default"}))).istio.revision == ""


def test_istio_operator_policy_and_selectors_end_to_end() -> None:
    spec = {"values": {"sidecarInjectorWebhook": {"neverInjectSelector": [{"matchLabels": {"app": "db"}}]}}}
    got = outcomes(operator(spec))
    assert got["web"].startswith("injected")
    assert got["db"] == "skipped: neverInjectSelector[0] matches the pod labels"
    off = outcomes(operator({"values": {"global": {"proxy": {"autoInject": "disabled"}}}}))
    assert off == {"web": "skipped: policy disabled", "db": "skipped: policy disabled"}


def test_istio_operator_profile_is_reported_not_applied() -> None:
    out = run_text(resource_list([DEPLOY], operator({"profile": "demo"})))
    assert out.exit_code == 0
    assert any("spec.profile 'demo' is not applied" in r.message for r in out.results)


def test_istio_operator_revision_skips_other_revisions() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"istio.io/rev": "stable"}}}
    got = outcomes(operator({"revision": "canary"}), [ns, DEPLOY])
    assert got == {"web": "skipped: revision stable (namespace shop label) is not this config's revision canary"}


# --- Istio's injector ConfigMap ----------------------------------------------------------

INJECTOR_CONFIG = """\
# defaultTemplates defines the default template to use for pods that do not explicitly specify a template
defaultTemplates: [sidecar]
policy: enabled
alwaysInjectSelector:
  []
neverInjectSelector:
  - matchExpressions:
    - key: app
      operator: In
      values: [db]
injectedAnnotations:
  "example.com/owner": "team"
template: "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}"
templates:
  sidecar: |
    spec:
      containers:
      - name: istio-proxy
        image: "{{ .ProxyImage }}"
  custom: |
    metadata: {}
aliases:
  both: [sidecar, custom]
"""

INJECTOR_VALUES = {"global": {"hub": "docker.io/istio", "tag": "1.22.0", "proxy": {"autoInject": "enabled"}},
                   "revision": "", "sidecarInjectorWebhook": {"rewriteAppHTTPProbe": True},
                   "pilot": {"env": {}, "cni": {"enabled": False}}}


def test_injector_configmap_as_kubectl_prints_it() -> None:
    c = cfg(dump(injector(INJECTOR_CONFIG, INJECTOR_VALUES)))
    s = c.istio
    assert (c.form, c.policy, c.strict_inject_values) == ("istio-injector", "enabled", True)
    assert c.template == config_mod.MODERN_DEFAULT_TEMPLATE
    assert s.values == INJECTOR_VALUES
    assert s.templates["sidecar"] == ('spec:\n  containers:\n  - name: istio-proxy\n'
                                      '    image: "{{ .ProxyImage }}"\n')
    assert s.templates["custom"] == "metadata: {}\n"
    assert s.aliases == {"both": ("sidecar", "custom")}
    assert s.default_templates == ("sidecar",)
    assert s.never_inject_selector == ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["db"]}]},)
    assert s.always_inject_selector == ()
    assert s.injected_annotations == {"example.com/owner": "team"}
    assert s.mesh == {} and s.revision == ""


def test_injector_configmap_end_to_end() -> None:
    got = outcomes(injector(INJECTOR_CONFIG, INJECTOR_VALUES))
    assert got["web"].startswith("injected")
    assert got["db"] == "skipped: neverInjectSelector[0] matches the pod labels"


def test_injector_revision_from_values_or_name() -> None:
    assert cfg(dump(injector("policy: enabled\n", name="istio-sidecar-injector-canary"))).istio.revision == "canary"
    named = injector("policy: enabled\n", {"revision": "stable", "global": {"hub": "h", "tag": "t"}},
                     name="istio-sidecar-injector-canary")
    assert cfg(dump(named)).istio.revision == "stable"


def test_injector_with_mesh_alongside() -> None:
    images = {"global": {"hub": "h", "tag": "t"}}  # a complete data.values names the images
    s = cfg(dump(injector("policy: disabled\n", images, mesh="trustDomain: td\ndefaultConfig:\n  concurrency: 2\n")))
    assert s.istio.mesh == {"trustDomain": "td", "defaultConfig": {"concurrency": 2}}
    assert s.policy == "disabled"


def test_list_of_injector_and_mesh_configmaps() -> None:
    text = dump(as_list(injector(INJECTOR_CONFIG, INJECTOR_VALUES), mesh_cm("trustDomain: cluster.local\n")))
    c = cfg(text)
    assert c.form == "istio-injector"
    assert c.istio.mesh == {"trustDomain": "cluster.local"}
    assert c.istio.templates.keys() == {"sidecar", "custom"}
    mesh_first = cfg(dump(as_list(mesh_cm("trustDomain: a\n"), injector("policy: enabled\n"))))
    assert mesh_first.istio.mesh == {"trustDomain": "a"}
    mesh_only = cfg(dump(as_list(mesh_cm("trustDomain: b\n"))))
    assert (mesh_only.istio.mesh, mesh_only.policy) == ({"trustDomain": "b"}, "enabled")


def test_list_as_a_config_file() -> None:
    """What `kubectl get cm istio-sidecar-injector istio -o yaml > inject.yaml` gives works with -c FILE."""
    config_text = dump(as_list(injector(INJECTOR_CONFIG, INJECTOR_VALUES), mesh_cm("trustDomain: x\n")))
    out = run_stream(dump(DEPLOY) + "---\n" + dump(DB), config_text)
    assert out.exit_code == 0
    assert [r.message.split(" ")[0] for r in out.results] == ["injected", "skipped:"]


def test_config_file_of_two_documents_is_the_list() -> None:
    """`kubectl get cm istio-sidecar-injector -o yaml; echo ---; kubectl get cm istio -o yaml` as -c FILE."""
    text = dump(injector(INJECTOR_CONFIG, INJECTOR_VALUES)) + "---\n" + dump(mesh_cm("trustDomain: two.example\n"))
    c = parse(parse_text(text))
    assert (c.form, c.istio.mesh["trustDomain"]) == ("istio-injector", "two.example")
    assert c.istio.templates.keys() == {"sidecar", "custom"}
    out = run_stream(dump(DEPLOY) + "---\n" + dump(DB), text)
    assert [r.message.split(" ")[0] for r in out.results] == ["injected", "skipped:"]


@pytest.mark.parametrize("text", [
    "apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\npolicy: disabled\n---\n",
    "---\napiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\npolicy: disabled\n",
    "# comment\n---\n---\napiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\npolicy: disabled\n...\n",
])
def test_one_document_with_separators_is_that_document(text: str) -> None:
    c = parse(parse_text(text))
    assert (c.form, c.policy) == ("typed", "disabled")


def test_bad_document_in_a_config_file() -> None:
    with pytest.raises(ConfigError) as e:
        parse(parse_text(dump(injector("policy: enabled\n")) + "---\nkind: [\n"))
    assert "not valid YAML" in str(e.value)


def test_mesh_only_configmap() -> None:
    c = cfg(dump(mesh_cm("defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n")))
    assert c.form == "istio-injector"
    assert c.istio.mesh == {"defaultConfig": {"discoveryAddress": "istiod.istio-system.svc:15012"}}


def test_seed_configmap_is_still_the_seed() -> None:
    c = cfg(dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio-inject"},
                  "data": {"config": "policy: enabled\nnamespaces: ['']\nparams:\n  tag: 0.2.4\n"}}))
    assert (c.form, c.template, c.strict_inject_values) == ("seed", "legacy-0.2", False)


def test_seed_with_template_and_istio_keys_stays_the_seed() -> None:
    seed = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio-inject"},
            "data": {"config": "template: legacy-0.2\npolicy: enabled\n"}}
    assert cfg(dump(seed)).form == "seed"
    seed["data"]["config"] = "namespaces: [a]\ntemplates: {sidecar: x}\n"
    with pytest.raises(ConfigError) as e:
        cfg(dump(seed))
    assert e.value.path == "data.config.templates"


def test_injector_told_apart_by_its_keys() -> None:
    c = cfg(dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "anything"},
                  "data": {"config": "policy: enabled\ntemplates:\n  sidecar: 'x'\n"}}))
    assert c.form == "istio-injector"
    assert c.istio.templates == {"sidecar": "x"}


# --- the typed form --------------------------------------------------------------------------


def test_typed_modern_fields() -> None:
    c = cfg(dump(typed(
        revision="canary", nativeSidecars=True,
        values={"global": {"tag": "1.22"},
                "sidecarInjectorWebhook": {"neverInjectSelector": [{"matchLabels": {"a": "1"}}],
                                           "alwaysInjectSelector": [{"matchLabels": {"b": "1"}}]}},
        meshConfig={"trustDomain": "td"},
        neverInjectSelector=[{"matchExpressions": [{"key": "app", "operator": "Exists"}]}],
    )))
    s = c.istio
    assert (c.form, c.template, c.strict_inject_values) == ("typed", config_mod.MODERN_DEFAULT_TEMPLATE, False)
    assert (s.revision, s.native_sidecars, s.mesh) == ("canary", True, {"trustDomain": "td"})
    assert s.values["global"] == {"tag": "1.22"}
    # a top-level selector list replaces the one in values; the other one still comes from values
    assert s.never_inject_selector == ({"matchExpressions": [{"key": "app", "operator": "Exists", "values": []}]},)
    assert s.always_inject_selector == ({"matchLabels": {"b": "1"}},)


def test_typed_values_unknown_field_is_refused() -> None:
    with pytest.raises(config_mod.ConfigError, match=r"values\.global\.x: unknown field in Istio's Values"):
        cfg(dump(typed(values={"global.x": 1})))


def test_typed_native_sidecars_false_is_kept() -> None:
    assert cfg(dump(typed(nativeSidecars=False))).istio.native_sidecars is False
    assert cfg(dump(typed())).istio.native_sidecars is None


def test_typed_policy_from_values_unless_given() -> None:
    auto = {"global": {"proxy": {"autoInject": "disabled"}}}
    assert cfg(dump(typed(values=auto))).policy == "disabled"
    assert cfg(dump(typed(values=auto, policy="enabled"))).policy == "enabled"
    assert cfg(dump(typed())).policy == "enabled"


def test_typed_schema_describes_the_new_fields() -> None:
    props = json_schema()["properties"]
    for name in ("values", "meshConfig", "revision", "nativeSidecars", "template", "mode",
                 "neverInjectSelector", "alwaysInjectSelector"):
        assert name in props, name
    assert props["mode"]["enum"] == ["inject", "uninject"]
    assert props["neverInjectSelector"]["items"]["properties"]["matchExpressions"]["items"]["properties"][
        "operator"]["enum"] == ["In", "NotIn", "Exists", "DoesNotExist"]


def test_legacy_forms_have_empty_istio_settings() -> None:
    c = cfg(dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f"}, "data": {"policy": "enabled"}}))
    assert c.istio == config_mod.IstioSettings()
    assert cfg(dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f"},
                     "data": {"revision": "canary"}})).istio.revision == "canary"


# --- which template each form gets ------------------------------------------------------------


def test_seed_form_keeps_the_legacy_template_every_other_form_gets_istio() -> None:
    assert cfg(dump(typed(template="istio"))).template == "istio"
    assert cfg(dump(typed())).template == "istio"
    assert cfg(dump(operator({}))).template == "istio"
    assert cfg(dump(injector("policy: enabled\n"))).template == "istio"
    assert cfg("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: f}\ndata: {policy: enabled}\n").template == "istio"
    assert cfg(dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio-inject"},
                     "data": {"config": "policy: enabled\n"}})).template == "legacy-0.2"
    assert json_schema()["properties"]["template"]["enum"] == ["legacy-0.2", "istio"]


def test_typed_mode_uninject_end_to_end() -> None:
    injected = run_text(resource_list([DEPLOY], typed()))
    items = yaml.safe_load(injected.output)["items"]
    assert "sidecar.istio.io/status" in injected.output
    back = run_text(resource_list(items, typed(mode="uninject")))
    assert back.exit_code == 0
    assert yaml.safe_load(back.output)["items"] == [DEPLOY]
    assert [r.message for r in back.results] == ["uninjected"]


# --- bad config: one error result naming the field, exit 1, items unchanged ------------------

SEL_BAD_OP = [{"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["x"]}]}]

BAD = [
    ("op-hub-type", operator({"values": {"global": {"hub": ["a"]}}}), "functionConfig.spec.values.global.hub",
     ["expected a string"]),
    ("op-autoinject", operator({"values": {"global": {"proxy": {"autoInject": "sometimes"}}}}),
     "functionConfig.spec.values.global.proxy.autoInject", ["enabled, disabled"]),
    ("op-selector-operator", operator({"values": {"sidecarInjectorWebhook": {"neverInjectSelector": SEL_BAD_OP}}}),
     "functionConfig.spec.values.sidecarInjectorWebhook.neverInjectSelector[0].matchExpressions[0].operator",
     ["In, NotIn, Exists, DoesNotExist"]),
    ("op-selector-not-list", operator({"values": {"sidecarInjectorWebhook": {"alwaysInjectSelector": {"a": "b"}}}}),
     "functionConfig.spec.values.sidecarInjectorWebhook.alwaysInjectSelector", ["list of label selectors"]),
    ("op-pull-secrets", operator({"values": {"global": {"imagePullSecrets": "secret"}}}),
     "functionConfig.spec.values.global.imagePullSecrets", ["list of strings"]),
    ("op-native", operator({"values": {"pilot": {"env": {"ENABLE_NATIVE_SIDECARS": "maybe"}}}}),
     "functionConfig.spec.values.pilot.env.ENABLE_NATIVE_SIDECARS", ["true or false"]),
    ("op-rewrite-probe", operator({"values": {"sidecarInjectorWebhook": {"rewriteAppHTTPProbe": "sure"}}}),
     "functionConfig.spec.values.sidecarInjectorWebhook.rewriteAppHTTPProbe", ["true or false"]),
    ("op-templates", operator({"values": {"sidecarInjectorWebhook": {"templates": {"custom": {"a": 1}}}}}),
     "functionConfig.spec.values.sidecarInjectorWebhook.templates", ["mapping of strings"]),
    ("op-values-not-map", operator({"values": ["a"]}), "functionConfig.spec.values", ["expected a mapping"]),
    ("op-proxy-not-map", operator({"values": {"global": {"proxy": "x"}}}), "functionConfig.spec.values.global.proxy",
     ["expected a mapping"]),
    ("op-mesh-not-map", operator({"meshConfig": ["x"]}), "functionConfig.spec.meshConfig", ["expected a mapping"]),
    ("op-mesh-field", operator({"meshConfig": {"trustDomain": {"a": 1}}}), "functionConfig.spec.meshConfig.trustDomain",
     ["expected a string"]),
    ("op-unknown-spec", operator({"valuess": {}}), "functionConfig.spec.valuess", ["unknown field", "values"]),
    ("op-spec-not-map", operator("x"), "functionConfig.spec", ["mapping"]),
    ("op-revision", operator({"revision": "Canary_1"}), "functionConfig.spec.revision", ["not a valid revision"]),
    ("op-cni", operator({"components": {"cni": {"enabled": "yes please"}}}),
     "functionConfig.spec.components.cni.enabled", ["true or false"]),
    ("inj-unknown", injector("neverInjectSelectors: []\n"), "functionConfig.data.config.neverInjectSelectors",
     ["unknown field", "neverInjectSelector"]),
    ("inj-policy", injector("policy: sometimes\n"), "functionConfig.data.config.policy", ["enabled"]),
    ("inj-selector", injector(dump({"alwaysInjectSelector": [{"matchLabels": {"a": ["b"]}}]})),
     "functionConfig.data.config.alwaysInjectSelector[0].matchLabels.a", ["string value"]),
    ("inj-aliases", injector("aliases:\n  both: sidecar\n"), "functionConfig.data.config.aliases.both",
     ["list of strings"]),
    ("inj-config-yaml", injector("policy: [\n"), "functionConfig.data.config", ["not valid YAML"]),
    ("inj-values-json", injector("policy: enabled\n", "{not json"), "functionConfig.data.values",
     ["not valid JSON"]),
    ("inj-values-deep", injector("policy: enabled\n", "[" * 100000 + "]" * 100000), "functionConfig.data.values",
     ["nested too deeply"]),
    ("inj-values-not-object", injector("policy: enabled\n", "[1, 2]"), "functionConfig.data.values",
     ["expected a mapping"]),
    ("inj-values-type", injector("policy: enabled\n", {"global": {"hub": 1}}), "functionConfig.data.values.global.hub",
     ["expected a string"]),
    ("inj-values-revision", injector("policy: enabled\n", {"revision": "UPPER"}),
     "functionConfig.data.values.revision", ["not a valid revision"]),
    ("inj-mesh-not-map", injector("policy: enabled\n", {}, mesh="- a\n"), "functionConfig.data.mesh", ["mapping"]),
    ("inj-extra-key", {**injector("policy: enabled\n"), "data": {"config": "policy: enabled\n", "other": "x"}},
     "functionConfig.data.other", ["unknown key"]),
    ("list-secret", as_list(injector("policy: enabled\n"), {"apiVersion": "v1", "kind": "Secret", "metadata": {}}),
     "functionConfig.items[1].kind", ["only v1 ConfigMaps"]),
    ("list-two-injectors", as_list(injector("policy: enabled\n"), injector("policy: disabled\n")),
     "functionConfig.items[1]", ["second istio-sidecar-injector"]),
    ("list-mesh-twice", as_list(injector("policy: enabled\n", mesh="trustDomain: a\n"), mesh_cm("trustDomain: b\n")),
     "functionConfig.items[1].data.mesh", ["given twice"]),
    ("list-empty", as_list(), "functionConfig.items", ["no istio-sidecar-injector"]),
    ("list-in-list", as_list(mesh_cm("trustDomain: a\n"), mesh_cm("trustDomain: b\n")), "functionConfig.items[1]",
     ["second mesh ConfigMap"]),
    ("typed-selector-op", typed(neverInjectSelector=SEL_BAD_OP),
     "functionConfig.neverInjectSelector[0].matchExpressions[0].operator", ["In, NotIn, Exists, DoesNotExist"]),
    ("typed-selector-shape", typed(alwaysInjectSelector=[{"matchLabel": {"a": "b"}}]),
     "functionConfig.alwaysInjectSelector[0].matchLabel", ["unknown field"]),
    ("typed-values-type", typed(values={"global": {"hub": ["a"]}}), "functionConfig.values.global.hub",
     ["expected a string"]),
    ("typed-values-not-map", typed(values="x"), "functionConfig.values", ["object"]),
    ("typed-mesh-type", typed(meshConfig={"defaultConfig": "x"}), "functionConfig.meshConfig.defaultConfig",
     ["expected a mapping"]),
    ("typed-mode", typed(mode="remove"), "functionConfig.mode", ["inject, uninject"]),
    ("typed-native", typed(nativeSidecars="yes"), "functionConfig.nativeSidecars", ["boolean"]),
    ("typed-revision", typed(revision="a b"), "functionConfig.revision", ["not a valid revision"]),
    ("typed-unknown", typed(revisions="a"), "functionConfig.revisions", ["unknown field", "revision"]),
    ("typed-template", typed(template="istio-1.22"), "functionConfig.template", ["not one of"]),
    ("flat-selector", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f"},
                       "data": {"neverInjectSelector": "app=db"}},
     "functionConfig.data.neverInjectSelector", ["not available in a flat ConfigMap"]),
    ("seed-selector", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio-inject"},
                       "data": {"config": "neverInjectSelector: [{matchLabels: {a: [1]}}]\n"}},
     "functionConfig.data.config.neverInjectSelector[0].matchLabels.a", ["string value"]),
    ("seed-revision", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio-inject"},
                       "data": {"config": "revision: Not-Valid\n"}}, "functionConfig.data.config.revision",
     ["not a valid revision"]),
]


@pytest.mark.parametrize("fc,path,words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_is_one_error_and_items_unchanged(fc: Any, path: str, words: list[str]) -> None:
    text = resource_list([DEPLOY], fc)
    out = run_text(text)
    assert out.exit_code == 1
    errors = [r for r in out.results if r.severity == "error"]
    assert len(errors) == 1, [r.line() for r in out.results]
    assert errors[0].field_path == path, errors[0].message
    for w in words:
        assert w in errors[0].message, errors[0].message
    assert out.output.startswith(text.split("functionConfig:")[0])
    assert yaml.safe_load(out.output)["items"] == [DEPLOY]


@pytest.mark.e2e
def test_bad_istio_config_through_the_cli() -> None:
    text = resource_list([DEPLOY], operator({"values": {"global": {"proxy": {"autoInject": "sometimes"}}}}))
    p = subprocess.run([sys.executable, "-m", "krmfn"], input=text.encode(), capture_output=True, timeout=60)
    assert p.returncode == 1
    err = p.stderr.decode()
    assert "spec.values.global.proxy.autoInject" in err and "Traceback" not in err
    assert yaml.safe_load(p.stdout)["results"][0]["severity"] == "error"


@pytest.mark.e2e
def test_istio_forms_do_not_import_jsonschema() -> None:
    code = "import sys; from krmfn.function import run; run(sys.stdin.read()); print('jsonschema' in sys.modules)"
    for fc in (operator({"values": {"global": {"hub": "h"}}}), injector(INJECTOR_CONFIG, INJECTOR_VALUES)):
        p = subprocess.run([sys.executable, "-c", code], input=resource_list([DEPLOY], fc).encode(),
                           capture_output=True, check=True, timeout=60)
        assert p.stdout.decode().strip() == "False"


# --- Istio's own files (../shared, read only; skipped when absent) ---------------------------

MODERN = CONFORMANCE / "istio-modern"


@pytest.mark.conformance
@pytest.mark.skipif(not MODERN.is_dir(), reason="../shared/conformance/istio-modern is absent")
def test_istio_testdata_operator_overlays_parse() -> None:
    files = sorted((MODERN / "testdata").glob("*.iop.yaml"))
    assert files
    for f in files:
        c = cfg(f.read_text(encoding="utf-8"))
        assert c.form == "istio-operator", f.name
        assert c.istio.values == yaml.safe_load(f.read_text(encoding="utf-8"))["spec"]["values"], f.name


@pytest.mark.conformance
@pytest.mark.skipif(not MODERN.is_dir(), reason="../shared/conformance/istio-modern is absent")
def test_istio_chart_defaults_pass_the_value_checks() -> None:
    """The chart's own default values, given as spec.values, are accepted as they are."""
    chart = yaml.safe_load((MODERN / "chart" / "values.yaml").read_text(encoding="utf-8"))
    defaults = chart["_internal_defaults_do_not_set"]
    values = {k: defaults[k] for k in ("global", "sidecarInjectorWebhook", "revision")}
    values["pilot"] = {"env": defaults.get("env") or {}, "cni": defaults.get("cni") or {}}
    c = cfg(dump(operator({"values": values, "meshConfig": defaults.get("meshConfig") or {}})))
    assert c.policy == defaults["global"]["proxy"]["autoInject"]
    assert c.istio.values["global"]["proxy"] == defaults["global"]["proxy"]


def test_alias_bomb_in_istio_values_is_one_error() -> None:
    rows = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    rows += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    bomb = "\n".join("      " + r for r in rows)
    text = (
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
        + "".join("- " + line + "\n" if i == 0 else "  " + line + "\n"
                  for i, line in enumerate(dump(DEPLOY).splitlines()))
        + "functionConfig:\n  apiVersion: install.istio.io/v1alpha1\n  kind: IstioOperator\n  spec:\n"
        + "    unvalidatedValues:\n" + bomb + "\n"
        + "    values:\n      sidecarInjectorWebhook:\n        neverInjectSelector: *a7\n"
    )
    out = run_text(text)
    assert out.exit_code == 1
    errors = [r for r in out.results if r.severity == "error"]
    assert len(errors) == 1 and "alias" in errors[0].message
    assert yaml.safe_load(out.output)["items"] == [DEPLOY]


# --- through the modern template -----------------------------------------------------------------


def _pod_template(out: Any) -> dict[str, Any]:
    assert out.exit_code == 0, [r.line() for r in out.results]
    return yaml.safe_load(out.output)["items"][0]["spec"]["template"]


def _images(pod: dict[str, Any]) -> dict[str, str]:
    spec = pod["spec"]
    return {c["name"]: c.get("image") for c in spec.get("initContainers", []) + spec["containers"]}


def test_istio_operator_through_the_istio_template() -> None:
    fc = operator({"hub": "reg.example.com/istio", "tag": "1.20", "revision": "canary",
                   "values": {"global": {"imagePullSecrets": ["pull"]}}, "meshConfig": {"trustDomain": "td.example"}})
    out = run_text(resource_list([DEPLOY], fc))
    pod = _pod_template(out)
    assert _images(pod)["istio-proxy"] == "reg.example.com/istio/proxyv2:1.20"
    assert {"name": "pull"} in pod["spec"]["imagePullSecrets"]
    assert "td.example" in out.output and "canary" in out.output
    assert out.results[0].message.startswith("injected (template istio")


def test_injector_configmap_through_the_istio_template() -> None:
    config = {"policy": "enabled", "defaultTemplates": ["sidecar", "labelled"],
              "templates": {"labelled": 'metadata:\n  labels:\n    from-user-template: "{{ .Values.global.tag }}"\n'}}
    fc = as_list(injector(config, {"global": {"hub": "h.example", "tag": "9.9"}}), mesh_cm("trustDomain: x.example\n"))
    out = run_text(resource_list([DEPLOY], fc))
    pod = _pod_template(out)
    assert _images(pod)["istio-proxy"] == "h.example/proxyv2:9.9"
    assert pod["metadata"]["labels"]["from-user-template"] == "9.9"
    assert "x.example" in out.output


def test_typed_native_sidecars_through_the_istio_template() -> None:
    native = _pod_template(run_text(resource_list([DEPLOY], typed(nativeSidecars=True))))
    classic = _pod_template(run_text(resource_list([DEPLOY], typed(nativeSidecars=False))))
    assert "istio-proxy" in [c["name"] for c in native["spec"]["initContainers"]]
    assert "istio-proxy" in [c["name"] for c in classic["spec"]["containers"]]


def test_istio_operator_cni_values_reach_the_injector_as_istioctl_moves_them() -> None:
    """components.cni.enabled -> pilot.cni.enabled; the CNI chart's values.cni.* -> pilot.cni.* (the discovery
    chart's top-level cni), values.pilot.cni over it; unvalidatedValues.pilot.global over values.global."""
    s = cfg(dump(operator({"components": {"cni": {"enabled": True}},
                           "values": {"cni": {"provider": "multus", "chained": False},
                                      "pilot": {"cni": {"chained": True}},
                                      "global": {"network": "n0", "hub": "h"}},
                           "unvalidatedValues": {"pilot": {"global": {"network": "n1"}}}}))).istio
    assert s.values["pilot"]["cni"] == {"enabled": True, "provider": "multus", "chained": True}
    assert s.values["global"] == {"network": "n1", "hub": "h"}
    assert "cni" not in s.values
    off = cfg(dump(operator({"components": {"cni": {"enabled": True}},
                             "values": {"pilot": {"cni": {"enabled": False}}}}))).istio
    assert off.values["pilot"]["cni"]["enabled"] is False


def test_istio_operator_istiod_k8s_env_is_istiods_env() -> None:
    """components.pilot.k8s.env patches istiod's container after the chart: it wins over values.pilot.env."""
    s = cfg(dump(operator({"components": {"pilot": {"k8s": {"env": [
        {"name": "ENABLE_NATIVE_SIDECARS", "value": "false"}, {"name": "COMPLIANCE_POLICY", "value": "fips-140-2"}]}}},
        "values": {"pilot": {"env": {"ENABLE_NATIVE_SIDECARS": "true"}}}}))).istio
    assert s.values["pilot"]["env"] == {"ENABLE_NATIVE_SIDECARS": "false", "COMPLIANCE_POLICY": "fips-140-2"}
    assert s.features["COMPLIANCE_POLICY"] == "fips-140-2"
    with pytest.raises(config_mod.ConfigError, match=r"k8s\.env\[0\]\.valueFrom: krmfn reads no cluster"):
        cfg(dump(operator({"components": {"pilot": {"k8s": {"env": [{"name": "X", "valueFrom": {}}]}}}})))
