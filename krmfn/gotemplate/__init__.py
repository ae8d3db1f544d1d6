"""A Go text/template interpreter for Istio injection templates, in pure Python.

    from krmfn.gotemplate import render, parse, TemplateError
    out = render(template_text, data)          # parse (cached by text) and execute
    tmpl = parse(template_text); tmpl.execute(data)

``data`` is JSON-shaped: dicts, lists, str, int, float, bool, None.  Go struct fields read dict keys
with their first letter lowered (``.Spec.Containers`` reads ``spec.containers``), so Istio's
SidecarTemplateData is a dict such as ``{"ObjectMeta": pod["metadata"], "Spec": pod["spec"],
"Values": values, "ProxyConfig": ..., "MeshConfig": ..., "Revision": "", ...}``.

Functions: Go's builtins, the sprig functions Istio templates use, Istio's InjectionFuncmap (see
:data:`FUNCTION_NAMES`).  Errors, at parse or execution time, raise :class:`TemplateError` with a
``template: NAME:LINE:COL: ...`` message, as Go words them.
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
    body, defines = Parser(name, text, FUNCS).parse()
    return Template(name, text, body, defines)


def render(text: str, data: Mapping[str, Any] | Any, name: str = "inject") -> str:
    """Parse (cached) and execute a template over data; raises TemplateError."""
    return parse(text, name).execute(data)
