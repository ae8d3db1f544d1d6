"""Workers (krmfn.parallel): a large input split between forked processes gives the very same outcome."""

from __future__ import annotations

import itertools
import os
import pickle
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, load

from krmfn import function, parallel
from krmfn.function import PARALLEL_MIN_WORKLOADS, run
from krmfn.text import read as resourcelist
from krmfn.text.reconcile import Edit

HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"


def _deployment(i: int, namespace: str) -> str:
    return (
        f"- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web-{i}\n    namespace: {namespace}\n"
        f"    annotations:\n      config.kubernetes.io/index: '{i}'\n  spec:\n    selector:\n      matchLabels:\n"
        f"        app: web-{i}\n    template:\n      metadata:\n        labels:\n          app: web-{i}\n"
        f"      spec:\n        containers:\n        - name: web # comment {i}\n          image: nginx:1.{i}\n"
        f"          ports:\n          - containerPort: {8000 + i}\n"
    )


def _service(i: int) -> str:
    return f"- apiVersion: v1\n  kind: Service\n  metadata:\n    name: web-{i}\n  spec:\n    ports:\n    - port: 80\n"


def big_input(n: int = 2 * PARALLEL_MIN_WORKLOADS, config: str = "") -> str:
    """``n`` workloads with what each kind of outcome needs: injected, skipped by a Namespace label that
    comes last, re-rendered (flow-style pod spec), a bad annotation (error), a non-mapping item."""
    parts: list[str] = []
    for i in range(n):
        parts.append(_deployment(i, "quiet" if i % 7 == 0 else "shop"))
        parts.append(_service(i))
        if i == n // 3:
            parts.append("- just a string\n")
        if i == n // 2:
            parts.append(
                "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: flow\n  spec:\n    template:\n"
                "      metadata: {labels: {app: flow}}\n      spec: {containers: [{name: app, image: app}]}\n"
                "  # a comment after the item stays\n"
            )
        if i == 2 * n // 3:
            parts.append(
                "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: bad\n  spec:\n    template:\n"
                "      metadata:\n        annotations:\n          sidecar.istio.io/interceptionMode: SOMETIMES\n"
                "      spec:\n        containers:\n        - name: app\n          image: app\n"
            )
    parts.append("- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: quiet\n    labels:\n"
                 "      istio-injection: disabled\n")
    return HEAD + "".join(parts) + config


@pytest.mark.slow
def test_workers_give_the_same_outcome_as_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    here = os.getpid()
    ran_here: list[int] = []  # chunks this process ran
    received: list[int] = []  # chunks children sent back
    process_items, end = function._process_items, parallel._end

    def counted(*args: object) -> object:
        if os.getpid() == here:
            ran_here.append(1)
        return process_items(*args)  # type: ignore[arg-type]

    def watched(children: list[parallel._Child]) -> None:
        received.extend(len(c.results) for c in children if c.status == 0 and c.complete())
        end(children)

    monkeypatch.setattr(function, "_process_items", counted)
    monkeypatch.setattr(parallel, "_end", watched)
    text = big_input()
    one = run(text, 1)
    messages = [r.message for r in one.results]
    assert any("injected (template istio" in m for m in messages)
    assert any(m.startswith("skipped") for m in messages)
    assert any("invalid annotation" in m for m in messages)
    assert any("not a mapping" in m for m in messages)
    assert one.exit_code == 1
    flow = next(i for i in load(one.output)["items"] if isinstance(i, dict) and i["metadata"]["name"] == "flow")
    assert [c["name"] for c in flow["spec"]["template"]["spec"]["containers"]] == ["app", "istio-proxy"]
    assert "  # a comment after the item stays\n" in one.output
    for workers in (2, 3, 5):
        ran_here.clear()
        received.clear()
        many = run(text, workers)
        assert many.output == one.output
        assert [r.to_data() for r in many.results] == [r.to_data() for r in one.results]
        # Each chunk ran once: what children did came back (it pickles), nothing was run again here.
        assert len(ran_here) + sum(received) == workers * function.CHUNKS_PER_WORKER
        assert len(received) == workers - 1


