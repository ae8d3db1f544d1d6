"""An Istio release's own injector, offline: its ``istio-sidecar-injector`` ConfigMap and its goldens.

Given a directory extracted from istio/istio at a release tag (nothing of it is checked in)::

    git -C ISTIO_GIT archive 1.26.8 manifests/charts/istio-control/istio-discovery \\
        pkg/kube/inject/testdata/inject pkg/kube/inject/inject_test.go | tar -x -C DIR

* :func:`injector_configmap` builds the ConfigMap the release's chart renders (``data.values``: the
  chart defaults injection reads, as the chart's ``istiod-injector-configmap.yaml`` picks them;
  ``data.config``: policy, selectors and the release's own templates from ``files/``), with ``--set``
  style overrides;
* :func:`cases` reads the release's TestInjection table (inject_test.go) and adds, as the Go test
  does, every other ``X.yaml`` with an ``X.yaml.injected`` golden.  A case whose settings this tool
  cannot express as that ConfigMap (a mesh-config function, a setup other than ENABLE_NATIVE_SIDECARS,
  skipInjection) is marked ``untranslated``.

``python tools/istio_release.py DIR`` prints the ConfigMap as YAML (what ``kubectl get cm
istio-sidecar-injector -n istio-system -o yaml`` would show for that release's defaults).
tests/test_istio_release.py runs the goldens through the ``krmfn`` executable with it.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

CHART = Path("manifests/charts/istio-control/istio-discovery")
TESTDATA = Path("pkg/kube/inject/testdata/inject")
INJECT_TEST = Path("pkg/kube/inject/inject_test.go")

#: The chart's injection templates (files/) by the name the ConfigMap gives them.
TEMPLATE_FILES = {
    "sidecar": "injection-template.yaml", "gateway": "gateway-injection-template.yaml",
    "grpc-simple": "grpc-simple.yaml", "grpc-agent": "grpc-agent.yaml", "waypoint": "waypoint.yaml",
    "kube-gateway": "kube-gateway.yaml", "agentgateway": "agentgateway.yaml",
    "agentgateway-waypoint": "agentgateway-waypoint.yaml",
}


def chart_defaults(release: Path) -> dict[str, Any]:
    values = yaml.safe_load((release / CHART / "values.yaml").read_text())
    return values.get("_internal_defaults_do_not_set", values)  # type: ignore[no-any-return]


def _merge(into: dict[str, Any], overlay: dict[str, Any]) -> None:
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def _set(node: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def _scalar(text: str) -> Any:
    """A --set value as istioctl reads it (true/false/numbers typed, the rest strings)."""
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    return text


def chart_values(release: Path, set_flags: list[str] = (), iop: dict[str, Any] | None = None,
                 env: dict[str, str] | None = None) -> dict[str, Any]:
    """The chart's values after the case's settings: --set flags (``values.X``, ``components.cni.enabled``
    and ``values.cni.X`` as the chart's ``cni``), an IstioOperator overlay's ``spec.values``, pilot env."""
    values = copy.deepcopy(chart_defaults(release))
    if iop:
        _merge(values, copy.deepcopy((iop.get("spec") or {}).get("values") or {}))
    for flag in set_flags:
        path, _, text = flag.partition("=")
        parts = path.split(".")
        if parts[:2] == ["components", "cni"] or parts[:2] == ["values", "cni"]:
            _set(values, ["cni"] + parts[2:], _scalar(text))
        elif parts[0] == "values":
            _set(values, parts[1:], _scalar(text))
        else:
            raise ValueError(f"--set {flag}: not a values path")
    if env:
        values.setdefault("env", {}).update(env)
    return values


def injector_configmap(release: Path, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``istio-sidecar-injector`` ConfigMap the release's chart renders for ``values``."""
    values = values if values is not None else chart_defaults(release)
    picked = {k: values[k] for k in ("global", "sidecarInjectorWebhook", "revision") if k in values}
    picked["pilot"] = {k: values[k] for k in ("cni", "env") if k in values}
    gateways = values.get("gateways") or {}
    picked["gateways"] = {k: gateways[k] for k in ("securityContext", "seccompProfile") if k in gateways}
    webhook = values.get("sidecarInjectorWebhook") or {}
    config: dict[str, Any] = {
        "defaultTemplates": list(webhook.get("defaultTemplates") or ["sidecar"]),
        "policy": ((values.get("global") or {}).get("proxy") or {}).get("autoInject", "enabled"),
        "alwaysInjectSelector": webhook.get("alwaysInjectSelector") or [],
        "neverInjectSelector": webhook.get("neverInjectSelector") or [],
        "injectedAnnotations": webhook.get("injectedAnnotations") or {},
    }
    templates: dict[str, str] = {}
    files = release / CHART / "files"
    user = webhook.get("templates") or {}
    for name, file in TEMPLATE_FILES.items():
        if name not in user and (files / file).is_file():
            templates[name] = (files / file).read_text().strip() + "\n"
    templates.update({k: v for k, v in user.items()})
    config["templates"] = templates
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "istio-sidecar-injector", "namespace": "istio-system"},
        "data": {"values": json.dumps(picked, indent=2), "config": yaml.safe_dump(config, sort_keys=False)},
    }


