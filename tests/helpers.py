"""Shared test helpers: building ResourceLists and reading outputs."""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from krmfn.function import Outcome, run

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CONFORMANCE = SHARED / "conformance"


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_NoAliasDumper, sort_keys=False, default_flow_style=False, allow_unicode=True)


def resource_list(items: list[Any], function_config: Any = None, api_version: str = "config.kubernetes.io/v1") -> str:
    rl: dict[str, Any] = {"apiVersion": api_version, "kind": "ResourceList", "items": items}
    if function_config is not None:
        rl["functionConfig"] = function_config
    return dump(rl)


def run_text(text: str) -> Outcome:
    return run(text)


#: One plain Deployment (namespace ``app``) for end-to-end tests of config forms.
DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "app"},
    "spec": {"selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
}


def deep_merge(dst: dict[str, Any], src: dict[str, Any]) -> None:
    """Merge ``src`` into ``dst`` as Helm merges values: maps key by key, anything else replaced (copied)."""
    import copy

    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            deep_merge(dst[k], v)
        else:
            dst[k] = copy.deepcopy(v)


class _Loader(yaml.SafeLoader):
    """SafeLoader that accepts a redefined anchor (legal YAML; kpt produces it)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        ev = self.peek_event()
        anchor = getattr(ev, "anchor", None)
        if not isinstance(ev, yaml.AliasEvent) and anchor is not None:
            self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)


def load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


def output_items(outcome: Outcome) -> list[Any]:
    return load(outcome.output)["items"]


def only_added_lines(before: str, after: str) -> bool:
    """True when ``after`` is ``before`` with lines inserted and none removed or changed."""
    for tag, _i1, _i2, _j1, _j2 in difflib.SequenceMatcher(
        a=before.splitlines(True), b=after.splitlines(True), autojunk=False
    ).get_opcodes():
        if tag not in ("equal", "insert"):
            return False
    return True


_PROBE_LINE = re.compile(r"^\s*(path|port): ")
_ALIAS_LINE = re.compile(r"^\s*[-\w./]+: \*\S+$")


def only_added_or_probe_lines(before: str, after: str) -> bool:
    """The modern template's minimal diff: lines inserted, and only probe path/port lines (rewritten to
    the agent) or alias lines (expanded to gain labels) replaced."""
    old = before.splitlines(True)
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(a=old, b=after.splitlines(True), autojunk=False).get_opcodes():
        if tag in ("replace", "delete") and not all(
            _PROBE_LINE.match(line) or _ALIAS_LINE.match(line.rstrip("\n")) for line in old[i1:i2]
        ):
            return False
    return True


def krmfn_cmd() -> list[str]:
    exe = shutil.which("krmfn")
    return [exe] if exe else [sys.executable, "-m", "krmfn"]


def run_cli(args: list[str], stdin: bytes = b"", timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "krmfn", *args], input=stdin, capture_output=True, timeout=timeout, env=env, cwd=cwd
    )