def test_work_is_split_only_when_it_pays_and_is_safe() -> None:
    text = big_input()
    doc = resourcelist.read(text, function._wanted)
    chunks = function._chunks(doc, 3)
    assert len(chunks) == 3 * function.CHUNKS_PER_WORKER
    assert all(len(c) == 1 for c in chunks)
    ranges = [c[0] for c in chunks]
    assert ranges[0][0] == 0 and ranges[-1][1] == len(doc.items)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))  # contiguous, in order, nothing left out
    assert function._chunks(doc, 1) == [((0, len(doc.items)),)]
    small = resourcelist.read(big_input(PARALLEL_MIN_WORKLOADS // 2), function._wanted)
    assert function._chunks(small, 4) == [((0, len(small.items)),)]
    # Anchors: aliases share one expansion budget per run, so the workloads that may hold one (here items
    # 10 and 20, and conservatively the item after each) make one chunk, run in order; the rest is shared out.
    anchored_text = text.replace("app: web-5\n", "app: &a web-5\n", 1).replace("app: web-10\n", "app: &b web-10\n", 1)
    anchored = resourcelist.read(anchored_text, function._wanted)
    chunks = function._chunks(anchored, 4)
    assert chunks[0] == ((10, 11), (20, 21))  # the Services after them are not workloads: they spend nothing
    indexes = [i for c in chunks for a, b in c for i in range(a, b)]
    assert sorted(indexes) == list(range(len(anchored.items)))  # each item in exactly one chunk
    assert len(chunks) > 1
    assert run(anchored_text, 4).output == run(anchored_text, 1).output


def test_map_forked_keeps_order_and_runs_again_what_a_child_could_not_send() -> None:
    parent = os.getpid()
    took_r, took_w = os.pipe()  # a child writes when it takes a chunk; this process waits for that once

    def where(c: int) -> tuple[int, bool]:
        if os.getpid() != parent:
            os.write(took_w, b"x")
        else:
            select.select([took_r], [], [], 120)  # a busy machine may start the children late
        return c, os.getpid() == parent

    out = parallel.map_forked(where, list(range(40)), 3)
    os.close(took_r)
    os.close(took_w)
    assert [c for c, _ in out] == list(range(40))
    assert not all(here for _, here in out)  # the children took some
    assert parallel.map_forked(lambda c: os.getpid() == parent, list(range(5)), 1) == [True] * 5

    def fails_in_children(c: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("child only")
        return c * 10

    assert parallel.map_forked(fails_in_children, list(range(20)), 3) == [10 * c for c in range(20)]
    # A result that cannot be pickled is computed again here.
    assert [f() for f in parallel.map_forked(lambda c: (lambda: c), list(range(20)), 2)] == list(range(20))

    def dies(c: int) -> int:
        if os.getpid() != parent:
            os._exit(3)
        return c

    assert parallel.map_forked(dies, list(range(30)), 2) == list(range(30))


def test_children_send_what_send_makes_and_this_process_takes_it_back_with_receive() -> None:
    parent = os.getpid()
    sent: list[Any] = []
    took_r, took_w = os.pipe()  # as above: this process waits once for a child to take a chunk

    def work(c: int) -> tuple[int, bool]:
        if os.getpid() != parent:
            os.write(took_w, b"x")
        elif not select.select([took_r], [], [], 0)[0]:
            select.select([took_r], [], [], 120)  # a busy machine may start the children late
        return c, os.getpid() == parent

    def send(result: tuple[int, bool]) -> list[Any]:
        return ["sent", *result]

    def receive(data: list[Any]) -> tuple[int, bool]:
        sent.append(data)
        assert data[0] == "sent"
        return data[1], data[2]

    out = parallel.map_forked(work, list(range(40)), 3, send, receive)
    assert [c for c, _ in out] == list(range(40))
    assert sent and all(not here for _, _, here in sent)  # only the children's results go through send/receive
    assert len(sent) == sum(1 for _, here in out if not here)

    def refuse(data: Any) -> Any:
        raise ValueError("cannot take this")

    # A result receive refuses is computed again here, like one that does not unpickle.
    assert parallel.map_forked(work, list(range(20)), 3, send, refuse) == [(c, True) for c in range(20)]
    os.close(took_r)
    os.close(took_w)


def test_a_part_goes_through_the_workers_transport_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """function._send/_receive: the edits travel as three lists and come back as equal records."""
    parts: list[Any] = []
    process_items = function._process_items

    def keep(*args: Any) -> Any:
        parts.append(process_items(*args))
        return parts[-1]

    monkeypatch.setattr(function, "_process_items", keep)
    run(big_input(), 1)
    (part,) = parts
    assert part is not None and len(part[0]) > 100 and part[2]
    back = function._receive(pickle.loads(pickle.dumps(function._send(part), pickle.HIGHEST_PROTOCOL)))
    assert back == part
    assert all(type(e) is Edit for e in back[0])
    assert function._receive(function._send(None)) is None


def test_an_error_raised_by_the_work_surfaces_as_without_workers() -> None:
    def boom(c: int) -> int:
        raise ValueError(f"chunk {c}")

    with pytest.raises(ValueError, match="chunk 1"):
        parallel.map_forked(boom, [1, 2], 2)


def _cli(stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "krmfn"], input=stdin.encode(), capture_output=True, timeout=120,
                          env={**os.environ, **env}, cwd=REPO)


@pytest.mark.e2e
@pytest.mark.slow
def test_krmfn_workers_environment_variable() -> None:
    text = big_input()
    one = _cli(text, {"KRMFN_WORKERS": "1"})
    two = _cli(text, {"KRMFN_WORKERS": "2"})
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout and one.stderr == two.stderr
    bad = _cli(text, {"KRMFN_WORKERS": "lots"})
    assert bad.stdout == one.stdout and bad.returncode == 1
    assert bad.stderr.decode().splitlines()[0] == (
        "krmfn: warning: KRMFN_WORKERS='lots' is not a whole number >= 1; using 1")


AUDITED = r'''
import os, sys
FORBIDDEN = ("socket.", "subprocess.", "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.remove",
             "os.rename", "os.mkdir", "os.chmod", "shutil.", "urllib.", "http.")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
forks = []

def hook(event, args):
    if event == "os.fork":
        forks.append(1)
    if event.startswith(FORBIDDEN) or (event == "open" and (
            (isinstance(args[1], str) and any(c in args[1] for c in "wax+")) or (args[2] or 0) & WRITE_FLAGS)):
        os.write(2, ("AUDIT VIOLATION: " + event + "\n").encode())
        os._exit(97)

sys.dont_write_bytecode = True
sys.addaudithook(hook)
from krmfn.cli import main
code = main()
os.write(2, ("forks=%d\n" % len(forks)).encode())
raise SystemExit(code)
'''


@pytest.mark.e2e
@pytest.mark.slow
def test_workers_are_forks_of_krmfn_that_run_nothing_else_and_write_nothing(tmp_path: Path) -> None:
    """The audit hook is inherited by the forked children: no exec, socket or file write anywhere."""
    p = subprocess.run([sys.executable, "-c", AUDITED], input=big_input().encode(), capture_output=True,
                       timeout=120, env={**os.environ, "KRMFN_WORKERS": "3"}, cwd=tmp_path)
    err = p.stderr.decode()
    assert "AUDIT" not in err and p.returncode == 1, err
    assert err.splitlines()[-1] == "forks=2"
    assert p.stdout == _cli(big_input(), {"KRMFN_WORKERS": "1"}).stdout
    assert list(tmp_path.iterdir()) == []


def test_items_re_rendered_whole_in_a_worker_end_where_their_content_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """Composing an item finds its last line (the fast read only knows where its text ends, trailing
    comments included); a worker hands that back, so re-rendering an item keeps the comment after it."""

    def unspliceable(*args: object) -> None:
        raise function.Unspliceable("as if no text edit could do it")

    monkeypatch.setattr(function, "reconcile", unspliceable)
    text = big_input().replace("- apiVersion: v1\n  kind: Service\n", "  # after the item\n- apiVersion: v1\n"
                               "  kind: Service\n")
    assert resourcelist.read(text, function._wanted).items[0].span is not None  # the fast read
    one = run(text, 1)
    assert one.output.count("  # after the item\n") == text.count("  # after the item\n")
    assert run(text, 3).output == one.output


@pytest.mark.slow
@pytest.mark.parametrize("case", ["wrong cut", "invalid yaml"])
def test_slices_checked_by_the_workers_fall_back_as_the_fast_read_does(case: str) -> None:
    """With workers the fast read leaves most slice checks to them; a slice that fails sends the
    input down the general path, as the fast read would have itself."""
    if case == "wrong cut":  # valid YAML: a quoted scalar whose continuation line looks like an item
        bad = '- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: tricky\n  data:\n    a: "one\n- two"\n'
    else:  # a slice whose body (not its first keys) is broken
        bad = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: broken\n  data:\n    a: 1\n   b: 2\n"
    text = big_input().replace("- apiVersion: v1\n  kind: Service\n  metadata:\n    name: web-90\n",
                               bad + "- apiVersion: v1\n  kind: Service\n  metadata:\n    name: web-90\n")
    assert bad in text
    doc = resourcelist.read(text, function._wanted, check=False)
    assert doc.unchecked is not None and not resourcelist.check_slices(doc, 0, len(doc.items))
    outcomes = []
    for workers in (1, 2, 3):
        try:
            o = run(text, workers)
            outcomes.append((o.output, [r.to_data() for r in o.results]))
        except function.ReadError as e:
            outcomes.append(("unreadable", str(e)))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    if case == "wrong cut":
        assert "name: tricky" in outcomes[0][0] and "istio-proxy" in outcomes[0][0]
    else:
        assert outcomes[0][0] == "unreadable"


def test_a_bad_config_with_a_broken_slice_is_unreadable_input_whatever_the_workers() -> None:
    bad = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: broken\n  data:\n    a: 1\n   b: 2\n"
    text = big_input(config="functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    policy: sometimes\n")
    text = text.replace("items:\n", "items:\n" + bad, 1)
    for workers in (1, 2):
        with pytest.raises(function.ReadError, match="not valid YAML"):
            run(text, workers)
    good = text.replace(bad, "")
    assert run(good, 2).output == run(good, 1).output
    assert any("invalid functionConfig" in r.message for r in run(good, 2).results)


def test_what_workers_send_back_pickles() -> None:
    """Results are frozen records: pickle must rebuild them without setattr."""
    import pickle

    from krmfn.results import Result

    r = Result("injected", "info", {"kind": "Deployment"}, "spec", "a.yaml")
    assert pickle.loads(pickle.dumps(r, pickle.HIGHEST_PROTOCOL)) == r


@pytest.mark.parametrize(("env", "cpus", "cpu_max", "expected"), [
    ("", 2, None, 2),  # no cgroup v2 quota: the affinity mask
    ("", 16, None, 4),  # at most MAX_DEFAULT_WORKERS
    ("", 8, "150000 100000\n", 1),  # a container limited to 1.5 CPUs: whole CPUs only
    ("", 8, "300000 100000\n", 3),
    ("", 8, "max 100000\n", 4),
    ("7", 2, "100000 100000\n", 7),  # KRMFN_WORKERS wins
])
def test_default_worker_count(monkeypatch: pytest.MonkeyPatch, env: str, cpus: int, cpu_max: str | None,
                              expected: int) -> None:
    import io

    from krmfn import cli

    def fake_open(path: str, *args: object, **kwargs: object) -> io.StringIO:
        assert path == "/sys/fs/cgroup/cpu.max"
        if cpu_max is None:
            raise FileNotFoundError(path)
        return io.StringIO(cpu_max)

    monkeypatch.setenv("KRMFN_WORKERS", env)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)))
    monkeypatch.setattr(cli, "open", fake_open, raising=False)
    assert cli._workers(io.StringIO()) == expected


