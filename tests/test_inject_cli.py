"""``krmfn inject``: the kube-inject replacement for plain manifests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from helpers import REPO, only_added_lines, only_added_or_probe_lines, run_cli

from krmfn.istio import ISTIO_RELEASE
from krmfn.istio.uninject import find_status

pytestmark = pytest.mark.e2e

APP = REPO / "kustomization-example" / "app"


def copy_app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    (app / "kustomization.yaml").unlink()
    return app


def test_directory_to_stdout_with_one_line_per_workload(tmp_path: Path) -> None:
    app = copy_app(tmp_path)
    p = run_cli(["inject", str(app)])
    assert p.returncode == 0, p.stderr
    lines = p.stderr.decode().splitlines()
    assert "deployment/shop/frontend injected" in lines
    assert "statefulset/shop/redis skipped: sidecar.istio.io/inject=false (pod template annotation)" in lines
    docs = [d for d in yaml.safe_load_all(p.stdout) if d]
    assert len(docs) == 10
    assert sum(1 for d in docs if find_status(d) is not None) == 4


def test_stdin_and_config(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\nmetadata:\n  name: c\n"
                   "values:\n  global:\n    hub: my.registry\n")
    pod = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n"
    p = run_cli(["inject", "-c", str(cfg), "-"], pod)
    assert p.returncode == 0 and p.stderr.decode() == "pod/p injected\n"
    assert f"image: my.registry/proxyv2:{ISTIO_RELEASE}" in p.stdout.decode()
    p = run_cli(["inject"], pod.replace(b"spec:\n", b"spec:\n  hostNetwork: true\n"))
    assert p.stderr.decode() == "pod/p skipped: hostNetwork\n"


def test_in_place_is_a_minimal_diff_and_idempotent(tmp_path: Path) -> None:
    app = copy_app(tmp_path)
    p = run_cli(["inject", "-i", str(app)])
    assert p.returncode == 0 and p.stdout == b""
    assert (app / "redis.yaml").read_text() == (APP / "redis.yaml").read_text()
    for name in ("frontend", "catalog", "cart", "report"):
        after = (app / f"{name}.yaml").read_text()
        assert "istio-proxy" in after and only_added_or_probe_lines((APP / f"{name}.yaml").read_text(), after)
    snapshot = {f.name: f.read_text() for f in app.iterdir()}
    run_cli(["inject", "-i", str(app)])
    assert snapshot == {f.name: f.read_text() for f in app.iterdir()}


def test_namespace_objects_count_across_files(tmp_path: Path) -> None:
    app = copy_app(tmp_path)
    (app / "namespace.yaml").write_text((APP / "namespace.yaml").read_text().replace("enabled", "disabled"))
    p = run_cli(["inject", str(app)])
    assert "deployment/shop/cart skipped: namespace shop labelled istio-injection=disabled" in p.stderr.decode()


def test_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [\n")
    p = run_cli(["inject", str(bad)])
    assert p.returncode == 1 and b"not valid YAML" in p.stderr and b"Traceback" not in p.stderr
    p = run_cli(["inject", str(tmp_path / "missing.yaml")])
    assert p.returncode == 1 and b"cannot read" in p.stderr
    p = run_cli(["inject", "-i", "-"])
    assert p.returncode == 2
    cfg = tmp_path / "c.yaml"
    cfg.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  policy: maybe\n")
    p = run_cli(["inject", "-c", str(cfg), str(APP / "cart.yaml")])
    assert p.returncode == 1 and b"off, disabled, enabled" in p.stderr
    assert p.stdout == b""  # a pipe into kubectl apply must not get the manifests uninjected


LIST = """\
apiVersion: v1
kind: List
items:
# the app
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
  spec:
    template:
      spec:
        containers:
        - name: app
          image: nginx
- apiVersion: v1
  kind: Service
  metadata:
    name: web
    namespace: shop
  spec:
    ports:
    - port: 80
"""


def test_kind_list_items_are_injected_one_by_one() -> None:
    p = run_cli(["inject", "-"], LIST.encode())
    assert p.returncode == 0, p.stderr
    assert p.stderr.decode() == "deployment/shop/web injected\n"
    out = p.stdout.decode()
    assert only_added_lines(LIST, out)
    doc = yaml.safe_load(out)
    assert [c["name"] for c in doc["items"][0]["spec"]["template"]["spec"]["containers"]] == ["app", "istio-proxy"]
    assert doc["items"][1] == yaml.safe_load(LIST)["items"][1]


def test_uninject_gives_back_the_input_byte_for_byte_with_exact_uninject(tmp_path: Path) -> None:
    app = copy_app(tmp_path)
    before = {f: f.read_text() for f in sorted(app.iterdir())}
    assert run_cli(["inject", "--exact-uninject", "-i", str(app)]).returncode == 0
    assert any(f.read_text() != text for f, text in before.items())
    assert any("krmfn.dev/uninject" in f.read_text() for f in app.iterdir())
    p = run_cli(["uninject", "-i", str(app)])
    assert p.returncode == 0, p.stderr
    assert "deployment/shop/frontend uninjected" in p.stderr.decode().splitlines()
    assert {f: f.read_text() for f in sorted(app.iterdir())} == before
    # and on a List
    injected = run_cli(["inject", "--exact-uninject", "-"], LIST.encode()).stdout
    assert run_cli(["uninject", "-"], injected).stdout.decode() == LIST


def test_without_exact_uninject_only_istios_annotations_and_a_warning_names_what_is_lost(tmp_path: Path) -> None:
    frontend = copy_app(tmp_path) / "frontend.yaml"
    text = frontend.read_text()
    p = run_cli(["inject", str(frontend)])
    assert p.returncode == 0, p.stderr
    assert "krmfn.dev/uninject" not in p.stdout.decode()
    assert "warning" not in p.stderr.decode()  # the loss happens at uninject, which reports it
    u = run_cli(["uninject", "-"], p.stdout)
    warnings = [line for line in u.stderr.decode().splitlines() if "uninject may not be exact" in line]
    assert len(warnings) == 1 and warnings[0].startswith("krmfn: warning: (stdin): document 1: deployment/shop/frontend: ")
    assert "spec.template.spec.containers[frontend].readinessProbe.httpGet.port" in warnings[0] and "exactUninject: true" in warnings[0]
    back = [d for d in yaml.safe_load_all(u.stdout) if d]
    original = [d for d in yaml.safe_load_all(text) if d]
    # what the status annotation allows: everything back but the named probe port (now the number it named)
    probe = back[0]["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]
    assert probe["port"] != "http"
    probe["port"] = "http"
    assert back == original
