"""The interface every sidecar template implements, and the records it takes and returns.

A template is a plain class with four methods (see :class:`Template`); :mod:`krmfn.templates` keeps
the table from a config's ``template`` name to its implementation, and :mod:`krmfn.inject` is the one
caller.  Templates return plain data and results, never text.
"""

from __future__ import annotations

from ..records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..config import Config
    from ..results import Result
    from ..workloads import Workload


class Target(Record):
    """One workload to inject: its data as read, the data injection starts from, and where to report."""

    __slots__ = ("data", "base", "view", "prior", "ref", "where", "prefix")
    data: dict[str, Any]  # the workload as read
    base: dict[str, Any]  # the data to inject: ``prior`` if there is one, else ``data``
    view: Workload  # the validated view of ``base`` (what the policy decided on)
    prior: dict[str, Any] | None  # the workload with an earlier injection removed (None: not injected)
    ref: dict[str, Any]  # the resource reference of the results
    where: dict[str, Any] | None  # the file of the results
    prefix: str  # field path prefix (``items[3].`` inside a v1 List)

    def __init__(self, data: dict[str, Any], base: dict[str, Any], view: Workload, prior: dict[str, Any] | None,
                 ref: dict[str, Any], where: dict[str, Any] | None, prefix: str) -> None:
        self.data = data
        self.base = base
        self.view = view
        self.prior = prior
        self.ref = ref
        self.where = where
        self.prefix = prefix


class Outcome(Record):
    """What a template did: the new object (None: not injected) with what it added, and its own results."""

    __slots__ = ("obj", "containers", "init_containers", "volumes", "results")
    obj: dict[str, Any] | None
    containers: int
    init_containers: int
    volumes: int
    results: list[Result]  # an error among them means ``obj`` is None

    def __init__(self, obj: dict[str, Any] | None, containers: int = 0, init_containers: int = 0, volumes: int = 0,
                 results: list[Result] | None = None) -> None:
        self.obj = obj
        self.containers = containers
        self.init_containers = init_containers
        self.volumes = volumes
        self.results = [] if results is None else results


class Template:
    """A sidecar template; subclasses set ``name`` and implement :meth:`inject` (and :meth:`describe`)."""

    name = ""

    def describe(self) -> str:
        """One line for the docs and ``--help``."""
        raise NotImplementedError

    def prior(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """``data`` with an earlier injection removed when this template re-injects it; None: inject as is."""
        return None

    def inject(self, target: Target, cfg: Config) -> Outcome:
        raise NotImplementedError

    def uninject(self, data: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
        """The workload without its sidecar (None: not injected), and what cannot be restored exactly.

        Every template's output carries ``sidecar.istio.io/status``, so Istio's uninject serves them all.
        """
        from ..istio import uninject

        base = uninject.uninject(data)
        return base, (uninject.doubtful(data) if base is not None else [])
