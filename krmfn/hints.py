"""What the CLI says about a file, pure: where a result comes from, and what a mistaken argument was meant to be."""

from __future__ import annotations

from .config import TYPED_API_VERSION, TYPED_KIND

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .results import Result
    from .text.nodes import Node

#: The kinds a krmfn config file may hold (see ``krmfn help config``).
CONFIG_KINDS = ("ConfigMap", TYPED_KIND, "IstioOperator")


def located(path: str, result: Result) -> str:
    """``PATH: document N: KIND/NS/NAME: message (field F)`` for a result of a manifest file (N counts from 1).

    The document comes from the result's ``file.index`` (a stream's results carry it), else from the
    ``index`` field of a catalog message about an item (``item {index} ...``); such a message about the whole
    document reads ``document N has no kind``.
    """
    message = result.message
    index = (result.file or {}).get("index")
    separator = ": "
    item = _about_item(result)
    if item is not None:
        item_index, rest = item  # rest: " is not a mapping; ..." or ": cannot read ..."
        index = item_index if index is None else index
        message = rest.lstrip(":").lstrip()
        if not rest.startswith(":"):
            separator = " "
    parts = [path]
    if isinstance(index, int):
        parts.append(f"document {index + 1}")
    ref = result.resource_ref or {}
    name = ident(ref)
    if name and ref.get("name"):
        parts.append(name)
    return ": ".join(parts) + separator + message + _field_note(result.field_path, index)


def ident(ref: dict[str, str] | None) -> str:
    """``kind/namespace/name`` of a resource reference (the kind in lower case; absent parts left out)."""
    ref = ref or {}
    return "/".join(x for x in (ref.get("kind", "").lower(), ref.get("namespace"), ref.get("name")) if x)


def _about_item(result: Result) -> tuple[Any, str] | None:
    """For a catalog message about an item (``item {index} ...``): its index and the text after ``item N``."""
    from .messages import BY_CODE, ITEM

    said = BY_CODE.get(result.code) if result.code else None
    fields = result.fields or {}
    if said is None or not said.template.startswith(ITEM) or "index" not in fields:
        return None
    return fields["index"], said.template[len(ITEM):].format(**fields)


def _field_note(field_path: str | None, index: Any) -> str:
    """`` (field F)``, F relative to the document when the path starts with the document's own item."""
    field = field_path or ""
    if isinstance(index, int) and field.startswith(f"items[{index}]"):  # the document is named already
        field = field[len(f"items[{index}]"):].lstrip(".")
    return f" (field {field})" if field else ""


def _kind(node: Any) -> tuple[Any, Any]:
    from .text.nodes import Mapping, to_python

    if not isinstance(node, Mapping):
        return None, None
    api, kind = node.get("apiVersion"), node.get("kind")
    return (to_python(api) if api is not None else None), (to_python(kind) if kind is not None else None)


def manifest_kinds(node: Node | None) -> list[str]:
    """Kinds in a would-be config file that no config form has, when one of them is a workload (a manifest
    given where a config goes); empty otherwise.  ``node`` is :func:`krmfn.config.parse_text`'s (several documents
    come as a ``v1 List``)."""
    from .text.nodes import Mapping, Sequence

    api, kind = _kind(node)
    if kind == "List" and api == "v1" and isinstance(node, Mapping):
        items = node.get("items")
        members = items.items if isinstance(items, Sequence) else []
        kinds = [_kind(m) for m in members]
    else:
        kinds = [(api, kind)]
    from .workloads import is_workload

    if not any(is_workload(a, k) for a, k in kinds):  # an odd config is the config parser's to refuse
        return []
    return [str(k) for a, k in kinds
            if isinstance(k, str) and isinstance(a, str) and k not in CONFIG_KINDS and a != TYPED_API_VERSION]
