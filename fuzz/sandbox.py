"""Fuzz modes for the sandbox classes of issue 12: hostile user templates, worker faults, memory limits.

    python fuzz/fuzz_krmfn.py --mode templates -n 1000
    python fuzz/fuzz_krmfn.py --mode workers -n 200
    python fuzz/fuzz_krmfn.py --mode memory -n 50

* ``templates``: a Deployment and a ConfigMap with an IstioOperator whose user template is drawn from
  hostile pieces (runaway loops and recursion, huge until/repeat, string doubling, catastrophic and
  Go-only regexps, alias bombs, dates, binaries, infinities and wrongly shaped fields in what it
  renders; an explicit null, which removes a field as in a merge patch and as Istio does, is not
  drawn).  Contract: :func:`oracle.check_function` (no traceback, exit 0/1 iff error results,
  idempotent), every item back, each execution within the time budget (lowered here to keep runs
  short), and never a silent loss: the workload either has an error result and is unchanged, or keeps
  its labels and containers.
* ``workers``: 64-160 workloads split between 2-4 workers, one of which (or all) is stopped, killed,
  never answers, crashes or raises, at a random chunk.  Contract: the output, results and exit code
  of one process, and no worker left behind.
* ``memory``: ``krmfn`` as a subprocess under a random address-space limit (RLIMIT_AS) with 1-4
  workers.  Contract: it ends (no hang), leaves no process of its group behind, and when it writes
  output that output is the unlimited run's.  A MemoryError traceback is counted (``memerror``), not
  failed: the edge's messages are another part of the issue.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
from typing import Any

import oracle
import yaml

HEADER = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"


def _progress(stats: dict[str, Any], started: float, every: int) -> None:
    """A line on stderr every ``every`` inputs: a long run cut short still says how far it got."""
    if stats["inputs"] % every == 0:
        line = " ".join(f"{k}={v}" for k, v in stats.items())
        print(f"progress: {line} seconds={time.perf_counter() - started:.0f}", file=sys.stderr, flush=True)

# -- templates ----------------------------------------------------------------------------------------

_RUNAWAY = [
    "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}",
    "{{ range 100000000000 }}{{ end }}",
    "{{ range until %(big)d }}x{{ end }}",
    '{{ repeat %(big)d "xy" }}',
    '{{ $s := "ab" }}{{ range until 80 }}{{ $s = print $s $s }}{{ end }}',
    '{{ define "r" }}{{ template "r" . }}{{ template "r" . }}{{ end }}{{ template "r" . }}',
    "{{ untilStep 0 %(big)d 1 | len }}",
    '{{ seq %(big)d | len }}',
    '{{ indent %(big)d "a\\nb" }}',
    '{{ printf "%%0999999d" 1 | len }}',
]
_PATTERNS = ["^(a+)+$", "(a|aa)*c", "[[:alpha:]]+", "a\\\\z", "\\\\Qa.b\\\\E", "(x+x+)+y", "(?i)A", "a{2,}",
             "(a)\\\\1", "[", "(?P<n>a)", "^$", "x*", "\\\\pL+", "(?s).", "(a*)*b"]
_SUBJECTS = ['"' + "a" * 3000 + 'b"', '"aaa\\nbbb"', '"a.b axb"', '""', '"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"']
_REGEX_CALLS = ['regexMatch "%s" %s', 'regexFind "%s" %s', 'regexFindAll "%s" %s -1 | join ","',
                'regexReplaceAll "%s" %s "${1}-$$"', 'regexSplit "%s" %s -1 | join ","',
                'regexReplaceAllLiteral "%s" %s "$1"']
_VALUES = ["2024-01-01", "2001-12-14t21:59:43.10-05:00", "!!binary aGVsbG8=", ".inf", "-.Inf", ".nan", "!!set {a}",
           "!custom x", "y", "n", "~", "0o17", "1_000", "<<", "'quoted'", "!!str 2024-01-01", "[a, b]", "{a: b}",
           "!!omap [a: 1]", "=", "*undefined"]
_SHAPES = [
    "metadata:\n  labels:\n  - app: other\n",
    "metadata:\n  labels: plain\n",
    "metadata:\n  annotations:\n  - a\n",
    "spec:\n  containers:\n    name: c\n",
    "spec:\n  containers:\n  - just-a-name\n",
    "spec:\n  containers:\n  - null\n",
    "spec:\n  initContainers: {a: b}\n",
    "spec:\n  volumes: x\n",
    "spec:\n  containers:\n  - name: web\n    env: {A: b}\n",
    "spec:\n  containers:\n  - name: web\n    ports: 80\n",
    "metadata:\n  labels:\n    app: {nested: map}\n",
    "metadata:\n  labels:\n    extra: yes\n",
    "spec:\n  containers:\n  - name: web\n    args: [a, {b: c}]\n",
    "spec:\n  nodeSelector: [a]\n",
    "spec:\n  containers:\n  - name: sidecar\n    image: x\n",
    "- a list\n- at the top\n",
    "just a string\n",
]


def _bomb(rnd: random.Random) -> str:
    width, levels = rnd.randint(2, 10), rnd.randint(3, 12)
    lines = [f"  a0: &a0 [{', '.join(['x'] * width)}]"]
    lines += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "metadata:\n  annotations:\n    b: x\nextra:\n" + "\n".join(lines) + "\n"


def hostile_template(rnd: random.Random) -> str:
    pieces: list[str] = []
    for _ in range(rnd.randint(1, 3)):
        kind = rnd.choice(["runaway", "regex", "value", "shape", "bomb", "plain"])
        if kind == "runaway":
            pieces.append("metadata:\n  annotations:\n    r: x\n" + rnd.choice(_RUNAWAY) % {
                "big": rnd.choice([10, 10**5, 10**6, 10**8, 2**40])} + "\n")
        elif kind == "regex":
            call = rnd.choice(_REGEX_CALLS) % (rnd.choice(_PATTERNS), rnd.choice(_SUBJECTS))
            pieces.append(f"metadata:\n  annotations:\n    r: {{{{ {call} | toString | quote }}}}\n")
        elif kind == "value":
            pieces.append(f"metadata:\n  labels:\n    v: {rnd.choice(_VALUES)}\n")
        elif kind == "shape":
            pieces.append(rnd.choice(_SHAPES))
        elif kind == "bomb":
            pieces.append(_bomb(rnd))
        else:
            pieces.append("spec:\n  containers:\n  - name: web\n    env:\n    - name: X\n      value: \"1\"\n")
    return rnd.choice(pieces) if rnd.random() < 0.5 else "".join(pieces)  # joined: maybe duplicate keys too


def _deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}, "annotations": {"inject.istio.io/templates": "custom"}},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
    }


def template_input(template: str) -> bytes:
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
          "items": [_deployment(), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep"}}],
          "functionConfig": {"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator",
                             "metadata": {"name": "cp"},
                             "spec": {"values": {"sidecarInjectorWebhook": {"templates": {"custom": template}}}}}}
    return yaml.safe_dump(rl, sort_keys=False).encode()


def check_template(template: str, stats: dict[str, Any], budget: float) -> None:
    data = template_input(template)
    started = time.perf_counter()
    _code, out, err = oracle.check_function(data)
    took = time.perf_counter() - started
    stats["slowest"] = round(max(stats["slowest"], took), 2)
    # Two runs (check_function reruns the output), each template execution within the budget.
    assert took < 4 * budget + 20, f"took {took:.1f} s: {template!r}"
    assert out, err
    doc = yaml.safe_load(out)
    assert [i["metadata"]["name"] for i in doc["items"]] == ["web", "keep"], "an item was lost"
    web = doc["items"][0]
    refused = [r for r in doc.get("results") or [] if r.get("severity") == "error"]
    if refused:
        stats["refused"] += 1
        assert web == _deployment(), "an error result, yet the workload changed"
        assert any("'custom'" in r["message"] for r in refused), refused
    else:
        stats["rendered"] += 1
        pod = web["spec"]["template"]
        labels = pod["metadata"].get("labels")
        assert isinstance(labels, dict) and labels.get("app") == "web", f"labels lost silently: {template!r}"
        names = [c.get("name") for c in pod["spec"]["containers"]]
        assert "web" in names, f"a container lost silently: {template!r}"


def fuzz_templates(n: int, run_seed: int | None) -> dict[str, Any]:
    from krmfn.gotemplate import limits

    limits.MAX_SECONDS = 0.5  # the bound is what is checked; a small one keeps the run short
    rnd = random.Random(run_seed)
    stats: dict[str, Any] = {"inputs": 0, "refused": 0, "rendered": 0, "slowest": 0.0}
    started = time.perf_counter()
    for _ in range(n):
        template = hostile_template(rnd)
        stats["inputs"] += 1
        try:
            check_template(template, stats, limits.MAX_SECONDS)
        except AssertionError:
            print(f"FAILED on template:\n{template}", file=sys.stderr)
            raise
        _progress(stats, started, 50)
    return dict(stats, seconds=round(time.perf_counter() - started, 1))


# -- workers -----------------------------------------------------------------------------------------

def workloads_input(rnd: random.Random, n: int) -> str:
    parts = []
    for i in range(n):
        ns = rnd.choice(["shop", "quiet", "a"])
        parts.append(
            f"- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: w-{i}\n    namespace: {ns}\n"
            f"  spec:\n    template:\n      metadata:\n        labels:\n          app: w-{i}\n"
            f"      spec:\n        containers:\n        - name: c\n          image: img:{i}\n")
        if rnd.random() < 0.05:
            parts.append(f"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c-{i}\n")
        if rnd.random() < 0.02:
            parts.append("- not a mapping\n")
    parts.append("- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: quiet\n    labels:\n"
                 "      istio-injection: disabled\n")
    return HEADER + "items:\n" + "".join(parts)


FAULTS = ["stop", "kill", "late", "crash", "raise", "memory", "none"]


def _faulty(fault: str, at: int, everyone: bool, parent: int) -> Any:
    from krmfn import parallel

    original = parallel.map_forked
    state = {"n": 0, "victim": None}

    def hostile(fn: Any, chunks: Any, workers: int) -> Any:
        def wrapped(c: Any) -> Any:
            me = os.getpid()
            if me != parent:
                state["n"] += 1
                if state["n"] == at and (everyone or me % 2 == 0):
                    if fault == "stop":
                        os.kill(me, signal.SIGSTOP)
                    elif fault == "kill":
                        os.kill(me, signal.SIGKILL)
                    elif fault == "late":
                        time.sleep(3600)
                    elif fault == "crash":
                        os._exit(3)
                    elif fault == "raise":
                        raise RuntimeError("worker fault")
                    elif fault == "memory":
                        raise MemoryError
            return fn(c)

        return original(wrapped, chunks, workers)

    return hostile


def fuzz_workers(n: int, run_seed: int | None) -> dict[str, Any]:
    from krmfn import function, parallel

    parallel.WAIT_SECONDS = 1.0
    rnd = random.Random(run_seed)
    stats: dict[str, Any] = {"inputs": 0, "slowest": 0.0}
    original = parallel.map_forked
    started = time.perf_counter()
    for _ in range(n):
        text = workloads_input(rnd, rnd.randint(64, 160))
        fault, at, everyone = rnd.choice(FAULTS), rnd.randint(1, 4), rnd.random() < 0.3
        workers = rnd.randint(2, 4)
        one = function.run(text, 1)
        parallel.map_forked = _faulty(fault, at, everyone, os.getpid())
        t = time.perf_counter()
        try:
            many = function.run(text, workers)
        finally:
            parallel.map_forked = original
        stats["slowest"] = round(max(stats["slowest"], time.perf_counter() - t), 2)
        stats["inputs"] += 1
        stats[fault] = stats.get(fault, 0) + 1
        detail = f"fault={fault} at={at} everyone={everyone} workers={workers}"
        assert many.output == one.output, detail
        assert [r.to_data() for r in many.results] == [r.to_data() for r in one.results], detail
        assert many.exit_code == one.exit_code, detail
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            raise AssertionError(f"a worker was left behind ({pid}): {detail}")
        except ChildProcessError:
            pass
        _progress(stats, started, 20)
    return dict(stats, seconds=round(time.perf_counter() - started, 1))


# -- memory limits -------------------------------------------------------------------------------------

def fuzz_memory(n: int, run_seed: int | None) -> dict[str, Any]:
    rnd = random.Random(run_seed)
    stats: dict[str, Any] = {"inputs": 0, "same": 0, "memerror": 0, "other_exit": 0, "slowest": 0.0}
    expected: dict[int, bytes] = {}
    started = time.perf_counter()
    for _ in range(n):
        size = rnd.choice([64, 200, 1000, 3000])
        text = workloads_input(random.Random(size), size).encode()
        if size not in expected:
            expected[size] = subprocess.run([sys.executable, "-m", "krmfn"], input=text, capture_output=True,
                                            env={**os.environ, "KRMFN_WORKERS": "1"}, timeout=900).stdout
        limit = rnd.choice([96, 128, 160, 256, 512]) << 20
        workers = rnd.randint(1, 4)

        def limited(limit: int = limit) -> None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        t = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-m", "krmfn"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env={**os.environ, "KRMFN_WORKERS": str(workers),
                                                          "KRMFN_WORKER_WAIT": "5"},
                             preexec_fn=limited, start_new_session=True)
        try:
            out, err = p.communicate(text, timeout=900)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise AssertionError(f"hung: size={size} limit={limit >> 20}M workers={workers}") from None
        stats["slowest"] = round(max(stats["slowest"], time.perf_counter() - t), 2)
        stats["inputs"] += 1
        try:
            os.killpg(p.pid, 0)
            os.killpg(p.pid, signal.SIGKILL)
            raise AssertionError(f"a process was left behind: size={size} limit={limit >> 20}M workers={workers}")
        except ProcessLookupError:
            pass
        if b"MemoryError" in err:
            stats["memerror"] += 1
        elif p.returncode in (0, 1) and out:
            assert out == expected[size], f"different output: size={size} limit={limit >> 20}M workers={workers}"
            stats["same"] += 1
        else:
            stats["other_exit"] += 1
        _progress(stats, started, 2)
    return dict(stats, seconds=round(time.perf_counter() - started, 1))


MODES = {"templates": fuzz_templates, "workers": fuzz_workers, "memory": fuzz_memory}
