"""Istio's injector ConfigMap form: ``istio-sidecar-injector[-<revision>]`` as ``kubectl get -o yaml`` prints it
(``data.config`` YAML with policy, selectors, templates; ``data.values`` JSON; optionally ``data.mesh``), alone,
or in a ``v1`` ``List`` with the mesh ConfigMap ``istio`` (``data.mesh``) -- what ``kubectl get cm
istio-sidecar-injector istio -n istio-system -o yaml`` prints -- or as two documents of one file
(:func:`krmfn.config.text.parse_text` makes them that List).

Known fields are type-checked against the tables of :mod:`krmfn.config.fields`; other fields pass through
untouched for the template to read.
"""

from __future__ import annotations

import json

from ..istio.settings import IstioSettings
from ..text.nodes import Mapping, Node, Scalar, Sequence, YamlError, compose_document, deref, is_null, to_python
from .checks import check_revision, check_tree, node_data
from .errors import ConfigError
from .fields import (
    INJECTOR_CONFIGMAP,
    INJECTOR_DATA_KEYS,
    INJECTOR_SPEC,
    MESH_DATA_KEYS,
    MESH_SPEC,
    VALUES_SPEC,
)
from .istio_settings import settings, values_revision
from .model import Config, modern
from .text import name_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def read(node: Mapping) -> Config:
    """Istio's injector ConfigMap alone."""
    policy, istio = from_injector(node)
    return modern(policy, istio, "istio-injector")


def read_list(node: Mapping) -> Config:
    """A ``v1`` ``List`` of Istio's injector ConfigMap and, optionally, the mesh ConfigMap."""
    policy, istio = from_list(node)
    return modern(policy, istio, "istio-injector")


def _embedded_yaml(data_node: Mapping, key: str, prefix: str) -> Node | None:
    raw = deref(data_node.get(key))
    path = f"{prefix}data.{key}"
    if raw is None or is_null(raw):
        return None
    if not isinstance(raw, Scalar):
        raise ConfigError(f"{path} must be a string holding YAML", path)
    try:
        inner = compose_document(raw.value)
    except YamlError as e:
        raise ConfigError(f"{path} {e.bare}" if e.line is None else f"{path}: {e}", path) from None
    if inner is not None and not is_null(inner) and not isinstance(deref(inner), Mapping):
        raise ConfigError(f"{path} must hold a YAML mapping", path)
    return inner


def _json_values(data_node: Mapping, prefix: str) -> dict[str, Any]:
    raw = deref(data_node.get("values"))
    path = f"{prefix}data.values"
    if raw is None or is_null(raw):
        return {}
    if not isinstance(raw, Scalar):
        raise ConfigError(f"{path} must be a string holding JSON", path)
    try:
        values = json.loads(raw.value) if raw.value.strip() else {}
    except ValueError as e:
        raise ConfigError(f"{path} is not valid JSON: {e}", path) from None
    except RecursionError:
        raise ConfigError(f"{path} is nested too deeply", path) from None
    check_tree(values, VALUES_SPEC, path)
    return values


def _mesh(data_node: Mapping, prefix: str) -> dict[str, Any] | None:
    inner = _embedded_yaml(data_node, "mesh", prefix)
    if inner is None or is_null(inner):
        return None if deref(data_node.get("mesh")) is None else {}
    mesh: dict[str, Any] | None = node_data(inner, MESH_SPEC)
    check_tree(mesh, MESH_SPEC, f"{prefix}data.mesh")
    return mesh


def _data_of(node: Mapping, prefix: str) -> Mapping:
    data = deref(node.get("data"))
    if data is None or is_null(data):
        return Mapping([])
    if not isinstance(data, Mapping):
        raise ConfigError(f"{prefix}data must be a mapping of strings", f"{prefix}data")
    return data


def from_injector(node: Mapping, mesh_cm: Mapping | None = None, prefix: str = "",
                  mesh_prefix: str = "") -> tuple[str | None, IstioSettings]:
    """Istio's injector ConfigMap (and optionally the mesh ConfigMap) -> (policy or None, settings)."""
    data = _data_of(node, prefix)
    extra = sorted(str(to_python(k)) for k, _ in data.pairs if to_python(k) not in INJECTOR_DATA_KEYS)
    if extra:
        raise ConfigError(f"{prefix}data.{extra[0]}: unknown key; allowed: {', '.join(INJECTOR_DATA_KEYS)}",
                          f"{prefix}data.{extra[0]}")
    _mesh_networks(data, prefix)
    injector = _injector_config(data, prefix)
    values = _json_values(data, prefix)
    # A release's data.values is complete as Istio reads it: nothing is filled from krmfn's chart defaults.
    complete = _has_text(data, "values")
    mesh = _mesh(data, prefix)
    if mesh_cm is not None:
        mesh = _mesh_of_configmap(mesh_cm, mesh_prefix, mesh, prefix)
    revision = _revision(node, values, prefix)
    if complete:
        _check_images_given(values, prefix)
    return injector.get("policy"), settings(values, mesh or {}, injector, revision).replace(values_complete=complete)


