"""Today's Istio sidecar injection (template ``istio``): pure data in, data out.

Entry point: :func:`inject` (one Kubernetes object as plain data and an
:class:`IstioSettings`) returns an :class:`Injected`; :func:`status_of`
reads back the ``sidecar.istio.io/status`` annotation of an injected object.
"""

from krmfn.istio.annotations import AnnotationError, InjectionError
from krmfn.istio.defaults import ISTIO_RELEASE
from krmfn.istio.inject import Injected, TemplateError, inject, parse_status, status_of
from krmfn.istio.pod import NotInjectable, kube_inject_skip_reason
from krmfn.istio.settings import IstioSettings

__all__ = [
    "ISTIO_RELEASE",
    "AnnotationError",
    "Injected",
    "InjectionError",
    "IstioSettings",
    "NotInjectable",
    "TemplateError",
    "inject",
    "kube_inject_skip_reason",
    "parse_status",
    "status_of",
]
