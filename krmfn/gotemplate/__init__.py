"""A Go text/template interpreter for Istio injection templates, in pure Python.

    from krmfn.gotemplate import render, parse, TemplateError
    out = render(template_text, data)          # parse (cached by text) and execute
    tmpl = parse(template_text); tmpl.execute(data)

``data`` is JSON-shaped: dicts, lists, str, int, float, bool, None.  Go struct fields read dict keys
with their first letter lowered (``.Spec.Containers`` reads ``spec.containers``), so Istio's
SidecarTemplateData is a dict such as ``{"ObjectMeta": pod["metadata"], "Spec": pod["spec"],
"Values": values, "ProxyConfig": ..., "MeshConfig": ..., "Revision": "", ...}``.

Functions: Go's builtins, sprig's deterministic functions, Istio's InjectionFuncmap (see
:data:`FUNCTION_NAMES`).  Errors, at parse or execution time, raise :class:`TemplateError` with a
``template: NAME:LINE:COL: ...`` message, as Go words them.

Where Python data cannot say what Go's types would (the data has no Go types), we approximate:

* a missing map key is no value (``<no value>``), as Go; but the Kubernetes / mesh-config / template
  data struct fields listed in :data:`values.STRUCT_ZEROS` read as their Go zero value when absent or
  null (``""``, ``0``, ``false``, an empty string map), as Go structs do;
* ``index`` of a missing key gives ``""`` for a map whose values are all strings (Go's
  ``map[string]string``) or a :class:`StrMap`, else no value; ``index``/``len`` of no value give
  ``""``/``0`` (a nil typed map in Istio's data; Go errors on an untyped nil);
* methods: ``GetX`` reads field ``X`` (nil-safe protobuf getters), ``.String``/``.GetValue`` of a
  scalar give the scalar (enums and wrapper types are plain JSON values);
* numbers keep their Python type: ints print and compare as Go ints, floats as float64; Istio hands
  ``.Values`` to templates with every number a float64 -- :func:`json_numbers` converts data that way;
* a struct prints as a map (``map[k:v]``, not ``{v1 v2}``); toYaml does not fold long lines at 80
  columns as go-yaml does (the YAML reads back the same); ``env`` gives its default (no istiod
  environment offline); sprig's time, random, environment and network functions are not provided.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from . import builtins, istiofuncs  # noqa: F401  (register the functions; istiofuncs loads sprig first)
from .errors import TemplateError
from .execute import run
from .funcs import FUNCS
from .nodes import Node
from .parser import Parser
from .values import MISSING, StrMap, json_numbers

__all__ = ["FUNCTION_NAMES", "MISSING", "StrMap", "Template", "TemplateError", "json_numbers", "parse", "render"]

FUNCTION_NAMES: tuple[str, ...] = tuple(sorted(FUNCS))


class Template:
    """A parsed template: its body and the templates it defines ({{define}} / {{block}})."""

    def __init__(self, name: str, src: str, body: list[Node], defines: dict[str, list[Node]]) -> None:
        self.name = name
        self.src = src
        self.body = body
        self.defines = defines

    def execute(self, data: Mapping[str, Any] | Any) -> str:
        return run(self, data)


@lru_cache(maxsize=64)
def parse(text: str, name: str = "inject") -> Template:
    """Parse a template (cached by text and name); raises TemplateError."""
    if not isinstance(text, str):
        raise TemplateError(f"template: {name}: template text must be a string, not {type(text).__name__}")
    try:
        body, defines = Parser(name, text, FUNCS).parse()
    except RecursionError:
        raise TemplateError(f"template: {name}: max expression depth exceeded") from None
    return Template(name, text, body, defines)


def render(text: str, data: Mapping[str, Any] | Any, name: str = "inject",
           environ: Mapping[str, str] | None = None) -> str:
    """Parse (cached) and execute a template over data; raises TemplateError.

    ``environ``: what the ``env`` function reads (istiod's environment); None: ``env`` gives its default."""
    if environ is None:
        return parse(text, name).execute(data)
    return run(parse(text, name), data, {**FUNCS, "env": istiofuncs.env_func(environ)})
