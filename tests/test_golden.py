"""Golden cases: tests/testdata/<case>/{config,input,expected}.yaml.

``input.yaml`` holds the resources (multi-document YAML) and ``config.yaml``
the functionConfig; they are joined into a ResourceList *textually* (each
document indented under ``items:``), so the golden also checks that every
byte of an untouched resource survives.  ``expected.yaml`` is the whole
output ResourceList, results included.

Update after an intended change with ``KRMFN_UPDATE_GOLDEN=1 pytest
tests/test_golden.py`` (or ``make golden``) and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from helpers import dump, load, only_added_lines, run_text

TESTDATA = Path(__file__).parent / "testdata"
UPDATE = os.environ.get("KRMFN_UPDATE_GOLDEN") == "1"
CASES = sorted(p.name for p in TESTDATA.iterdir() if (p / "input.yaml").is_file())


def _indent_item(doc: str) -> str:
    lines = doc.splitlines(True)
    out = []
    first = True
    for line in lines:
        if first and line.strip() and not line.startswith("#"):
            out.append("- " + line)
            first = False
        elif line.strip():
            out.append("  " + line)
        else:
            out.append(line)
    return "".join(out)


def as_resource_list(inputs: str, config: str | None) -> str:
    docs = [d for d in re.split(r"^---[ \t]*\n", inputs, flags=re.M) if d.strip()]
    text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
    text += "".join(_indent_item(d if d.endswith("\n") else d + "\n") for d in docs)
    if config is not None:
        text += "functionConfig:\n" + "".join(
            "  " + line if line.strip() else line for line in config.splitlines(True)
        )
    return text


UNINJECT = "apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\nmetadata:\n  name: undo\nmode: uninject\n"


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    d = TESTDATA / case
    config = (d / "config.yaml").read_text(encoding="utf-8") if (d / "config.yaml").exists() else None
    text = as_resource_list((d / "input.yaml").read_text(encoding="utf-8"), config)
    outcome = run_text(text)
    expected = d / "expected.yaml"
    if UPDATE or not expected.exists():
        expected.write_text(outcome.output, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"{expected} was missing and has been written: review it")
    assert outcome.output == expected.read_text(encoding="utf-8")
    body = re.split(r"^results:\n", outcome.output, flags=re.M)[0]
    if config is not None and ("legacy-0.2" in config or "istio-inject" in config):
        assert only_added_lines(text, body)  # the 0.2 sidecar only adds
    else:  # the modern one also rewrites probes and may expand an alias: it must undo exactly
        undo = as_resource_list("---\n".join(dump(i) for i in load(body)["items"]), UNINJECT)
        assert load(run_text(undo).output)["items"] == load(text)["items"]
    assert outcome.exit_code == (1 if any(r.severity == "error" for r in outcome.results) else 0)
    # a fixed point: running again changes no item
    again = run_text(outcome.output).output
    assert re.split(r"^results:\n", again, flags=re.M)[0] == body
