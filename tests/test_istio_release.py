"""Other Istio releases, through the front door: their own ``istio-sidecar-injector`` ConfigMap (built from
their chart by tools/istio_release.py) as the KRM functionConfig, their own goldens as the reference.

Nothing of those releases is checked in.  Set ``KRMFN_ISTIO_RELEASE_DIR`` to one or more directories
(``os.pathsep``-separated), each extracted from istio/istio at a release tag, named ``istio-<tag>``::

    git -C ISTIO_GIT archive 1.26.8 manifests/charts/istio-control/istio-discovery \\
        pkg/kube/inject/testdata/inject pkg/kube/inject/inject_test.go | tar -x -C /tmp/istio-1.26.8

Each release gets figure ``istio-release-<tag>`` over the cases tools/istio_release.py can express as
that ConfigMap (the others are listed, with why, in the figure's note).  Skipped when the variable is unset.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import figures
import pytest
import yaml
from helpers import REPO, dump, krmfn_cmd
from test_conformance_modern import compare

sys.path.insert(0, str(REPO / "tools"))
import istio_release

RELEASES = [Path(p) for p in os.environ.get("KRMFN_ISTIO_RELEASE_DIR", "").split(os.pathsep) if p.strip()]

#: The share of a release's runnable goldens krmfn must match with that release's own ConfigMap.
FLOOR = 0.9


def run_case(release: Path, case: dict[str, Any]) -> list[str]:
    data = release / istio_release.TESTDATA
    docs = [d for d in yaml.safe_load_all((data / case["in"]).read_text()) if d is not None]
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": docs,
          "functionConfig": istio_release.case_configmap(release, case)}
    p = subprocess.run(krmfn_cmd(), input=dump(rl).encode(), capture_output=True, timeout=120)
    out = yaml.safe_load(p.stdout) if p.stdout.strip() else {}
    out = out or {}
    if case["expectedError"]:
        errors = [r.get("message", "") for r in out.get("results") or [] if r.get("severity") == "error"]
        ok = p.returncode != 0 and any(case["expectedError"] in m.lower() for m in errors)
        return [] if ok else [f"exit {p.returncode}, errors {errors}: none about {case['expectedError']!r}"]
    if p.returncode != 0:
        return [f"exit {p.returncode}: {p.stderr.decode().strip()[:300]}"]
    golden = [d for d in yaml.safe_load_all((data / case["want"]).read_text()) if d is not None]
    ours = out.get("items") or []
    if len(ours) != len(golden):
        return [f"{len(ours)} items != {len(golden)} golden documents"]
    return [d for i, (o, g) in enumerate(zip(ours, golden)) for d in compare(o, g, f"items[{i}]")]


@pytest.mark.e2e
@pytest.mark.skipif(not RELEASES, reason="KRMFN_ISTIO_RELEASE_DIR is not set")
@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.name)
def test_release_goldens_with_the_releases_own_configmap(release: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tag = release.name.removeprefix("istio-")
    cases = istio_release.cases(release)
    runnable = [c for c in cases if not c["untranslated"]]
    name = f"istio-release-{tag}"
    figures.declare(name, len(runnable), f"its own injector ConfigMap; {len(cases) - len(runnable)} cases "
                                         "with settings the tool does not translate not run")
    failing: dict[str, list[str]] = {}
    for case in runnable:
        diffs = run_case(release, case)
        key = case["want"] if case["in"] + ".injected" == case["want"] else f"{case['in']}->{case['want']}"
        seen = figures.FIGURES[name].matched | set(figures.FIGURES[name].differ)
        key = key if key not in seen else f"{key}@ENABLE_NATIVE_SIDECARS={case['native']}"
        figures.record(name, key, not diffs, diffs[0][:160] if diffs else "")
        if diffs:
            failing[key] = diffs
    with capsys.disabled():
        print(f"\n{name}: {len(runnable) - len(failing)}/{len(runnable)} match")
        for want, diffs in failing.items():
            print(f"  {want}: {diffs[0][:300]}")
    assert len(runnable) - len(failing) >= FLOOR * len(runnable)


def test_the_table_reader_finds_the_go_tests_cases() -> None:
    go = '''func TestInjection(t *testing.T) {
	cases := []testCase{
		{
			in:   "hello.yaml",
			want: "hello.yaml.cni.injected",
			setFlags: []string{
				"components.cni.enabled=true", // a comment {
				`values.global.network=network1`,
			},
		},
		{
			in:   "hello.yaml",
			want: "hello-tproxy.yaml.injected",
			mesh: func(m *meshapi.MeshConfig) {
				m.DefaultConfig.InterceptionMode = meshapi.ProxyConfig_TPROXY
			},
		},
		{
			in:   "native.yaml",
			setup: func(t test.Failer) {
				test.SetEnvForTest(t, features.EnableNativeSidecars.Name, "true")
			},
		},
	}
}'''
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / istio_release.INJECT_TEST).parent.mkdir(parents=True)
        (root / istio_release.INJECT_TEST).write_text(go)
        (root / istio_release.TESTDATA).mkdir(parents=True)
        for f in ("hello.yaml", "other.yaml", "other.yaml.injected", "lonely.yaml", "x.iop.yaml"):
            (root / istio_release.TESTDATA / f).write_text("{}\n")
        found = istio_release.cases(root)
    assert [(c["in"], c["want"]) for c in found] == [
        ("hello.yaml", "hello.yaml.cni.injected"), ("hello.yaml", "hello-tproxy.yaml.injected"),
        ("native.yaml", "native.yaml.injected"), ("other.yaml", "other.yaml.injected")]
    assert found[0]["setFlags"] == ["components.cni.enabled=true", "values.global.network=network1"]
    assert found[1]["untranslated"] and not found[0]["untranslated"]
    assert found[2]["native"] == "true" and not found[2]["untranslated"]
