"""The README, followed as a newcomer would: every ```sh block is marked, and the `run` ones pass, in order,
in one shell, in a fresh clone of this checkout (with its uncommitted changes), with a fresh HOME.

Each ```sh block is preceded by ``<!-- readme-test: run -->`` or ``<!-- readme-test: skip: REASON -->``;
a block without a marker fails the first test. The clone gets ../shared beside it (a symlink) when this
checkout has one, and a PATH with kpt and kubectl but without this checkout's .venv.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import REPO, SHARED

MARKER = re.compile(r"^<!-- readme-test: (run|skip: (?P<reason>.+\S)) -->$")
FENCE = re.compile(r"^```(\S*)\s*$")


def blocks(text: str) -> list[tuple[int, str, str]]:
    """(line number, marker, code) of each ```sh block; marker is "run", "skip: ..." or "" (none)."""
    lines = text.splitlines()
    out: list[tuple[int, str, str]] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        if m.group(1) in ("sh", "bash", "shell", "console"):
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            mark = MARKER.match(lines[k]) if k >= 0 else None
            out.append((i + 1, mark.group(1) if mark else "", "\n".join(lines[i + 1:j]) + "\n"))
        i = j + 1
    return out


def readme_blocks() -> list[tuple[int, str, str]]:
    return blocks((REPO / "README.md").read_text(encoding="utf-8"))


def test_every_shell_block_is_marked_run_or_skip_with_a_reason() -> None:
    found = readme_blocks()
    unmarked = [line for line, mark, _ in found if not mark]
    assert unmarked == [], f"README lines {unmarked}: a ```sh block needs <!-- readme-test: run|skip: REASON -->"
    assert sum(1 for _, mark, _ in found if mark == "run") >= 5
    assert blocks("<!-- readme-test: run -->\n```sh\nls\n```\n\n```sh\nx\n```\n") == [(2, "run", "ls\n"), (6, "", "x\n")]


def test_the_first_block_is_the_setup_and_the_second_the_tests() -> None:
    (_, mark1, code1), (_, _mark2, code2) = readme_blocks()[:2]
    assert mark1 == "run" and code1.startswith("make example")
    assert code2.startswith("make test")


def test_readme_never_edits_tracked_files() -> None:
    """kpt and `krmfn inject -i` rewrite what they are given: the README points them at scratch copies."""
    for line, _mark, code in readme_blocks():
        for cmd in code.splitlines():
            if re.search(r"kpt fn (render|eval)|inject -i|inject --in-place", cmd):
                assert "$scratch" in cmd, f"README line {line}: {cmd!r} edits tracked files"


def clean_path() -> str:
    venv = str(REPO / ".venv")
    return os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not p.startswith(venv))


def fresh_clone(root: Path) -> Path:
    """A clone of this checkout with its working tree (tracked and new, unignored files) laid over it."""
    dest = root / "krmfn"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO), str(dest)], check=True, capture_output=True)
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src, dst = REPO / rel, dest / rel
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
        elif dst.exists() and not src.exists():
            dst.unlink()
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True)  # the index: the tree as given
    if SHARED.is_dir():
        (root / "shared").symlink_to(SHARED)
    return dest


