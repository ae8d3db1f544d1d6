"""Conformance figures that `make test` prints at the end of the run.

A test module declares a figure once (``declare``) and each parametrised case records its outcome
(``record``); ``tests/conftest.py`` prints every figure in pytest's terminal summary, e.g.::

    figure krm-istiooperator: 131/132 match (differ: grpc-simple)

Figures are what the README quotes, so they are computed by the tests that assert them, never typed in.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Figure:
    name: str
    total: int
    note: str = ""
    matched: set[str] = field(default_factory=set)
    differ: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        text = f"figure {self.name}: {len(self.matched)}/{self.total} match"
        if self.note:
            text += f" ({self.note})"
        if self.differ:
            text += "; differ: " + ", ".join(sorted(self.differ))
        ran = len(self.matched) + len(self.differ)
        if ran < self.total:
            text += f"; {self.total - ran} not run"
        return text


FIGURES: dict[str, Figure] = {}


def declare(name: str, total: int, note: str = "") -> Figure:
    """Declare figure ``name`` over ``total`` cases (idempotent; the last total wins)."""
    figure = FIGURES.get(name)
    if figure is None:
        figure = FIGURES[name] = Figure(name, total, note)
    else:
        figure.total, figure.note = total, note or figure.note
    return figure


def record(name: str, case: str, ok: bool, detail: str = "") -> None:
    """Record one case of a declared figure: matched, or differing with a short ``detail``."""
    figure = FIGURES[name]
    if ok:
        figure.matched.add(case)
        figure.differ.pop(case, None)
    else:
        figure.differ[case] = detail
        figure.matched.discard(case)
