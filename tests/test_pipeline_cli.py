"""``krmfn inject`` in pipelines, through the executable: an error leaves stdout empty, messages name the file
and the document, files that hold no Kubernetes object are passed over, a manifest where a config goes is
recognised."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import REPO, krmfn_cmd

pytestmark = pytest.mark.e2e

APP = REPO / "kustomization-example" / "app"
BAD_CONFIG = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  policy: maybe\n"
VALUES = "replicaCount: 2\nimage:\n  tag: latest\n"
WORKFLOW = "name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"


def krmfn(args: list[str], stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*krmfn_cmd(), *args], input=stdin, capture_output=True, timeout=120, cwd=cwd)


def tree(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    (app / "kustomization.yaml").unlink()
    return app


def test_a_config_error_writes_nothing_to_stdout(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD_CONFIG)
    for mode in ("inject", "uninject"):
        p = krmfn([mode, "-c", "bad.yaml", str(APP / "cart.yaml")], cwd=tmp_path)
        assert p.returncode == 1 and p.stdout == b"", p
        err = p.stderr.decode()
        assert err.startswith("krmfn: error: bad.yaml: invalid config: data.policy:"), err
        assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_config_error_through_a_pipe_applies_nothing(tmp_path: Path) -> None:
    """What `krmfn inject -c bad.yaml app.yaml | kubectl apply -f -` would get: no document at all."""
    (tmp_path / "bad.yaml").write_text(BAD_CONFIG)
    cmd = " ".join(krmfn_cmd()) + f" inject -c bad.yaml {APP / 'cart.yaml'} | wc -c"
    p = subprocess.run(["sh", "-c", cmd], capture_output=True, cwd=tmp_path, timeout=120)
    assert p.stdout.strip() == b"0", p


def test_non_manifest_files_are_passed_over_with_a_note(tmp_path: Path) -> None:
    app = tree(tmp_path)
    (app / "values.yaml").write_text(VALUES)
    (app / "ci.yml").write_text(WORKFLOW)
    p = krmfn(["inject", "."], cwd=app)
    assert p.returncode == 0, p.stderr
    err = p.stderr.decode().splitlines()
    assert "krmfn: note: ./values.yaml: no Kubernetes object (no apiVersion and kind, or a kustomize or kpt file); passed over" in err
    assert "krmfn: note: ./ci.yml: no Kubernetes object (no apiVersion and kind, or a kustomize or kpt file); passed over" in err
    docs = [d for d in yaml.safe_load_all(p.stdout) if d]
    assert len(docs) == 10 and all("apiVersion" in d for d in docs)  # neither file is in the stream
    p = krmfn(["inject", "-i", "."], cwd=app)
    assert p.returncode == 0 and (app / "values.yaml").read_text() == VALUES
    assert (app / "ci.yml").read_text() == WORKFLOW


def test_kustomize_and_kpt_files_are_passed_over_too(tmp_path: Path) -> None:
    """`krmfn inject DIR | kubectl apply -f -` on a kustomize or kpt tree applies no Kustomization or Kptfile."""
    kpt = tmp_path / "kpt"
    shutil.copytree(REPO / "kustomization-example" / "kpt", kpt)
    shutil.copy(APP / "kustomization.yaml", kpt / "kustomization.yaml")
    p = krmfn(["inject", "."], cwd=kpt)
    assert p.returncode == 0, p.stderr
    err = p.stderr.decode()
    assert "krmfn: note: ./Kptfile" not in err  # not a .yaml file: not even read
    assert "krmfn: note: ./kustomization.yaml: no Kubernetes object" in err
    kinds = [d["kind"] for d in yaml.safe_load_all(p.stdout) if d]
    assert "Kustomization" not in kinds and "Deployment" in kinds and "SidecarInjector" in kinds


def test_strict_makes_them_errors(tmp_path: Path) -> None:
    app = tree(tmp_path)
    (app / "values.yaml").write_text(VALUES)
    p = krmfn(["inject", "--strict", "."], cwd=app)
    assert p.returncode == 1 and p.stdout == b""
    assert "krmfn: error: ./values.yaml: no Kubernetes object (no apiVersion and kind, or a kustomize or kpt file)" in p.stderr.decode()


def test_errors_name_the_file_and_the_document(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.yaml"
    mixed.write_text((APP / "cart.yaml").read_text() + "---\nfoo: bar\n---\n"
                     "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
                     "  annotations: {sidecar.istio.io/inject: maybe}\nspec:\n  containers: [{name: a}]\n")
    p = krmfn(["inject", "mixed.yaml"], cwd=tmp_path)
    assert p.returncode == 1 and p.stdout == b""
    err = p.stderr.decode().splitlines()
    assert "krmfn: error: mixed.yaml: document 3 has no apiVersion; left unchanged (field apiVersion)" in err, err
    assert ("krmfn: warning: mixed.yaml: document 4: pod/p: sidecar.istio.io/inject='maybe' "
            "(pod template annotation) is neither true nor false; ignored (field metadata.annotations)") in err, err


def test_a_manifest_as_the_only_argument_gets_a_hint(tmp_path: Path) -> None:
    p = krmfn([str(APP / "cart.yaml")])
    assert p.returncode == 2 and p.stdout == b""
    assert p.stderr.decode() == (f"krmfn: error: {APP / 'cart.yaml'} holds Deployment, Service, not a krmfn "
                                 f"config; did you mean `krmfn inject {APP / 'cart.yaml'}`?\n")
    config = tmp_path / "c.yaml"
    config.write_text("apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\nmetadata:\n  name: c\n")
    p = krmfn([str(config)], (APP / "cart.yaml").read_bytes())
    assert p.returncode == 0 and b"istio-proxy" in p.stdout, p.stderr  # the exec plugin form still works


def test_the_exec_plugin_form_on_a_terminal_says_what_it_waits_for(tmp_path: Path) -> None:
    """`krmfn inject.yaml` typed at a prompt would wait for stdin forever: it says what to type instead."""
    import pty

    config = tmp_path / "c.yaml"
    config.write_text("apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\nmetadata:\n  name: c\n")
    controller, terminal = pty.openpty()
    try:
        p = subprocess.run([*krmfn_cmd(), str(config)], stdin=terminal, capture_output=True, timeout=60)
    finally:
        os.close(controller)
        os.close(terminal)
    assert p.returncode == 2 and p.stdout == b""
    assert f"to inject files: `krmfn inject -c {config} FILE...`" in p.stderr.decode()
