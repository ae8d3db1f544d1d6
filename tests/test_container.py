"""krmfn's container image, run for real through a Docker-compatible engine.

The image is built from this checkout with the Python docker SDK (``Dockerfile``; the base is
``$KRMFN_BASE_IMAGE``, else the local ``localhost/krmfn-base:bookworm`` that tools/container-engine.sh
makes, else ``python:3.11-slim``) and reused while the build context and the base are unchanged.
It then runs as kustomize's container function (``kubectl kustomize --enable-alpha-plugins``), through
``kpt fn eval --image``, directly, hardened (no network, user nobody, read-only root), and as the Argo CD
plugin sidecar of kustomization-example/argocd.

No engine on the socket: skipped, unless KRMFN_REQUIRE_TOOLS=1 (CI), then failed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO, load, resource_list, run_cli

pytestmark = [pytest.mark.container, pytest.mark.e2e]

IMAGE = "localhost/krmfn:dev"  # what kustomization-example/container names
LOCAL_BASE = "localhost/krmfn-base:bookworm"
REGISTRY_BASE = "python:3.11-slim"
CONTEXT_LABEL = "dev.krmfn.context"
REQUIRE = os.environ.get("KRMFN_REQUIRE_TOOLS") == "1"
EXAMPLE = REPO / "kustomization-example"
TIMEOUT = 300  # a hang guard for subprocesses and container waits, not a timing assertion


def _unavailable(why: str) -> None:
    if REQUIRE:
        pytest.fail(f"{why} (KRMFN_REQUIRE_TOOLS=1)")
    pytest.skip(why)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        _unavailable(f"{name} is not installed")
    assert path is not None
    return path


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    try:
        import docker
    except ImportError:  # pragma: no cover - the test extra has it
        _unavailable("the docker Python SDK is not installed")
        raise
    try:
        c = docker.from_env(timeout=TIMEOUT)
        c.ping()
    except Exception as e:  # docker.errors.DockerException and socket errors alike
        _unavailable(f"no container engine answers ({e.__class__.__name__}); see DEVELOPERS.md")
        raise
    yield c
    c.close()


def context_files() -> list[Path]:
    """What the Dockerfile copies (the rest is in .dockerignore or unused)."""
    files = [REPO / name for name in ("Dockerfile", "pyproject.toml", "README.md", "LICENSE", "NOTICE")]
    files += sorted(p for p in (REPO / "krmfn").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files


def context_digest(base_id: str) -> str:
    h = hashlib.sha256(base_id.encode())
    for path in context_files():
        h.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def choose_base(client: Any) -> str:
    wanted = os.environ.get("KRMFN_BASE_IMAGE")
    if wanted:
        return wanted
    try:
        client.images.get(LOCAL_BASE)
        return LOCAL_BASE
    except Exception:
        return REGISTRY_BASE  # the engine must be able to pull it


@pytest.fixture(scope="module")
def image(client: Any) -> str:
    """localhost/krmfn:dev built from this checkout; an image built from the same context is reused."""
    import docker

    base = choose_base(client)
    try:
        base_id = client.images.get(base).id
    except docker.errors.ImageNotFound:
        base_id = base  # pulled by the build
    digest = context_digest(base_id)
    old_id = None
    try:
        old = client.images.get(IMAGE)
        if old.labels.get(CONTEXT_LABEL) == digest:
            return IMAGE
        old_id = old.id
    except docker.errors.ImageNotFound:
        pass
    try:
        client.images.build(
            path=str(REPO), tag=IMAGE, buildargs={"BASE_IMAGE": base}, labels={CONTEXT_LABEL: digest}, rm=True
        )
    except docker.errors.BuildError as e:
        log = "".join(str(chunk.get("stream", chunk.get("error", ""))) for chunk in e.build_log)
        pytest.fail(f"docker build from {base} failed: {e}\n{log[-3000:]}")
    built = client.images.get(IMAGE)
    assert built.labels.get(CONTEXT_LABEL) == digest
    if old_id and old_id != built.id:
        try:
            client.images.remove(old_id)  # the stale build, now untagged: keep the engine's store small
        except docker.errors.APIError:
            pass  # still used by a container, or already gone
    return IMAGE


def docs(text: str) -> list[Any]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def by_kind(items: list[Any], kind: str) -> dict[str, Any]:
    return {d["metadata"]["name"]: d for d in items if d["kind"] == kind}


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    if workload["kind"] == "CronJob":
        return workload["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return workload["spec"]["template"]["spec"]


def container_names(workload: dict[str, Any]) -> list[str]:
    return [c["name"] for c in pod_spec(workload)["containers"]]


def template_status(workload: dict[str, Any]) -> str:
    """The sidecar.istio.io/status annotation that every krmfn template writes (pod template, or the
    CronJob's job template, by template)."""
    spec = workload["spec"]
    for holder in (spec.get("template"), spec.get("jobTemplate"), spec.get("jobTemplate", {}).get("spec", {}).get("template")):
        status = ((holder or {}).get("metadata") or {}).get("annotations", {}).get("sidecar.istio.io/status")
        if status:
            return str(status)
    return ""


# --- (a) kustomize's container function -------------------------------------------------------------


@pytest.mark.slow
def test_kustomize_runs_the_image_as_a_container_function(image: str) -> None:
    kubectl = _tool("kubectl")
    _tool("docker")  # kustomize runs the docker CLI
    assert f"image: {image}" in (EXAMPLE / "container" / "inject.yaml").read_text()
    p = subprocess.run(
        [kubectl, "kustomize", "--enable-alpha-plugins", str(EXAMPLE / "container")],
        capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert p.returncode == 0, p.stderr
    out = docs(p.stdout)
    plain = subprocess.run(
        [kubectl, "kustomize", str(EXAMPLE / "app")], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert plain.returncode == 0, plain.stderr
    app = docs(plain.stdout)

    # every item comes back; Services and the Namespace exactly as kustomize built them
    assert sorted((d["kind"], d["metadata"]["name"]) for d in out) == sorted(
        (d["kind"], d["metadata"]["name"]) for d in app
    )
    assert by_kind(out, "Service") == by_kind(app, "Service")
    assert by_kind(out, "Namespace") == by_kind(app, "Namespace")
    # injected: the three Deployments and the CronJob; redis opted out
    deployments = by_kind(out, "Deployment")
    assert sorted(deployments) == ["cart", "catalog", "frontend"]
    for w in [*deployments.values(), *by_kind(out, "CronJob").values()]:
        assert "istio-proxy" in container_names(w), w["metadata"]["name"]
        assert "istio-init" in [c["name"] for c in pod_spec(w)["initContainers"]]
        assert "istio-proxy" in template_status(w)
        proxy = {c["name"]: c for c in pod_spec(w)["containers"]}["istio-proxy"]
        assert proxy["image"].startswith("docker.io/istio/")  # the example's hub
    redis = by_kind(out, "StatefulSet")["redis"]
    assert redis == by_kind(app, "StatefulSet")["redis"]
    assert "istio-proxy" not in container_names(redis)

    # the container gives what the local krmfn gives for the same config
    local = run_cli(["inject", "-c", str(EXAMPLE / "container" / "inject.yaml"), "-"], stdin=plain.stdout.encode())
    assert local.returncode == 0, local.stderr
    assert sorted(out, key=_key) == sorted(docs(local.stdout.decode()), key=_key)


def _key(d: dict[str, Any]) -> tuple[str, str]:
    return d["kind"], d["metadata"]["name"]


# --- (b) kpt fn eval --image ------------------------------------------------------------------------


def docker_cli_is_podman() -> bool:
    p = subprocess.run([_tool("docker"), "--version"], capture_output=True, text=True, timeout=60)
    return "podman" in (p.stdout + p.stderr).lower()


@pytest.mark.slow
def test_kpt_fn_eval_image_injects_a_package_copy(image: str, tmp_path: Path) -> None:
    kpt = _tool("kpt")
    _tool("docker")  # kpt runs the docker CLI
    pkg = tmp_path / "kpt"
    shutil.copytree(EXAMPLE / "kpt", pkg)
    env = dict(os.environ)
    if docker_cli_is_podman():
        env["KPT_FN_RUNTIME"] = "podman"  # kpt refuses podman-docker's `docker` (version check)

    def fn_eval() -> subprocess.CompletedProcess:
        # --image-pull-policy Never: the image is local only; kpt must not try a registry
        return subprocess.run(
            [kpt, "fn", "eval", str(pkg), "--image", image, "--image-pull-policy", "Never",
             "--fn-config", str(pkg / "inject.yaml")],
            capture_output=True, text=True, timeout=TIMEOUT, env=env,
        )

    p = fn_eval()
    assert p.returncode == 0, p.stderr
    report = p.stdout + p.stderr
    assert "apps/v1/Deployment/shop/web: injected (template " in report
    assert "apps/v1/StatefulSet/shop/redis: skipped: sidecar.istio.io/inject=false" in report
    web = (pkg / "web.yaml").read_text()
    assert "name: istio-proxy" in web and "name: istio-init" in web
    assert "sidecar.istio.io/status:" in web
    for name in ("redis.yaml", "namespace.yaml", "Kptfile", "inject.yaml"):
        assert (pkg / name).read_text() == (EXAMPLE / "kpt" / name).read_text(), name
    # idempotent through the container too
    p = fn_eval()
    assert p.returncode == 0, p.stderr
    assert "web: already injected" in p.stdout + p.stderr
    assert (pkg / "web.yaml").read_text() == web


# --- (c) directly, hardened --------------------------------------------------------------------------
#
# The SDK's high-level containers.run() cannot feed stdin. We stay within the SDK (no docker CLI needed
# for these tests) with its low-level API: create the container with stdin open (the SDK then sets StdinOnce), attach a raw
# socket to its stdin only, start it, write the ResourceList and half-close the socket (EOF for the
# function), wait, then read stdout and stderr separately from the logs, which avoids demultiplexing the
# attach stream.


def run_hardened(client: Any, image: str, stdin: bytes, entrypoint: list[str] | None = None) -> tuple[int, bytes, bytes]:
    api = client.api
    host_config = api.create_host_config(network_mode="none", read_only=True)
    ctr = api.create_container(
        image, user="nobody", stdin_open=True, entrypoint=entrypoint, host_config=host_config
    )
    cid = ctr["Id"]
    try:
        sock = api.attach_socket(cid, params={"stdin": 1, "stream": 1})
        raw = getattr(sock, "_sock", sock)
        api.start(cid)
        try:
            raw.sendall(stdin)
            raw.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a program that reads no stdin may have ended already: its status and output tell the rest
        status = api.wait(cid, timeout=TIMEOUT)["StatusCode"]
        sock.close()
        out = api.logs(cid, stdout=True, stderr=False)
        err = api.logs(cid, stdout=False, stderr=True)
        return status, out, err
    finally:
        api.remove_container(cid, force=True)


WEB = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
}
SVC = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"ports": [{"port": 80}]}}
TYPED = {
    "apiVersion": "krmfn.dev/v1alpha1",
    "kind": "SidecarInjector",
    "metadata": {"name": "inject"},
    "policy": "enabled",
    "values": {"global": {"hub": "reg.example/istio", "tag": "9.9"}},
}


