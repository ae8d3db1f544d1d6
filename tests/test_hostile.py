"""Hostile input, through the real CLI in a subprocess.

Every case must end the same careful way (docs/messages.md):

* the documented exit code;
* a one-line reason on stderr per problem, prefixed ``krmfn:``, never a traceback;
* unreadable input: nothing on stdout (no runner can mistake an empty or
  partial ResourceList for the result), exactly one line on stderr, exit 1;
* readable input: the whole ResourceList back with an error result, every
  item unchanged (byte-identical) unless it was injected;
* within 15 s and 400 MB: enforced as limits on the subprocess (a timeout as
  a hang guard and RLIMIT_AS), not measured.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from helpers import REPO

sys.path.insert(0, str(REPO / "fuzz"))
from oracle import results_of, without_results

TIMEOUT_S = 15
MEMORY_BYTES = 400 * 2**20
HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
CONFIGMAP = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: keep # a comment\n  data:\n    a: on\n    b: 0755\n"
DEPLOYMENT = (
    "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web\n  spec:\n    template:\n"
    "      metadata:\n        labels: {app: web}\n      spec:\n        containers:\n        - name: web\n"
    "          image: nginx\n"
)


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


@dataclass
class Run:
    code: int
    out: str
    err: str


def krmfn(args: list[str], stdin: bytes = b"", cwd: Path | None = None) -> Run:
    p = subprocess.run([sys.executable, "-m", "krmfn", *args], input=stdin, capture_output=True,
                       timeout=TIMEOUT_S, preexec_fn=_limits, cwd=cwd)
    return Run(p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace"))


def assert_no_traceback(r: Run) -> None:
    assert "Traceback" not in r.err and "Error:" not in r.err.replace("error:", ""), r.err
    assert "MemoryError" not in r.err and "RecursionError" not in r.err, r.err


def assert_unreadable(r: Run, reason: str) -> None:
    """Exit 1, nothing on stdout, one line naming the reason."""
    assert_no_traceback(r)
    assert (r.code, r.out) == (1, ""), r
    assert len(r.err.splitlines()) == 1 and r.err.startswith("krmfn: error: "), r.err
    assert reason in r.err, r.err


def assert_reported(r: Run, stdin: str, reason: str) -> None:
    """Exit 1, the input back byte for byte plus an error result, the reason on stderr."""
    assert_no_traceback(r)
    assert r.code == 1, r
    assert without_results(r.out) == stdin, r.out[:2000]
    errors = [x["message"] for x in results_of(r.out) if x["severity"] == "error"]
    assert any(reason in m for m in errors), errors
    assert all(line.startswith("krmfn: [") for line in r.err.splitlines()), r.err
    assert reason in r.err


# --- unreadable input: nothing on stdout, exit 1 -------------------------------------------------

UNREADABLE = {
    "empty": (b"", "input is empty"),
    "only a comment": (b"# nothing here\n", "input is empty"),
    "only a document marker": (b"---\n", "input is empty"),
    "not UTF-8": (HEAD.encode() + b"items:\n- kind: \xc3\x28\n", "not valid UTF-8"),
    "Latin-1": (HEAD.encode() + b"items: [caf\xe9]\n", "not valid UTF-8"),
    "truncated UTF-16": (b"\xff\xfe\x61", "not valid UTF-16"),
    "binary": (bytes(range(256)) * 4, "not valid UTF-"),
    "a NUL character": (HEAD.encode() + b"items: []\n\x00\n", "not valid YAML"),
    "unclosed flow mapping": (b"{apiVersion: config.kubernetes.io/v1, kind: ResourceList, items: [", "not valid YAML"),
    "unclosed flow sequence": (HEAD.encode() + b"items: [{a: 1}\n", "not valid YAML"),
    "unclosed quote": (HEAD.encode() + b'items:\n- "open\n', "not valid YAML"),
    "tab indentation": (HEAD.encode() + b"items:\n\t- a\n", "not valid YAML"),
    "a list": (b"- apiVersion: v1\n  kind: ConfigMap\n", "is a list, not a ResourceList"),
    "a scalar": (b"just text\n", "is a scalar, not a ResourceList"),
    "a quoted empty scalar": (b"''\n", "is a scalar"),
    "wrong kind": (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "kind is 'ConfigMap'"),
    "no kind": (b"apiVersion: config.kubernetes.io/v1\nitems: []\n", "kind is None"),
    "wrong apiVersion": (b"apiVersion: v1\nkind: ResourceList\nitems: []\n", "apiVersion 'v1' is not supported"),
    "items a mapping": (HEAD.encode() + b"items: {a: 1}\n", "'items' must be a list"),
    "items a scalar": (HEAD.encode() + b"items: many\n", "'items' must be a list"),
    "items twice": (HEAD.encode() + b"items: []\nitems: []\n", "key 'items' twice"),
    "two documents": (HEAD.encode() + b"items: []\n---\n" + HEAD.encode(), "more than one YAML document"),
    "a key that is a list": (HEAD.encode() + b"? [a]\n: b\n", "key that is not a string"),
    "duplicate key in functionConfig": (
        HEAD.encode() + b"items: []\nfunctionConfig:\n  kind: ConfigMap\n  kind: SidecarInjector\n",
        "ResourceList field 'functionConfig': duplicate key 'kind'",
    ),
    "a complex key in functionConfig": (
        HEAD.encode() + b"items: []\nfunctionConfig:\n  kind: SidecarInjector\n  ? [a]\n  : 1\n",
        "ResourceList field 'functionConfig': a mapping key that is a list or mapping",
    ),
    "a complex key in a flow-style input": (
        HEAD.encode() + b"items: [{kind: X, ? [a] : 1}]\n", "item 0: a mapping key that is a list or mapping",
    ),
    "alias bomb in the functionConfig of a flow-style input": (
        HEAD.encode() + b"items: []\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n"
        + b"".join(b"    a%d: &a%d [%s]\n" % (i, i, b", ".join([b"*a%d" % (i - 1) if i else b"x"] * 10))
                   for i in range(9)),
        "alias expansion exceeds the limit",
    ),
}


@pytest.mark.e2e
@pytest.mark.parametrize("case", list(UNREADABLE))
def test_unreadable_input_writes_nothing_and_says_why(case: str) -> None:
    data, reason = UNREADABLE[case]
    assert_unreadable(krmfn([], data), reason)


@pytest.mark.e2e
def test_5000_deep_nesting_is_refused_cleanly() -> None:
    """libyaml 0.2.6 refuses nesting over 1000 while parsing: the whole input is unreadable."""
    for opener, closer in (("[", "]"), ("{a: ", "}")):
        deep = opener * 5000 + "1" + closer * 5000
        for where in (CONFIGMAP + f"    deep: {deep}\n", DEPLOYMENT + f"  deep: {deep}\n"):
            r = krmfn([], (HEAD + "items:\n" + where).encode())
            assert_unreadable(r, "nest")


@pytest.mark.e2e
def test_block_nesting_5000_deep_is_refused_cleanly() -> None:
    deep = "".join(" " * i + "a:\n" for i in range(5000))
    assert_unreadable(krmfn([], (HEAD + "functionConfig:\n" + deep).encode()), "nest")


# --- readable input: every item back, an error result, exit 1 ------------------------------------

BOMB = "".join(f"    a{i}: &a{i} [{', '.join([f'*a{i - 1}' if i else 'x'] * 10)}]\n" for i in range(9))
DEEP_500 = "[" * 500 + "]" * 500

REPORTED = {
    "an item that is a string": ("- just a string\n", "item 1 is not a mapping"),
    "an item that is a list": ("- [a, b]\n", "item 1 is not a mapping"),
    "an item that is null": ("- ~\n", "item 1 is not a mapping"),
    "an item that is an alias": ("- &x {a: 1}\n- *x\n", "item 2 is not a mapping"),
    "an item without kind": ("- apiVersion: v1\n  metadata: {name: x}\n", "item 1 has no kind"),
    "an item without apiVersion": ("- kind: ConfigMap\n  metadata: {name: x}\n", "item 1 has no apiVersion"),
    "a kind that is a list": ("- apiVersion: v1\n  kind: [Pod]\n", "item 1 has no kind"),
    "a workload without metadata": (
        "- apiVersion: apps/v1\n  kind: Deployment\n  spec: {template: {spec: {containers: [{name: a}]}}}\n",
        "malformed workload, left unchanged: metadata is",
    ),
    "a workload whose metadata is a string": (
        "- apiVersion: v1\n  kind: Pod\n  metadata: web\n  spec: {containers: [{name: a}]}\n",
        "metadata is a string, not a mapping",
    ),
    "containers not a list": (
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: a}\n"
        "  spec: {template: {spec: {containers: 3}}}\n",
        "spec.template.spec.containers is",
    ),
    "containers empty": (
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: a}\n"
        "  spec: {template: {spec: {containers: []}}}\n",
        "spec.template.spec.containers is",
    ),
    "a container that is a string": (
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: [web]}\n",
        "spec.containers[0] is a string, not a mapping",
    ),
    "template null": (
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: a}\n  spec: {template: null}\n",
        "pod template spec.template is null",
    ),
    "template missing": (
        "- apiVersion: batch/v1\n  kind: CronJob\n  metadata: {name: a}\n  spec: {jobTemplate: {spec: {}}}\n",
        "spec.jobTemplate.spec.template is missing",
    ),
    "spec a list": (
        "- apiVersion: apps/v1\n  kind: StatefulSet\n  metadata: {name: a}\n  spec: [1]\n",
        "spec is not a mapping",
    ),
    "an init container without a name": (
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: a}\n  spec: {template: {spec: "
        "{containers: [{name: a}], initContainers: [{image: x}]}}}\n",
        "spec.template.spec.initContainers[0] has no name",
    ),
    "volumes not a list": (
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: [{name: a}], volumes: {}}\n",
        "spec.volumes is",
    ),
    "a duplicate key in a workload": (
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: a}\n  metadata: {name: b}\n",
        "duplicate key 'metadata'",
    ),
    "a duplicate key deep in a workload": (
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers:\n    - name: a\n"
        "      name: b\n",
        "duplicate key 'name'",
    ),
    "a duplicate key in a pass-through ConfigMap": (
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data:\n    k: 1\n    k: 2\n",
        "item 1: duplicate key 'k' in a mapping (the document is ambiguous) (line 16, column 5)",
    ),
    "a duplicate key in a Service's flow mapping": (
        "- apiVersion: v1\n  kind: Service\n  metadata: {name: a, name: b}\n",
        "item 1: duplicate key 'name'",
    ),
    "a duplicate key in an unknown kind's list": (
        "- apiVersion: example.com/v1\n  kind: Thing\n  spec:\n    list:\n    - {x: 1, y: 2, x: 3}\n",
        "duplicate key 'x'",
    ),
    "an alias bomb in a workload": (
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: a}\n"
        "  spec: {template: {spec: {containers: [{name: a}]}}}\n  bomb:\n" + BOMB,
        "alias expansion exceeds the limit of",
    ),
    "500-deep nesting in a workload": (
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: [{name: a}]}\n"
        f"  deep: {DEEP_500}\n",
        "nested too deeply",
    ),
    "a complex key in a workload": (
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: [{name: a}]}\n  ? [x]\n  : 1\n",
        "a mapping key that is a list or mapping (line 15, column 5)",
    ),
    "an alias to an anchor of another item": (
        "- apiVersion: v1\n  kind: Pod\n  metadata: *m\n  spec: {containers: [{name: a}]}\n",
        "refers to an anchor not defined before it in this item",
    ),
}


@pytest.mark.e2e
@pytest.mark.parametrize("case", list(REPORTED))
def test_bad_item_is_reported_and_every_item_comes_back_unchanged(case: str) -> None:
    item, reason = REPORTED[case]
    text = HEAD + "items:\n" + CONFIGMAP + item + CONFIGMAP.replace("keep", "keep2")
    if case == "an alias to an anchor of another item":
        text = text.replace("name: keep #", "name: &m keep #", 1)
    assert_reported(krmfn([], text.encode()), text, reason)


@pytest.mark.e2e
def test_a_bad_item_does_not_stop_the_others() -> None:
    bad = REPORTED["containers not a list"][0]
    text = HEAD + "items:\n" + bad + DEPLOYMENT
    r = krmfn([], text.encode())
    assert_no_traceback(r)
    assert r.code == 1
    items = yaml.safe_load(r.out)["items"]
    assert items[0] == yaml.safe_load(bad)[0]
    assert [c["name"] for c in items[1]["spec"]["template"]["spec"]["containers"]] == ["web", "istio-proxy"]
    assert r.out.startswith(HEAD + "items:\n" + bad)


SMALL_BOMB = "".join(f"    b{i}: &b{i} [{', '.join([f'*b{i - 1}' if i else 'x'] * 10)}]\n" for i in range(4))  # 11,110 nodes


@pytest.mark.e2e
def test_many_small_alias_bombs_share_one_budget() -> None:
    """Each item's expansion is under the cap, all of them together are not: the output stays bounded."""
    pods = "".join(f"- apiVersion: v1\n  kind: Pod\n  metadata: {{name: p{n}}}\n  spec: {{containers: [{{name: a}}]}}\n"
                   f"  bomb:\n{SMALL_BOMB}" for n in range(100))
    text = HEAD + "items:\n" + pods
    r = krmfn([], text.encode())
    assert_no_traceback(r)
    assert r.code == 1
    errors = [x for x in results_of(r.out) if x["severity"] == "error"]
    assert len(errors) >= 80 and all("alias expansion exceeds the limit" in x["message"] for x in errors)
    assert len(r.out) < 30 * len(text)


