"""Settings through the real kpt, as users type them: ``kpt fn eval --exec krmfn DIR -- key=value ...``.

The legacy image settings act on the istio template (hub, tag -> values.global.*), dotted keys work like
istioctl's --set, and a setting that cannot act or a typo fails the run with the field named, files unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import dump, krmfn_cmd

KPT = shutil.which("kpt")
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    KPT is None and os.environ.get("KRMFN_REQUIRE_TOOLS") != "1", reason="kpt is not installed"
)]

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "app"},
    "spec": {"selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
}


def eval_(tmp_path: Path, *settings: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "web.yaml").write_text(dump(DEPLOYMENT))
    p = subprocess.run([KPT or "kpt", "fn", "eval", "--exec", krmfn_cmd()[0], str(pkg), "--", *settings],
                       capture_output=True, text=True, timeout=300)
    return p, pkg / "web.yaml"


def proxy(path: Path) -> dict:
    spec = yaml.safe_load(path.read_text())["spec"]["template"]["spec"]
    return next(c for c in spec.get("initContainers", []) + spec["containers"] if c["name"] == "istio-proxy")


def test_hub_and_tag_act_on_the_istio_template(tmp_path: Path) -> None:
    p, web = eval_(tmp_path, "hub=my.registry", "tag=9.9")
    assert p.returncode == 0, p.stderr
    assert proxy(web)["image"] == "my.registry/proxyv2:9.9"


def test_dotted_keys_work_like_istioctl_set(tmp_path: Path) -> None:
    p, web = eval_(tmp_path, "values.global.proxy.resources.requests.cpu=50m",
                   "meshConfig.defaultConfig.holdApplicationUntilProxyStarts=true")
    assert p.returncode == 0, p.stderr
    c = proxy(web)
    assert c["resources"]["requests"]["cpu"] == "50m"
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert '"holdApplicationUntilProxyStarts":true' in env["PROXY_CONFIG"].replace(" ", "")


@pytest.mark.parametrize("settings,words", [
    (["verbosity=4"], ["data.verbosity", "values.global.proxy.logLevel"]),
    (["values.global.prxy.image=x"], ["data.values.global.prxy.image", "did you mean `proxy`"]),
    (["values.global.proxy.privileged=maybe"], ["data.values.global.proxy.privileged", "true or false"]),
])
def test_bad_settings_fail_with_the_field_named(tmp_path: Path, settings: list[str], words: list[str]) -> None:
    p, web = eval_(tmp_path, *settings)
    assert p.returncode != 0
    out = p.stderr + p.stdout
    assert all(w in out for w in words), out
    assert "Traceback" not in out
    assert yaml.safe_load(web.read_text()) == DEPLOYMENT