def _injector_config(data: Mapping, prefix: str) -> dict[str, Any]:
    """data.config, checked against Istio's closed set of keys; nulls dropped."""
    inner = _embedded_yaml(data, "config", prefix)
    injector = node_data(inner, INJECTOR_SPEC) if inner is not None and not is_null(inner) else {}
    check_tree(injector, INJECTOR_SPEC, f"{prefix}data.config", closed=True)
    return {k: v for k, v in injector.items() if v is not None}


def _mesh_of_configmap(mesh_cm: Mapping, mesh_prefix: str, mesh: dict[str, Any] | None,
                       prefix: str) -> dict[str, Any] | None:
    """The mesh ConfigMap's data.mesh; given in both ConfigMaps it is an error."""
    _mesh_networks(_data_of(mesh_cm, mesh_prefix), mesh_prefix)
    other = _mesh(_data_of(mesh_cm, mesh_prefix), mesh_prefix)
    if mesh is not None and other is not None:
        raise ConfigError(f"{mesh_prefix}data.mesh: mesh given twice (also in {prefix}data.mesh)",
                          f"{mesh_prefix}data.mesh")
    return other if other is not None else mesh


def _revision(node: Mapping, values: dict[str, Any], prefix: str) -> str:
    """data.values.revision, else the revision in the ConfigMap's name (istio-sidecar-injector-REV)."""
    revision = values_revision(values, f"{prefix}data.values")
    name = name_of(node)
    if not revision and isinstance(name, str) and name.startswith(INJECTOR_CONFIGMAP + "-"):
        revision = check_revision(name[len(INJECTOR_CONFIGMAP) + 1:], f"{prefix}metadata.name")
    return revision


def _check_images_given(values: Any, prefix: str) -> None:
    """A complete data.values must name the proxy image as Istio's chart does (global.hub and global.tag, or a
    global.proxy.image with a registry): nothing is filled in, and the template would write ``None/proxyv2:``."""
    g = values.get("global") if isinstance(values, dict) else None
    g = g if isinstance(g, dict) else {}
    proxy = g.get("proxy")
    image = proxy.get("image") if isinstance(proxy, dict) else None
    if isinstance(image, str) and "/" in image:
        return
    for key in ("hub", "tag"):
        if g.get(key) in (None, ""):
            raise ConfigError(
                f"{prefix}data.values: global.{key} is missing; Istio takes data.values as complete (its chart always "
                f"writes global.hub and global.tag): add it, or give an IstioOperator to start from the chart defaults",
                f"{prefix}data.values.global.{key}")


def _has_text(data: Mapping, key: str) -> bool:
    raw = deref(data.get(key))
    return isinstance(raw, Scalar) and not is_null(raw) and bool(raw.value.strip())


def _mesh_networks(data: Mapping, prefix: str) -> None:
    """data.meshNetworks (the ``istio`` ConfigMap renders it beside data.mesh): istiod's cross-network routing,
    which injection does not read; it must still be a YAML mapping."""
    _embedded_yaml(data, "meshNetworks", prefix)


def is_mesh_configmap(name: Any, data_keys: list[Any]) -> bool:
    """Istio's mesh ConfigMap ``istio``: data.mesh, with data.meshNetworks beside it as the chart renders it."""
    return "mesh" in data_keys and set(data_keys) <= set(MESH_DATA_KEYS) and \
        not str(name or "").startswith(INJECTOR_CONFIGMAP)


def from_list(node: Mapping) -> tuple[str | None, IstioSettings]:
    """A v1 List holding Istio's injector ConfigMap and, optionally, the mesh ConfigMap."""
    items = deref(node.get("items"))
    if not isinstance(items, Sequence):
        raise ConfigError("items: expected a list of ConfigMaps", "items")
    slots: dict[str, tuple[Mapping, str]] = {}
    for i, entry in enumerate(items.items):
        prefix = f"items[{i}]."
        item = _list_item(deref(entry), prefix)
        keys = [to_python(k) for k, _ in _data_of(item, prefix).pairs]
        slot = "mesh" if is_mesh_configmap(name_of(item), keys) else "injector"
        if slot in slots:
            what = "mesh ConfigMap (data.mesh)" if slot == "mesh" else f"{INJECTOR_CONFIGMAP} ConfigMap"
            raise ConfigError(f"items[{i}]: a second {what}; give one", f"items[{i}]")
        slots[slot] = (item, prefix)
    mesh = slots.get("mesh")
    injector = slots.get("injector")
    if injector is None:
        if mesh is None:
            raise ConfigError(f"items: no {INJECTOR_CONFIGMAP} ConfigMap in the List", "items")
        return from_injector(Mapping([]), mesh[0], "", mesh[1])
    return from_injector(injector[0], mesh[0] if mesh else None, injector[1], mesh[1] if mesh else "")


def _list_item(item: Node | None, prefix: str) -> Mapping:
    """``item`` when it is a v1 ConfigMap, else the error a List functionConfig gives."""
    if not isinstance(item, Mapping) or _scalar(item, "kind") != "ConfigMap" or \
            _scalar(item, "apiVersion") not in ("v1", None):
        raise ConfigError(f"{prefix}kind: a List functionConfig holds only v1 ConfigMaps "
                          f"({INJECTOR_CONFIGMAP} and the mesh ConfigMap)", f"{prefix}kind")
    return item


def _scalar(node: Mapping, key: str) -> Any:
    v = deref(node.get(key))
    return to_python(v) if isinstance(v, Scalar) else None