@pytest.mark.e2e
def test_many_small_alias_bombs_in_a_function_config() -> None:
    """Found by the fuzzer: keys each under the cap (then counted one by one) re-rendered 380 bytes into 1.8 MB."""
    keys = "".join(f"    k{n}: *b3\n" for n in range(40))
    text = HEAD + "items: []\n" + _flat(SMALL_BOMB + keys)
    assert_unreadable(krmfn([], text.encode()), "alias expansion exceeds the limit")
    text = HEAD + "items:\n" + CONFIGMAP + _flat(SMALL_BOMB + keys)
    assert_reported(krmfn([], text.encode()), text, "invalid functionConfig")


@pytest.mark.e2e
def test_alias_bomb_in_a_pass_through_item_is_never_expanded() -> None:
    text = HEAD + "items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: bomb}\n  data:\n" + BOMB
    r = krmfn([], text.encode())
    assert (r.code, r.out, r.err) == (0, text, "")


@pytest.mark.e2e
def test_deep_nesting_in_a_pass_through_item_comes_back() -> None:
    text = HEAD + "items:\n" + CONFIGMAP + "    deep: " + "[" * 990 + "]" * 990 + "\n"
    r = krmfn([], text.encode())
    assert (r.code, r.out, r.err) == (0, text, "")


