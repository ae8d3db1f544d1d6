"""Config YAML text -> a node: a config file (``krmfn inject -c``, the kustomize plugin's file) and the YAML
embedded in a ConfigMap's ``data.config``."""

from __future__ import annotations

from ..text.nodes import Mapping, Node, Scalar, Sequence, YamlError, compose_document, deref, to_python
from .errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def parse_embedded(text: str, path: str) -> Node | None:
    """One YAML document; an error names ``path``."""
    try:
        return compose_document(text)
    except YamlError as e:
        raise ConfigError(f"{path} {e.bare}" if e.line is None else f"{path}: {e}", path) from None


def parse_text(text: str) -> Node | None:
    """A functionConfig given as YAML text (a config file).

    A file of several documents (Istio's injector ConfigMap, then the mesh
    ConfigMap) reads as the ``v1`` ``List`` holding them.
    """
    spans = _document_spans(text)
    if len(spans) <= 1:
        return parse_embedded(text, "config")
    # each document composed alone, behind blank lines so that error lines count from the file's start
    docs = [parse_embedded("\n" * text.count("\n", 0, a) + text[a:b], f"config document {i + 1}")
            for i, (a, b) in enumerate(spans)]
    items = [d for d in docs if d is not None]
    if len(items) <= 1:
        return items[0] if items else None
    return Mapping([(Scalar("apiVersion"), Scalar("v1")), (Scalar("kind"), Scalar("List")),
                    (Scalar("items"), Sequence(items))])


def _document_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the documents of a YAML stream, up to the one that cannot be scanned (composing it
    reports the error)."""
    import yaml

    from ..text import yamlc

    starts: list[int] = []
    loader = yamlc.SafeLoader(text)
    try:
        while True:
            ev = loader.get_event()
            if ev is None or isinstance(ev, yaml.StreamEndEvent):
                break
            if isinstance(ev, yaml.DocumentStartEvent) and ev.start_mark is not None:
                starts.append(ev.start_mark.index)
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return [(a, b) for a, b in zip(starts, starts[1:] + [len(text)])]


def name_of(node: Mapping) -> Any:
    """metadata.name as data (None when absent)."""
    meta = deref(node.get("metadata"))
    name = deref(meta.get("name")) if isinstance(meta, Mapping) else None
    return to_python(name) if name is not None else None


def embedded_keys(data_node: Mapping, key: str) -> list[Any]:
    """Top-level keys of the YAML in ``data.<key>`` (best effort: [] when it is not a YAML mapping)."""
    raw = deref(data_node.get(key))
    if not isinstance(raw, Scalar):
        return []
    try:
        inner = deref(compose_document(raw.value))
    except YamlError:
        return []
    return [to_python(k) for k, _ in inner.pairs] if isinstance(inner, Mapping) else []