# -- workers that cannot hang the run or take the machine (issue 12) ------------------------------------

HOSTILE = r'''
import os, pickle, select, signal, sys
from krmfn import parallel

mode = sys.argv[1]
parent = os.getpid()
original = parallel.map_forked
taken = [0]

def hostile(fn, chunks, workers, *transport):
    def wrapped(c):
        if os.getpid() != parent:
            taken[0] += 1
            if taken[0] == 2:  # mid-run: the worker has claimed and done a chunk already
                if mode == "stop":
                    os.kill(os.getpid(), signal.SIGSTOP)
                elif mode == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                elif mode == "late":
                    select.select([], [], [], 3600)  # never answers
        return fn(c)
    return original(wrapped, chunks, workers, *transport)

parallel.map_forked = hostile
if mode == "memory":
    loads = pickle.loads
    failed = []
    def failing(data):
        if not failed:
            failed.append(1)
            raise MemoryError
        return loads(data)
    parallel.pickle.loads = failing

from krmfn.cli import main
try:
    code = main([])
except MemoryError:
    sys.stderr.write("MemoryError\n")
    code = 3
try:
    pid, _ = os.waitpid(-1, os.WNOHANG)
    sys.stderr.write("WORKER LEFT BEHIND\n" if pid == 0 else "WORKER LEFT UNREAPED\n")
except ChildProcessError:
    pass
raise SystemExit(code)
'''


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["stop", "kill", "late"])
def test_a_worker_stopped_killed_or_late_mid_run_changes_nothing(mode: str) -> None:
    text = big_input(4 * PARALLEL_MIN_WORKLOADS)
    p = subprocess.run([sys.executable, "-c", HOSTILE, mode], input=text.encode(), capture_output=True,
                       timeout=600, env={**os.environ, "KRMFN_WORKERS": "3", "KRMFN_WORKER_WAIT": "2"}, cwd=REPO)
    one = _cli(text, {"KRMFN_WORKERS": "1"})
    err = p.stderr.decode()
    assert "WORKER LEFT" not in err and "Traceback" not in err, err
    assert p.returncode == one.returncode == 1
    assert p.stdout == one.stdout
    assert err == one.stderr.decode()


