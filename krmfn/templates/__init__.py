"""Sidecar templates: the table from a config's ``template`` name to its implementation.

Each template is one module here with a :class:`~krmfn.templates.base.Template` subclass:
``legacy-0.2`` (:mod:`.legacy`, the seed's 0.2-era sidecar) and ``istio`` (:mod:`.istio`, today's
Istio injection, implemented in the :mod:`krmfn.istio` package).  Adding a template is one module and
one row of :data:`TABLE`.  A template's module is imported when a run uses it, not before.
"""

from __future__ import annotations

from ..config.fields import LEGACY_TEMPLATE, MODERN_TEMPLATE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .base import Template

__all__ = ["TABLE", "get"]


def _legacy() -> Template:
    from .legacy import LegacyTemplate

    return LegacyTemplate()


def _istio() -> Template:
    from .istio import IstioTemplate

    return IstioTemplate()


# template name (the config's ``template`` setting) -> its implementation, made on first use.
TABLE: dict[str, Callable[[], Template]] = {
    LEGACY_TEMPLATE: _legacy,
    MODERN_TEMPLATE: _istio,
}

_made: dict[str, Template] = {}


def get(name: str) -> Template:
    """The template called ``name`` (the config checked that it is a key of :data:`TABLE`)."""
    template = _made.get(name)
    if template is None:
        template = _made[name] = TABLE[name]()
    return template
