"""The result catalog: every result krmfn reports, defined once.

Each :class:`Message` has a reason code (a stable identifier such as ``inject.skipped-policy-disabled``),
a severity, a template (``str.format`` fields) and a one-line doc.  Call sites build their results
through it (``messages.INJECTED.result(ref, None, where, template=...)``), so a result carries its code
and the fields it was made from: the CLI formats results from those (:func:`krmfn.cli._short`,
:func:`krmfn.hints.located`, :mod:`krmfn.check`), never by reading the text.  The results tables of
``krmfn help config`` (docs/reference.md) and of docs/messages.md are made from :data:`CATALOG`
(``make docs``; a test keeps the pages current).

The codes stay inside krmfn: a KRM result carries the message text, not the code (the text is the
interface kpt and kustomize users have today).

Adding a result message: one :class:`Message` below, added to :data:`CATALOG` in the order the docs
list it; then ``make docs``.
"""

from __future__ import annotations

from .results import Result

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Message:
    """One result message: ``code`` (stable), ``severity``, ``template`` (``str.format``), ``doc`` (one line).

    ``reason``: for a skip, the template of the policy's reason (``template`` is ``"skipped: " + reason``);
    ``short``: what the CLI's per-workload line says instead of the whole text (``injected``).
    """

    __slots__ = ("code", "severity", "template", "doc", "reason", "short")

    def __init__(self, code: str, severity: str, template: str, doc: str, reason: str | None = None,
                 short: str | None = None) -> None:
        self.code = code
        self.severity = severity
        self.template = template
        self.doc = doc
        self.reason = reason
        self.short = short

    def __repr__(self) -> str:
        return f"Message({self.code!r})"

    def text(self, **fields: Any) -> str:
        """The message with its fields filled in."""
        return self.template.format(**fields) if fields else self.template

    def result(self, resource_ref: dict[str, str] | None = None, field_path: str | None = None,
               file: dict[str, Any] | None = None, **fields: Any) -> Result:
        """A result of this message about ``resource_ref`` (its ``field_path``, its ``file``)."""
        return Result(self.text(**fields), self.severity, resource_ref, field_path, file, self.code, fields or None)


SKIPPED = "skipped: "


def _skip(code: str, reason: str, doc: str) -> Message:
    return Message(code, "info", SKIPPED + reason, doc, reason=reason)


#: Appended to a skip's message when the workload was injected earlier (template ``istio``: it is left so).
LEFT_AS_INJECTED = " (left as injected earlier)"

# --- the functionConfig -----------------------------------------------------------------------------
CONFIG_NOTE = Message(
    "config.note", "info", "{note}",
    "a note from reading the config: a setting accepted that changes nothing (e.g. `spec.profile`)")
INVALID_FUNCTION_CONFIG = Message(
    "config.invalid-function-config", "error", "invalid functionConfig: {problem}",
    "wrong type, unknown field, value not allowed, broken `data.config` YAML, a key that is a list; "
    "field.path names the field; nothing is injected")
INVALID_CONFIG = Message(
    "config.invalid", "error", "invalid config: {problem}",
    "the config file of `krmfn inject -c` or of the exec plugin is invalid (as above); nothing is injected")

# --- items that cannot be read ----------------------------------------------------------------------
#: How a message about one item of the input starts (the CLI names the document instead).
ITEM = "item {index}"
ITEM_NOT_MAPPING = Message(
    "item.not-mapping", "error", ITEM + " is not a mapping; left unchanged",
    "an item that is a string, list, null or alias")
ITEM_MISSING = Message(
    "item.missing-field", "error", ITEM + " has no {missing}; left unchanged",
    "`apiVersion` or `kind` missing or not a string")
ITEM_UNREADABLE = Message(
    "item.unreadable", "error", ITEM + ": {problem}; left unchanged",
    "a duplicate key in an item krmfn would pass through (ConfigMap, Service, any kind): it is not edited, "
    "but its meaning is ambiguous, and kustomize and kpt refuse it too")
WORKLOAD_UNREADABLE = Message(
    "item.unreadable-workload", "error", ITEM + ": cannot read workload, left unchanged: {problem}",
    "in a workload: a duplicate key; `alias expansion exceeds the limit of 200000 nodes (alias bomb?)`; "
    "`nested too deeply`; an alias to an anchor outside the item; a mapping key that is a list or mapping")
MALFORMED_WORKLOAD = Message(
    "workload.malformed", "error", "malformed workload, left unchanged: {problem}",
    "e.g. `spec.template is null, not a mapping`, `...containers is int, expected a non-empty list`, "
    "`...initContainers[0] has no name`; field.path names the field")

# --- injection --------------------------------------------------------------------------------------
INJECTED = Message(
    "inject.injected", "info",
    "injected (template {template}, {containers}, {init_containers}, {volumes})",
    "injected with this template (`istio` or `legacy-0.2`): how many containers, init containers "
    "and volumes it added", short="injected")
REINJECTED = Message(
    "inject.reinjected", "info",
    "re-injected (template {template}, {containers}, {init_containers}, {volumes})",
    "injected earlier (any status form), stripped and injected again with this config", short="re-injected")
