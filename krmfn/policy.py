"""Whether to inject a workload: one pure function, a decision and its reason.

The rules, in the order they are checked (the seed's initializer semantics):

1. ``policy: off`` never injects;
2. pods on the host network are skipped;
3. ignored (system) namespaces are skipped;
4. namespaces not selected are skipped (``namespaces``, ``excludeNamespaces``,
   and ``istio-injection`` labels on Namespace objects in the input);
5. ``sidecar.istio.io/inject`` on the pod template (label, then annotation)
   or on the workload itself decides when it says true or false;
6. ``policy: enabled`` injects, ``policy: disabled`` skips.

An item already carrying ``sidecar.istio.io/status`` is reported as already
injected before any rule, so running krmfn on its own output changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .config import Config
from .workloads import Workload

INJECT_KEY = "sidecar.istio.io/inject"
STATUS_KEY = "sidecar.istio.io/status"
NAMESPACE_LABEL = "istio-injection"

_TRUE = ("true", "y", "yes", "on")
_FALSE = ("false", "n", "no", "off")


@dataclass(frozen=True)
class Decision:
    inject: bool
    reason: str  # stable text: "injected" or the reason for skipping
    warning: str | None = None


def _inject_request(w: Workload) -> tuple[str | None, str | None]:
    """The first sidecar.istio.io/inject value found and where it was found."""
    places = (
        ("pod template label", w.template_metadata["labels"]),
        ("pod template annotation", w.template_metadata["annotations"]),
        ("workload label", w.metadata["labels"]),
        ("workload annotation", w.metadata["annotations"]),
    )
    for where, values in places:
        if INJECT_KEY in values:
            return values[INJECT_KEY], where
    return None, None


def already_injected(w: Workload) -> bool:
    return STATUS_KEY in w.template_metadata["annotations"] or STATUS_KEY in w.metadata["annotations"]


def decide(w: Workload, config: Config, namespace_labels: Mapping[str, Mapping[str, str]]) -> Decision:
    """Decide for one workload.

    ``namespace_labels`` maps the names of Namespace objects present in the
    input to their labels.
    """
    if already_injected(w):
        return Decision(False, "already injected")
    if config.policy == "off":
        return Decision(False, "policy off")
    if w.pod_spec.get("hostNetwork") is True:
        return Decision(False, "hostNetwork")
    ns = w.namespace or config.default_namespace
    if ns in config.ignore_namespaces:
        return Decision(False, f"ignored namespace {ns}")
    ns_label = namespace_labels.get(ns, {}).get(NAMESPACE_LABEL)
    if ns_label == "disabled":
        return Decision(False, f"namespace {ns} labelled {NAMESPACE_LABEL}=disabled")
    if ns_label != "enabled":
        if ns in config.exclude_namespaces:
            return Decision(False, f"namespace {ns} excluded")
        if not config.all_namespaces and ns not in config.namespaces:
            return Decision(False, f"namespace {ns} not selected")
    value, where = _inject_request(w)
    warning = None
    if value is not None:
        low = value.strip().lower()
        if low in _TRUE:
            return Decision(True, "injected")
        if low in _FALSE:
            return Decision(False, f"{INJECT_KEY}={value} ({where})")
        warning = f"{INJECT_KEY}={value!r} ({where}) is neither true nor false; ignored"
    if config.policy == "enabled":
        return Decision(True, "injected", warning)
    return Decision(False, "policy disabled", warning)