@pytest.mark.e2e
def test_a_memory_error_in_the_parent_leaves_no_worker_behind() -> None:
    text = big_input(4 * PARALLEL_MIN_WORKLOADS)
    p = subprocess.run([sys.executable, "-c", HOSTILE, "memory"], input=text.encode(), capture_output=True,
                       timeout=600, env={**os.environ, "KRMFN_WORKERS": "3"}, cwd=REPO)
    err = p.stderr.decode()
    assert "WORKER LEFT" not in err, err


def test_workers_do_not_hold_each_others_pipes_nor_stdout() -> None:
    """Each worker's open file descriptors: its own result pipe and the chunk pipe, stdin/stdout on /dev/null."""
    parent = os.getpid()
    seen_r, seen_w = os.pipe()

    def fds(c: int) -> int:
        if os.getpid() != parent:
            own = sorted(int(f) for f in os.listdir("/proc/self/fd"))
            links = {f: os.readlink(f"/proc/self/fd/{f}") for f in own if os.path.exists(f"/proc/self/fd/{f}")}
            pipes = sum(1 for v in links.values() if v.startswith("pipe:"))
            os.write(seen_w, f"{pipes} {links.get(1)}\n".encode())
        else:  # the parent takes chunks too: slowed, so that the workers get some even on a busy machine
            time.sleep(0.02)
        return c

    assert parallel.map_forked(fds, list(range(64)), 4) == list(range(64))
    os.close(seen_w)
    with os.fdopen(seen_r) as f:
        lines = set(f.read().split("\n")) - {""}
    # pipes a worker holds: the chunk pipe, its result pipe, the test's own report pipe (and pytest's own
    # pipes, if any, are the same for every worker): never one more per earlier worker.
    counts = {int(line.split()[0]) for line in lines}
    assert len(counts) == 1, lines
    assert all(line.split()[1] == os.devnull for line in lines), lines