@pytest.mark.e2e
def test_20_mb_scalar_passes_through() -> None:
    text = HEAD + "items:\n" + CONFIGMAP + "    big: " + "x" * (20 * 2**20) + "\n" + DEPLOYMENT
    r = krmfn([], text.encode())
    assert_no_traceback(r)
    assert r.code == 0
    assert r.out.startswith(HEAD + "items:\n" + CONFIGMAP + "    big: " + "x" * (20 * 2**20) + "\n")
    assert "name: istio-proxy" in r.out


@pytest.mark.e2e
def test_20_mb_scalar_inside_a_workload_is_injected() -> None:
    big = "y" * (20 * 2**20)
    text = HEAD + "items:\n" + DEPLOYMENT + f"          args: [{big}]\n"
    r = krmfn([], text.encode())
    assert_no_traceback(r)
    assert r.code == 0, r.err
    assert r.out.count(big) == 1 and "name: istio-proxy" in r.out


# --- functionConfig: every form, wrong types, unknown fields, bad values -------------------------


def _flat(data: str) -> str:
    return "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: fc\n  data:\n" + data


def _seed(config: str) -> str:
    body = "".join(f"      {line}\n" for line in config.splitlines())
    return ("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: istio-inject\n"
            "  data:\n    config: |\n" + body)


