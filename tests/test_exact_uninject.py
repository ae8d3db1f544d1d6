"""exactUninject through the KRM function: off by default (only what Istio writes; uninject then warns
naming what it may not restore), on with the setting (the krmfn.dev/uninject record, exact round trip),
refused when it is not a boolean."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from helpers import REPO, dump, run_cli

pytestmark = pytest.mark.e2e

FRONTEND = [d for d in yaml.safe_load_all((REPO / "kustomization-example" / "app" / "frontend.yaml").read_text()) if d]


def _run(data: dict[str, str] | None, items: list[Any]) -> tuple[int, dict[str, Any]]:
    rl: dict[str, Any] = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}
    if data is not None:
        rl["functionConfig"] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fn"}, "data": data}
    p = run_cli([], dump(rl).encode())
    return p.returncode, yaml.safe_load(p.stdout)


def _annotations(item: dict[str, Any]) -> dict[str, str]:
    return item["spec"]["template"]["metadata"].get("annotations") or {}


def test_default_writes_no_record_and_uninject_warns() -> None:
    code, out = _run(None, FRONTEND)
    assert code == 0
    assert "krmfn.dev/uninject" not in _annotations(out["items"][0])
    assert not [r for r in out["results"] if r["severity"] == "warning"]  # the loss is uninject's to report
    code, back = _run({"mode": "uninject"}, out["items"])
    assert code == 0
    warnings = [r for r in back["results"] if r["severity"] == "warning"]
    assert len(warnings) == 1 and warnings[0]["message"].startswith("uninject may not be exact: ")
    assert "spec.template.spec.containers[frontend].readinessProbe.httpGet.port" in warnings[0]["message"]
    assert back["items"] != FRONTEND  # the named port came back as its number


def test_setting_writes_the_record_and_uninject_is_exact() -> None:
    code, out = _run({"exactUninject": "true"}, FRONTEND)
    assert code == 0
    assert "krmfn.dev/uninject" in _annotations(out["items"][0])
    assert not [r for r in out["results"] if r["severity"] == "warning"]
    code, back = _run({"mode": "uninject"}, out["items"])
    assert code == 0 and back["items"] == FRONTEND
    assert not [r for r in back["results"] if r["severity"] == "warning"]


def test_a_value_that_is_not_a_boolean_is_refused() -> None:
    code, out = _run({"exactUninject": "maybe"}, FRONTEND)
    assert code == 1
    assert any(r["severity"] == "error" and "exactUninject" in r["message"] for r in out["results"])
    assert out["items"] == FRONTEND


def test_uninject_warns_only_where_a_named_port_may_have_been_resolved() -> None:
    numbered = copy.deepcopy(FRONTEND)
    numbered[0]["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = 9000
    code, out = _run(None, numbered)
    assert code == 0
    code, back = _run({"mode": "uninject"}, out["items"])
    assert code == 0 and back["items"] == numbered  # 9000 is no named port's number: exact, and no warning
    assert not [r for r in back["results"] if r["severity"] == "warning"]
