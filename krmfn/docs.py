"""The help texts: ``krmfn --help`` (:data:`USAGE`, one screen) and ``krmfn help config`` (:func:`reference`).

docs/reference.md is :func:`reference_page` verbatim; a test keeps the two identical (``make docs``
rewrites it from here).
"""

from __future__ import annotations

import re

from . import __version__
from .config import FIELDS, TYPED_API_VERSION, TYPED_KIND, label_of
from .config.legacy import LEGACY
from .istio.defaults import CHART_COMMIT, CHART_LINE
from .messages import CATALOG, LEFT_AS_INJECTED

USAGE = f"""\
krmfn {__version__} - Istio sidecar injection as a KRM function

Usage:
  krmfn                      KRM function: ResourceList on stdin, ResourceList on stdout
                             (kpt fn eval --exec krmfn, kpt fn render --allow-exec,
                             kustomize --enable-alpha-plugins --enable-exec, Argo CD)
  krmfn inject [OPTIONS] [FILE|DIR|-]...
                             inject plain manifests (multi-document YAML, v1 List;
                             directories recursively); the result on stdout
  krmfn uninject [OPTIONS] [FILE|DIR|-]...
                             take out what injection added (byte-exact where it was
                             injected with --exact-uninject)
  krmfn CONFIG_FILE          kustomize legacy exec plugin: its config file as the only
                             argument, resources on stdin and stdout
  krmfn install-plugin [DIR] install that plugin for kind {TYPED_KIND} under DIR (default
                             $KUSTOMIZE_PLUGIN_HOME, else ~/.config/kustomize/plugin)
  krmfn help config          the configuration reference: settings, config forms,
                             annotations, results, decision order
  krmfn --version            the version

Options of inject and uninject:
  -c, --config FILE   the config: a {TYPED_KIND} ({TYPED_API_VERSION}), a ConfigMap,
                      an IstioOperator, or what `kubectl get cm istio-sidecar-injector
                      istio -n istio-system -o yaml` prints (default: Istio's defaults)
  -i, --in-place      rewrite the files instead of printing them
  --check             write nothing; list the files and workloads that would change
  --diff              write nothing; print a unified diff of what would change
  --strict            a file with no Kubernetes object (no apiVersion and kind) is an
                      error (default: passed over with a note)
  --exact-uninject    inject: record what the status annotation cannot restore
                      (exactUninject), so that uninject is byte-exact
  --injectConfigFile F, --valuesFile F, --meshConfigFile F, -r REV, -f FILE, -o FILE
                      istioctl kube-inject's files and flags, instead of -c

Messages go to stderr: one line per workload; problems as
`krmfn: error: FILE: document N: ...`. After any error inject and uninject write
nothing to stdout.

Exit codes: 0 done (--check: up to date); 1 an error (function mode still writes the
whole ResourceList, with error results), or --check/--diff found changes; 2 a usage
error; 3 an output that cannot be written; 4 out of memory; 70 an internal error;
128+n ended by signal n (141: stdout closed early).

Template `istio` follows the istio-discovery chart of istio/istio commit
{CHART_COMMIT[:7]} ({CHART_LINE}); for your release's sidecar give its
istio-sidecar-injector ConfigMap as the config.

Environment: KRMFN_WORKERS  processes a large input may use (default: the CPUs krmfn
may run on, at most 4, fewer under a memory limit; 1 keeps one process);
KRMFN_WORKER_WAIT  seconds a late worker is waited for (default 60).
"""


def _shown(template: str) -> str:
    """A catalog template as the docs show it: ``{field}`` as ``<field>``, ``{field!r}`` as ``'<field>'``."""
    return re.sub(r"\{(\w+)(!r)?\}", lambda f: f"'<{f.group(1)}>'" if f.group(2) else f"<{f.group(1)}>", template)


def results_table() -> list[str]:
    """The catalog (krmfn.messages.CATALOG) as a markdown table: severity, code, message, when."""
    lines = ["| severity | code | message | when |", "| --- | --- | --- | --- |"]
    for said in CATALOG:
        lines.append(f"| {said.severity} | `{said.code}` | `{_shown(said.template)}` | {said.doc} |")
    return lines


