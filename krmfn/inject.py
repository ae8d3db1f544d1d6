"""One workload, decide -> inject: the policy's decision (:mod:`krmfn.policy`), then the config's template
(:mod:`krmfn.templates`) or, in uninject mode, the sidecar's removal.  Plain data in, plain data out.
"""

from __future__ import annotations

from . import messages as m
from . import policy, templates, workloads
from .results import file_of, resource_ref
from .templates.base import Target
from .text.reconcile import same

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .config import Config
    from .results import Result
    from .templates.base import Outcome, Template


def workload(
    data: dict[str, Any], cfg: Config, ns_labels: dict[str, dict[str, str]], prefix: str
) -> tuple[dict[str, Any] | None, list[Result]]:
    """The workload's new data (None: unchanged) and what happened to it."""
    ref = resource_ref(data)
    where = file_of(data)
    template = templates.get(cfg.template)
    if cfg.mode == "uninject":
        return _uninject(template, data, ref, where)
    prior = template.prior(data)
    base = data if prior is None else prior
    try:
        w = workloads.view(base)
    except workloads.Malformed as e:
        return None, [m.MALFORMED_WORKLOAD.result(ref, prefix + e.path, where, problem=str(e))]
    decision = policy.decide(w, cfg, ns_labels)
    out: list[Result] = []
    if decision.warning:
        out.append(m.INJECT_VALUE_IGNORED.result(ref, prefix + w.field("metadata", "annotations"), where,
                                                 **(decision.warning_fields or {})))
    if not decision.inject:
        assert decision.skip is not None
        skipped = decision.skip.result(ref, None, where, **decision.fields)
        if prior is not None:
            skipped = skipped.replace(message=skipped.message + m.LEFT_AS_INJECTED)
        out.append(skipped)
        return None, out
    outcome = template.inject(Target(data, base, w, prior, ref, where, prefix), cfg)
    out.extend(outcome.results)
    if outcome.obj is None:
        return None, out
    if prior is not None and same(outcome.obj, data):
        out.append(m.ALREADY_INJECTED.result(ref, None, where))
        return None, out
    summary = _summary(template.name, outcome)
    out.append((m.INJECTED if prior is None else m.REINJECTED).result(ref, None, where, **summary))
    return outcome.obj, out


def _uninject(
    template: Template, data: dict[str, Any], ref: dict[str, Any], where: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, list[Result]]:
    base, lost = template.uninject(data)
    if base is None:
        return None, [m.NOT_INJECTED.result(ref, None, where)]
    out = [m.UNINJECTED.result(ref, None, where)]
    if lost:
        shown = ", ".join(lost[:3]) + (f" and {len(lost) - 3} more" if len(lost) > 3 else "")
        out.insert(0, m.UNINJECT_NOT_EXACT.result(ref, None, where, lost=shown))
    return base, out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _summary(template: str, outcome: Outcome) -> dict[str, str]:
    """The fields of :data:`krmfn.messages.INJECTED`."""
    return {"template": template, "containers": _plural(outcome.containers, "container"),
            "init_containers": _plural(outcome.init_containers, "init container"),
            "volumes": _plural(outcome.volumes, "volume")}