ALREADY_INJECTED = Message(
    "inject.already-injected", "info", "already injected; unchanged",
    "template `istio`: injected earlier, and injecting again with this config changes nothing")
INVALID_ANNOTATION = Message(
    "inject.invalid-annotation", "error", "invalid annotation, left unchanged: {problem}",
    "a pod template annotation Istio reads has a bad value; field.path names the annotation")
CANNOT_INJECT = Message(
    "inject.failed", "error", "cannot inject, left unchanged: {problem}",
    "a template that fails, a pod Istio cannot inject")
NOT_EXACT = Message(
    "inject.not-exact", "warning", "uninject will not be exact: {problem}",
    "with `exactUninject: true`: even the record cannot restore the input (e.g. an explicit null)")
INJECT_VALUE_IGNORED = Message(
    "inject.value-ignored", "warning", "sidecar.istio.io/inject={value!r} ({where}) is neither true nor false; ignored",
    "the inject label or annotation says neither true nor false (also y/yes/on, n/no/off except with Istio's "
    "own config forms); the other rules decide")

# --- skips, in the policy's decision order ------------------------------------------------------------
SKIPPED_ALREADY_INJECTED = _skip(
    "inject.skipped-already-injected", "already injected",
    "template `legacy-0.2`: the workload carries `sidecar.istio.io/status`; left byte-identical")
SKIPPED_POLICY_OFF = _skip("inject.skipped-policy-off", "policy off", "`policy: off`: nothing is injected")
SKIPPED_HOST_NETWORK = _skip("inject.skipped-host-network", "hostNetwork", "a pod on the host network")
SKIPPED_IGNORED_NAMESPACE = _skip(
    "inject.skipped-ignored-namespace", "ignored namespace {namespace}",
    "a system namespace (`ignoreNamespaces`)")
SKIPPED_NAMESPACE_DISABLED = _skip(
    "inject.skipped-namespace-disabled", "namespace {namespace} labelled istio-injection=disabled",
    "its Namespace in the input is labelled `istio-injection=disabled`")
SKIPPED_REVISION = _skip(
    "inject.skipped-revision", "revision {revision} ({source}) is not this config's revision {ours}{tags}",
    "the workload asks for another revision than the config's (or one of its `values.revisionTags`, "
    "listed as ` (tags: ...)`)")
SKIPPED_NAMESPACE_EXCLUDED = _skip(
    "inject.skipped-namespace-excluded", "namespace {namespace} excluded", "listed in `excludeNamespaces`")
SKIPPED_NAMESPACE_NOT_SELECTED = _skip(
    "inject.skipped-namespace-not-selected", "namespace {namespace} not selected", "not in `namespaces`")
SKIPPED_INJECT_FALSE = _skip(
    "inject.skipped-inject-false", "sidecar.istio.io/inject={value} ({where})",
    "the inject label or annotation says false")
SKIPPED_NEVER_INJECT = _skip(
    "inject.skipped-never-inject-selector", "neverInjectSelector[{index}] matches the pod labels",
    "a `neverInjectSelector` matches the pod template's labels")
SKIPPED_POLICY_DISABLED = _skip(
    "inject.skipped-policy-disabled", "policy disabled",
    "`policy: disabled` and nothing asked for injection")

# --- uninject ---------------------------------------------------------------------------------------
UNINJECTED = Message("uninject.uninjected", "info", "uninjected",
                     "mode `uninject`: what injection added is taken out")
NOT_INJECTED = Message("uninject.skipped-not-injected", "info", "skipped: not injected",
                       "mode `uninject`: the workload carries no sidecar status")
UNINJECT_NOT_EXACT = Message(
    "uninject.may-not-be-exact", "warning",
    "uninject may not be exact: {lost} restored as a port number, which the original may have named "
    "(exactUninject: true when injecting records it)",
    "at uninject, without a `krmfn.dev/uninject` record: probe ports restored as numbers (at most three named)")

#: Every message, in the order the docs list them.
CATALOG: tuple[Message, ...] = (
    INJECTED, REINJECTED, ALREADY_INJECTED, UNINJECTED, NOT_INJECTED,
    SKIPPED_ALREADY_INJECTED, SKIPPED_POLICY_OFF, SKIPPED_HOST_NETWORK, SKIPPED_IGNORED_NAMESPACE,
    SKIPPED_NAMESPACE_DISABLED, SKIPPED_REVISION, SKIPPED_NAMESPACE_EXCLUDED, SKIPPED_NAMESPACE_NOT_SELECTED,
    SKIPPED_INJECT_FALSE, SKIPPED_NEVER_INJECT, SKIPPED_POLICY_DISABLED, CONFIG_NOTE,
    INJECT_VALUE_IGNORED, NOT_EXACT, UNINJECT_NOT_EXACT,
    INVALID_FUNCTION_CONFIG, INVALID_CONFIG, ITEM_NOT_MAPPING, ITEM_MISSING, ITEM_UNREADABLE, WORKLOAD_UNREADABLE,
    MALFORMED_WORKLOAD, INVALID_ANNOTATION, CANNOT_INJECT,
)

BY_CODE: dict[str, Message] = {m.code: m for m in CATALOG}