def _default(value: object) -> str:
    if value is None:
        return "(derived)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if isinstance(value, dict):
        return "{}"
    if value == "":
        return '""'
    return str(value)


def _istio_note(name: str) -> str:
    """What a legacy ``params``/``mesh`` setting does with the ``istio`` template (krmfn.config.legacy.LEGACY)."""
    if name not in LEGACY:
        return ""
    kind, target = LEGACY[name]
    if kind == "refuse":
        return " Template `istio`: refused, with what to set instead."
    if kind == "image":
        return (f" Template `istio`: REGISTRY/NAME:TAG sets `values.global.hub`, `values.global.tag` and "
                f"`values.global.{target}.image`.")
    return f" Template `istio`: sets `{kind}.{target}`."


def reference() -> str:
    lines = [
        "## Configuration reference",
        "",
        "functionConfig may take these forms:",
        "",
        "1. The seed's `istio-inject` ConfigMap, verbatim: `data.config` holds YAML with the top-level",
        "   settings below and a `params:` and a `mesh:` section.",
        "2. A flat ConfigMap (what `kpt fn eval --exec krmfn -- policy=disabled proxyImage=...` makes):",
        "   every setting below as a `data` key by its name; lists comma-separated (not `values`,",
        "   `meshConfig` or the selectors as a whole); dotted keys set one path of `values` or `meshConfig`",
        "   as istioctl's `--set` does (`values.global.proxy.resources.requests.cpu=50m`), typed by Istio's",
        "   own field definitions.",
        f"3. A typed `{TYPED_API_VERSION}` `{TYPED_KIND}`: the top-level settings at the top level, with",
        "   `params:` and `mesh:` sections; checked against a JSON Schema.",
        "4. An `install.istio.io/v1alpha1` `IstioOperator`: `spec.values` (`global.hub`, `global.tag`,",
        "   `global.proxy.*` with `autoInject` as the policy, `global.proxy_init.*`,",
        "   `global.imagePullSecrets`, `sidecarInjectorWebhook.*` with the selectors,",
        "   `injectedAnnotations`, `templates`, `defaultTemplates`; `pilot.env.*`, `revision`),",
        "   `spec.meshConfig` (over `spec.values.meshConfig`), `spec.hub`, `spec.tag`, `spec.revision`,",
        "   `spec.components.cni.enabled`. `spec.profile` is not applied (a note says so).",
        "5. Istio's injector ConfigMap `istio-sidecar-injector[-<revision>]` as `kubectl get -o yaml`",
        "   prints it: `data.config` (policy, `alwaysInjectSelector`, `neverInjectSelector`,",
        "   `injectedAnnotations`, `defaultTemplates`, `aliases`, `templates` kept as text),",
        "   `data.values` (JSON), and optionally `data.mesh` (YAML). The mesh ConfigMap (`istio`, its",
        "   `data.mesh`) comes with it in a `v1` `List`: the output of",
        "   `kubectl get cm istio-sidecar-injector istio -n istio-system -o yaml`; a config file (`-c`,",
        "   the exec plugin's) may also hold the two ConfigMaps as two YAML documents. It is told from the",
        "   seed's ConfigMap by its name, by `data.values`/`data.mesh`, or by `templates`,",
        "   `defaultTemplates`, `aliases` or `injectedAnnotations` in a `data.config` that has none of",
        "   the seed's own settings (`namespaces`, `params`, ...).",
        "6. None, or an empty one: every default.",
        "",
        "Forms 4 and 5 keep `values` and the mesh as given (overrides over Istio's chart defaults, which",
        "the `istio` template applies), read `sidecar.istio.io/inject` as Istio does today (only",
        "`true`/`false`), ignore Istio's namespaces (`kube-system`, `kube-public`, `kube-node-lease`,",
        "`local-path-storage`; not `istio-system`, where gateways are injected), and default to the",
        "modern template; so does every form but the seed's.",
        "`sidecarInjectorWebhook.enableNamespacesByDefault` is accepted and changes nothing: krmfn",
        "chooses namespaces by `namespaces` (every namespace by default), as if it were true.",
        "",
        "The `params` and `mesh` settings, and the defaults shown for them, are the `legacy-0.2`",
        "template's. With the `istio` template each one sets the Istio value its row names, or is refused",
        "(an error result saying what to write instead); docs/configuration.md has the whole table.",
        "",
        "| setting | section | type | default | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in FIELDS:
        kind = label_of(f)
        lines.append(f"| `{f.name}` | {f.section or 'top'} | {kind} | `{_default(f.default)}` | {f.doc}{_istio_note(f.name)} |")
    lines += [
        "",
        "Annotations and labels krmfn reads:",
        "",
        "| key | where | effect |",
        "| --- | --- | --- |",
        "| `sidecar.istio.io/inject` | pod template label or annotation, workload label or annotation "
        "(first found) | `true`/`false` (also y/yes/on, n/no/off except with Istio's own config forms) "
        "overrides the selectors and the policy; other values: warning |",
        "| `istio.io/rev` | label of a Namespace object in the input, else pod template label or annotation "
        "| the revision asked for; another revision than the config's: skipped |",
        "| `sidecar.istio.io/status` | workload or pod template annotation | injected earlier: `legacy-0.2` leaves "
        "it byte-identical; `istio` strips exactly what it lists and injects again (no change when the config "
        "is the same); uninject removes what it lists |",
        "| `istio-injection` | label of a Namespace object in the input | `enabled`: namespace selected, "
        "default revision (beats `istio.io/rev`); `disabled`: never injected |",
        "| `internal.config.kubernetes.io/path`, `config.kubernetes.io/path`, `...index` | any item | "
        "reported as the result's `file` |",
        "| `krmfn.dev/uninject` | pod template annotation (written by krmfn) | what uninject must restore "
        "that the status alone cannot tell (e.g. a named probe port, a label the pod had that injection also "
        "sets); written only with `exactUninject: true` (or `krmfn inject --exact-uninject`), and only when "
        "needed; without it, uninject warns `uninject may not be exact` where it restores a probe port as a number "
        "that a named port of the container has |",
        "",
        "Pod template annotations that act at injection (template `istio`, as Istio reads them; a bad value",
        "is an error result naming the workload and `spec.template.metadata.annotations[<key>]`, and the",
        "item is left unchanged):",
        "",
        "| annotation | effect |",
        "| --- | --- |",
        "| `sidecar.istio.io/proxyImage`, `sidecar.istio.io/proxyImageType` | proxy image; `distroless`/`debug` variant |",
        "| `sidecar.istio.io/proxyCPU`, `proxyMemory`, `proxyCPULimit`, `proxyMemoryLimit` | proxy resources |",
        "| `sidecar.istio.io/logLevel`, `componentLogLevel`, `agentLogLevel` | proxy and agent log levels |",
        "| `sidecar.istio.io/interceptionMode` | `REDIRECT`, `TPROXY` or `NONE` |",
        "| `sidecar.istio.io/nativeSidecar` | `true`/`false`: native (init container, `restartPolicy: Always`) or classic sidecar |",
        "| `sidecar.istio.io/userVolume`, `sidecar.istio.io/userVolumeMount` | JSON volumes / mounts added to the proxy |",
        "| `sidecar.istio.io/bootstrapOverride` | ConfigMap with a custom Envoy bootstrap |",
        "| `sidecar.istio.io/rewriteAppHTTPProbers` | `false` keeps app probes as they are |",
        "| `sidecar.istio.io/capNetBindService` | adds `NET_BIND_SERVICE` to the proxy |",
        "| `status.sidecar.istio.io/port`, `readiness.status.sidecar.istio.io/*` | agent status port and readiness probe |",
        "| `traffic.sidecar.istio.io/includeOutboundIPRanges`, `excludeOutboundIPRanges`, `includeInboundPorts`, "
        "`excludeInboundPorts`, `includeOutboundPorts`, `excludeOutboundPorts`, `excludeInterfaces`, "
        "`kubevirtInterfaces` | istio-iptables capture rules |",
        "| `istio.io/reroute-virtual-interfaces` | virtual interfaces whose traffic is redirected |",
        "| `proxy.istio.io/config` | ProxyConfig (YAML/JSON) merged over the mesh default (`PROXY_CONFIG`) |",
        "| `inject.istio.io/templates` | templates to apply, in order (`sidecar`, `gateway`, `grpc-agent`, "
        "`grpc-simple`, or a user template from the config) |",
        "| `prometheus.istio.io/merge-metrics` | `false` keeps the app's prometheus annotations |",
        "| `prometheus.io/scrape`, `prometheus.io/port`, `prometheus.io/path` | the app's scrape config, moved to "
        "`ISTIO_PROMETHEUS_ANNOTATIONS` when metrics are merged |",
        "| `proxy.istio.io/overrides` | written on injection: containers of the pod named like injected ones, "
        "as the user wrote them |",
        "",
        "Results (one per workload, in input order; messages are stable; the code names each in",
        "krmfn/messages.py, the catalog this table is made from):",
        "",
        *results_table(),
        "",
        f"A skip of a workload injected earlier (template `istio`) ends with `{LEFT_AS_INJECTED.strip()}`.",
        "",
        "Decision order: already injected; `policy: off`; `hostNetwork`; ignored namespace; Namespace",
        "`istio-injection=disabled`; revision (Namespace `istio-injection=enabled` = default revision, else",
        "Namespace `istio.io/rev`, else pod template `istio.io/rev`; served: the config's `revision` and",
        "its `values.revisionTags`, the tag `default` taking the default revision's; none asked: any",
        "revision injects); namespace selection (`namespaces`, `excludeNamespaces`; a Namespace",
        "`istio-injection=enabled` or a revision match selects); `sidecar.istio.io/inject`;",
        "`neverInjectSelector`; `alwaysInjectSelector`; `policy: enabled` injects, `disabled` skips.",
        "",
        "Exit codes: `0` no error result; `1` an error result (the whole ResourceList is still written,",
        "items unchanged where they could not be injected) or input that is not a ResourceList (message",
        "on stderr, nothing on stdout); `2` a command-line usage error; `3` an output that cannot be written;",
        "`4` out of memory; `70` an internal error; `128+n` ended by signal n (`141`: stdout closed early).",
        "",
        "Environment: `KRMFN_WORKERS` is how many processes a large input (64 workloads or more, no YAML",
        "anchors) may use: its workloads are split between forked copies of krmfn (no other program runs),",
        "with the same output and results as one process. Default: the CPUs krmfn may run on (affinity and",
        "cgroup CPU quota), at most 4, and fewer when the memory limit (cgroup `memory.max`) leaves no room;",
        "`KRMFN_WORKERS=1` keeps everything in one process. A bad value is a warning and one process.",
        "`KRMFN_WORKER_WAIT` (seconds, default 60): how long a worker still running after the main process",
        "has done its share is waited for; then it is killed and its work redone in the main process.",
    ]
    return "\n".join(lines) + "\n"


def help_text() -> str:
    return USAGE


#: What ``krmfn help TOPIC`` prints.
TOPICS = {"config": reference}


#: Where docs/messages.md holds :func:`results_table`.
RESULTS_BEGIN = "<!-- results: generated from krmfn/messages.py by `make docs`; do not edit -->"
RESULTS_END = "<!-- end of results -->"


def messages_page(page: str) -> str:
    """docs/messages.md (``page``) with the results table between its markers made from the catalog."""
    begin, end = page.index(RESULTS_BEGIN) + len(RESULTS_BEGIN), page.index(RESULTS_END)
    return page[:begin] + "\n" + "\n".join(results_table()) + "\n" + page[end:]


def reference_page() -> str:
    """docs/reference.md: the reference, under a line saying where it comes from."""
    return ("<!-- Generated from krmfn/docs.py by `make docs`; do not edit. Also: `krmfn help config`. -->\n\n"
            + reference().replace("## Configuration reference", "# Configuration reference", 1))
