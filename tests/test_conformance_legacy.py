"""The 0.2-era injector's own goldens (../shared/conformance/istio-legacy-0.2).

Read from ../shared, never copied. Compared structurally as the suite's
README says: the goldens were written by Go's YAML marshaller, which adds
empty fields (``creationTimestamp: null``, ``resources: {}``,
``strategy: {}``, ``updateStrategy: {}``, ``status: {}`` or all-zero status
counters, ``emptyDir.sizeLimit: "0"``); those are
dropped from both sides before comparing whole documents.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from helpers import CONFORMANCE, resource_list, run_text

SUITE = CONFORMANCE / "istio-legacy-0.2"
pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not SUITE.is_dir(), reason="../shared/conformance/istio-legacy-0.2 is absent"),
]


def _cases() -> list[dict[str, Any]]:
    if not SUITE.is_dir():
        return []
    return yaml.safe_load((SUITE / "cases.yaml").read_text())["cases"]


def _defaults() -> dict[str, Any]:
    return yaml.safe_load((SUITE / "cases.yaml").read_text())["defaults"]


def _strip_go_artifacts(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "creationTimestamp" and v is None:
                continue
            if k in ("resources", "strategy", "updateStrategy", "status") and v == {}:
                continue
            if k == "status" and isinstance(v, dict) and all(x == 0 for x in v.values()):
                # zero-valued status counters of old Go types
                continue
            if k == "sizeLimit" and v == "0":
                continue
            out[k] = _strip_go_artifacts(v)
        return out
    if isinstance(value, list):
        return [_strip_go_artifacts(v) for v in value]
    return value


def _config(case: dict[str, Any]) -> dict[str, Any]:
    d = _defaults()
    params = dict(d["params"], **case.get("params", {}))
    mesh = dict(d["mesh"], **case.get("mesh", {}))
    # The 0.2 injection output does not depend on these (the auth goldens equal
    # the plain ones), and krmfn has no settings for them.
    for k in ("authPolicy", "authCertsPath"):
        mesh.pop(k, None)
    return {
        "apiVersion": "krmfn.dev/v1alpha1",
        "kind": "SidecarInjector",
        "metadata": {"name": "conformance"},
        "template": "legacy-0.2",
        "policy": d["policy"],
        "namespaces": d["namespaces"],
        "params": params,
        "mesh": mesh,
    }


def _docs(path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["name"])
def test_legacy_golden(case: dict[str, Any]) -> None:
    inputs = _docs(SUITE / "testdata" / case["input"])
    golden = _docs(SUITE / "testdata" / case["name"])
    outcome = run_text(resource_list(inputs, _config(case)))
    assert outcome.exit_code == 0, [r.line() for r in outcome.results]
    got = yaml.safe_load(outcome.output)["items"]
    assert len(got) == len(golden)
    for g, want in zip(got, golden):
        assert (g["kind"], g["metadata"]["name"]) == (want["kind"], want["metadata"]["name"])
        assert _strip_go_artifacts(g) == _strip_go_artifacts(want)


def test_all_twenty_cases_are_listed() -> None:
    assert len(_cases()) == 20
