"""PyYAML's libyaml (C) parser when this PyYAML has it, else its pure-Python one: same events, slower.

A PyYAML built without libyaml has no ``yaml.CSafeLoader``; krmfn then still works (a few times slower
on large inputs) instead of failing on start-up.
"""

from __future__ import annotations

import yaml

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: True when PyYAML was built with libyaml.
LIBYAML: bool = hasattr(yaml, "CSafeLoader")

#: The loader krmfn parses with: a safe loader (no Python tags), libyaml's when present.
SafeLoader = yaml.CSafeLoader if LIBYAML else yaml.SafeLoader

#: libyaml's bare parser (``get_event``, ``raw_parse``, ``dispose``; nothing constructed): the same events as
#: :data:`SafeLoader`'s, and about half the cost to make (no constructor and resolver set up), which counts
#: when every item of a ResourceList gets a parser of its own.
Parser: Any = yaml.cyaml.CParser if LIBYAML else yaml.SafeLoader  # type: ignore[attr-defined]


def raw_parse(loader: Any) -> None:
    """Parse the whole stream, keeping nothing (libyaml does it in C); raises yaml.YAMLError if invalid."""
    if LIBYAML:
        loader.raw_parse()  # libyaml's parser only
        return
    get = loader.get_event
    while get() is not None:
        pass