@pytest.mark.slow
def test_hardened_run_injects_from_stdin(client: Any, image: str) -> None:
    rl = resource_list([SVC, WEB], TYPED)  # the typed kind: jsonschema works in the image
    status, out, err = run_hardened(client, image, rl.encode())
    assert status == 0, err.decode()
    result = load(out.decode())
    svc, web = result["items"]
    assert svc == SVC
    assert sorted(container_names(web)) == ["istio-proxy", "web"]
    proxy = {c["name"]: c for c in pod_spec(web)["containers"]}["istio-proxy"]
    assert proxy["image"].startswith("reg.example/istio/") and proxy["image"].endswith(":9.9")
    assert [r["message"].split(" (")[0] for r in result["results"]] == ["injected"]
    # its own output again: nothing changes
    status, again, err = run_hardened(client, image, out)
    assert status == 0, err.decode()
    assert load(again.decode())["items"] == result["items"]


@pytest.mark.slow
def test_hardened_run_refuses_bad_input_clearly(client: Any, image: str) -> None:
    status, out, err = run_hardened(client, image, b"kind: [not a ResourceList\n")
    assert status != 0
    assert err.strip() and b"Traceback" not in err
    bad = resource_list([WEB], {**TYPED, "policy": "sometimes"})
    status, out, err = run_hardened(client, image, bad.encode())
    assert status == 1
    assert b"policy" in err and b"Traceback" not in err
    assert load(out.decode())["items"] == [WEB]  # nothing lost


