"""Structured results, as the KRM Functions Specification defines them."""

from __future__ import annotations

from .records import Frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
INDEX_ANNOTATIONS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")


class Result(Frozen):
    """A KRM result; ``code`` and ``fields``: the catalog message it was made from (:mod:`krmfn.messages`) and its
    fields, which krmfn formats from (they are not part of the KRM result)."""

    __slots__ = ("message", "severity", "resource_ref", "field_path", "file", "code", "fields")
    message: str
    severity: str  # info | warning | error
    resource_ref: dict[str, str] | None
    field_path: str | None
    file: dict[str, Any] | None
    code: str | None
    fields: dict[str, Any] | None

    def __init__(
        self,
        message: str,
        severity: str = "info",
        resource_ref: dict[str, str] | None = None,
        field_path: str | None = None,
        file: dict[str, Any] | None = None,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "message", message)
        set_(self, "severity", severity)
        set_(self, "resource_ref", resource_ref)
        set_(self, "field_path", field_path)
        set_(self, "file", file)
        set_(self, "code", code)
        set_(self, "fields", fields)

    def __repr__(self) -> str:
        """The KRM fields; the code and fields too when the result comes from the catalog."""
        names = self.__slots__ if self.code is not None or self.fields is not None else self.__slots__[:5]
        return f"Result({', '.join(f'{n}={getattr(self, n)!r}' for n in names)})"

    def to_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "severity": self.severity}
        if self.resource_ref:
            out["resourceRef"] = dict(self.resource_ref)
        if self.field_path:
            out["field"] = {"path": self.field_path}
        if self.file:
            out["file"] = dict(self.file)
        return out

    def line(self) -> str:
        """One readable line, as kpt prints results: ``[error] apps/v1/Deployment/ns/name: ...``."""
        parts = [f"[{self.severity}]"]
        if self.resource_ref:
            r = self.resource_ref
            ident = "/".join(x for x in (r.get("apiVersion"), r.get("kind"), r.get("namespace"), r.get("name")) if x)
            parts.append(ident + ":")
        parts.append(self.message)
        if self.field_path:
            parts.append(f"(field {self.field_path})")
        if self.file and self.file.get("path"):
            parts.append(f"(file {self.file['path']})")
        return " ".join(parts)


def resource_ref(data: dict[str, Any]) -> dict[str, str]:
    ref: dict[str, str] = {}
    for key in ("apiVersion", "kind"):
        if isinstance(data.get(key), str):
            ref[key] = data[key]
    meta = data.get("metadata")
    if isinstance(meta, dict):
        for key in ("name", "namespace"):
            if isinstance(meta.get(key), str) and meta[key]:
                ref[key] = meta[key]
    return ref


def file_of(data: dict[str, Any]) -> dict[str, Any] | None:
    meta = data.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    if not isinstance(ann, dict):
        return None
    path = next((ann[k] for k in PATH_ANNOTATIONS if isinstance(ann.get(k), str)), None)
    if path is None:
        return None
    out: dict[str, Any] = {"path": path}
    index = next((ann[k] for k in INDEX_ANNOTATIONS if k in ann), None)
    try:
        if index is not None:
            out["index"] = int(index)
    except (TypeError, ValueError):
        pass
    return out
