"""kubectl kustomize with krmfn as a legacy exec plugin, and the plugin protocol itself."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import REPO, load, run_cli

from krmfn.istio import ISTIO_RELEASE

pytestmark = pytest.mark.e2e

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(
    KUBECTL is None and os.environ.get("KRMFN_REQUIRE_TOOLS") != "1", reason="kubectl is not installed"
)


def install_plugin(home: Path) -> Path:
    p = run_cli(["install-plugin", str(home)])
    assert p.returncode == 0, p.stderr
    path = Path(p.stdout.decode().strip())
    assert path == home / "krmfn.dev" / "v1alpha1" / "sidecarinjector" / "SidecarInjector"
    assert os.access(path, os.X_OK)
    return path


def kustomize(home: Path, directory: Path) -> subprocess.CompletedProcess:
    assert KUBECTL is not None, "kubectl is required (KRMFN_REQUIRE_TOOLS=1)"
    env = dict(os.environ, KUSTOMIZE_PLUGIN_HOME=str(home))
    return subprocess.run([KUBECTL, "kustomize", "--enable-alpha-plugins", str(directory)],
                          capture_output=True, text=True, env=env, timeout=300)


@needs_kubectl
def test_example_through_kubectl_kustomize(tmp_path: Path) -> None:
    home = tmp_path / "plugins"
    install_plugin(home)
    p = kustomize(home, REPO / "kustomization-example")
    assert p.returncode == 0, p.stderr
    docs = [d for d in __import__("yaml").safe_load_all(p.stdout) if d]
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    for name in ("frontend", "catalog", "cart"):
        spec = by_name[("Deployment", name)]["spec"]["template"]["spec"]
        assert [c["name"] for c in spec["containers"]] == [name, "istio-proxy"]
        proxy = spec["containers"][1]
        assert proxy["image"] == f"docker.io/istio/proxyv2:{ISTIO_RELEASE}"
        assert proxy["resources"]["requests"] == {"cpu": "50m", "memory": "64Mi"}  # from the example's values
    cron = by_name[("CronJob", "nightly-report")]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert [c["name"] for c in cron["initContainers"]] == ["istio-init"]
    redis = by_name[("StatefulSet", "redis")]["spec"]["template"]["spec"]
    assert [c["name"] for c in redis["containers"]] == ["redis"]
    assert "initContainers" not in redis
    assert by_name[("Service", "frontend")]["spec"]["ports"][0]["targetPort"] == "http"


@needs_kubectl
def test_bad_plugin_config_fails_the_build_with_our_message(tmp_path: Path) -> None:
    home = tmp_path / "plugins"
    install_plugin(home)
    overlay = tmp_path / "overlay"
    shutil.copytree(REPO / "kustomization-example", overlay, ignore=shutil.ignore_patterns("kpt", "exec"))
    (overlay / "inject.yaml").write_text(
        "apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\nmetadata:\n  name: x\npolicy: sometimes\n")
    p = kustomize(home, overlay)
    assert p.returncode != 0
    assert "policy" in p.stderr and "off, disabled, enabled" in p.stderr
    assert "Traceback" not in p.stderr


def test_plugin_protocol_keeps_untouched_documents_byte_identical(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\nmetadata:\n  name: x\n")
    svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s # keep\nspec:\n  ports:\n  - port: 0755\n"
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: a\n"
    stream = svc + "---\n" + pod
    p = run_cli([str(config)], stream.encode())
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert out.startswith(svc + "---\n")
    docs = [d for d in __import__("yaml").safe_load_all(out) if d]
    assert [c["name"] for c in docs[1]["spec"]["containers"]] == ["a", "istio-proxy"]
    assert "results" not in out


def test_plugin_with_missing_config_file_is_not_plugin_mode() -> None:
    p = run_cli(["/nonexistent/config.yaml"])
    assert p.returncode == 2 and b"unknown argument" in p.stderr


def test_plugin_bad_input(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("")
    p = run_cli([str(config)], b"a: [\n")
    assert p.returncode == 1 and b"not valid YAML" in p.stderr and b"Traceback" not in p.stderr
    assert load(run_cli([str(config)], b"").stdout.decode() or "null") is None
