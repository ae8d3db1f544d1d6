"""Conformance through `krmfn inject` with istioctl's three files (figure ``istioctl-files``).

For each in-scope golden of ../shared/conformance/istio-modern, the files an istioctl user captures from the
cluster that made the golden are written at test time (never checked in):

* ``inject-config.yaml`` -- ``data.config`` of ``istio-sidecar-injector`` as the chart's ConfigMap template
  renders it: policy, selectors, ``defaultTemplates: [sidecar]`` and the chart's own templates (``sidecar``,
  ``gateway``, ``grpc-simple``, ``grpc-agent``, plus any the case's IstioOperator adds);
* ``values.json`` -- ``data.values``: the chart defaults' ``global``, ``sidecarInjectorWebhook``, ``revision``,
  ``pilot`` (``cni``, ``env``) and ``gateways``, with the case's IstioOperator values and ``--set`` paths over
  them; istiod's feature flags of the case sit in ``pilot.env`` (where the chart takes istiod's env from);
* ``mesh.yaml`` -- ``data.mesh`` of the ``istio`` ConfigMap: the chart's mesh with the case's meshConfig.

Then ``krmfn inject --injectConfigFile inject-config.yaml --valuesFile values.json --meshConfigFile mesh.yaml
-f INPUT`` runs as a subprocess and each output document is compared structurally with the golden (the
comparer of test_conformance_modern).  An output carrying ``krmfn.dev/uninject`` (krmfn's own exact-uninject record,
which Istio never writes and krmfn writes only under ``exactUninject``) differs.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import figures
import pytest
import yaml
from helpers import CONFORMANCE, REPO, deep_merge
from test_conformance_modern import CASES, compare, in_scope, mesh_for, values_for

SUITE = CONFORMANCE / "istio-modern"
CHART = SUITE / "chart"
KRMFN = str(REPO / ".venv" / "bin" / "krmfn")
FIGURE = "istioctl-files"
UNINJECT = "krmfn.dev/uninject"
CHART_TEMPLATES = {"sidecar": "injection-template.yaml", "gateway": "gateway-injection-template.yaml",
                   "grpc-simple": "grpc-simple.yaml", "grpc-agent": "grpc-agent.yaml"}
SCOPED = [c for c in CASES if in_scope(c)]

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not SCOPED, reason="../shared/conformance/istio-modern is absent"),
]
if SCOPED:
    figures.declare(FIGURE, len(SCOPED), "krmfn inject with istioctl's inject-config.yaml, values.json, mesh.yaml")

_UNINJECT_SEEN: dict[str, int] = {}


def values_json(case: dict[str, Any]) -> dict[str, Any]:
    """data.values as the chart renders it for the case (the ConfigMap template's `pick`s)."""
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())["_internal_defaults_do_not_set"]
    values = {
        "global": copy.deepcopy(defaults["global"]),
        "sidecarInjectorWebhook": copy.deepcopy(defaults.get("sidecarInjectorWebhook") or {}),
        "revision": defaults.get("revision", ""),
        "pilot": {"cni": copy.deepcopy(defaults.get("cni") or {}), "env": copy.deepcopy(defaults.get("env") or {})},
        "gateways": {k: v for k, v in (defaults.get("gateways") or {}).items()
                     if k in ("securityContext", "seccompProfile")},
    }
    deep_merge(values, values_for(case))
    env = values["pilot"].setdefault("env", {})
    for key, value in (case.get("features") or {}).items():
        env[key] = str(value)
    # the case's native-sidecar decision (the test cluster's kubelets under "auto"), as istiod's env says it
    env["ENABLE_NATIVE_SIDECARS"] = "true" if case.get("nativeSidecars", True) else "false"
    return values


def inject_config(values: dict[str, Any]) -> dict[str, Any]:
    """data.config as the chart's ConfigMap template renders it from the values."""
    hook = values.get("sidecarInjectorWebhook") or {}
    own = dict(hook.get("templates") or {})
    templates = {name: (CHART / file).read_text().strip() + "\n" for name, file in CHART_TEMPLATES.items()
                 if name not in own}
    templates.update(own)
    return {
        "defaultTemplates": list(hook.get("defaultTemplates") or ["sidecar"]),
        "policy": values["global"]["proxy"]["autoInject"],
        "alwaysInjectSelector": hook.get("alwaysInjectSelector") or [],
        "neverInjectSelector": hook.get("neverInjectSelector") or [],
        "injectedAnnotations": hook.get("injectedAnnotations") or {},
        "template": "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}",
        "templates": templates,
    }


