"""Today's Istio sidecar injection (template ``istio``): pure data in, data out.

Entry point: :func:`inject` (one Kubernetes object as plain data and an
:class:`IstioSettings`) returns an :class:`Injected`; :func:`status_of`
reads back the ``sidecar.istio.io/status`` annotation of an injected object.

The names below are loaded on first use: :mod:`krmfn.config` imports
:mod:`krmfn.istio.settings` on every run, and that must not pull in the whole
template (tens of milliseconds of start-up) when the run never injects with it.
(No ``from __future__ import annotations`` here: it would shadow the submodule
:mod:`krmfn.istio.annotations`.)
"""

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_WHERE = {
    "ISTIO_RELEASE": "defaults",
    "AnnotationError": "annotations",
    "InjectionError": "annotations",
    "Injected": "injection",
    "TemplateError": "injection",
    "inject": "injection",
    "parse_status": "injection",
    "status_of": "injection",
    "NotInjectable": "pod",
    "kube_inject_skip_reason": "pod",
    "IstioSettings": "settings",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> "Any":
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'krmfn.istio' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"krmfn.istio.{module}"), name)
    globals()[name] = value
    return value
