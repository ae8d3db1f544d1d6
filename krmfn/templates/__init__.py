"""Sidecar templates: each turns (workload, config) into an additive patch.

A template is a pure function ``build(workload, config) -> Injection``; it
returns plain data (containers, volumes, annotations) placed in a patch tree,
never text.  ``legacy-0.2`` is the seed's 0.2-era sidecar.
"""

from __future__ import annotations

from ..records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..config import Config
    from ..patch import PatchTree
    from ..workloads import Workload


class Injection(Record):
    __slots__ = ("patch", "containers", "init_containers", "volumes")
    patch: PatchTree
    containers: int
    init_containers: int
    volumes: int

    def __init__(self, patch: PatchTree, containers: int, init_containers: int, volumes: int) -> None:
        self.patch = patch
        self.containers = containers
        self.init_containers = init_containers
        self.volumes = volumes


def build(template: str, workload: Workload, config: Config) -> Injection:
    if template == "legacy-0.2":
        from . import legacy

        return legacy.build(workload, config)
    raise ValueError(f"unknown template {template!r}")  # config validation prevents this