def _typed(body: str) -> str:
    return ("functionConfig:\n  apiVersion: krmfn.dev/v1alpha1\n  kind: SidecarInjector\n  metadata:\n"
            "    name: fc\n" + body)


BAD_CONFIGS = {
    "flat: bad policy": (_flat("    policy: sometimes\n"), "policy: 'sometimes' is not one of"),
    "flat: policy a number": (_flat("    policy: 3\n"), "policy: '3' is not one of"),
    "flat: integer not a number": (_flat('    verbosity: "loud"\n'), "verbosity: expected an integer"),
    "flat: integer below minimum": (_flat('    proxyAdminPort: "0"\n'), "proxyAdminPort: 0 is below the minimum"),
    "flat: boolean not a boolean": (_flat('    enableCoreDump: "maybe"\n'), "enableCoreDump: expected true or false"),
    "flat: unknown field": (_flat("    polciy: enabled\n"), "polciy: unknown field"),
    "flat: nested mapping": (_flat("    namespaces: {a: 1}\n"), "namespaces: expected a string"),
    "flat: data a list": ("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data: [a]\n",
                          "data must be a mapping"),
    "flat: bad template": (_flat("    template: istio-9.9\n"), "template: 'istio-9.9' is not one of"),
    "flat: alias bomb": (_flat(BOMB), "alias expansion exceeds the limit"),
    "seed: not YAML": (_seed("policy: [unclosed"), "data.config"),
    "seed: a list": (_seed("- policy"), "data.config must hold a YAML mapping"),
    "seed: unknown field": (_seed("polcy: enabled"), "polcy"),
    "seed: params a list": (_seed("params: [1]"), "params must be a mapping"),
    "seed: verbosity a word": (_seed("params:\n  verbosity: loud"), "verbosity"),
    "seed: imagePullPolicy bad": (_seed("params:\n  imagePullPolicy: Sometimes"), "imagePullPolicy"),
    "seed: key beside config": (_seed("policy: enabled") + "    policy: off\n", "unknown key beside data.config"),
    "seed: config a mapping": ("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    config:\n"
                               "      policy: enabled\n", "data.config must be a string"),
    "seed: duplicate key": (_seed("policy: enabled\npolicy: off"), "duplicate key 'policy'"),
    "typed: unknown field": (_typed("  polcy: enabled\n"), "polcy: unknown field"),
    "typed: policy a list": (_typed("  policy: [enabled]\n"), "policy"),
    "typed: bad policy": (_typed("  policy: sometimes\n"), "policy"),
    "typed: namespaces a string": (_typed("  namespaces: shop\n"), "namespaces"),
    "typed: params a number": (_typed("  params: 3\n"), "params"),
    "typed: verbosity a word": (_typed("  params:\n    verbosity: loud\n"), "verbosity"),
    "typed: negative UID": (_typed("  params:\n    sidecarProxyUID: -1\n"), "sidecarProxyUID"),
    "typed: unknown mesh field": (_typed("  mesh:\n    zipkin: x\n"), "zipkin"),
    "typed: a complex key": (_typed("  ? [a]\n  : 1\n"), "a list"),
    "typed: a complex key in params": (_typed("  params: {? [a] : 1}\n"), "a list"),
    "typed: debugMode a string": (_typed('  params:\n    debugMode: "yes please"\n'), "debugMode"),
    "a list": ("functionConfig: [1, 2]\n", "functionConfig must be a mapping"),
    "a string": ("functionConfig: policy=enabled\n", "functionConfig must be a mapping"),
    "an unsupported kind": ("functionConfig:\n  apiVersion: example.com/v1\n  kind: Other\n", "is not supported"),
    "a ConfigMap of another apiVersion": ("functionConfig:\n  apiVersion: v2\n  kind: ConfigMap\n",
                                          "is not supported"),
}


