"""functionConfig forms, and a clear error for every bad one."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import yaml
from helpers import dump, resource_list, run_text

import krmfn.config as config_mod
from krmfn.config import FIELDS, build, json_schema, parse
from krmfn.istio import ISTIO_RELEASE
from krmfn.text.nodes import compose_document

MODERN_PROXY = f"docker.io/istio/proxyv2:{ISTIO_RELEASE}"

DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
}


def proxy_image(fc: Any) -> str | None:
    out = run_text(resource_list([DEPLOY], fc))
    assert out.exit_code == 0, [r.line() for r in out.results]
    containers = yaml.safe_load(out.output)["items"][0]["spec"]["template"]["spec"]["containers"]
    return containers[-1]["image"] if len(containers) > 1 else None


def seed(config: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio-inject"}, "data": {"config": config}}


def flat(**data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "function-input"}, "data": data}


def typed(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "krmfn.dev/v1alpha1", "kind": "SidecarInjector", "metadata": {"name": "x"}, **fields}


def injected(fc: Any) -> bool:
    out = run_text(resource_list([DEPLOY], fc))
    assert out.exit_code == 0, [r.line() for r in out.results]
    return "sidecar.istio.io/status" in out.output


@pytest.mark.parametrize("fc", [None, {}, flat(), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}])
def test_no_or_empty_config_uses_defaults(fc: Any) -> None:
    """Every default: policy enabled, the modern default template (the switch in krmfn.config)."""
    c = parse(compose_document(dump(fc)) if fc is not None else None)
    assert (c.policy, c.template, c.mode) == ("enabled", config_mod.MODERN_DEFAULT_TEMPLATE, "inject")
    assert injected(fc)
    assert proxy_image(fc) == MODERN_PROXY


def test_legacy_template_defaults() -> None:
    assert proxy_image(flat(template="legacy-0.2")) == "docker.io/istio/proxy:0.2.4"


def test_seed_form_params() -> None:
    assert proxy_image(seed("policy: enabled\nparams:\n  proxyImage: my/proxy:1\n")) == "my/proxy:1"
    assert proxy_image(seed("params:\n  hub: reg.io/x\n  tag: t1\n")) == "reg.io/x/proxy:t1"
    assert proxy_image(seed("params:\n  debugMode: true\n")) == "docker.io/istio/proxy_debug:0.2.4"


def test_seed_form_policy_off_unquoted_is_off_not_false() -> None:
    assert proxy_image(seed("policy: off\n")) is None


def test_version_keeps_its_text() -> None:
    out = run_text(resource_list([DEPLOY], seed("params:\n  version: 1.10\n")))
    assert "injected-version-1.10\n" in out.output


def test_flat_form_as_kpt_makes_it() -> None:
    assert proxy_image(flat(policy="enabled", proxyImage="p:1", template="legacy-0.2")) == "p:1"
    assert not injected(flat(policy="disabled"))
    assert injected(flat(namespaces="a, shop"))
    assert not injected(flat(namespaces="a,b"))
    assert not injected(flat(excludeNamespaces="shop"))


def test_typed_form() -> None:
    assert proxy_image(typed(policy="enabled", template="legacy-0.2", params={"proxyImage": "t:1"})) == "t:1"
    assert not injected(typed(namespaces=["other"]))


def test_flat_ints_and_bools() -> None:
    out = run_text(resource_list([DEPLOY], flat(sidecarProxyUID="2000", enableCoreDump="true", verbosity="4",
                                                         template="legacy-0.2")))
    assert out.exit_code == 0
    spec = yaml.safe_load(out.output)["items"][0]["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["istio-init", "enable-core-dump"]
    assert spec["initContainers"][0]["args"] == ["-p", "15001", "-u", "2000"]
    assert spec["containers"][-1]["args"][3] == "4"


BAD = [
    ("seed-policy", seed('policy: "maybe"\n'), "functionConfig.data.config.policy", ["maybe", "off, disabled, enabled"]),
    ("seed-unknown", seed("polcy: enabled\n"), "functionConfig.data.config.polcy", ["unknown field", "policy"]),
    ("seed-param-type", seed("params:\n  verbosity: loud\n"), "functionConfig.data.config.params.verbosity",
     ["integer"]),
    ("seed-pull", seed("params:\n  imagePullPolicy: Sometimes\n"), "functionConfig.data.config.params.imagePullPolicy",
     ["Always, IfNotPresent, Never"]),
    ("seed-not-yaml", seed("policy: [\n"), "functionConfig.data.config", ["not valid YAML"]),
    ("seed-not-map", seed("- a\n"), "functionConfig.data.config", ["mapping"]),
    ("seed-extra-key", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"},
                        "data": {"config": "policy: enabled", "other": "1"}}, "functionConfig.data.other", ["beside"]),
    ("flat-policy", flat(policy="sometimes"), "functionConfig.data.policy", ["off, disabled, enabled"]),
    ("flat-int", flat(sidecarProxyUID="abc"), "functionConfig.data.sidecarProxyUID", ["integer"]),
    ("flat-bool", flat(debugMode="perhaps"), "functionConfig.data.debugMode", ["true or false"]),
    ("flat-unknown", flat(proxyimage="x"), "functionConfig.data.proxyimage", ["unknown field", "proxyImage"]),
    ("typed-enum", typed(policy="sometimes"), "functionConfig.policy", ["off, disabled, enabled"]),
    ("typed-unknown", typed(polcy="x"), "functionConfig.polcy", ["unknown field"]),
    ("typed-nested", typed(params={"verbosity": "x"}), "functionConfig.params.verbosity", ["integer"]),
    ("typed-nested-unknown", typed(params={"nope": 1}), "functionConfig.params.nope", ["unknown field"]),
    ("typed-minimum", typed(params={"sidecarProxyUID": -1}), "functionConfig.params.sidecarProxyUID", ["minimum"]),
    ("other-kind", {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "x"}},
     "functionConfig.kind", ["not supported"]),
    ("not-a-map", ["a"], "functionConfig", ["mapping"]),
]


@pytest.mark.parametrize("fc,path,words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_is_an_error_result_and_items_unchanged(fc: Any, path: str, words: list[str]) -> None:
    text = resource_list([DEPLOY], fc)
    out = run_text(text)
    assert out.exit_code == 1
    errors = [r for r in out.results if r.severity == "error"]
    assert len(errors) == 1
    assert errors[0].field_path == path
    for w in words:
        assert w in errors[0].message
    # items unchanged: the input text up to functionConfig comes back as it was
    assert out.output.startswith(text.split("functionConfig:")[0])
    assert "istio-proxy" not in out.output


@pytest.mark.e2e
def test_bad_config_through_the_cli_exits_1_with_a_stderr_line() -> None:
    text = resource_list([DEPLOY], flat(policy="sometimes"))
    p = subprocess.run([sys.executable, "-m", "krmfn"], input=text.encode(), capture_output=True)
    assert p.returncode == 1
    assert "data.policy" in p.stderr.decode() and "off, disabled, enabled" in p.stderr.decode()
    assert "Traceback" not in p.stderr.decode()
    assert yaml.safe_load(p.stdout)["results"][0]["severity"] == "error"


@pytest.mark.e2e
def test_jsonschema_is_imported_only_for_typed_config() -> None:
    code = (
        "import sys, io; from krmfn.function import run; "
        "run(sys.stdin.read()); print('jsonschema' in sys.modules)"
    )
    for fc, expect in ((flat(policy="enabled"), "False"), (typed(policy="enabled"), "True")):
        p = subprocess.run([sys.executable, "-c", code], input=resource_list([DEPLOY], fc).encode(),
                           capture_output=True, check=True)
        assert p.stdout.decode().strip() == expect


def test_every_field_at_its_default_passes_the_schema_and_gives_the_defaults() -> None:
    """The schema (typed form) and the table's own checks agree on every field."""
    fields: dict[str, Any] = {"params": {}, "mesh": {}}
    for f in FIELDS:
        value = f.default if f.default is not None else {"boolean": True}.get(f.type, "x")
        if f.name == "template":
            value = "legacy-0.2"
        (fields[f.section] if f.section else fields)[f.name] = value
    assert json_schema()["properties"].keys() >= fields.keys()
    node = compose_document(dump(typed(**fields)))
    got = parse(node)
    want = build({k: v for k, v in fields.items() if k not in ("params", "mesh")}
                 | fields["params"] | fields["mesh"], "typed")
    assert got == want
    assert got.params["proxyImage"] == "x" and got.params["verbosity"] == 2 and got.mesh["proxyAdminPort"] == 15000


def test_legacy_settings_with_the_modern_template_act_or_are_refused() -> None:
    out = run_text(resource_list([DEPLOY], flat(policy="enabled", proxyImage="my.reg/istio/px:1", drainDuration="5s")))
    assert out.exit_code == 0
    assert [r.message for r in out.results if r.resource_ref is None] == []
    assert "my.reg/istio/px:1" in out.output and '\\"drainDuration\\":\\"5s\\"' in out.output
    refused = run_text(resource_list([DEPLOY], flat(proxyImage="p:1")))
    assert refused.exit_code == 1
    assert "data.proxyImage: 'p:1' is not REGISTRY/NAME:TAG" in refused.results[0].message
    legacy = run_text(resource_list([DEPLOY], flat(proxyImage="p:1", template="legacy-0.2")))
    assert [r for r in legacy.results if r.resource_ref is None] == []
