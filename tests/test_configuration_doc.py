"""Every example of docs/configuration.md, run through the `krmfn` executable, has the effect its `check` lines
claim; the legacy-settings table says what krmfn.config.legacy.LEGACY does."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml
from helpers import DEPLOYMENT, REPO, resource_list

from krmfn.config.legacy import LEGACY

DOC = REPO / "docs" / "configuration.md"
KRMFN = str(REPO / ".venv" / "bin" / "krmfn")

_BLOCK = re.compile(r"((?:<!-- [^\n]*-->\n)*)```(\w*)\n(.*?)```", re.S)


def examples() -> list[tuple[str, list[str], str]]:
    """(language, check lines, text) of every fenced block, with the marker comments just above it."""
    out = []
    for m in _BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        marks = re.findall(r"<!-- (.*?) -->", m.group(1))
        out.append((m.group(2), marks, m.group(3)))
    return out


EXAMPLES = examples()
CHECKED = [(i, marks, text) for i, (lang, marks, text) in enumerate(EXAMPLES)
           if any(k.startswith("check:") for k in marks)]


def test_every_example_is_checked_or_marked_as_an_illustration() -> None:
    assert len(CHECKED) >= 10
    for _lang, marks, text in EXAMPLES:
        assert marks, f"an example without a check line:\n{text}"
        assert all(k.startswith("check:") for k in marks) or marks == ["illustration"], marks


def _proxy(rl: dict) -> dict:
    spec = rl["items"][0]["spec"]["template"]["spec"]
    found = [c for c in spec.get("initContainers", []) + spec["containers"] if c["name"] == "istio-proxy"]
    assert found, "no istio-proxy container"
    return found[0]


def _dig(data: object, path: list[str]) -> object:
    for key in path:
        if key == "env" and isinstance(data, dict):
            data = {e["name"]: e.get("value") for e in data.get("env") or []}
            continue
        assert isinstance(data, dict) and key in data, f"{'.'.join(path)} missing"
        data = data[key]
    return data


def _assert_check(check: str, rl: dict, p: subprocess.CompletedProcess[str]) -> None:
    if check.startswith("error contains "):
        assert p.returncode == 1, p.stderr
        assert check[len("error contains "):] in p.stderr
        assert rl["items"] == [DEPLOYMENT]
        return
    assert p.returncode == 0, p.stderr
    if check == "not injected":
        assert rl["items"] == [DEPLOYMENT]
        return
    subject, _, rest = check.partition(" ")
    if subject == "proxy.absent":
        assert rest not in _proxy(rl)
    elif subject == "proxy.absent-init":
        spec = rl["items"][0]["spec"]["template"]["spec"]
        assert rest not in [c["name"] for c in spec.get("initContainers") or []]
    elif subject == "pod.annotation":
        name, _, want = rest.partition(" contains ")
        assert want in rl["items"][0]["spec"]["template"]["metadata"]["annotations"][name]
    elif subject.startswith("proxy."):
        value = _dig(_proxy(rl), subject.split(".")[1:])
        op, _, want = rest.partition(" ")
        if op == "==":
            assert str(value) == want
        else:
            assert op == "contains", check
            assert want in str(value).replace(" ", "")
    else:
        raise AssertionError(f"unknown check {check!r}")


@pytest.mark.e2e
@pytest.mark.parametrize("index,marks,text", CHECKED, ids=[f"example{i}" for i, _, _ in CHECKED])
def test_example_has_its_claimed_effect(index: int, marks: list[str], text: str) -> None:
    config = yaml.safe_load(text)
    p = subprocess.run([KRMFN], input=resource_list([DEPLOYMENT], config), capture_output=True, text=True,
                       timeout=60)
    assert "Traceback" not in p.stderr
    rl = yaml.safe_load(p.stdout)
    for mark in marks:
        _assert_check(mark[len("check:"):].strip(), rl, p)


def test_legacy_table_says_what_the_mapping_does() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- legacy-table:start -->", 1)[1].split("<!-- legacy-table:end -->", 1)[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| (.*) \|$", table, re.M)}
    assert set(rows) == set(LEGACY)
    for name, (kind, target) in LEGACY.items():
        if kind == "refuse":
            assert rows[name].startswith("refused"), name
        elif kind == "image":
            assert f"values.global.{target}.image" in rows[name], name
        else:
            assert rows[name] == f"sets `{kind}.{target}`", name
