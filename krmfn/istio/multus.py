"""Istio's ``appendMultusNetwork`` (pkg/kube/inject template.go), the one implementation behind both the
built-in template (:mod:`krmfn.istio.sidecar`) and the Go-template function of user templates
(:mod:`krmfn.gotemplate.istiofuncs`), so that a release's own template and the built-in one write the
same ``k8s.v1.cni.cncf.io/networks`` value."""

from __future__ import annotations


def append_multus_network(existing: str, network: str) -> str:
    """``existing`` (a Multus networks annotation, flat ``a, b`` or a JSON list) with ``network``
    (``namespace/name`` or ``name``) added unless it is there already.

    As Istio's: a JSON list that does not decode as a list of objects is left as it is; an entry matches
    when its name is the network's name and its namespace (absent: "") the network's namespace.
    """
    if existing == "":
        return network
    end = existing.rfind("]")
    if end != -1:
        return _append_json(existing, end, network)
    if any(n.strip() == network for n in existing.split(",")):
        return existing
    return existing + ", " + network


def _append_json(existing: str, end: int, network: str) -> str:
    """The JSON-list form: an entry inserted before the closing bracket at ``end``."""
    import json  # here, not at start-up (the json package compiles six patterns on import)

    try:
        networks = json.loads(existing)
    except ValueError:
        return existing
    if not isinstance(networks, list) or not all(isinstance(n, dict) or n is None for n in networks):
        return existing
    namespace, _, name = network.rpartition("/")
    if any(n is not None and n.get("name") == name and (n.get("namespace") or "") == namespace for n in networks):
        return existing
    entry = f'{{"name": "{name}", "namespace": "{namespace}"}}' if namespace else f'{{"name": "{name}"}}'
    return existing[:end] + ", " + entry + existing[end:]
