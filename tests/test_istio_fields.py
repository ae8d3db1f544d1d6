"""Istio's field tables (krmfn/config/istio_fields.py, generated from ../shared/conformance/istio-schema) and the
checker built on them: typos and wrong types in values, meshConfig/mesh, defaultConfig and the pod annotation
proxy.istio.io/config are errors through the `krmfn` executable, with the path and the nearest names."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from helpers import REPO, SHARED, dump, resource_list

from krmfn.config import istio_check

KRMFN = str(REPO / ".venv" / "bin" / "krmfn")
SCHEMA = SHARED / "conformance" / "istio-schema"

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "app"},
    "spec": {"selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
}


@pytest.mark.conformance
@pytest.mark.e2e
@pytest.mark.skipif(not SCHEMA.is_dir(), reason="../shared/conformance/istio-schema is absent")
def test_generated_tables_are_current() -> None:
    out = subprocess.run([sys.executable, str(REPO / "tools" / "gen_istio_fields.py"), str(SCHEMA)],
                         capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout == (REPO / "krmfn" / "config" / "istio_fields.py").read_text(), \
        "krmfn/config/istio_fields.py is stale: python tools/gen_istio_fields.py > krmfn/config/istio_fields.py"


def test_tables_know_the_fields_users_set() -> None:
    from krmfn.config import istio_fields as f

    glob = f.MESSAGES["istio.operator.v1alpha1.GlobalConfig"]
    assert glob["proxy"] == ("msg:istio.operator.v1alpha1.ProxyConfig", "")
    assert glob["imagePullSecrets"] == ("string", "repeated")
    proxy = f.MESSAGES["istio.mesh.v1alpha1.ProxyConfig"]
    assert proxy["holdApplicationUntilProxyStarts"] == ("google.protobuf.BoolValue", "")
    assert proxy["drainDuration"] == proxy["drain_duration"] == ("google.protobuf.Duration", "")
    assert proxy["proxyMetadata"] == ("string", "map:string")
    assert "REDIRECT" in f.ENUMS["istio.mesh.v1alpha1.ProxyConfig.InboundInterceptionMode"]


@pytest.mark.parametrize("root,data,message", [
    ("values", {"global": {"prxy": {}}}, "v.global.prxy: unknown field in Istio's GlobalConfig; did you mean `proxy`"),
    ("values", {"global": {"proxy": {"resourcez": {}}}}, "v.global.proxy.resourcez: unknown field in Istio's "
                                                         "ProxyConfig; did you mean `resources`?"),
    ("values", {"global": {"proxy": {"privileged": "yes"}}}, "v.global.proxy.privileged: expected true or false"),
    ("values", {"global": {"imagePullSecrets": "s"}}, "v.global.imagePullSecrets: expected a list"),
    ("values", {"global": {"proxy": {"statusPort": "x"}}}, "v.global.proxy.statusPort: expected an integer"),
    ("meshConfig", {"defaultConfig": {"holdApplicationUntilProxyStart": True}},
     "v.defaultConfig.holdApplicationUntilProxyStart: unknown field in Istio's ProxyConfig; did you mean "
     "`holdApplicationUntilProxyStarts`?"),
    ("meshConfig", {"defaultConfig": {"drainDuration": "soon"}}, 'expected a duration such as "5s"'),
    ("meshConfig", {"defaultConfig": {"interceptionMode": "MAGIC"}}, "is not one of REDIRECT, TPROXY, NONE"),
    ("meshConfig", {"outboundTrafficPolicy": {"mode": "ALLOW"}}, "is not one of REGISTRY_ONLY, ALLOW_ANY"),
    ("proxyConfig", {"proxyMetadata": {"A": {"b": 1}}}, "v.proxyMetadata.A: expected a string"),
])
def test_checker_errors(root: str, data: dict, message: str) -> None:
    with pytest.raises(istio_check.IstioFieldError) as e:
        istio_check.check(data, root, "v")
    assert message in str(e.value)


@pytest.mark.parametrize("root,data", [
    ("values", {"global": {"hub": "h", "tag": 1.2, "proxy": {"resources": {"requests": {"cpu": "50m"}}}},
                "pilot": {"env": {"ANY_NAME": "x"}, "cni": {"enabled": True, "provider": "multus"}},
                "sidecarInjectorWebhook": {"templates": {"t": "x"}}}),
    ("values", {"global": {"proxy_init": {"forceApplyIptables": False}}}),  # the chart has it, the proto lags
    ("meshConfig", {"defaultConfig": {"drain_duration": "45s", "concurrency": 2, "proxyMetadata": {"A": "1"},
                                      "holdApplicationUntilProxyStarts": True, "terminationDrainDuration": "1m30s"},
                    "trustDomain": "td", "enableTracing": None}),
])
def test_checker_accepts(root: str, data: dict) -> None:
    istio_check.check(data, root, "v")


def _run(stdin: str = "", *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KRMFN, *args], input=stdin, capture_output=True, text=True, timeout=60)


OPERATOR = {"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator"}

BAD_CONFIGS = {
    "operator-values-typo": ({**OPERATOR, "spec": {"values": {"global": {"prxy": {"image": "x"}}}}},
                             "spec.values.global.prxy", "proxy"),
    "operator-deep-typo": ({**OPERATOR, "spec": {"values": {"global": {"proxy": {"resourcez": {}}}}}},
                           "spec.values.global.proxy.resourcez", "resources"),
    "operator-mesh-typo": ({**OPERATOR, "spec": {"meshConfig": {"defaultConfig": {
        "holdApplicationUntilProxyStart": True}}}}, "spec.meshConfig.defaultConfig.holdApplicationUntilProxyStart",
        "holdApplicationUntilProxyStarts"),
    "operator-wrong-type": ({**OPERATOR, "spec": {"meshConfig": {"defaultConfig": {"concurrency": "two"}}}},
                            "spec.meshConfig.defaultConfig.concurrency", "expected an integer"),
    "injector-values-typo": ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio-sidecar-injector"},
                              "data": {"values": json.dumps({"global": {"prxy": {}}})}}, "data.values.global.prxy",
                             "proxy"),
    "mesh-configmap-typo": ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio"},
                             "data": {"mesh": "defaultConfig:\n  holdApplicationUntilProxyStart: true\n"}},
                            "data.mesh.defaultConfig.holdApplicationUntilProxyStart",
                            "holdApplicationUntilProxyStarts"),
    "typed-values-typo": ({"apiVersion": "krmfn.dev/v1alpha1", "kind": "SidecarInjector",
                           "values": {"global": {"tga": "1"}}}, "values.global.tga", "tag"),
}


@pytest.mark.e2e
@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_bad_setting_is_an_error_result_items_unchanged(name: str) -> None:
    config, path, hint = BAD_CONFIGS[name]
    out = _run(resource_list([DEPLOYMENT], config))
    assert out.returncode == 1, out.stderr
    assert path in out.stderr and hint in out.stderr and "Traceback" not in out.stderr
    rl = yaml.safe_load(out.stdout)
    assert rl["items"] == [DEPLOYMENT]
    errors = [r for r in rl["results"] if r["severity"] == "error"]
    assert errors and path in errors[0]["message"]


@pytest.mark.e2e
def test_values_file_typo_is_refused(tmp_path) -> None:
    (tmp_path / "values.json").write_text(json.dumps({"global": {"proxy": {"resourcez": {}}}}))
    (tmp_path / "app.yaml").write_text(dump(DEPLOYMENT))
    out = subprocess.run([KRMFN, "inject", "--valuesFile", "values.json", "-f", "app.yaml"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "global.proxy.resourcez" in out.stderr and "did you mean `resources`?" in out.stderr


@pytest.mark.e2e
def test_pod_proxy_config_annotation_typo_is_refused() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "app", "annotations": {
        "proxy.istio.io/config": "holdApplicationUntilProxyStart: true\n"}},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]}}
    out = _run(resource_list([pod]))
    assert out.returncode == 1
    assert "holdApplicationUntilProxyStart" in out.stderr and "holdApplicationUntilProxyStarts" in out.stderr
    assert yaml.safe_load(out.stdout)["items"] == [pod]
