"""Finding, moving and reading containers and metadata of a pod given as plain data."""

from __future__ import annotations

from krmfn.names import CORE_DUMP_CONTAINER as CORE_DUMP
from krmfn.names import INIT_CONTAINER as INIT
from krmfn.names import PROXY_CONTAINER as PROXY
from krmfn.names import VALIDATION_CONTAINER as VALIDATION

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CORE_DUMP", "INIT", "PROXY", "VALIDATION", "annotations_of", "find_container", "find_sidecar",
           "labels_of", "move_container"]


def find_container(containers: list[dict[str, Any]] | None, name: str) -> dict[str, Any] | None:
    for c in containers or ():  # (a loop: cheaper than next() over a generator)
        if c.get("name") == name:
            return c
    return None


def find_sidecar(pod: dict[str, Any]) -> dict[str, Any] | None:
    spec = pod["spec"]
    return find_container(spec.get("containers"), PROXY) or find_container(spec.get("initContainers"), PROXY)


def move_container(containers: list[dict[str, Any]], name: str, where: str) -> list[dict[str, Any]]:
    """A new list: the first container named ``name`` moved "first" or "last" (or "remove"d), the others
    of that name dropped."""
    match = None
    rest = []
    for c in containers:
        if c.get("name") != name:
            rest.append(c)
        elif match is None:
            match = c
    if match is None or where == "remove":
        return rest
    return [match, *rest] if where == "first" else [*rest, match]


def annotations_of(pod: dict[str, Any]) -> dict[str, Any]:
    meta = pod.setdefault("metadata", {})
    if not isinstance(meta.get("annotations"), dict):
        meta["annotations"] = {}
    return meta["annotations"]  # type: ignore[no-any-return]


def labels_of(pod: dict[str, Any]) -> dict[str, Any]:
    meta = pod.setdefault("metadata", {})
    if not isinstance(meta.get("labels"), dict):
        meta["labels"] = {}
    return meta["labels"]  # type: ignore[no-any-return]
