"""Whether to inject a workload: one pure function, a decision and its reason.

The rules, in the order they are checked (the seed's initializer semantics,
with today's Istio webhook rules merged in):

1. ``policy: off`` never injects;
2. pods on the host network are skipped;
3. ignored (system) namespaces are skipped;
4. a Namespace object labelled ``istio-injection=disabled`` is never injected;
5. revisions: the revision a workload asks for -- ``istio-injection=enabled``
   on its Namespace means the default revision and beats any ``istio.io/rev``;
   else ``istio.io/rev`` on its Namespace; else ``istio.io/rev`` on the pod
   template (label, then annotation) -- must be the config's revision or one
   of its tags (``values.revisionTags``; the tag ``default`` makes it serve
   ``istio-injection=enabled`` too); a workload asking for another revision
   is skipped.  Asking for no revision is fine
   (like ``istioctl kube-inject --revision``);
6. namespaces not selected are skipped (``namespaces``, ``excludeNamespaces``);
   a Namespace labelled ``istio-injection=enabled`` or a revision match selects;
7. ``sidecar.istio.io/inject`` on the pod template (label, then annotation)
   or on the workload itself decides when it says true or false (Istio's own
   config formats accept only true/false; the seed's also y/yes/on, n/no/off);
8. ``neverInjectSelector`` (any selector matching the pod template labels) skips;
9. ``alwaysInjectSelector`` injects;
10. ``policy: enabled`` injects, ``policy: disabled`` skips.

An item already carrying ``sidecar.istio.io/status`` is reported as already
injected before any rule, so running krmfn on its own output changes nothing.
"""

from __future__ import annotations

from . import messages as m
from .names import STATUS_KEY
from .records import Frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from .config import Config
    from .workloads import Workload

INJECT_KEY = "sidecar.istio.io/inject"
NAMESPACE_LABEL = "istio-injection"
REVISION_KEY = "istio.io/rev"
DEFAULT_REVISION = "default"

_TRUE = ("true", "y", "yes", "on")
_FALSE = ("false", "n", "no", "off")


class Decision(Frozen):
    """``skip`` and ``fields``: the catalog message of a skip (its ``reason`` is ``reason``) and its fields;
    ``warning_fields``: those of the warning (:data:`krmfn.messages.INJECT_VALUE_IGNORED`)."""

    __slots__ = ("inject", "reason", "warning", "skip", "fields", "warning_fields")
    inject: bool
    reason: str  # stable text: "injected" or the reason for skipping
    warning: str | None
    skip: m.Message | None
    fields: dict[str, Any]
    warning_fields: dict[str, Any] | None

    def __init__(self, inject: bool, reason: str, warning: str | None = None, skip: m.Message | None = None,
                 fields: dict[str, Any] | None = None, warning_fields: dict[str, Any] | None = None) -> None:
        set_ = object.__setattr__
        set_(self, "inject", inject)
        set_(self, "reason", reason)
        set_(self, "warning", warning)
        set_(self, "skip", skip)
        set_(self, "fields", fields or {})
        set_(self, "warning_fields", warning_fields)


def _skip(message: m.Message, fields: dict[str, Any] | None = None, warning: dict[str, Any] | None = None
          ) -> Decision:
    """A skip for the reason ``message`` (a catalog message), with a warning's fields if there is one."""
    assert message.reason is not None
    reason = message.reason.format(**fields) if fields else message.reason
    said = m.INJECT_VALUE_IGNORED.text(**warning) if warning else None
    return Decision(False, reason, said, message, fields, warning)


def _inject(warning: dict[str, Any] | None = None) -> Decision:
    return Decision(True, "injected", m.INJECT_VALUE_IGNORED.text(**warning) if warning else None, None, None, warning)


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


def _requested_revision(w: Workload, ns: str, ns_labels: Mapping[str, str]) -> tuple[str | None, str]:
    """The revision a workload asks for (None: none) and where, by the webhook selectors' precedence."""
    if NAMESPACE_LABEL in ns_labels:
        # Revisioned webhooks require no istio-injection label; "enabled" is the default revision's.
        if ns_labels[NAMESPACE_LABEL] == "enabled":
            return DEFAULT_REVISION, f"namespace {ns} label {NAMESPACE_LABEL}=enabled"
        return None, ""
    if REVISION_KEY in ns_labels:
        return ns_labels[REVISION_KEY], f"namespace {ns} label"
    for where, values in (("pod template label", w.template_metadata["labels"]),
                          ("pod template annotation", w.template_metadata["annotations"])):
        if REVISION_KEY in values:
            return values[REVISION_KEY], where
    return None, ""


