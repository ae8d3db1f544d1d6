"""functionConfig -> :class:`Config`: every config form krmfn reads, in one package.

``parse(node)`` reads a functionConfig node (``parse_text`` makes one from a config file); ``ConfigError``
names the field at fault.  Where things are:

* :mod:`.dispatch` -- the table ``(apiVersion, kind) -> rules`` that picks the form (kyaml's GVKFilterMap);
* one module per form: :mod:`.seed` (0.2 ``istio-inject`` ConfigMap), :mod:`.flat` (``data`` key=value, kpt's
  ``-- key=value``), :mod:`.typed` (``krmfn.dev/v1alpha1`` ``SidecarInjector``), :mod:`.operator`
  (``IstioOperator``), :mod:`.injector` (Istio's injector ConfigMap, the ``v1`` ``List`` / two documents
  with the mesh ConfigMap), :mod:`.istioctl_files` (istioctl kube-inject's three files);
* :mod:`.fields` -- the one field vocabulary and the tables in it (krmfn's settings, Istio's values, mesh and
  injector config), and the constants; :mod:`.checks` reads and checks data in it, :mod:`.schema` makes the
  JSON Schema from it, :mod:`.ownfields` reads krmfn's own settings; :mod:`.legacy` maps the 0.2 settings onto
  Istio's values; :mod:`.istio_check` checks against Istio's generated field tables (:mod:`.istio_fields`);
* :mod:`.model` -- :class:`Config` and :func:`build`, where every form ends.

Importing this package is cheap: the forms, jsonschema and Istio's tables load when a config needs them.
"""

from __future__ import annotations

from ..istio.settings import IstioSettings
from .dispatch import parse
from .errors import ConfigError
from .fields import (
    BY_NAME,
    FIELDS,
    LEGACY_TEMPLATE,
    LEGACY_VERSION,
    MODERN_DEFAULT_TEMPLATE,
    MODERN_FIELDS,
    MODERN_TEMPLATE,
    MODES,
    POLICIES,
    PULL_POLICIES,
    TEMPLATES,
    TYPED_API_VERSION,
    TYPED_KIND,
    Field,
    default_template,
    enum_of,
    label_of,
)
from .model import Config, build
from .schema import json_schema
from .text import parse_text

__all__ = [
    "BY_NAME", "FIELDS", "LEGACY_TEMPLATE", "LEGACY_VERSION", "MODERN_DEFAULT_TEMPLATE", "MODERN_FIELDS",
    "MODERN_TEMPLATE", "MODES", "POLICIES", "PULL_POLICIES", "TEMPLATES", "TYPED_API_VERSION", "TYPED_KIND",
    "Config", "ConfigError", "Field", "IstioSettings", "build", "default_template", "enum_of", "json_schema",
    "label_of", "parse", "parse_text",
]
