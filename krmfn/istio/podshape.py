"""What a user template renders, read as Kubernetes would read it, and checked before it is merged.

A user template's output is YAML text that becomes a partial pod.  Two
things here keep it from doing harm:

* :func:`load`: the text is read with krmfn's own composer (libyaml events)
  and turned into data under the run's alias-expansion budget (an alias bomb
  is an error, as in the input); only JSON values are accepted -- a date
  (``2024-01-01`` unquoted), ``!!binary``, ``.inf``/``.nan``, a merge key
  ``<<``, a set or any other tag is an error naming where it is, never a
  traceback nor a value that changes type on the way.
* :func:`check`: each field the merge relies on has the shape Kubernetes
  gives it (``metadata.labels`` a map of scalars, ``spec.containers`` a list
  of maps, a container's ``env`` a list of maps, ...).  A template that
  renders ``labels:`` as a list would otherwise replace the pod's labels
  with nothing a selector matches; it is refused and the pod left unchanged.
  A null anywhere means "remove", as in a strategic merge patch.
"""

from __future__ import annotations

import math

from krmfn.text import nodes as Y

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class ShapeError(ValueError):
    """The rendered partial pod cannot be used; the message says where and why."""


_JSON_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_TAG_NAMES = {
    "tag:yaml.org,2002:timestamp": "a date/time",
    "tag:yaml.org,2002:binary": "binary data (!!binary)",
    "tag:yaml.org,2002:merge": "a YAML merge key (<<)",
    "tag:yaml.org,2002:set": "a set (!!set)",
    "tag:yaml.org,2002:omap": "an ordered map (!!omap)",
    "tag:yaml.org,2002:pairs": "pairs (!!pairs)",
    "tag:yaml.org,2002:value": "a value key (=)",
}


def load(text: str) -> Any:
    """The data of one rendered YAML document (None when empty); raises ShapeError."""
    try:
        root = Y.compose_document(text)
        if root is None:
            return None
        _json_only(root)
        return Y.to_python(root)
    except Y.YamlError as e:
        raise ShapeError(f"is not usable YAML: {e}") from None
    except RecursionError:
        raise ShapeError("is nested too deeply") from None


def _json_only(root: Y.Node) -> None:
    """Refuse every node that is not a JSON value (each node once: aliases are not followed)."""
    stack: list[tuple[Y.Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Y.Alias):
            continue
        if isinstance(node, Y.Scalar):
            _json_scalar(node, path)
            continue
        if node.tag is not None and node.tag not in (Y.MAP_TAG, Y.SEQ_TAG):
            what = _TAG_NAMES.get(node.tag, f"a collection tagged {node.tag}")
            raise ShapeError(f"has {what} at {path or 'the top'} (line {node.line + 1})")
        if isinstance(node, Y.Mapping):
            for k, v in node.pairs:
                if not isinstance(k, Y.Scalar):
                    raise ShapeError(f"has a mapping key that is not a scalar at {path or 'the top'} "
                                     f"(line {k.line + 1})")
                stack.append((k, path))
                stack.append((v, f"{path}.{k.value}" if path else k.value))
        elif isinstance(node, Y.Sequence):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(node.items))


def _json_scalar(node: Y.Scalar, path: str) -> None:
    """A scalar JSON can hold: a string, a finite number, a boolean or null."""
    tag = Y.resolve_tag(node)
    if tag not in _JSON_TAGS:
        what = _TAG_NAMES.get(tag, f"a value tagged {tag}")
        raise ShapeError(f"has {what} at {path or 'the top'} ({node.value[:40]!r}, line {node.line + 1}); "
                         "quote it to make it a string")
    if tag == "tag:yaml.org,2002:float":
        value = Y.scalar_value(node)
        if isinstance(value, float) and not math.isfinite(value):
            raise ShapeError(f"has {node.value!r} at {path or 'the top'} (line {node.line + 1}), a number "
                             "JSON cannot hold; quote it to make it a string")


