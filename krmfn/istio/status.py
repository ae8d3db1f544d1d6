"""The sidecar.istio.io/status annotation: what an injection added, by name."""

from __future__ import annotations

from krmfn.istio import annotations as A
from krmfn.istio.jsoncompact import compact as _compact
from krmfn.istio.pod import NotInjectable, locate, str_map
from krmfn.names import (
    CORE_DUMP_CONTAINER,
    INIT_CONTAINER,
    LEGACY_STATUS_PREFIX,
    LEGACY_VOLUMES,
    PROXY_CONTAINER,
)
from krmfn.records import Frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any



def status_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The parsed sidecar.istio.io/status of an injected workload (None when absent or unreadable)."""
    try:
        loc = locate(obj)
    except NotInjectable:
        return None
    text = str_map(str_map_safe(loc.holder.get("metadata")).get("annotations")).get(A.STATUS)
    status = parse_status(text, lenient=True)
    return None if status is None else status.lists()


def str_map_safe(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


#: The lists a status names, in the order Istio writes them.
STATUS_LISTS = ("initContainers", "containers", "volumes", "imagePullSecrets")
#: What the 0.2-era injector added, which its string status does not list.
LEGACY_NAMES: dict[str, tuple[str, ...]] = {
    "initContainers": (INIT_CONTAINER, CORE_DUMP_CONTAINER),
    "containers": (PROXY_CONTAINER,),
    "volumes": LEGACY_VOLUMES,
    "imagePullSecrets": (),
}


class Status(Frozen):
    """What an injection recorded in ``sidecar.istio.io/status``: names per list, whether it was the 0.2
    string form, the revision."""

    __slots__ = ("names", "legacy", "revision")
    names: dict[str, tuple[str, ...]]
    legacy: bool
    revision: str

    def __init__(self, names: dict[str, tuple[str, ...]], legacy: bool, revision: str = "") -> None:
        set_ = object.__setattr__
        set_(self, "names", names)
        set_(self, "legacy", legacy)
        set_(self, "revision", revision)

    def lists(self) -> dict[str, Any]:
        """The names as lists, and the revision: :attr:`Injected.status <krmfn.istio.injection.Injected>`."""
        out: dict[str, Any] = {k: list(v) for k, v in self.names.items()}
        out["revision"] = self.revision
        return out


NO_STATUS = Status({k: () for k in STATUS_LISTS}, False)


def parse_status(value: Any, lenient: bool = False) -> Status | None:
    """The one reader of ``sidecar.istio.io/status``: None when absent or not a status krmfn understands.

    Strict (uninject): every list must hold names (strings).  ``lenient`` (re-injection, as Istio reads
    it): a list that is not one counts as empty, names are taken as text, and the 0.2 string form is no
    status (Istio's injector does not know it).
    """
    if not isinstance(value, str) or not value:
        return None
    if value.startswith(LEGACY_STATUS_PREFIX):
        return None if lenient else Status(dict(LEGACY_NAMES), True)
    import json  # here, not at start-up (the json package compiles six patterns on import)

    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    names: dict[str, tuple[str, ...]] = {}
    for key in STATUS_LISTS:
        listed = _names(data.get(key) or [], lenient)
        if listed is None:
            return None
        names[key] = listed
    return Status(names, False, str(data.get("revision") or ""))


def _names(listed: Any, lenient: bool) -> tuple[str, ...] | None:
    """One list of a status: names (None: not one, when strict)."""
    if isinstance(listed, list) and all(isinstance(n, str) for n in listed):
        return tuple(listed)
    if not lenient:
        return None
    return tuple(str(n) for n in listed) if isinstance(listed, list) else ()


def status_json(spec: dict[str, Any], revision: str) -> str:
    """sidecar.istio.io/status for a merged template pod: names in template order, empty lists as null."""
    return status_and_lists(spec, revision)[0]


def status_and_lists(spec: dict[str, Any], revision: str) -> tuple[str, dict[str, Any]]:
    """:func:`status_json`, and what :meth:`Status.lists` gives for its text without reading it back: the
    names (an empty list for null) and the revision."""
    lists: dict[str, Any] = {}
    for key in STATUS_LISTS:
        found = []
        for i in spec.get(key) or ():
            if isinstance(i, dict):
                found.append(str(i.get("name")))
        lists[key] = found
    revision = revision or "default"
    # The text is made of the names and the revision alone (strings, kept as the key's tuples): the same
    # injection gives every pod the same status, written once.
    cache_key = (*(tuple(v) for v in lists.values()), revision)
    text = _STATUS_TEXT.get(cache_key)
    if text is None:
        text = _compact({**{k: v or None for k, v in lists.items()}, "revision": revision})
        if len(_STATUS_TEXT) >= 256:
            _STATUS_TEXT.clear()
        _STATUS_TEXT[cache_key] = text
    lists["revision"] = revision
    return text, lists


_STATUS_TEXT: dict[tuple[Any, ...], str] = {}
