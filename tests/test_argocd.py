"""The Argo CD example (kustomization-example/argocd): the plugin's discover and generate commands, run for real.

The commands are read from plugin.yaml and run the way Argo CD's cmp-server runs them: in the Application's
source directory (here in a read-only copy of the example), with the Application's plugin env as
ARGOCD_ENV_* variables and, when the tests run as root, as an unprivileged user (Argo CD runs its
sidecars as 999). `kubectl kustomize` stands in for `kustomize` through a shim on PATH
(`kustomize build [OPTIONS] DIR` -> `kubectl kustomize [OPTIONS] DIR`), and krmfn is this checkout's.
The install overlay is built with a stand-in for Argo CD's remote install manifest.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO, run_cli

EXAMPLE = REPO / "kustomization-example"
ARGOCD = EXAMPLE / "argocd"
KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(
    KUBECTL is None and os.environ.get("KRMFN_REQUIRE_TOOLS") != "1", reason="kubectl is not installed"
)


@pytest.fixture
def tmp_path() -> Any:
    """A scratch directory the unprivileged user the commands run as can read (pytest's own is root's only)."""
    import tempfile

    d = Path(tempfile.mkdtemp(prefix="krmfn-argocd-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def plugin() -> dict[str, Any]:
    return yaml.safe_load((ARGOCD / "plugin.yaml").read_text())


def application() -> dict[str, Any]:
    return yaml.safe_load((ARGOCD / "application.yaml").read_text())


def source_dir() -> Path:
    return REPO / application()["spec"]["source"]["path"]


def docs(text: str) -> list[Any]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def shim_path(tmp_path: Path, kustomize_body: str | None = None) -> str:
    """A PATH with a `kustomize` shim first, then this checkout's krmfn, then the rest."""
    assert KUBECTL is not None, "kubectl is required (KRMFN_REQUIRE_TOOLS=1)"
    shim = tmp_path / "bin"
    shim.mkdir()
    body = kustomize_body or f'[ "$1" = build ] && shift\nexec {KUBECTL} kustomize "$@"\n'
    (shim / "kustomize").write_text("#!/bin/sh\n" + body)
    (shim / "kustomize").chmod(0o755)
    krmfn = shutil.which("krmfn") or str(Path(sys.executable).parent / "krmfn")
    assert Path(krmfn).exists(), "krmfn is not installed in this environment (make install)"
    return os.pathsep.join([str(shim), str(Path(krmfn).parent), os.environ.get("PATH", "")])


def app_env(env: dict[str, str] | None) -> dict[str, str]:
    """ARGOCD_ENV_<NAME> for the Application's plugin env, overridden by ``env``."""
    out = {f"ARGOCD_ENV_{v['name']}": v["value"] for v in application()["spec"]["source"]["plugin"].get("env", [])}
    return {**out, **(env or {})}


UNPRIVILEGED = 65534  # nobody


def _setuid() -> None:
    os.setgid(UNPRIVILEGED)
    os.setuid(UNPRIVILEGED)


def _can_drop_root() -> bool:
    """Root, and an unprivileged user can run this Python (not so when it lives under /root)."""
    if os.getuid() != 0:
        return False
    try:
        probe = subprocess.run([sys.executable, "-c", "pass"], preexec_fn=_setuid, capture_output=True, timeout=60)
    except OSError:
        return False
    return probe.returncode == 0


DROP_ROOT = _can_drop_root()


def _drop_root() -> None:
    if DROP_ROOT:
        _setuid()


_COPY: dict[str, Path] = {}


def read_only_source(tmp_root: Path) -> Path:
    """The Application's source directory in a read-only copy of the example (what it refers to included)."""
    key = str(tmp_root)
    if key not in _COPY:
        root = tmp_root / "repo"
        shutil.copytree(EXAMPLE, root / EXAMPLE.name)
        for p in [root, *root.rglob("*")]:
            p.chmod(0o555 if p.is_dir() else 0o444)
        _COPY[key] = root / source_dir().relative_to(REPO)
    return _COPY[key]


