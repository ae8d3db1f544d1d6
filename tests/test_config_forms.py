"""The form table of krmfn.config.dispatch: which (apiVersion, kind) and which ConfigMap goes to which form,
through ``parse`` as function mode calls it; and that a run imports only the form module it needs."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from helpers import REPO

from krmfn.config import ConfigError, parse
from krmfn.config.dispatch import FORMS, rules_for
from krmfn.text.nodes import compose_document

OPERATOR = {"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator",
            "spec": {"values": {"global": {"hub": "h", "tag": "1"}}}}
INJECTOR_CONFIG = "policy: enabled\ntemplates:\n  sidecar: '{}'\n"
INJECTOR = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio-sidecar-injector"},
            "data": {"config": INJECTOR_CONFIG, "values": json.dumps({"global": {"hub": "h", "tag": "1"}})}}
MESH = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio"}, "data": {"mesh": "trustDomain: x\n"}}


def _parse(data: Any) -> Any:
    return parse(compose_document(json.dumps(data)))


@pytest.mark.parametrize(("config", "form"), [
    ({"apiVersion": "v1", "kind": "ConfigMap", "data": {"config": "policy: disabled\n"}}, "seed"),
    ({"kind": "ConfigMap", "data": {"config": "policy: disabled\n"}}, "seed"),  # apiVersion left out
    ({"apiVersion": "v1", "kind": "ConfigMap", "data": {"policy": "disabled"}}, "flat"),
    ({"apiVersion": "v1", "kind": "ConfigMap"}, "flat"),
    ({"apiVersion": "v1", "kind": "ConfigMap", "data": None}, "flat"),
    ({"apiVersion": "krmfn.dev/v1alpha1", "kind": "SidecarInjector", "policy": "disabled"}, "typed"),
    (OPERATOR, "istio-operator"),
    ({**OPERATOR, "apiVersion": "install.istio.io/v1"}, "istio-operator"),  # any version of the group
    (INJECTOR, "istio-injector"),
    ({"apiVersion": "v1", "kind": "ConfigMap", "data": {"config": "templates: {}\n"}}, "istio-injector"),
    ({"apiVersion": "v1", "kind": "List", "items": [INJECTOR, MESH]}, "istio-injector"),
    (None, "default"),
    ({}, "default"),
])
def test_each_form_is_read_by_its_module(config: Any, form: str) -> None:
    assert _parse(config).form == form


@pytest.mark.parametrize("config", [
    {"apiVersion": "v2", "kind": "ConfigMap"},
    {"apiVersion": "v1", "kind": "IstioOperator"},
    {"apiVersion": "install.istio.io/v1alpha1", "kind": "List"},
    {"apiVersion": "apps/v1", "kind": "Deployment"},
    {"apiVersion": ["v1"], "kind": {"a": 1}},  # not names: no row, and no crash on unhashable keys
    {"metadata": {"name": "x"}},
])
def test_a_kind_without_a_row_is_refused_naming_the_forms(config: Any) -> None:
    with pytest.raises(ConfigError) as e:
        _parse(config)
    assert "is not supported" in str(e.value) and e.value.path == "kind"


@pytest.mark.parametrize(("config", "path"), [
    ({"apiVersion": "v1", "kind": "SidecarInjector"}, "apiVersion"),  # ("*", kind)
    ({"apiVersion": "krmfn.dev/v1alpha1", "kind": "ConfigMap"}, "kind"),  # (apiVersion, "*")
])
def test_krmfn_kind_or_api_version_goes_to_the_typed_form_which_names_the_wrong_half(config: Any, path: str) -> None:
    with pytest.raises(ConfigError) as e:
        _parse(config)
    assert e.value.path == path and "must be" in str(e.value)


def test_a_configmap_whose_data_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(ConfigError) as e:
        _parse({"apiVersion": "v1", "kind": "ConfigMap", "data": ["a"]})
    assert e.value.path == "data"


def test_the_most_specific_key_wins() -> None:
    assert rules_for("v1", "ConfigMap") is FORMS[("v1", "ConfigMap")]
    assert rules_for("install.istio.io/v1beta1", "IstioOperator") is FORMS[("install.istio.io/*", "IstioOperator")]
    assert rules_for("krmfn.dev/v1alpha1", "List") is FORMS[("krmfn.dev/v1alpha1", "*")]
    assert rules_for(None, "SidecarInjector") is FORMS[("*", "SidecarInjector")]
    assert rules_for("v1", "Secret") == ()


_PROBE = """\
import sys
from krmfn.function import run
run(sys.stdin.read())
print(" ".join(sorted(m for m in sys.modules if m.startswith("krmfn.config."))))
"""


@pytest.mark.parametrize(("config", "loaded", "not_loaded"), [
    ({"apiVersion": "v1", "kind": "ConfigMap", "data": {"policy": "enabled"}}, "flat", ("seed", "operator", "injector")),
    (OPERATOR, "operator", ("seed", "flat", "typed", "injector")),
    ({"apiVersion": "krmfn.dev/v1alpha1", "kind": "SidecarInjector"}, "typed", ("seed", "flat", "operator")),
])
def test_a_run_loads_only_its_own_form(config: Any, loaded: str, not_loaded: tuple[str, ...]) -> None:
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [], "functionConfig": config}
    p = subprocess.run([sys.executable, "-c", _PROBE], input=json.dumps(rl), capture_output=True, text=True,
                       cwd=REPO, check=True)
    modules = {m.rsplit(".", 1)[-1] for m in p.stdout.split()}
    assert loaded in modules
    assert modules.isdisjoint(not_loaded)
