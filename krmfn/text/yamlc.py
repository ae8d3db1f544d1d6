"""PyYAML's libyaml (C) parser when this PyYAML has it, else its pure-Python one: same events, slower.

A PyYAML built without libyaml has no ``yaml.CSafeLoader``; krmfn then still works (a few times slower
on large inputs) instead of failing on start-up.
"""

from __future__ import annotations

import yaml

#: True when PyYAML was built with libyaml.
LIBYAML: bool = hasattr(yaml, "CSafeLoader")

#: The loader krmfn parses with: a safe loader (no Python tags), libyaml's when present.
SafeLoader = yaml.CSafeLoader if LIBYAML else yaml.SafeLoader


def raw_parse(loader: yaml.SafeLoader | yaml.CSafeLoader) -> None:
    """Parse the whole stream, keeping nothing (libyaml does it in C); raises yaml.YAMLError if invalid."""
    if LIBYAML:
        loader.raw_parse()  # type: ignore[union-attr]  # libyaml's loader only; the stubs omit it
        return
    get = loader.get_event
    while get() is not None:
        pass