def _served_revisions(config: Config) -> tuple[str, tuple[str, ...]]:
    """The config's revision ("default" for the default one) and its tags (values.revisionTags)."""
    tags = config.istio.values.get("revisionTags") or ()
    return config.istio.revision or DEFAULT_REVISION, tuple(t for t in tags if isinstance(t, str))


def _inject_value(value: str, strict: bool) -> bool | None:
    """True/False for an inject request, None when it is neither."""
    low = value.strip().lower()
    if low in (("true",) if strict else _TRUE):
        return True
    if low in (("false",) if strict else _FALSE):
        return False
    return None


def decide(w: Workload, config: Config, namespace_labels: Mapping[str, Mapping[str, str]]) -> Decision:
    """Decide for one workload.

    ``namespace_labels`` maps the names of Namespace objects present in the
    input to their labels.
    """
    if already_injected(w):
        return _skip(m.SKIPPED_ALREADY_INJECTED)
    if config.policy == "off":
        return _skip(m.SKIPPED_POLICY_OFF)
    if w.pod_spec.get("hostNetwork") is True:
        return _skip(m.SKIPPED_HOST_NETWORK)
    skip = _namespace_skip(w, config, namespace_labels)
    if skip is not None:
        return skip
    return _workload_decision(w, config)


def _namespace_skip(
    w: Workload, config: Config, namespace_labels: Mapping[str, Mapping[str, str]]
) -> Decision | None:
    """Why the workload's namespace or revision rules it out (rules 3-6), or None."""
    ns = w.namespace or config.default_namespace
    if ns in config.ignore_namespaces:
        return _skip(m.SKIPPED_IGNORED_NAMESPACE, {"namespace": ns})
    labels = namespace_labels.get(ns, {})
    ns_label = labels.get(NAMESPACE_LABEL)
    if ns_label == "disabled":
        return _skip(m.SKIPPED_NAMESPACE_DISABLED, {"namespace": ns})
    wanted, source = _requested_revision(w, ns, labels)
    ours, tags = _served_revisions(config)
    if wanted is not None and (wanted or DEFAULT_REVISION) not in (ours, *tags):
        also = f" (tags: {', '.join(tags)})" if tags else ""
        return _skip(m.SKIPPED_REVISION, {"revision": wanted, "source": source, "ours": ours, "tags": also})
    if ns_label == "enabled" or wanted is not None:
        return None  # selected by its Namespace label or by its revision
    if ns in config.exclude_namespaces:
        return _skip(m.SKIPPED_NAMESPACE_EXCLUDED, {"namespace": ns})
    if not config.all_namespaces and ns not in config.namespaces:
        return _skip(m.SKIPPED_NAMESPACE_NOT_SELECTED, {"namespace": ns})
    return None


def _first_match(selectors: tuple[Mapping[str, Any], ...], labels: Mapping[str, str]) -> int | None:
    """:func:`krmfn.selectors.first_match`; that module is imported only when there are selectors to match."""
    if not selectors:
        return None
    from .selectors import first_match

    return first_match(selectors, labels)


def _workload_decision(w: Workload, config: Config) -> Decision:
    """The workload's own say (rules 7-10): inject label/annotation, selectors, then the policy."""
    value, where = _inject_request(w)
    warning = None
    if value is not None:
        asked = _inject_value(value, config.strict_inject_values)
        if asked is True:
            return _inject()
        if asked is False:
            return _skip(m.SKIPPED_INJECT_FALSE, {"value": value, "where": where})
        warning = {"value": value, "where": where}
    pod_labels = w.template_metadata["labels"]
    never = _first_match(config.istio.never_inject_selector, pod_labels)
    if never is not None:
        return _skip(m.SKIPPED_NEVER_INJECT, {"index": never}, warning)
    if _first_match(config.istio.always_inject_selector, pod_labels) is not None:
        return _inject(warning)
    if config.policy == "enabled":
        return _inject(warning)
    return _skip(m.SKIPPED_POLICY_DISABLED, None, warning)