# Shapes: "map", "list" (of anything), "scalar", "strmap" (a map of scalars), ("listof", shape), ("map", fields).
_SCALAR = "scalar"
_STRMAP = "strmap"
_MAP = "map"
_MAPS = ("listof", _MAP)
_SCALARS = ("listof", _SCALAR)
_CONTAINER = ("map", {
    "name": _SCALAR, "image": _SCALAR, "imagePullPolicy": _SCALAR, "workingDir": _SCALAR,
    "args": _SCALARS, "command": _SCALARS,
    "env": ("listof", ("map", {"name": _SCALAR, "value": _SCALAR, "valueFrom": _MAP})),
    "envFrom": _MAPS, "ports": _MAPS, "volumeMounts": _MAPS, "volumeDevices": _MAPS, "resizePolicy": _MAPS,
    "resources": ("map", {"limits": _STRMAP, "requests": _STRMAP, "claims": _MAPS}),
    "securityContext": _MAP, "lifecycle": _MAP,
    "livenessProbe": _MAP, "readinessProbe": _MAP, "startupProbe": _MAP,
})
_POD = ("map", {
    "metadata": ("map", {
        "name": _SCALAR, "namespace": _SCALAR, "generateName": _SCALAR,
        "labels": _STRMAP, "annotations": _STRMAP, "ownerReferences": _MAPS, "finalizers": _SCALARS,
    }),
    "spec": ("map", {
        "containers": ("listof", _CONTAINER), "initContainers": ("listof", _CONTAINER),
        "ephemeralContainers": ("listof", _CONTAINER),
        "volumes": _MAPS, "imagePullSecrets": _MAPS, "hostAliases": _MAPS, "tolerations": _MAPS,
        "topologySpreadConstraints": _MAPS, "resourceClaims": _MAPS, "schedulingGates": _MAPS, "readinessGates": _MAPS,
        "nodeSelector": _STRMAP, "securityContext": _MAP, "dnsConfig": _MAP, "affinity": _MAP, "overhead": _STRMAP,
        "serviceAccountName": _SCALAR, "priorityClassName": _SCALAR, "dnsPolicy": _SCALAR, "restartPolicy": _SCALAR,
    }),
})
_KIND = {_MAP: "a map", _SCALAR: "a scalar (string, number or boolean)", _STRMAP: "a map of strings",
         "listof": "a list"}


def check(data: Any) -> None:
    """Raise ShapeError naming the first field of the partial pod whose shape the merge cannot use."""
    _check(data, _POD, "")


def _check(value: Any, shape: Any, path: str) -> None:
    if value is None:
        return  # "remove" (or nothing), as in a merge patch
    kind = shape if isinstance(shape, str) else shape[0]
    if not _is(value, kind):
        got = "a map" if isinstance(value, dict) else "a list" if isinstance(value, list) else f"the scalar {value!r}"
        raise ShapeError(f"renders {path or 'the pod'} as {got}; Kubernetes wants {_KIND[kind]} there")
    if kind == _STRMAP:
        _check_strmap(value, path)
    elif kind == "listof":
        _check_items(value, shape[1], path)
    elif kind == _MAP and not isinstance(shape, str):
        for key, sub in shape[1].items():
            if key in value:
                _check(value[key], sub, f"{path}.{key}" if path else key)


def _is(value: Any, kind: str) -> bool:
    if kind in (_MAP, _STRMAP):
        return isinstance(value, dict)
    if kind == "listof":
        return isinstance(value, list)
    return not isinstance(value, (dict, list))


def _check_strmap(value: dict[str, Any], path: str) -> None:
    for k, v in value.items():
        if isinstance(v, (dict, list)):
            raise ShapeError(f"renders {path}.{k} as a {'map' if isinstance(v, dict) else 'list'}; "
                             "Kubernetes wants a string there")


def _check_items(value: list[Any], shape: Any, path: str) -> None:
    for i, item in enumerate(value):
        if item is None:
            raise ShapeError(f"renders {path}[{i}] as null; Kubernetes wants {_KIND[shape if isinstance(shape, str) else shape[0]]} there")
        _check(item, shape, f"{path}[{i}]")