@pytest.mark.e2e
@pytest.mark.parametrize("case", [c for c in BAD_CONFIGS if "complex key" not in c])  # those: unreadable
def test_bad_function_config_is_an_error_and_injects_nothing(case: str) -> None:
    config, reason = BAD_CONFIGS[case]
    text = HEAD + "items:\n" + DEPLOYMENT + CONFIGMAP + config
    r = krmfn([], text.encode())
    assert_reported(r, text, "invalid functionConfig")
    assert reason in r.err, r.err
    assert len(r.err.splitlines()) == 1


# --- the legacy exec plugin: krmfn CONFIG_FILE, a stream on stdin --------------------------------

STREAM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\ndata:\n  a: on\n---\n" + (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
    "      containers:\n      - name: web\n")


def _config_body(config: str) -> str:
    """A functionConfig entry of BAD_CONFIGS as a stand-alone config file."""
    lines = config.split("\n", 1)[1]
    return "".join(line[2:] + "\n" for line in lines.splitlines()) if lines.strip() else config.split(":", 1)[1]


EXEC_PLUGIN_CONFIGS = ["flat: bad policy", "flat: integer below minimum", "flat: unknown field", "flat: alias bomb",
                       "seed: not YAML", "seed: params a list", "seed: duplicate key", "typed: unknown field",
                       "typed: verbosity a word", "typed: a complex key", "an unsupported kind"]


@pytest.mark.e2e
@pytest.mark.parametrize("case", EXEC_PLUGIN_CONFIGS)
def test_exec_plugin_bad_config_file_changes_nothing(case: str, tmp_path: Path) -> None:
    config, reason = BAD_CONFIGS[case]
    path = tmp_path / "config.yaml"
    path.write_text(_config_body(config))
    r = krmfn([str(path)], STREAM.encode())
    assert_no_traceback(r)
    assert (r.code, r.out) == (1, STREAM), r
    assert r.err.startswith("krmfn: [error] invalid config: ") and len(r.err.splitlines()) == 1, r.err
    assert reason in r.err