PROBE = r"""
import os, socket
print("uid", os.getuid(), os.getgid())
for path in ("/", "/usr/local/bin", "/etc"):  # not /tmp: podman mounts a tmpfs there
    try:
        open(os.path.join(path, "krmfn-probe"), "w").close()
        print("writable", path)
    except OSError as e:
        print("not-writable", path, e.errno)
print("interfaces", sorted(name for _, name in socket.if_nameindex()))
"""


def test_hardened_container_is_not_root_read_only_and_offline(client: Any, image: str) -> None:
    status, out, err = run_hardened(client, image, b"", entrypoint=["python3", "-c", PROBE])
    assert status == 0, err.decode()
    lines = out.decode().splitlines()
    assert "uid 65534 65534" in lines
    assert [line.split()[:2] for line in lines if "writable" in line] == [
        ["not-writable", "/"], ["not-writable", "/usr/local/bin"], ["not-writable", "/etc"]
    ]
    assert "interfaces ['lo']" in lines


def test_image_runs_as_nobody_by_default(client: Any, image: str) -> None:
    config = client.images.get(image).attrs["Config"]
    assert config["User"] == "65534:65534"
    assert config["Entrypoint"] == ["krmfn"]
    labels = config["Labels"] or {}
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert labels["org.opencontainers.image.title"] == "krmfn"
    assert labels["org.opencontainers.image.version"] == "dev"  # `make image` passes the package version


