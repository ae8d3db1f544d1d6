"""The pytest markers (pyproject.toml) are registered, and ``-m "not container"`` leaves out exactly the tests
that need a container engine (DEVELOPERS.md: `make test-fast`)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from helpers import REPO

pytestmark = pytest.mark.slow  # a pytest run collecting the whole suite

MARKERS = ("e2e", "container", "slow", "conformance")

#: A module that needs a container engine: it talks to one (the docker SDK, the engine's set-up script).
ENGINE = re.compile(r"^\s*import docker\b|container-engine\.sh|docker\.from_env", re.M)


def _pytest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600)


def _collected(*args: str) -> set[str]:
    p = _pytest("--collect-only", "-q", *args)
    assert p.returncode == 0, p.stdout + p.stderr
    return {line for line in p.stdout.splitlines() if "::" in line}


def test_the_markers_are_registered_and_strict() -> None:
    p = _pytest("--markers")
    for name in MARKERS:
        assert f"@pytest.mark.{name}:" in p.stdout
    assert "--strict-markers" in (REPO / "pyproject.toml").read_text(encoding="utf-8")


def test_not_container_deselects_only_the_container_engine_tests() -> None:
    needs_engine = sorted(f"tests/{p.name}" for p in (REPO / "tests").glob("test_*.py")
                          if ENGINE.search(p.read_text(encoding="utf-8")))
    assert needs_engine  # the pattern finds them (tests/test_container.py)
    container = _collected("-m", "container")
    assert container and {t.split("::")[0] for t in container} <= set(needs_engine), sorted(container)
    assert container == _collected(*needs_engine)  # every test of those modules is marked, and nothing else