def test_the_worker_count_respects_the_memory_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(parallel, "CGROUP_ROOT", str(tmp_path))
    (tmp_path / "memory.max").write_text(f"{128 << 20}\n")
    (tmp_path / "memory.current").write_text(f"{60 << 20}\n")
    assert parallel.affordable(4, 5 << 20) == 1  # 10k workloads in a 128 MiB container: one process
    (tmp_path / "memory.current").write_text(f"{100 << 20}\n")
    assert parallel.affordable(4, 100 << 10) == 2  # a small input: room for one more
    (tmp_path / "memory.max").write_text("max\n")
    (tmp_path / "memory.current").unlink()
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text(f"{96 << 20}\n")
    (tmp_path / "memory" / "memory.usage_in_bytes").write_text(f"{80 << 20}\n")
    assert parallel.affordable(4, 1 << 20) == 1  # cgroup v1
    # End to end: under that limit a large input is not split (no fork) and the outcome is the same.
    forks: list[int] = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    text = big_input()
    assert run(text, 4).output == run(text, 1).output
    assert forks == []


@pytest.mark.e2e
@pytest.mark.parametrize("bad", ["²", "-1", "abc", "0", "1.5"])
def test_a_bad_krmfn_workers_is_one_line_and_one_process(bad: str) -> None:
    text = big_input()
    p = _cli(text, {"KRMFN_WORKERS": bad})
    err = p.stderr.decode()
    assert "Traceback" not in err
    assert err.splitlines()[0] == f"krmfn: warning: KRMFN_WORKERS={bad!r} is not a whole number >= 1; using 1"
    assert p.stdout == _cli(text, {"KRMFN_WORKERS": "1"}).stdout
