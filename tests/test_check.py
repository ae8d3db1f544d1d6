"""``krmfn inject --check`` / ``--diff`` through the executable: exit 1 and the files and workloads that
would change, 0 when up to date, nothing written; and the pre-commit hook as pre-commit runs it."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import REPO, krmfn_cmd

pytestmark = pytest.mark.e2e

APP = REPO / "kustomization-example" / "app"
OLD_RELEASE = ("apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\nmetadata:\n  name: old\n"
               "values:\n  global:\n    tag: 1.30.0\n")


def krmfn(args: list[str], cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([*krmfn_cmd(), *args], capture_output=True, text=True, cwd=cwd, timeout=120,
                          input=stdin.decode())


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def tree(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    (app / "kustomization.yaml").unlink()
    (app / "values.yaml").write_text("replicaCount: 2\n")  # not a manifest: passed over
    return app


def test_check_lists_what_would_change_and_writes_nothing(tmp_path: Path) -> None:
    app = tree(tmp_path)
    before = snapshot(app)
    p = krmfn(["inject", "--check", "."], app)
    assert p.returncode == 1, p.stderr
    lines = p.stdout.splitlines()
    assert "would change: ./cart.yaml" in lines
    assert "  deployment/shop/cart: no sidecar yet: would be injected" in lines
    assert "would change: ./redis.yaml" not in lines  # opted out: unchanged
    assert lines[-1] == "4 workloads in 4 of 6 files would change; to update them: krmfn inject -i ."
    assert snapshot(app) == before
    assert "injected" not in p.stderr  # the per-workload lines are the report's, on stdout


def test_check_is_0_once_injected_and_1_again_after_an_upgrade(tmp_path: Path) -> None:
    app = tree(tmp_path)
    (app / "old.yaml").write_text(OLD_RELEASE)
    assert krmfn(["inject", "-i", "-c", "old.yaml", "."], app).returncode == 0
    p = krmfn(["inject", "--check", "-c", "old.yaml", "."], app)
    assert (p.returncode, p.stdout) == (0, "7 files checked: up to date\n"), p
    before = snapshot(app)
    p = krmfn(["inject", "--check", "."], app)  # today's release: every sidecar is outdated
    assert p.returncode == 1
    assert "  deployment/shop/cart: sidecar outdated or from another config: would be re-injected" in p.stdout
    p = krmfn(["inject", "--diff", "."], app)
    assert p.returncode == 1 and snapshot(app) == before
    assert "--- a/cart.yaml\n+++ b/cart.yaml\n" in p.stdout
    assert "-        image: docker.io/istio/proxyv2:1.30.0\n+        image: docker.io/istio/proxyv2:1." in p.stdout
    assert "would change: ./cart.yaml" in p.stderr
    # the diff is a patch that makes the files what `inject -i` makes them
    assert subprocess.run(["patch", "-p1", "-s"], input=p.stdout, text=True, cwd=app).returncode == 0
    patched = snapshot(app)
    assert krmfn(["inject", "-i", "."], app).returncode == 0
    assert snapshot(app) == patched


def test_check_with_a_bad_config_or_with_in_place(tmp_path: Path) -> None:
    app = tree(tmp_path)
    (app / "bad.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  policy: maybe\n")
    p = krmfn(["inject", "--check", "-c", "bad.yaml", "."], app)
    assert p.returncode == 1 and p.stdout == "" and "krmfn: error: bad.yaml: invalid config" in p.stderr
    p = krmfn(["inject", "--check", "-i", "."], app)
    assert p.returncode == 2 and p.stdout == ""


def test_uninject_check_and_stdin(tmp_path: Path) -> None:
    pod = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n"
    p = krmfn(["inject", "--check", "-"], tmp_path, pod)
    assert p.returncode == 1 and "would change: (stdin)\n  pod/p: no sidecar yet: would be injected\n" in p.stdout
    injected = krmfn(["inject", "-"], tmp_path, pod).stdout.encode()
    assert krmfn(["inject", "--check", "-"], tmp_path, injected).returncode == 0
    p = krmfn(["uninject", "--check", "-"], tmp_path, injected)
    assert p.returncode == 1 and "  pod/p: would be uninjected" in p.stdout


def test_pre_commit_hook_as_pre_commit_runs_it(tmp_path: Path) -> None:
    """pre-commit runs ``entry + args + staged files`` matching ``files``; the hook must fail, then pass."""
    import re

    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "krmfn-check" and hook["language"] == "python" and hook["require_serial"] is True
    app = tree(tmp_path)
    staged = sorted(str(p.relative_to(app)) for p in app.iterdir() if re.search(hook["files"], p.name))
    cmd = shlex.split(hook["entry"])
    assert cmd[0] == "krmfn"
    first = krmfn([*cmd[1:], *staged], app)
    assert first.returncode == 1 and "would change: cart.yaml" in first.stdout
    assert krmfn(["inject", "-i", *staged], app).returncode == 0
    assert krmfn([*cmd[1:], *staged], app).returncode == 0
