"""Reading plain data (the nested dicts and lists YAML gives) without tripping over its shape."""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def dig(data: Any, *path: str, default: Any = None) -> Any:
    """``data[k1][k2]...``; ``default`` where a level is missing or not a mapping."""
    node = data
    for key in path:
        # type() first: the values are plain dicts, and an isinstance check against the ABC is slow
        if not (type(node) is dict or isinstance(node, Mapping)) or key not in node:
            return default
        node = node[key]
    return node


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else {}."""
    return value if isinstance(value, dict) else {}


def mapping_at(data: Any, path: tuple[str, ...]) -> dict[str, Any] | None:
    """The mapping at ``path`` inside ``data``, or None where a level is missing or not a mapping."""
    node = data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None
