"""The package as users install it: ``python -m build`` makes an sdist and a wheel without a warning, the
wheel (built from the sdist) installs with pip into a fresh virtualenv, and its ``krmfn`` runs there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

from krmfn import __version__

pytestmark = pytest.mark.e2e

pytest.importorskip("build")

POD = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: app\n"


def run(cmd: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, env=env, **kw)


@pytest.mark.slow
def test_dist_builds_without_warnings_and_the_wheel_installs_in_a_fresh_venv(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    p = run([sys.executable, "-m", "build", "--outdir", str(dist), str(REPO)], tmp_path)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    warnings = [line for line in (p.stdout + p.stderr).splitlines() if re.search(r"[A-Za-z]Warning\b", line)]
    assert warnings == [], warnings
    names = sorted(f.name for f in dist.iterdir())
    assert names == [f"krmfn-{__version__}-py3-none-any.whl", f"krmfn-{__version__}.tar.gz"]
    wheel = dist / names[0]
    p = run([sys.executable, "-m", "zipfile", "-l", str(wheel)], tmp_path)
    for member in ("licenses/LICENSE", "licenses/NOTICE", "krmfn/cli.py", "krmfn/istio/sidecar.py"):
        assert member in p.stdout, member

    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", str(venv)], tmp_path).returncode == 0
    p = run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
            tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    krmfn = str(venv / "bin" / "krmfn")
    p = run([krmfn, "--version"], tmp_path)
    assert p.returncode == 0 and p.stdout.splitlines()[0] == f"krmfn {__version__}", p
    p = run([krmfn, "inject", "-"], tmp_path, input=POD.decode())
    assert p.returncode == 0 and p.stderr == "pod/p injected\n", p.stderr
    assert "name: istio-proxy" in p.stdout
    p = run([str(venv / "bin" / "python"), "-c", "import krmfn; print(krmfn.__file__)"], tmp_path)
    assert p.stdout.startswith(str(venv)), p.stdout  # the installed copy, not the checkout


def test_one_version_source() -> None:
    """The Makefile's image tag and the package version both come from krmfn/__init__.py."""
    p = subprocess.run(["make", "-s", "--no-print-directory", "version"], cwd=REPO, capture_output=True, text=True)
    assert p.stdout == f"{__version__}\n", p
    p = subprocess.run(["make", "-n", "image"], cwd=REPO, capture_output=True, text=True)
    assert f"-t localhost/krmfn:{__version__} " in p.stdout and f"--build-arg VERSION={__version__}" in p.stdout, p
    assert 'version = {attr = "krmfn.__version__"}' in (REPO / "pyproject.toml").read_text()