def as_argocd(step: str, path: str, env: dict[str, str] | None = None, cwd: Path | None = None,
              tmp_root: Path | None = None) -> subprocess.CompletedProcess:
    """Run plugin.yaml's ``generate`` (or ``discover.find``) as Argo CD's cmp-server would."""
    spec = plugin()["spec"]
    cmd = spec["discover"]["find"] if step == "discover" else spec["generate"]
    run_env = {
        "PATH": path,
        "HOME": "/nonexistent",
        "ARGOCD_APP_NAME": "shop",
        "ARGOCD_APP_NAMESPACE": "shop",
        **app_env(env),
    }
    where = cwd or (read_only_source(tmp_root) if tmp_root is not None else source_dir())
    return subprocess.run(
        [*cmd["command"], *cmd.get("args", [])], cwd=where, env=run_env, capture_output=True, text=True,
        timeout=120, preexec_fn=_drop_root,
    )


def generate(path: str, env: dict[str, str] | None = None, tmp_root: Path | None = None) -> subprocess.CompletedProcess:
    return as_argocd("generate", path, env, tmp_root=tmp_root)


def by_kind(items: list[Any], kind: str) -> dict[str, Any]:
    return {d["metadata"]["name"]: d for d in items if d["kind"] == kind}


def pod_spec(w: dict[str, Any]) -> dict[str, Any]:
    if w["kind"] == "CronJob":
        return w["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return w["spec"]["template"]["spec"]


def test_plugin_is_a_cmp_v2_config_naming_the_application() -> None:
    p = plugin()
    assert (p["apiVersion"], p["kind"], p["metadata"]["name"]) == ("argoproj.io/v1alpha1", "ConfigManagementPlugin", "krmfn")
    app = application()
    assert app["kind"] == "Application" and app["apiVersion"] == "argoproj.io/v1alpha1"
    assert app["spec"]["source"]["plugin"]["name"] == p["metadata"]["name"]
    for var in app["spec"]["source"]["plugin"]["env"]:
        if var["name"] == "KRMFN_CONFIG":
            assert (source_dir() / var["value"]).is_file()


@pytest.mark.e2e
def test_discover_finds_the_config_by_any_name(tmp_path: Path) -> None:
    """Argo CD takes the plugin when ``discover.find`` prints something and exits 0."""
    path = shim_path(tmp_path)
    p = as_argocd("discover", path, tmp_root=tmp_path)
    assert (p.returncode, p.stdout) == (0, "krmfn.yaml\n"), p.stderr
    other = tmp_path / "other"
    shutil.copytree(source_dir(), other)
    (other / "krmfn.yaml").rename(other / "mesh-injector.yaml")
    p = as_argocd("discover", path, {"ARGOCD_ENV_KRMFN_CONFIG": "mesh-injector.yaml"}, cwd=other)
    assert (p.returncode, p.stdout) == (0, "mesh-injector.yaml\n"), p.stderr
    p = as_argocd("discover", path, {"ARGOCD_ENV_KRMFN_CONFIG": "krmfn.yaml"}, cwd=other)  # no such file
    assert (p.returncode, p.stdout) == (0, ""), p.stderr
    (other / "kustomization.yaml").unlink()  # not a kustomization: not ours
    p = as_argocd("discover", path, {"ARGOCD_ENV_KRMFN_CONFIG": "mesh-injector.yaml"}, cwd=other)
    assert (p.returncode, p.stdout) == (0, ""), p.stderr


@pytest.mark.e2e
def test_generate_passes_the_kustomize_build_options(tmp_path: Path) -> None:
    """KUSTOMIZE_BUILD_OPTIONS reach `kustomize build` (split into words): a restrictive load restrictor
    refuses a file outside the source directory, LoadRestrictionsNone accepts it."""
    assert "ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS" in app_env(None)
    src = tmp_path / "src"
    shutil.copytree(EXAMPLE, src / EXAMPLE.name)
    app = src / source_dir().relative_to(REPO)
    (app.parent / "extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n")
    (app / "kustomization.yaml").write_text((app / "kustomization.yaml").read_text() + "- ../extra.yaml\n")
    path = shim_path(tmp_path)
    p = as_argocd("generate", path, {"ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS": "--load-restrictor LoadRestrictionsRootOnly"},
                  cwd=app)
    assert p.returncode != 0 and p.stdout == "" and "extra.yaml" in p.stderr
    p = as_argocd("generate", path, {"ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS": "--load-restrictor  LoadRestrictionsNone"},
                  cwd=app)
    assert p.returncode == 0, p.stderr
    assert "name: extra" in p.stdout and "istio-proxy" in p.stdout


def test_argocd_version_is_set_in_one_place() -> None:
    """kustomization.yaml holds Argo CD's version (install manifest and images); the patch names no tag."""
    import re

    from krmfn import __version__

    kustomization = yaml.safe_load((ARGOCD / "kustomization.yaml").read_text())
    (remote,) = [r for r in kustomization["resources"] if r.startswith("https://")]
    version = re.search(r"/(v\d+\.\d+\.\d+)/manifests/install\.yaml$", remote).group(1)
    images = {i["name"]: i for i in kustomization["images"]}
    assert images["quay.io/argoproj/argocd"]["newTag"] == version
    assert images["krmfn-argocd"]["newTag"] == __version__
    patch = (ARGOCD / "repo-server-patch.yaml").read_text()
    assert "v2." not in patch and "v3." not in patch and re.search(r"image: quay.io/argoproj/argocd\s", patch)
    assert "FROM ${KRMFN_IMAGE}" in (ARGOCD / "Dockerfile").read_text()


@pytest.mark.e2e
@pytest.mark.slow
def test_generate_prints_the_injected_app(tmp_path: Path) -> None:
    p = generate(shim_path(tmp_path), tmp_root=tmp_path)
    assert p.returncode == 0, p.stderr
    out = docs(p.stdout)
    plain = subprocess.run([KUBECTL or "kubectl", "kustomize", str(source_dir())], capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    app = docs(plain.stdout)
    assert [(d["kind"], d["metadata"]["name"]) for d in out] == [(d["kind"], d["metadata"]["name"]) for d in app]
    assert by_kind(out, "Service") == by_kind(app, "Service")
    assert by_kind(out, "StatefulSet") == by_kind(app, "StatefulSet")  # redis opts out
    injected = [*by_kind(out, "Deployment").values(), *by_kind(out, "CronJob").values()]
    assert len(injected) == 4
    for w in injected:
        assert "istio-proxy" in [c["name"] for c in pod_spec(w)["containers"]]
        assert "sidecar.istio.io/status" in json.dumps(w)  # where, depends on the template and the kind
    # Argo CD shows stderr: one line per workload
    assert p.stderr.count("injected") >= 4 and "redis" in p.stderr
    # the same as krmfn inject run by hand on the kustomize output
    plain = subprocess.run([KUBECTL or "kubectl", "kustomize", *app_env(None)["ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS"].split(),
                            str(source_dir())], capture_output=True, text=True, timeout=120)
    local = run_cli(["inject", "-c", str(source_dir() / "krmfn.yaml"), "-"], stdin=plain.stdout.encode())
    assert local.returncode == 0
    assert p.stdout == local.stdout.decode()


@pytest.mark.e2e
def test_generate_takes_the_config_from_the_application_env(tmp_path: Path) -> None:
    config = tmp_path / "off.yaml"
    config.write_text("apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\nmetadata:\n  name: off\npolicy: off\n")
    p = generate(shim_path(tmp_path), {"ARGOCD_ENV_KRMFN_CONFIG": str(config)})
    assert p.returncode == 0, p.stderr
    assert "istio-proxy" not in p.stdout and "kind: Deployment" in p.stdout
    assert "skipped: policy off" in p.stderr


@pytest.mark.e2e
def test_generate_fails_when_kustomize_fails(tmp_path: Path) -> None:
    # pipefail: a broken kustomize must fail the sync, not hand Argo CD an empty stream to prune with
    p = generate(shim_path(tmp_path, 'echo "kustomize: accumulating resources: boom" >&2\nexit 1\n'))
    assert p.returncode != 0
    assert "boom" in p.stderr
    assert p.stdout.strip() == ""


@pytest.mark.e2e
def test_generate_fails_clearly_on_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\nmetadata:\n  name: bad\npolicy: sometimes\n")
    p = generate(shim_path(tmp_path), {"ARGOCD_ENV_KRMFN_CONFIG": str(config)})
    assert p.returncode != 0
    assert "policy" in p.stderr and "Traceback" not in p.stderr


STUB_REPO_SERVER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: argocd-repo-server
  template:
    metadata:
      labels:
        app.kubernetes.io/name: argocd-repo-server
    spec:
      initContainers:
      - name: copyutil
        image: quay.io/argoproj/argocd:v2.13.0
        command: [/bin/cp, -n, /usr/local/bin/argocd, /var/run/argocd/argocd-cmp-server]
        volumeMounts:
        - name: var-files
          mountPath: /var/run/argocd
      containers:
      - name: argocd-repo-server
        image: quay.io/argoproj/argocd:v2.13.0
      volumes:
      - name: var-files
        emptyDir: {}
      - name: plugins
        emptyDir: {}
"""


@pytest.mark.e2e
def test_install_overlay_adds_the_sidecar(tmp_path: Path) -> None:
    """Build the install overlay with a local stand-in for Argo CD's install.yaml (no network here)."""
    overlay = tmp_path / "argocd"
    shutil.copytree(ARGOCD, overlay)
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    remote = [r for r in kustomization["resources"] if r.startswith("https://")]
    assert len(remote) == 1 and remote[0].endswith("/manifests/install.yaml")
    (overlay / "install.yaml").write_text(STUB_REPO_SERVER)
    kustomization["resources"] = ["install.yaml" if r in remote else r for r in kustomization["resources"]]
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    p = subprocess.run([KUBECTL or "kubectl", "kustomize", str(overlay)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = docs(p.stdout)

    cm = [d for d in out if d["kind"] == "ConfigMap"]
    assert len(cm) == 1 and cm[0]["metadata"]["name"].startswith("krmfn-cmp-plugin-")
    assert yaml.safe_load(cm[0]["data"]["plugin.yaml"]) == plugin()
    repo_server = by_kind(out, "Deployment")["argocd-repo-server"]
    spec = repo_server["spec"]["template"]["spec"]
    assert repo_server["metadata"]["namespace"] == "argocd"
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["krmfn-cmp-plugin"]["configMap"]["name"] == cm[0]["metadata"]["name"]
    inits = {c["name"]: c for c in spec["initContainers"]}
    assert sorted(inits) == ["copyutil", "krmfn-tools"]  # Argo CD's own one kept
    sidecar = {c["name"]: c for c in spec["containers"]}["krmfn"]
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert sidecar["securityContext"]["runAsUser"] == 999
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    assert mounts["/var/run/argocd"]["name"] == "var-files"
    assert mounts["/home/argocd/cmp-server/plugins"]["name"] == "plugins"
    assert mounts["/home/argocd/cmp-server/config/plugin.yaml"] == {
        "name": "krmfn-cmp-plugin", "mountPath": "/home/argocd/cmp-server/config/plugin.yaml", "subPath": "plugin.yaml"
    }
    assert all(m["name"] in volumes for m in sidecar["volumeMounts"])
    # kustomize from the init container is first on the sidecar's PATH
    tools = mounts["/krmfn-tools"]["mountPath"]
    path = {e["name"]: e["value"] for e in sidecar["env"]}["PATH"]
    assert path.split(":")[0] == tools
    assert inits["krmfn-tools"]["command"][-1] == f"{tools}/kustomize"
    assert {"name": "krmfn-tools", "mountPath": tools} in inits["krmfn-tools"]["volumeMounts"]
    assert by_kind(out, "Application")["shop"]["metadata"]["namespace"] == "argocd"
