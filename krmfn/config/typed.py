"""The typed form: krmfn's own kind, ``krmfn.dev/v1alpha1`` ``SidecarInjector``.

The top-level settings of :data:`~krmfn.config.fields.FIELDS` at the top level, with ``params:`` and
``mesh:`` sections; checked against the JSON Schema made from the same table (:mod:`krmfn.config.schema`),
then by the table's own checks.
"""

from __future__ import annotations

from ..text.nodes import Mapping
from .model import Config, build
from .ownfields import check_section, typed_data
from .schema import validate


def read(node: Mapping) -> Config:
    data = typed_data(node)
    validate(data)
    values = {k: v for k, v in data.items() if k not in ("apiVersion", "kind", "metadata")}
    return build(check_section(values, "", ""), "typed")