def mesh_yaml(case: dict[str, Any]) -> dict[str, Any]:
    """data.mesh of the istio ConfigMap: the chart's mesh (values.meshConfig over its defaults), the case's over it."""
    mesh: dict[str, Any] = {
        "defaultConfig": {"discoveryAddress": "istiod.istio-system.svc:15012"},
        "defaultProviders": {"metrics": ["prometheus"]},
        "enablePrometheusMerge": True,
        "rootNamespace": "istio-system",
        "trustDomain": "cluster.local",
    }
    deep_merge(mesh, mesh_for(case))
    return mesh


class _Literal(yaml.SafeDumper):
    pass


_Literal.add_representer(str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v,
                                                               style="|" if "\n" in v else None))


def write_files(case: dict[str, Any], where: Path) -> None:
    values = values_json(case)
    (where / "inject-config.yaml").write_text(yaml.dump(inject_config(values), Dumper=_Literal, sort_keys=False))
    (where / "values.json").write_text(json.dumps(values, indent=2))
    (where / "mesh.yaml").write_text(yaml.safe_dump(mesh_yaml(case), sort_keys=False))


def _strip_uninject(doc: Any) -> int:
    """Remove krmfn.dev/uninject annotations anywhere in ``doc``; returns how many."""
    count = 0
    if isinstance(doc, dict):
        annotations = (doc.get("metadata") or {}).get("annotations")
        if isinstance(annotations, dict) and UNINJECT in annotations:
            del annotations[UNINJECT]
            count += 1
        for value in doc.values():
            count += _strip_uninject(value)
    elif isinstance(doc, list):
        for value in doc:
            count += _strip_uninject(value)
    return count


def case_diffs(case: dict[str, Any], where: Path) -> list[str]:
    write_files(case, where)
    out = subprocess.run(
        [KRMFN, "inject", "--injectConfigFile", "inject-config.yaml", "--valuesFile", "values.json",
         "--meshConfigFile", "mesh.yaml", "-f", str(SUITE / "testdata" / case["input"])],
        capture_output=True, text=True, cwd=where, timeout=120,
    )
    if "Traceback" in out.stderr:
        return [f"traceback: {out.stderr.strip().splitlines()[-1]}"]
    if case.get("expectError"):
        if out.returncode == 0:
            return ["exit 0 where Istio refuses the input"]
        if case["expectError"] in out.stderr.lower():
            return []
        return [f"stderr lacks {case['expectError']!r}: {out.stderr}"]
    if out.returncode != 0:
        return [f"exit {out.returncode}: {out.stderr.strip()[:300]}"]
    ours = [d for d in yaml.safe_load_all(out.stdout) if d is not None]
    _UNINJECT_SEEN[case["name"]] = carried = sum(_strip_uninject(d) for d in ours)
    if carried:  # exactUninject is opt-in: by default nothing Istio would not write
        return [f"{carried} {UNINJECT} annotation(s), which Istio never writes"]
    golden = [d for d in yaml.safe_load_all((SUITE / "testdata" / case["name"]).read_text()) if d is not None]
    if len(ours) != len(golden):
        return [f"{len(ours)} documents != {len(golden)}"]
    return [d for i, (o, g) in enumerate(zip(ours, golden)) for d in compare(o, g, f"doc[{i}]")]


def _param(case: dict[str, Any]) -> Any:
    return pytest.param(case, id=case["name"])


# grpc-simple's bootstrap script is the template's own text here (the user's template runs), so it may match too.
@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("case", [_param(c) for c in SCOPED])
def test_case(case: dict[str, Any], tmp_path: Path) -> None:
    diffs = case_diffs(case, tmp_path)
    figures.record(FIGURE, case["name"], not diffs, diffs[0][:200] if diffs else "")
    assert not diffs, "\n".join(diffs[:20])


def test_files_are_what_istioctl_users_capture(tmp_path: Path) -> None:
    """The written files parse as the ConfigMap data they stand for (data.config YAML, data.values JSON)."""
    case = SCOPED[0]
    write_files(case, tmp_path)
    config = yaml.safe_load((tmp_path / "inject-config.yaml").read_text())
    assert config["templates"]["sidecar"] == (CHART / "injection-template.yaml").read_text().strip() + "\n"
    values = json.loads((tmp_path / "values.json").read_text())
    assert values["global"]["hub"] == "registry.istio.io/testing" and "proxy" in values["global"]
    assert yaml.safe_load((tmp_path / "mesh.yaml").read_text())["trustDomain"] == "cluster.local"


def test_uninject_annotations_are_reported() -> None:
    """Runs after the cases: the figure's note says how many outputs carried krmfn's own annotation."""
    carried = sorted(name for name, n in _UNINJECT_SEEN.items() if n)
    note = "krmfn inject with istioctl's inject-config.yaml, values.json, mesh.yaml"
    if carried:
        note += f"; {len(carried)} outputs carried {UNINJECT}"
    figures.declare(FIGURE, len(SCOPED), note)
    assert set(_UNINJECT_SEEN) <= {c["name"] for c in SCOPED}
