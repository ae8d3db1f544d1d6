"""End to end through the real kpt: ``kpt fn eval --exec`` and ``kpt fn render --allow-exec``."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import REPO, krmfn_cmd, only_added_lines, only_added_or_probe_lines

KPT = shutil.which("kpt")
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    KPT is None and os.environ.get("KRMFN_REQUIRE_TOOLS") != "1", reason="kpt is not installed"
)]

TRICKY_FILES = {
    "cm.yaml": """\
# leading comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: tricky # trailing comment
  labels: &id001
    app: tricky
data:
  a: on
  b: yes
  c: 0755
  d: 1:30
  e: 1.10
  f: ~
  g: |
    block
      scalar
  i: [1, 2, "three"]
  j: "ünïcödé ✓"
  k: 'single'
  l: {x: 1}
  m: *id001
""",
    "svc.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  labels: &id001
    app: web
spec:
  selector: *id001
  ports:
  - port: 80
    targetPort: 8080 # the app port
""",
    "deploy.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # the web tier
  namespace: shop
  labels: &id001
    app: web
spec:
  selector:
    matchLabels: *id001
  template:
    metadata:
      labels:
        app: web
        version: "1.10"
    spec:
      containers:
      - name: web
        image: "nginx:1.25"
        args: ["--port", "8080"]
        env:
        - name: FLAG
          value: "on"
        - name: MODE
          value: '0755'
""",
}


def kpt(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    assert KPT is not None, "kpt is required (KRMFN_REQUIRE_TOOLS=1)"
    return subprocess.run([KPT, *args], capture_output=True, text=True, env=env, timeout=300)


def make_pkg(root: Path) -> Path:
    pkg = root / "pkg"
    pkg.mkdir()
    for name, text in TRICKY_FILES.items():
        (pkg / name).write_text(text, encoding="utf-8")
    return pkg


def test_eval_policy_off_is_byte_identical(tmp_path: Path) -> None:
    pkg = make_pkg(tmp_path)
    p = kpt("fn", "eval", "--exec", krmfn_cmd()[0], str(pkg), "--", "policy=off")
    assert p.returncode == 0, p.stderr
    for name, text in TRICKY_FILES.items():
        assert (pkg / name).read_text(encoding="utf-8") == text, name
    assert "skipped: policy off" in p.stderr + p.stdout


def test_eval_policy_enabled_changes_only_the_workload_by_added_lines(tmp_path: Path) -> None:
    pkg = make_pkg(tmp_path)
    p = kpt("fn", "eval", "--exec", krmfn_cmd()[0], str(pkg), "--", "policy=enabled", "template=legacy-0.2",
            "proxyImage=reg/proxy:1")
    assert p.returncode == 0, p.stderr
    assert (pkg / "cm.yaml").read_text(encoding="utf-8") == TRICKY_FILES["cm.yaml"]
    assert (pkg / "svc.yaml").read_text(encoding="utf-8") == TRICKY_FILES["svc.yaml"]
    after = (pkg / "deploy.yaml").read_text(encoding="utf-8")
    assert after != TRICKY_FILES["deploy.yaml"]
    assert only_added_lines(TRICKY_FILES["deploy.yaml"], after)
    assert "image: reg/proxy:1" in after
    # and again: nothing changes
    p = kpt("fn", "eval", "--exec", krmfn_cmd()[0], str(pkg), "--", "policy=enabled", "template=legacy-0.2",
            "proxyImage=reg/proxy:1")
    assert p.returncode == 0
    assert (pkg / "deploy.yaml").read_text(encoding="utf-8") == after


def test_eval_bad_config_fails_with_a_clear_message(tmp_path: Path) -> None:
    pkg = make_pkg(tmp_path)
    p = kpt("fn", "eval", "--exec", krmfn_cmd()[0], str(pkg), "--", "policy=sometimes")
    assert p.returncode != 0
    out = p.stderr + p.stdout
    assert "data.policy" in out and "off, disabled, enabled" in out
    assert "Traceback" not in out
    for name, text in TRICKY_FILES.items():
        assert (pkg / name).read_text(encoding="utf-8") == text


def test_render_example_package_twice_is_stable(tmp_path: Path) -> None:
    pkg = tmp_path / "kpt"
    shutil.copytree(REPO / "kustomization-example" / "kpt", pkg)
    # the Kptfile says `exec: krmfn`: kpt finds it on PATH
    env = dict(os.environ, PATH=os.path.dirname(krmfn_cmd()[0]) + os.pathsep + os.environ.get("PATH", ""))
    p = kpt("fn", "render", "--allow-exec", str(pkg), env=env)
    assert p.returncode == 0, p.stderr
    web = (pkg / "web.yaml").read_text()
    assert "name: istio-proxy" in web and "sidecar.istio.io/status: " in web
    assert only_added_or_probe_lines((REPO / "kustomization-example/kpt/web.yaml").read_text(), web)
    assert (pkg / "redis.yaml").read_text() == (REPO / "kustomization-example/kpt/redis.yaml").read_text()
    first = tmp_path / "first"
    shutil.copytree(pkg, first)
    p = kpt("fn", "render", "--allow-exec", str(pkg), env=env)
    assert p.returncode == 0, p.stderr
    cmp = filecmp.dircmp(first, pkg)
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only


def test_exec_function_example_config_through_kpt_exec_runtime(tmp_path: Path) -> None:
    """The KRM exec form for standalone kustomize/Argo CD, exercised through kpt's exec runtime."""
    app = tmp_path / "app"
    shutil.copytree(REPO / "kustomization-example" / "app", app)
    (app / "kustomization.yaml").unlink()
    p = kpt("fn", "eval", "--exec", krmfn_cmd()[0], "--fn-config",
            str(REPO / "kustomization-example" / "exec" / "inject.yaml"), str(app))
    assert p.returncode == 0, p.stderr
    for name in ("frontend", "catalog", "cart"):
        text = (app / f"{name}.yaml").read_text()
        assert "name: istio-proxy" in text
        assert only_added_or_probe_lines((REPO / "kustomization-example" / "app" / f"{name}.yaml").read_text(), text)
    assert (app / "redis.yaml").read_text() == (REPO / "kustomization-example" / "app" / "redis.yaml").read_text()