@pytest.mark.conformance
@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.skipif(
    (shutil.which("kpt") is None or shutil.which("kubectl") is None) and os.environ.get("KRMFN_REQUIRE_TOOLS") != "1",
    reason="kpt and kubectl are needed to follow the README",
)
def test_readme_commands_pass_in_order_on_a_fresh_clone(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path)
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    script = ["set -eo pipefail"]
    for line, mark, code in readme_blocks():
        if mark == "run":
            script += [f"echo '### README.md line {line}' >&2", code]
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "KUSTOMIZE_PLUGIN_HOME", "XDG_CONFIG_HOME", "MAKEFLAGS",
                        "MAKELEVEL", "PYTEST_CURRENT_TEST")}
    env.update(PATH=clean_path(), HOME=str(home), TMPDIR=str(tmp),
               PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")))
    p = subprocess.run(["bash", "-c", "\n".join(script)], cwd=clone, env=env, capture_output=True, text=True,
                       timeout=900)
    where = [ln for ln in p.stderr.splitlines() if ln.startswith("### README.md line")]
    assert p.returncode == 0, f"failed after {where[-1:]}:\n{p.stderr[-4000:]}\n{p.stdout[-2000:]}"
    out = p.stdout
    assert "name: istio-proxy" in out  # make example printed the injected app
    assert "up to date" in out and "exit 1: not injected yet" in out
    (scratch,) = [d for d in tmp.iterdir() if (d / "shop").is_dir()]
    assert "--- a/kustomization-example/app/cart.yaml" in (scratch / "inject.diff").read_text()
    assert "istio-proxy" in (scratch / "app" / "cart.yaml").read_text()
    assert "istio-proxy" not in (scratch / "cart-uninjected.yaml").read_text()
    changed = subprocess.run(["git", "diff", "--name-only"], cwd=clone, capture_output=True, text=True).stdout
    assert changed == "", f"the README's commands changed tracked files: {changed}"


@pytest.mark.e2e
def test_readme_config_examples_are_accepted(tmp_path: Path) -> None:
    """Every config shown in the README (a ```yaml block of a config kind) injects a Pod without a complaint."""
    from helpers import run_cli

    text = (REPO / "README.md").read_text(encoding="utf-8")
    configs = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S)
               if re.search(r"^kind: (SidecarInjector|IstioOperator|ConfigMap)$", b, re.M)]
    assert configs
    pod = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  containers:\n  - name: a\n"
    for i, config in enumerate(configs):
        path = tmp_path / f"config-{i}.yaml"
        path.write_text(config)
        p = run_cli(["inject", "-c", str(path), "-"], pod)
        assert p.returncode == 0 and p.stderr == b"pod/shop/p injected\n", (config, p.stderr)
        assert b"name: istio-proxy" in p.stdout


def _proxy(doc: dict) -> tuple[str, dict]:
    spec = doc["spec"]
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            if container["name"] == "istio-proxy":
                return key, container
    raise AssertionError("no istio-proxy")


@pytest.mark.e2e
@pytest.mark.slow
def test_readme_config_examples_have_the_effect_they_claim(tmp_path: Path) -> None:
    """Each README config example acts: what it sets (hub, tag, native sidecars, namespaces, proxy resources,
    defaultConfig) is derived from the example itself and found in the injected pod."""
    import yaml
    from helpers import run_cli

    text = (REPO / "README.md").read_text(encoding="utf-8")
    configs = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)
               if re.search(r"^kind: (SidecarInjector|IstioOperator)$", b, re.M)]
    assert len(configs) >= 2
    for i, config in enumerate(configs):
        spec = config.get("spec", config)
        values = spec.get("values") or {}
        g = values.get("global") or {}
        hub = spec.get("hub") or g.get("hub")
        tag = spec.get("tag") or g.get("tag") or "1.31.0"
        env = (values.get("pilot") or {}).get("env") or {}
        native = spec.get("nativeSidecars") is True or env.get("ENABLE_NATIVE_SIDECARS") == "true"
        cpu = (((g.get("proxy") or {}).get("resources") or {}).get("requests") or {}).get("cpu")
        default_config = (spec.get("meshConfig") or {}).get("defaultConfig") or {}
        namespaces = spec.get("namespaces")
        assert hub or native or cpu or default_config or namespaces, f"example {i} claims nothing checkable"
        path = tmp_path / f"config-{i}.yaml"
        path.write_text(yaml.safe_dump(config))
        for ns in ["shop", "elsewhere"]:
            pod = f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: {ns}\nspec:\n  containers:\n  - name: a\n"
            p = run_cli(["inject", "-c", str(path), "-"], pod.encode())
            assert p.returncode == 0, p.stderr
            doc = yaml.safe_load(p.stdout)
            if namespaces and ns not in namespaces:
                assert "istio-proxy" not in p.stdout.decode() and b"skipped" in p.stderr, (i, p.stderr)
                continue
            where, proxy = _proxy(doc)
            if hub:
                assert proxy["image"] == f"{hub}/proxyv2:{tag}", (i, proxy["image"])
            assert where == ("initContainers" if native else "containers"), i
            if cpu:
                assert proxy["resources"]["requests"]["cpu"] == cpu, i
            proxy_config = next(e["value"] for e in proxy["env"] if e["name"] == "PROXY_CONFIG")
            for key, value in default_config.items():
                assert yaml.safe_load(proxy_config).get(key) == value, (i, key, proxy_config)
