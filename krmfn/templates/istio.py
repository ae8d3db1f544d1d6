"""``istio``: today's Istio injection (the :mod:`krmfn.istio` package) behind the template interface.

A workload injected earlier is uninjected first and injected again (:meth:`IstioTemplate.prior`).
"""

from __future__ import annotations

from .. import messages as m
from ..config.fields import MODERN_TEMPLATE
from ..istio.annotations import AnnotationError, InjectionError
from ..istio.injection import inject
from ..istio.pod import NotInjectable
from ..istio.uninject import reinjectable, seal, uninject
from .base import Outcome, Target, Template

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..config import Config


class IstioTemplate(Template):
    name = MODERN_TEMPLATE

    def describe(self) -> str:
        return "today's Istio sidecar, as istioctl kube-inject and the injection webhook add it"

    def prior(self, data: dict[str, Any]) -> dict[str, Any] | None:
        return uninject(data)

    def inject(self, target: Target, cfg: Config) -> Outcome:
        try:
            # Re-injection as Istio's: the injected pod goes in, so that its old istio-proxy counts as the
            # user's override where the new template places the proxy elsewhere (merge-probers).
            injected = inject(reinjectable(target.data) if target.prior is not None else target.base, cfg.istio)
        except AnnotationError as e:
            path = target.prefix + target.view.field("metadata", "annotations") + f"[{e.annotation}]"
            return Outcome(None, results=[m.INVALID_ANNOTATION.result(target.ref, path, target.where,
                                                                      problem=str(e))])
        except InjectionError as e:  # a template that fails, a pod template Istio cannot inject
            field = target.prefix + e.path if isinstance(e, NotInjectable) and e.path else None
            return Outcome(None, results=[m.CANNOT_INJECT.result(target.ref, field, target.where, problem=str(e))])
        new = injected.obj
        results = []
        if cfg.exact_uninject:
            try:
                new = seal(target.base, injected.obj, tuple(cfg.istio.injected_annotations))
            except ValueError as e:
                results.append(m.NOT_EXACT.result(target.ref, None, target.where, problem=str(e)))
        return Outcome(new, injected.containers, injected.init_containers, injected.volumes, results)