# --- (d) as the Argo CD plugin sidecar ---------------------------------------------------------------


def test_image_runs_the_argocd_plugin_as_its_sidecar_would(client: Any, image: str, tmp_path: Path) -> None:
    """The generate command of kustomization-example/argocd/plugin.yaml, run in the krmfn image with the
    sidecar's user, PATH and read-only root from repo-server-patch.yaml. kubectl's kustomize stands in
    for the Argo CD image's kustomize (copied to /krmfn-tools there; bind-mounted here)."""
    kubectl = _tool("kubectl")
    argocd = EXAMPLE / "argocd"
    plugin = yaml.safe_load((argocd / "plugin.yaml").read_text())
    patch = yaml.safe_load((argocd / "repo-server-patch.yaml").read_text())
    sidecar = {c["name"]: c for c in patch["spec"]["template"]["spec"]["containers"]}["krmfn"]
    env = {e["name"]: e["value"] for e in sidecar["env"]}
    tools = {m["name"]: m["mountPath"] for m in sidecar["volumeMounts"]}["krmfn-tools"]
    shim = tmp_path / "kustomize"
    shim.write_text(f'#!/bin/sh\n[ "$1" = build ] && shift\nexec {tools}/kubectl kustomize "$@"\n')
    shim.chmod(0o755)
    source = "/src/" + yaml.safe_load((argocd / "application.yaml").read_text())["spec"]["source"]["path"]
    gen = plugin["spec"]["generate"]
    ctr = client.containers.run(
        image,
        entrypoint=[*gen["command"], *gen.get("args", [])],
        user=str(sidecar["securityContext"]["runAsUser"]),
        read_only=sidecar["securityContext"]["readOnlyRootFilesystem"],
        network_mode="none",
        environment={**env, "ARGOCD_APP_NAME": "shop", "ARGOCD_ENV_KRMFN_CONFIG": "krmfn.yaml"},
        working_dir=source,
        volumes={
            str(EXAMPLE): {"bind": "/src/kustomization-example", "mode": "ro"},
            str(shim): {"bind": f"{tools}/kustomize", "mode": "ro"},
            kubectl: {"bind": f"{tools}/kubectl", "mode": "ro"},
        },
        detach=True,
    )
    try:
        status = ctr.wait(timeout=TIMEOUT)["StatusCode"]
        out = ctr.logs(stdout=True, stderr=False).decode()
        err = ctr.logs(stdout=False, stderr=True).decode()
    finally:
        ctr.remove(force=True)
    assert status == 0, err
    items = docs(out)
    deployments = by_kind(items, "Deployment")
    assert sorted(deployments) == ["cart", "catalog", "frontend"]
    assert all("istio-proxy" in container_names(w) for w in deployments.values())
    assert "istio-proxy" not in container_names(by_kind(items, "StatefulSet")["redis"])
    assert len(by_kind(items, "Service")) == 4
    assert "injected" in err and "Traceback" not in err
