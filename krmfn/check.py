"""Check mode (``krmfn inject --check`` / ``--diff``), pure: what would change, as a report and a unified diff.

A CI job or a pre-commit hook runs it over the committed manifests: exit 1 when a file would change
(a workload without a sidecar, or with one injected by another config or Istio release), 0 when the
tree is up to date.  Nothing is written.
"""

from __future__ import annotations

import difflib

from . import messages as m
from .hints import ident

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .results import Result

#: The results (catalog codes) that mean the workload changes, and what the report says.
_CHANGES = {
    m.INJECTED.code: "no sidecar yet: would be injected",
    m.REINJECTED.code: "sidecar outdated or from another config: would be re-injected",
    m.UNINJECTED.code: "would be uninjected",
}


class Checked:
    """One file's verdict: its path, whether its text would change, and the workloads that would."""

    __slots__ = ("path", "changed", "workloads", "diff")

    def __init__(self, path: str, before: str, after: str, results: list[Result]) -> None:
        self.path = path
        self.changed = before != after
        self.workloads: list[str] = []
        self.diff = ""
        if not self.changed:
            return
        for r in results:
            if r.code in _CHANGES:
                self.workloads.append(f"{ident(r.resource_ref) or 'a workload'}: {_CHANGES[r.code]}")
        old, new = (path, path) if path.startswith("/") else (f"a/{path.removeprefix('./')}", f"b/{path.removeprefix('./')}")
        self.diff = "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), old, new))
        if self.diff and not self.diff.endswith("\n"):
            self.diff += "\n\\ No newline at end of file\n"


def report(checked: list[Checked], command: str) -> str:
    """The lines a check prints: each file that would change and its workloads, then a summary.

    ``command`` is what updates the files (``krmfn inject -i ...``), named in the summary.
    """
    changed = [c for c in checked if c.changed]
    if not changed:
        return f"{len(checked)} file{'' if len(checked) == 1 else 's'} checked: up to date\n"
    lines: list[str] = []
    workloads = 0
    for c in changed:
        lines.append(f"would change: {c.path}")
        lines.extend(f"  {w}" for w in c.workloads)
        workloads += len(c.workloads)
    lines.append(f"{workloads} workload{'' if workloads == 1 else 's'} in {len(changed)} of {len(checked)} "
                 f"file{'' if len(checked) == 1 else 's'} would change; to update them: {command}")
    return "\n".join(lines) + "\n"
