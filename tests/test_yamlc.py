"""krmfn with a PyYAML built without libyaml (no ``yaml.CSafeLoader``): the same output, no traceback.

The child process gets a ``sitecustomize`` that deletes PyYAML's C classes before krmfn imports it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, resource_list

pytestmark = pytest.mark.e2e

APP = REPO / "kustomization-example" / "app"

NO_LIBYAML = """\
import yaml
for name in [n for n in dir(yaml) if n.startswith("C") and n[1:2].isupper()]:
    delattr(yaml, name)
yaml.__with_libyaml__ = False
"""


def krmfn(args: list[str], stdin: bytes, site: Path | None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([sys.executable, "-m", "krmfn", *args], input=stdin, capture_output=True, env=env,
                          timeout=120)


def site_without_libyaml(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NO_LIBYAML)
    probe = subprocess.run([sys.executable, "-c", "import yaml, krmfn.text.yamlc as c; print(hasattr(yaml, 'CSafeLoader'),"
                            " hasattr(yaml, 'CParser'), c.LIBYAML)"],
                           env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True, text=True)
    assert probe.stdout.split() == ["False", "False", "False"], probe  # the simulation does remove them
    return site


@pytest.mark.slow
def test_inject_and_function_mode_without_libyaml_give_the_same_output(tmp_path: Path) -> None:
    site = site_without_libyaml(tmp_path)
    for args, stdin in [
        (["inject", str(APP)], b""),
        ([], resource_list([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                             "spec": {"containers": [{"name": "a"}]}}], {"apiVersion": "v1", "kind": "ConfigMap",
                                                                          "metadata": {"name": "c"},
                                                                          "data": {"policy": "enabled"}}).encode()),
    ]:
        pure, c = krmfn(args, stdin, site), krmfn(args, stdin, None)
        assert b"Traceback" not in pure.stderr, pure.stderr.decode()
        assert pure.returncode == c.returncode == 0, pure.stderr.decode()
        assert b"istio-proxy" in pure.stdout
        assert (pure.stdout, pure.stderr) == (c.stdout, c.stderr)


def test_bad_yaml_without_libyaml_is_a_one_line_error(tmp_path: Path) -> None:
    site = site_without_libyaml(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [\n")
    p = krmfn(["inject", str(bad)], b"", site)
    err = p.stderr.decode()
    assert p.returncode == 1 and p.stdout == b"" and "Traceback" not in err
    assert f"krmfn: error: {bad}: input is not valid YAML" in err
