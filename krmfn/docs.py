"""The reference text: printed by ``krmfn --help`` and kept in README.md.

README's "Configuration reference" section is this text verbatim; a test
keeps the two identical (``make docs`` rewrites README from here).
"""

from __future__ import annotations

from . import __version__
from .config import FIELDS, TYPED_API_VERSION, TYPED_KIND

USAGE = f"""\
krmfn {__version__} - Istio sidecar injection as a KRM function

Usage:
  krmfn                 run as a KRM function: ResourceList on stdin, ResourceList on stdout
  krmfn --help          this text
  krmfn --version       the version
  krmfn inject [-c CONFIG] [-i] [FILE|DIR|-]...
                        inject plain manifests (multi-document YAML; directories
                        recursively); -i rewrites the files; one line per workload on stderr
  krmfn CONFIG_FILE     kustomize legacy exec plugin: transformer config file as the only
                        argument, resources as multi-document YAML on stdin and stdout
  krmfn install-plugin [DIR]
                        install the exec plugin for kind SidecarInjector under DIR
                        (default $KUSTOMIZE_PLUGIN_HOME, else ~/.config/kustomize/plugin)

Run by kpt (kpt fn eval --exec krmfn, kpt fn render --allow-exec) or by
kustomize (--enable-alpha-plugins). The policy comes from functionConfig.
"""


def _default(value: object) -> str:
    if value is None:
        return "(derived)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if value == "":
        return '""'
    return str(value)


def reference() -> str:
    lines = [
        "## Configuration reference",
        "",
        "functionConfig may take four forms:",
        "",
        "1. The seed's `istio-inject` ConfigMap, verbatim: `data.config` holds YAML with the top-level",
        "   settings below and a `params:` and a `mesh:` section.",
        "2. A flat ConfigMap (what `kpt fn eval --exec krmfn -- policy=disabled proxyImage=...` makes):",
        "   every setting below as a `data` key by its name; lists comma-separated.",
        f"3. A typed `{TYPED_API_VERSION}` `{TYPED_KIND}`: the top-level settings at the top level, with",
        "   `params:` and `mesh:` sections; checked against a JSON Schema.",
        "4. None, or an empty one: every default.",
        "",
        "| setting | section | type | default | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in FIELDS:
        kind = f.type if not f.enum else " \\| ".join(f.enum)
        lines.append(f"| `{f.name}` | {f.section or 'top'} | {kind} | `{_default(f.default)}` | {f.doc} |")
    lines += [
        "",
        "Annotations and labels krmfn reads:",
        "",
        "| key | where | effect |",
        "| --- | --- | --- |",
        "| `sidecar.istio.io/inject` | pod template label or annotation, workload label or annotation "
        "(first found) | `true`/`false` (also y/yes/on, n/no/off) overrides the policy; other values: warning |",
        "| `sidecar.istio.io/status` | workload or pod template annotation | already injected: left byte-identical |",
        "| `istio-injection` | label of a Namespace object in the input | `enabled`: namespace selected; "
        "`disabled`: never injected |",
        "| `internal.config.kubernetes.io/path`, `config.kubernetes.io/path`, `...index` | any item | "
        "reported as the result's `file` |",
        "",
        "Results (one per workload, in input order; messages are stable):",
        "",
        "| severity | message |",
        "| --- | --- |",
        "| info | `injected (template legacy-0.2, 1 container, 1 init container, 2 volumes)` |",
        "| info | `skipped: already injected` |",
        "| info | `skipped: policy off` / `skipped: policy disabled` |",
        "| info | `skipped: hostNetwork` |",
        "| info | `skipped: ignored namespace <ns>` |",
        "| info | `skipped: namespace <ns> labelled istio-injection=disabled` |",
        "| info | `skipped: namespace <ns> excluded` / `skipped: namespace <ns> not selected` |",
        "| info | `skipped: sidecar.istio.io/inject=false (<where>)` |",
        "| warning | `sidecar.istio.io/inject='<value>' (<where>) is neither true nor false; ignored` |",
        "| error | `invalid functionConfig: <field>: <problem>` (field.path names the field) |",
        "| error | `malformed workload, left unchanged: <problem>` (field.path names the field) |",
        "",
        "Exit codes: `0` no error result; `1` an error result (the whole ResourceList is still written,",
        "items unchanged where they could not be injected) or input that is not a ResourceList (message",
        "on stderr, nothing on stdout); `2` a command-line usage error.",
    ]
    return "\n".join(lines) + "\n"


def help_text() -> str:
    return USAGE + "\n" + reference()