# --- the release's TestInjection table ---------------------------------------------------------------------

_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"|`([^`]*)`')


def _strings(text: str) -> list[str]:
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in _STRING.finditer(text)]


def _block(text: str, start: int) -> tuple[str, int]:
    """The text between the brace at ``start`` and its match (Go strings and comments skipped)."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch in '"`':
            end = text.index(ch, i + 1)
            while ch == '"' and text[end - 1] == "\\":
                end = text.index(ch, end + 1)
            i = end
        elif text.startswith("//", i):
            i = text.index("\n", i)
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i
        i += 1
    raise ValueError("unbalanced braces")


def _field(entry: str, name: str) -> str | None:
    m = re.search(rf"^\s*{name}:\s*(\"(?:[^\"\\]|\\.)*\"|`[^`]*`)", entry, re.M)
    return _strings(m.group(1))[0] if m else None


def _entries(table: str) -> list[str]:
    out, i = [], 0
    while True:
        j = table.find("{", i)
        if j == -1:
            return out
        body, i = _block(table, j)
        out.append(body)


def cases(release: Path) -> list[dict[str, Any]]:
    """TestInjection's cases: in, want, setFlags, inFilePath, native (ENABLE_NATIVE_SIDECARS or None),
    expectedError, untranslated (why the tool cannot run it, or None)."""
    go = (release / INJECT_TEST).read_text()
    func = go.index("func TestInjection(")
    start = go.index("[]testCase{", func) + len("[]testCase")
    table, _ = _block(go, start)
    out: list[dict[str, Any]] = []
    for entry in _entries(table):
        case: dict[str, Any] = {"in": _field(entry, "in"), "want": _field(entry, "want"),
                                "inFilePath": _field(entry, "inFilePath"),
                                "expectedError": _field(entry, "expectedError"), "native": None,
                                "setFlags": [], "untranslated": None}
        m = re.search(r"setFlags:\s*\[\]string\{", entry)
        if m:
            case["setFlags"] = _strings(_block(entry, m.end() - 1)[0])
        setup = re.search(r"setup:\s*func", entry)
        if setup:
            body = entry[setup.start():]
            native = re.search(r'SetEnvForTest\(t, features\.EnableNativeSidecars\.Name, "(\w+)"\)', body)
            mode = re.search(r"SetForTest\(t, &features\.EnableNativeSidecars, features\.NativeSidecarMode(\w+)\)", body)
            if native:
                case["native"] = native.group(1)
            elif mode:
                case["native"] = {"Enabled": "true", "Disabled": "false"}.get(mode.group(1), "auto")
            other = re.sub(r"test\.Set(Env)?ForTest\(t, [^)]*EnableNativeSidecars[^)]*\)", "", body)
            if "SetForTest" in other or "SetEnvForTest" in other:
                case["untranslated"] = "setup sets a feature flag"
        if re.search(r"^\s*mesh:\s*func", entry, re.M):
            case["untranslated"] = "mesh config set by a Go function"
        if re.search(r"^\s*skipInjection:\s*true", entry, re.M):
            case["untranslated"] = "skipInjection"
        if case["in"] is None:
            continue
        case["want"] = case["want"] or case["in"] + ".injected"
        out.append(case)
    # TestInjection's fake cluster: kubelets new enough for native sidecars make "auto" (the default of the
    # releases whose template reads .NativeSidecars) mean native; older releases read env, unset = classic.
    nodes = re.findall(r'KubeletVersion:\s*"v1\.([0-9]+)', go[func:start])
    if nodes and min(int(n) for n in nodes) >= 33:
        for case in out:
            case["native"] = case["native"] or "true"
    tested = {c["want"] for c in out}
    data = release / TESTDATA
    for f in sorted(p.name for p in data.iterdir()):
        if f.endswith(".yaml") and not f.endswith(".iop.yaml") and f + ".injected" not in tested \
                and (data / (f + ".injected")).is_file():
            out.append({"in": f, "want": f + ".injected", "inFilePath": None, "expectedError": None,
                        "native": "true" if nodes and min(int(n) for n in nodes) >= 33 else None,
                        "setFlags": [], "untranslated": None})
    return out


def case_configmap(release: Path, case: dict[str, Any]) -> dict[str, Any]:
    """The injector ConfigMap for one case's settings."""
    iop = yaml.safe_load((release / TESTDATA / case["inFilePath"]).read_text()) if case["inFilePath"] else None
    env = {"ENABLE_NATIVE_SIDECARS": case["native"]} if case["native"] else None
    return injector_configmap(release, chart_values(release, case["setFlags"], iop, env))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python tools/istio_release.py RELEASE_DIR\n")
        return 2
    sys.stdout.write(yaml.safe_dump(injector_configmap(Path(argv[0])), sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