@pytest.mark.e2e
@pytest.mark.parametrize("content,reason", [
    (b"\xff\xfe\x00", "not valid UTF-16"),
    (b"policy: \xe9\n", "not valid UTF-8"),
    (b"policy: [unclosed\n", "is not valid YAML"),
    (b"- a\n- b\n", "must be a mapping"),
    (b"a: 1\n---\nb: 2\n", "a List functionConfig holds only v1 ConfigMaps"),
    (b"apiVersion: v1\nkind: ConfigMap\ndata:\n  deep: " + b"[" * 600 + b"]" * 600 + b"\n", "nested too deeply"),
    (b"apiVersion: v1\nkind: ConfigMap\ndata:\n  ? [a]\n  : 1\n", "a list"),
    (b"apiVersion: v1\nkind: ConfigMap\ndata:\n" + BOMB.encode(), "alias expansion exceeds the limit"),
    (b"deep: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nest"),
], ids=["utf16", "latin1", "unclosed", "list", "two docs", "600 deep", "complex key", "bomb", "5000 deep"])
def test_exec_plugin_unusable_config_file(content: bytes, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(content)
    r = krmfn([str(path)], STREAM.encode())
    assert_no_traceback(r)
    assert r.code == 1 and r.out in ("", STREAM), r
    assert len(r.err.splitlines()) == 1 and reason in r.err, r.err


@pytest.mark.e2e
@pytest.mark.parametrize("stream,reason", [
    (b"kind: \xc3\x28\n", "not valid UTF-8"),
    (b"a: [\n", "not valid YAML"),
    (b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nest"),
], ids=["latin1", "unclosed", "5000 deep"])
def test_exec_plugin_unreadable_stream(stream: bytes, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n  policy: enabled\n")
    assert_unreadable(krmfn([str(path)], stream), reason)


@pytest.mark.e2e
@pytest.mark.parametrize("extra,reason", [
    ("just a string\n", "item 2 is not a mapping"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {k: 1, k: 2}\n", "duplicate key 'k'"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: 3}\n", "spec.containers is"),
], ids=["string", "duplicate", "malformed"])
def test_exec_plugin_bad_item_is_reported_and_the_stream_comes_back(extra: str, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n  policy: \"off\"\n")
    stream = STREAM + "---\n" + extra
    r = krmfn([str(path)], stream.encode())
    assert_no_traceback(r)
    assert (r.code, r.out) == (1, stream), r
    assert r.err.startswith("krmfn: [error] ") and reason in r.err, r.err


@pytest.mark.e2e
def test_exec_plugin_empty_stream(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\n")
    r = krmfn([str(path)], b"")
    assert (r.code, r.out, r.err) == (0, "", "")


# --- krmfn inject -------------------------------------------------------------------------------


@pytest.mark.e2e
def test_inject_missing_file_and_unreadable_file_are_each_named_and_nothing_is_printed(tmp_path: Path) -> None:
    """Pipeline safety: with an error, stdout stays empty (a pipe into kubectl apply applies nothing)."""
    good = tmp_path / "good.yaml"
    good.write_text(STREAM)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"kind: caf\xe9\n")
    r = krmfn(["inject", str(latin), str(tmp_path / "missing.yaml"), str(good)])
    assert_no_traceback(r)
    assert r.code == 1
    assert r.out == ""
    errors = [line for line in r.err.splitlines() if "error" in line]
    assert errors == [f"krmfn: error: {latin}: input is not valid UTF-8: invalid byte at offset 9",
                      f"krmfn: error: cannot read {tmp_path / 'missing.yaml'}: No such file or directory",
                      "krmfn: nothing written to stdout because of the errors above"], r.err


@pytest.mark.e2e
@pytest.mark.parametrize("name, content", [
    ("b-unclosed.yaml", b"kind: [\n"),
    ("e-binary.yaml", bytes(range(256))),
])
def test_inject_in_place_writes_nothing_when_a_file_cannot_be_read(tmp_path: Path, name: str, content: bytes) -> None:
    """Every file is read and parsed before any is written: one that cannot be stops the run, named."""
    (tmp_path / "a-good.yaml").write_text(STREAM)
    (tmp_path / name).write_bytes(content)
    r = krmfn(["inject", "-i", str(tmp_path)])
    assert_no_traceback(r)
    assert (r.code, r.out) == (1, "")
    assert (tmp_path / name).read_bytes() == content
    assert (tmp_path / "a-good.yaml").read_text() == STREAM
    assert name in r.err and "nothing written" in r.err, r.err


@pytest.mark.e2e
def test_inject_in_place_leaves_broken_items_untouched(tmp_path: Path) -> None:
    """Items krmfn refuses (a malformed workload, a duplicate key) are errors left unchanged, as in function
    mode; the other files are written."""
    (tmp_path / "a-good.yaml").write_text(STREAM)
    broken = {
        "c-malformed.yaml": b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: 3}\n",
        "d-dup.yaml": b"apiVersion: v1\nkind: ConfigMap\ndata: {k: 1, k: 2}\n",
    }
    for name, content in broken.items():
        (tmp_path / name).write_bytes(content)
    r = krmfn(["inject", "-i", str(tmp_path)])
    assert_no_traceback(r)
    assert (r.code, r.out) == (1, "")
    for name, content in broken.items():
        assert (tmp_path / name).read_bytes() == content, name
    assert "name: istio-proxy" in (tmp_path / "a-good.yaml").read_text()
    assert len([line for line in r.err.splitlines() if "error" in line]) == len(broken), r.err


@pytest.mark.e2e
def test_inject_with_a_bad_config_rewrites_nothing(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(STREAM)
    (tmp_path / "bad.conf").write_text("apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\npolicy: sometimes\n")
    r = krmfn(["inject", "-i", "-c", str(tmp_path / "bad.conf"), str(tmp_path / "app.yaml")])
    assert_no_traceback(r)
    assert r.code == 1 and "invalid config: policy" in r.err, r.err
    assert (tmp_path / "app.yaml").read_text() == STREAM


@pytest.mark.e2e
@pytest.mark.parametrize("args", [["inject", "--bogus"], ["--bogus"], ["inject", "-c"], ["install-plugin", "a", "b"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    r = krmfn(args)
    assert_no_traceback(r)
    assert r.code == 2 and r.out == "" and r.err.strip(), r


# --- safety: safe YAML only, no network, no file writes ---------------------------------------

PYTHON_TAGS = ["!!python/object/apply:os.system", "!!python/object/new:os.system", "!!python/name:os.system",
               "!!python/object:os.system", "!!python/module:os"]


def _tagged_inputs(marker: Path) -> list[str]:
    cmd = f'["touch {marker}"]'
    out = []
    for tag in PYTHON_TAGS:
        out += [
            HEAD + f"items:\n- {tag} {cmd}\n",
            HEAD + "items:\n" + DEPLOYMENT + f"          args: {tag} {cmd}\n",
            HEAD + "items:\n" + DEPLOYMENT.replace("name: web\n  spec", f"name: web\n    x: {tag} {cmd}\n  spec", 1),
            HEAD + "items:\n" + CONFIGMAP + f"    c: {tag} {cmd}\n",
            HEAD + "items:\n" + DEPLOYMENT + _typed(f"  params: {tag} {cmd}\n"),
            HEAD + "items:\n" + DEPLOYMENT + _flat(f"    policy: {tag} {cmd}\n"),
            HEAD + "items:\n" + DEPLOYMENT + _seed(f"policy: {tag} {cmd}"),
            HEAD + f"items: [{{apiVersion: v1, kind: ConfigMap, data: {{c: {tag} {cmd}}}}}]\n",
        ]
    return out


@pytest.mark.e2e
@pytest.mark.slow
def test_yaml_tags_never_construct_python_objects(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for text in _tagged_inputs(marker):
        r = krmfn([], text.encode())
        assert_no_traceback(r)
        assert r.code in (0, 1)
        assert not marker.exists(), text


@pytest.mark.e2e
def test_yaml_tags_in_exec_plugin_config_and_stream_never_construct(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for tag in PYTHON_TAGS:
        config = tmp_path / "config.yaml"
        config.write_text(f'apiVersion: v1\nkind: ConfigMap\ndata:\n  policy: {tag} ["touch {marker}"]\n')
        r = krmfn([str(config)], f'{STREAM}---\n{tag} ["touch {marker}"]\n'.encode())
        assert_no_traceback(r)
        assert r.code == 1 and not marker.exists()


def test_only_safe_yaml_loaders_in_the_source() -> None:
    """No PyYAML entry point that can construct arbitrary objects is used anywhere in krmfn."""
    unsafe = ("yaml.load(", "yaml.load_all(", "full_load", "unsafe_load", "yaml.Loader", "yaml.CLoader",
              "FullLoader", "UnsafeLoader", "yaml.UnsafeLoader", "Constructor()")
    for path in (REPO / "krmfn").rglob("*.py"):
        text = path.read_text()
        for word in unsafe:
            assert word not in text.replace("SafeConstructor()", ""), f"{path.name} uses {word}"


AUDIT_RUNNER = r'''
import os, sys
FORBIDDEN_PREFIXES = ("socket.", "subprocess.", "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork",
                      "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate",
                      "os.symlink", "os.link", "os.utime", "shutil.", "urllib.", "http.", "ftplib.", "smtplib.")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

def violation(what):
    os.write(2, ("AUDIT VIOLATION: " + what + "\n").encode())
    os._exit(97)  # not an exception krmfn could catch

def hook(event, args):
    if event.startswith(FORBIDDEN_PREFIXES):
        violation(f"{event} {args!r}")
    if event == "open":
        path, mode, flags = args
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & WRITE_FLAGS:
            violation(f"open for writing {path!r} {mode!r} {flags!r}")

sys.dont_write_bytecode = True
sys.addaudithook(hook)
from krmfn.cli import main
raise SystemExit(main())
'''


def _audited(args: list[str], stdin: bytes, cwd: Path) -> Run:
    p = subprocess.run([sys.executable, "-c", AUDIT_RUNNER, *args], input=stdin, capture_output=True,
                       timeout=TIMEOUT_S, preexec_fn=_limits, cwd=cwd)
    return Run(p.returncode, p.stdout.decode(), p.stderr.decode())


@pytest.mark.e2e
def test_audit_hook_catches_what_it_should(tmp_path: Path) -> None:
    """The runner itself: a write or a socket from inside the process is fatal (so the next test means something)."""
    runner = AUDIT_RUNNER.replace("from krmfn.cli import main\nraise SystemExit(main())",
                                  "import sys\nopen(sys.argv[1], 'w')")
    p = subprocess.run([sys.executable, "-c", runner, str(tmp_path / "x")], capture_output=True, timeout=TIMEOUT_S)
    assert p.returncode == 97 and b"open for writing" in p.stderr
    runner = AUDIT_RUNNER.replace("from krmfn.cli import main\nraise SystemExit(main())",
                                  "import socket\nsocket.socket()")
    p = subprocess.run([sys.executable, "-c", runner], capture_output=True, timeout=TIMEOUT_S)
    assert p.returncode == 97 and b"socket." in p.stderr


@pytest.mark.e2e
def test_function_mode_opens_no_socket_and_writes_no_file(tmp_path: Path) -> None:
    inputs = [
        HEAD + "items:\n" + CONFIGMAP + DEPLOYMENT,
        HEAD + "items:\n" + CONFIGMAP + DEPLOYMENT + _typed("  policy: enabled\n  params:\n    hub: my.registry\n"),
        HEAD + "items:\n" + DEPLOYMENT + _seed("policy: enabled"),
        HEAD + "items:\n" + DEPLOYMENT + _flat("    policy: sometimes\n"),
        HEAD + "items:\n" + REPORTED["containers not a list"][0],
        "not a resource list",
    ]
    expected = [(0, True), (0, True), (0, True), (1, True), (1, True), (1, False)]  # (exit code, a ResourceList out)
    for text, (code, out) in zip(inputs, expected):
        r = _audited([], text.encode(), tmp_path)
        assert "AUDIT" not in r.err, r.err
        assert (r.code, r.out.startswith("apiVersion: config.kubernetes.io/v1\n")) == (code, out), (text, r)
    assert "name: istio-proxy" in _audited([], inputs[1].encode(), tmp_path).out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.e2e
def test_exec_plugin_and_inject_open_no_socket_and_write_no_file(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\npolicy: enabled\n")
    app = tmp_path / "app.yaml"
    app.write_text(STREAM)
    r = _audited([str(config)], STREAM.encode(), tmp_path)
    assert r.code == 0 and "name: istio-proxy" in r.out, r.err
    r = _audited(["inject", "-c", str(config), str(tmp_path)], b"", tmp_path)
    assert r.code == 0 and "name: istio-proxy" in r.out, r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.yaml", "config.yaml"]
    assert app.read_text() == STREAM


@pytest.mark.e2e
def test_anchored_or_tagged_mapping_on_the_injection_path_stays_valid_yaml() -> None:
    """Found by the property tests after the modern template: keys added to ``labels: &l0`` were indented
    from the anchor's column, making output no YAML reader accepts."""
    text = HEAD + ("items:\n- apiVersion: v1\n  kind: ReplicationController\n  metadata:\n    name: r0\n  spec:\n"
                   "    template:\n      metadata:\n        labels: &l0\n          app: app0\n"
                   "      spec: {containers: [{name: c0}]}\n"
                   "- apiVersion: v1\n  kind: Pod\n  metadata: !!map\n    name: p\n    labels: !!map &x\n      a: b\n"
                   "  spec:\n    containers:\n    - name: a\n")
    first = krmfn([], text.encode())
    assert first.code == 0, first.err
    items = yaml.safe_load(first.out)["items"]
    assert items[0]["spec"]["template"]["metadata"]["labels"]["app"] == "app0"
    assert items[1]["metadata"]["labels"]["a"] == "b"
    second = krmfn([], first.out.encode())
    assert second.code == 0 and without_results(second.out) == without_results(first.out), second.err


@pytest.mark.e2e
def test_input_without_a_final_line_break_is_idempotent() -> None:
    """Found by the fuzzer after main kept texts without a final line break: the second run put a blank
    line before the results, because the new results were placed after the old ones it removed."""
    text = HEAD + "functionConfig:\n  apiVersion: v1\n  kind:"
    first = krmfn([], text.encode())
    second = krmfn([], first.out.encode())
    third = krmfn([], second.out.encode())
    assert first.code == second.code == 1
    assert first.out == second.out == third.out and not first.out.endswith("\n")
