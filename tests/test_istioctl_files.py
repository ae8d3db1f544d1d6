"""istioctl kube-inject's three files through the `krmfn` executable, and the same files as a KRM config.

``kubectl get cm istio-sidecar-injector istio -o yaml`` in each of its shapes (a v1 List, two documents, one
ConfigMap as functionConfig), with the ``istio`` ConfigMap's ``data.meshNetworks`` beside ``data.mesh``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import DEPLOYMENT, REPO, dump, resource_list

pytestmark = pytest.mark.e2e

KRMFN = str(REPO / ".venv" / "bin" / "krmfn")

CONFIG = "policy: enabled\ndefaultTemplates: [sidecar]\n"
VALUES = {"global": {"hub": "my.registry/istio", "tag": "1.2.3", "proxy": {"image": "proxyv2"},
                     "proxy_init": {"image": "proxyv2"}}}
MESH = "trustDomain: example.org\n"
INJECTOR_CM = {"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "istio-sidecar-injector", "namespace": "istio-system"},
               "data": {"config": CONFIG, "values": json.dumps(VALUES)}}
MESH_CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"},
           "data": {"mesh": MESH, "meshNetworks": "networks: {}\n"}}


def run(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KRMFN, *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=60)


def proxy(docs_text: str) -> dict:
    docs = [d for d in yaml.safe_load_all(docs_text) if d]
    spec = docs[0]["spec"]["template"]["spec"]
    return next(c for c in spec.get("initContainers", []) + spec["containers"] if c["name"] == "istio-proxy")


def env(container: dict) -> dict:
    return {e["name"]: e.get("value") for e in container.get("env") or []}


def write_files(tmp_path: Path) -> None:
    (tmp_path / "inject-config.yaml").write_text(CONFIG)
    (tmp_path / "values.json").write_text(json.dumps(VALUES, indent=2))
    (tmp_path / "mesh.yaml").write_text(MESH)
    (tmp_path / "app.yaml").write_text(dump(DEPLOYMENT))


def test_three_files_as_istioctl_takes_them(tmp_path: Path) -> None:
    write_files(tmp_path)
    out = run("inject", "--injectConfigFile", "inject-config.yaml", "--valuesFile", "values.json",
              "--meshConfigFile", "mesh.yaml", "-f", "app.yaml", "-o", "out.yaml", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    c = proxy((tmp_path / "out.yaml").read_text())
    assert c["image"] == "my.registry/istio/proxyv2:1.2.3"
    assert env(c)["TRUST_DOMAIN"] == "example.org"


def test_values_file_is_complete_nothing_filled_from_chart_defaults(tmp_path: Path) -> None:
    """The values lack global.proxy.resources and startupProbe: Istio renders neither, nor does krmfn."""
    write_files(tmp_path)
    out = run("inject", "--valuesFile", "values.json", "-f", "app.yaml", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    c = proxy(out.stdout)
    assert "startupProbe" not in c and not c.get("resources")
    default = proxy(run("inject", "-f", "app.yaml", cwd=tmp_path).stdout)
    assert "startupProbe" in default and default["resources"]


def test_revision_flag_names_the_revision(tmp_path: Path) -> None:
    write_files(tmp_path)
    out = run("inject", "--valuesFile", "values.json", "--revision", "canary", "-f", "app.yaml", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    docs = list(yaml.safe_load_all(out.stdout))
    assert docs[0]["spec"]["template"]["metadata"]["annotations"]["istio.io/rev"] == "canary"


def test_cluster_flags_and_bad_files_are_refused(tmp_path: Path) -> None:
    write_files(tmp_path)
    (tmp_path / "bad.json").write_text("{bad")
    for args, word in ((["--injectConfigMapName", "x"], "--injectConfigFile"),
                       (["--meshConfigMapName", "x"], "--meshConfigFile"),
                       (["--valuesFile", "bad.json"], "not valid JSON"),
                       (["--meshConfigFile", "bad.json"], "--meshConfigFile"),
                       (["--valuesFile", "missing.json"], "cannot read missing.json"),
                       (["-c", "mesh.yaml", "--valuesFile", "values.json"], "give one")):
        out = run("inject", *args, "-f", "app.yaml", cwd=tmp_path)
        assert out.returncode == 1, (args, out.stderr)
        assert word in out.stderr and "Traceback" not in out.stderr
        assert out.stdout == ""


def _function(config: object) -> dict:
    out = run(stdin=resource_list([DEPLOYMENT], config))
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def _function_proxy(rl: dict) -> dict:
    spec = rl["items"][0]["spec"]["template"]["spec"]
    return next(c for c in spec.get("initContainers", []) + spec["containers"] if c["name"] == "istio-proxy")


def test_kubectl_get_both_configmaps_as_a_list() -> None:
    rl = _function({"apiVersion": "v1", "kind": "List", "items": [INJECTOR_CM, MESH_CM]})
    c = _function_proxy(rl)
    assert c["image"] == "my.registry/istio/proxyv2:1.2.3"
    assert env(c)["TRUST_DOMAIN"] == "example.org"


def test_kubectl_get_both_configmaps_as_two_documents(tmp_path: Path) -> None:
    (tmp_path / "cms.yaml").write_text(dump(INJECTOR_CM) + "---\n" + dump(MESH_CM))
    (tmp_path / "app.yaml").write_text(dump(DEPLOYMENT))
    out = run("inject", "-c", "cms.yaml", "app.yaml", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    c = proxy(out.stdout)
    assert c["image"] == "my.registry/istio/proxyv2:1.2.3"
    assert env(c)["TRUST_DOMAIN"] == "example.org"


def test_mesh_configmap_alone_as_function_config() -> None:
    c = _function_proxy(_function(MESH_CM))
    assert env(c)["TRUST_DOMAIN"] == "example.org"


def test_merged_configmap_holding_the_three_files() -> None:
    merged = {**INJECTOR_CM, "data": {**INJECTOR_CM["data"], "mesh": MESH}}
    c = _function_proxy(_function(merged))
    assert c["image"] == "my.registry/istio/proxyv2:1.2.3"
    assert env(c)["TRUST_DOMAIN"] == "example.org"


def test_the_release_templates_in_inject_config_are_the_ones_rendered(tmp_path: Path) -> None:
    """A release's own injector config carries its templates: those render, not krmfn's built-in one."""
    template = ("spec:\n  containers:\n  - name: istio-proxy\n    image: \"{{ .Values.global.hub }}/own-proxy:"
                "{{ .Values.global.tag }}\"\n")
    (tmp_path / "inject-config.yaml").write_text(yaml.safe_dump({"policy": "enabled", "defaultTemplates": ["sidecar"],
                                                                 "templates": {"sidecar": template}}))
    (tmp_path / "values.json").write_text(json.dumps(VALUES))
    (tmp_path / "app.yaml").write_text(dump(DEPLOYMENT))
    out = run("inject", "--injectConfigFile", "inject-config.yaml", "--valuesFile", "values.json", "-f", "app.yaml",
              cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    spec = yaml.safe_load(out.stdout)["spec"]["template"]["spec"]
    assert [c["image"] for c in spec["containers"]] == ["nginx", "my.registry/istio/own-proxy:1.2.3"]
    assert not spec.get("initContainers")


def test_user_template_output_is_what_kubernetes_go_types_encode(tmp_path: Path) -> None:
    """Istio decodes a rendered template into a Pod and encodes it again: zero probe fields marked omitempty go,
    a resourceFieldRef's divisor (a Quantity) is always written."""
    template = ("spec:\n  containers:\n  - name: istio-proxy\n    image: proxy\n"
                "    readinessProbe:\n      httpGet: {path: /ready, port: 15021}\n"
                "      initialDelaySeconds: 0\n      periodSeconds: 15\n"
                "    env:\n    - name: GOMAXPROCS\n      valueFrom:\n        resourceFieldRef:\n"
                "          resource: limits.cpu\n")
    (tmp_path / "inject-config.yaml").write_text(yaml.safe_dump({"templates": {"sidecar": template}}))
    (tmp_path / "app.yaml").write_text(dump(DEPLOYMENT))
    out = run("inject", "--injectConfigFile", "inject-config.yaml", "-f", "app.yaml", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    c = proxy(out.stdout)
    assert c["readinessProbe"] == {"httpGet": {"path": "/ready", "port": 15021}, "periodSeconds": 15}
    assert c["env"][0]["valueFrom"]["resourceFieldRef"] == {"resource": "limits.cpu", "divisor": "0"}


def test_complete_values_without_hub_or_tag_are_refused(tmp_path: Path) -> None:
    """data.values is complete as Istio reads it: without global.hub/tag the image would be 'None/proxyv2:'."""
    from helpers import run_cli

    for values in ("{}", '{"global": {"hub": "my.registry"}}'):
        (tmp_path / "values.json").write_text(values)
        p = run_cli(["inject", "--valuesFile", str(tmp_path / "values.json"), "-"],
                    b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n")
        assert p.returncode == 1 and p.stdout == b"", p.stderr
        assert b"global." in p.stderr and b"is missing" in p.stderr and b"Traceback" not in p.stderr


def test_exact_uninject_flag_is_refused_when_uninjecting() -> None:
    from helpers import run_cli

    p = run_cli(["uninject", "--exact-uninject", "-"], b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
    assert p.returncode == 2 and p.stdout == b"" and b"--exact-uninject acts when injecting" in p.stderr
