"""What a rendered partial pod loses on its way through Go's ``corev1.Pod``: Istio decodes a user
template's output into the Kubernetes types and encodes the pod again, so container fields that are
plain (not pointer) values tagged ``omitempty`` disappear at their zero value (``initialDelaySeconds: 0``,
``tty: false``, ``imagePullPolicy: ""``).  Pointer fields (securityContext's, terminationGracePeriodSeconds)
keep theirs, and so are not touched here.  A ``resourceFieldRef`` gains the ``divisor: "0"`` its
non-pointer Quantity encodes as."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
_PROBE_INTS = ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold")
_CONTAINER_ZEROES = {"stdin": False, "stdinOnce": False, "tty": False, "image": "", "imagePullPolicy": "",
                     "workingDir": "", "terminationMessagePath": "", "terminationMessagePolicy": ""}


def _drop(mapping: dict[str, Any], zeroes: dict[str, Any]) -> None:
    for key, zero in zeroes.items():
        value = mapping.get(key)
        if key in mapping and type(value) is type(zero) and value == zero:
            del mapping[key]


def encode_partial(partial: dict[str, Any]) -> dict[str, Any]:
    """``partial`` (a user template's rendered partial pod, the caller's) with what Go's encoding adds
    (a ``resourceFieldRef``'s ``divisor: "0"``).  Its zero values stay: they still override the pod's own
    values in the merge, and go afterwards (:func:`drop_go_zeroes`)."""
    for container in _containers(partial.get("spec")):
        for entry in container.get("env") or []:
            ref = ((entry.get("valueFrom") or {}) if isinstance(entry, dict) else {}).get("resourceFieldRef")
            if isinstance(ref, dict) and "divisor" not in ref:
                ref["divisor"] = "0"
    return partial


def _containers(spec: Any) -> list[dict[str, Any]]:
    if not isinstance(spec, dict):
        return []
    return [c for key in ("containers", "initContainers") for c in spec.get(key) or [] if isinstance(c, dict)]


def drop_go_zeroes(spec: dict[str, Any], names: set[Any]) -> None:
    """Drop, in place, the zero values Go's encoding omits from the merged pod ``spec``'s containers named
    in ``names`` (those a user template wrote: the pod's other containers are left as the user wrote them)."""
    for container in _containers(spec):
        if container.get("name") not in names:
            continue
        _drop(container, _CONTAINER_ZEROES)
        for probe in _PROBES:
            if isinstance(container.get(probe), dict):
                container[probe] = dict(container[probe])
                _drop(container[probe], dict.fromkeys(_PROBE_INTS, 0))
