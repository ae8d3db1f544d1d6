"""pytest hooks shared by every test module: the conformance figures summary (see tests/figures.py)."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import figures


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not figures.FIGURES:
        return
    terminalreporter.section("conformance figures")
    for name in sorted(figures.FIGURES):
        terminalreporter.write_line(figures.FIGURES[name].line())
