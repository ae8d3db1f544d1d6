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
        value = mapping.get(key, None)
        if key in mapping and type(value) is type(zero) and value == zero:
            del mapping[key]


def drop_go_zeroes(partial: dict[str, Any]) -> dict[str, Any]:
    """``partial`` (a rendered partial pod, the caller's) without the zero values Go's encoding omits."""
    spec = partial.get("spec")
    if not isinstance(spec, dict):
        return partial
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            if not isinstance(container, dict):
                continue
            _drop(container, _CONTAINER_ZEROES)
            for entry in container.get("env") or []:
                ref = ((entry.get("valueFrom") or {}) if isinstance(entry, dict) else {}).get("resourceFieldRef")
                if isinstance(ref, dict) and "divisor" not in ref:
                    ref["divisor"] = "0"
            for probe in _PROBES:
                if isinstance(container.get(probe), dict):
                    _drop(container[probe], dict.fromkeys(_PROBE_INTS, 0))
    return partial
