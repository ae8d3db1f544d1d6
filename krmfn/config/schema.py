"""The JSON Schema of the typed ``SidecarInjector``, made from the field table and its vocabulary
(:data:`~krmfn.config.fields.LEAVES`), and the check of a typed config against it."""

from __future__ import annotations

from .errors import ConfigError
from .fields import FIELDS, LEAVES, SECTIONS, TYPED_API_VERSION, TYPED_KIND, Field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _prop(f: Field) -> dict[str, Any]:
    p = dict(LEAVES[f.type].json or {})
    if f.enum:
        p["enum"] = list(f.enum)
    if f.minimum is not None:
        p["minimum"] = f.minimum
    p["description"] = f.doc
    return p


def json_schema() -> dict[str, Any]:
    """JSON Schema of the typed ``SidecarInjector`` functionConfig."""
    sections: dict[str, dict[str, Any]] = {"": {}, **{name: {} for name in SECTIONS}}
    for f in FIELDS:
        sections[f.section][f.name] = _prop(f)
    top = dict(sections[""])
    for name in SECTIONS:
        top[name] = {"type": "object", "additionalProperties": False, "properties": sections[name]}
    top["apiVersion"] = {"const": TYPED_API_VERSION}
    top["kind"] = {"const": TYPED_KIND}
    top["metadata"] = {"type": "object"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": TYPED_KIND,
        "type": "object",
        "required": ["apiVersion", "kind"],
        "additionalProperties": False,
        "properties": top,
    }


def validate(data: dict[str, Any]) -> None:
    """Check typed config data against :func:`json_schema`; the first error (by path) is a ConfigError."""
    import jsonschema  # only here: it costs ~70 ms of start-up

    validator = jsonschema.Draft202012Validator(json_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    err = errors[0]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path).lstrip(".")
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        field_path = ".".join([p for p in (path, extra[0] if extra else "") if p])
        allowed = ", ".join(sorted(err.schema.get("properties", {})))
        raise ConfigError(f"{field_path}: unknown field; allowed: {allowed}", field_path)
    if err.validator == "enum":
        raise ConfigError(
            f"{path}: {err.instance!r} is not one of {', '.join(map(str, err.validator_value))}", path
        )
    if err.validator == "const":
        raise ConfigError(f"{path}: must be {err.validator_value!r}", path)
    raise ConfigError(f"{path or 'functionConfig'}: {err.message}", path or None)
