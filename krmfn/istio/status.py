"""The sidecar.istio.io/status annotation: what an injection added, by name."""

from __future__ import annotations

import json

from krmfn.istio import annotations as A
from krmfn.istio.pod import NotInjectable, locate, str_map

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
    return parse_status(text)


def str_map_safe(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_status(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    out: dict[str, Any] = {}
    for key in ("initContainers", "containers", "volumes", "imagePullSecrets"):
        names = data.get(key)
        out[key] = [str(n) for n in names] if isinstance(names, list) else []
    out["revision"] = str(data.get("revision") or "")
    return out


def status_json(spec: dict[str, Any], revision: str) -> str:
    """sidecar.istio.io/status for a merged template pod: names in template order, empty lists as null."""
    def names(key: str) -> list[str] | None:
        found = [str(i.get("name")) for i in spec.get(key) or [] if isinstance(i, dict)]
        return found or None

    status = {
        "initContainers": names("initContainers"),
        "containers": names("containers"),
        "volumes": names("volumes"),
        "imagePullSecrets": names("imagePullSecrets"),
        "revision": revision or "default",
    }
    return json.dumps(status, separators=(",", ":"))
