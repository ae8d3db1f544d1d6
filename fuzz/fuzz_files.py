"""Fuzz in-place editing (``krmfn inject -i``) under file-system faults and signals.

    python fuzz/fuzz_krmfn.py --mode files -n 1000 [--seed 1]

Each input is a generated tree of 1-4 manifest files (streams of generated
items; UTF-8, UTF-8 with BOM, UTF-16 LE/BE, CRLF, or JSON), rewritten in place
once without faults (the expected new bytes) and once more from the original
bytes with one fault injected through :class:`krmfn.files.OSLayer`:

* an OSError (ENOSPC, EIO, EDQUOT, EFBIG, EXDEV) from the n-th ``mkstemp``,
  ``write``, ``fsync``, ``chmod``, ``close`` or ``replace`` (writes are short
  throughout: a random part of what was asked);
* a real signal (SIGTERM, handled as ``krmfn`` handles it; SIGINT) sent to this
  process from inside the n-th call;
* a signal at a random moment of the run (an interval timer), wherever that is.

What must hold: each file holds its old bytes or exactly the new bytes of the
fault-free run; a run that returns 0 wrote them all; a failed write names the
file and returns 3; only the expected exceptions escape (the interrupt), never
another; no temporary file is left behind (counted separately for timer
signals, which may land inside the clean-up itself).
"""

from __future__ import annotations

import errno
import gc
import io
import json
import os
import random
import shutil
import signal
import tempfile
import time
from typing import Any

import strategies as gen
import yaml
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from krmfn import cli, files

CALLS = ["mkstemp", "write", "fsync", "chmod", "close", "replace"]
ERRNOS = [errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EXDEV]


class FaultyLayer(files.OSLayer):
    """Short writes always; ``fault`` at the ``at``-th call of ``call``."""

    def __init__(self, rnd: random.Random, call: str | None, at: int, fault: Any) -> None:
        self.rnd, self.call, self.at, self.fault, self.n = rnd, call, at, fault, 0

    def _hit(self, call: str) -> None:
        if call != self.call:
            return
        self.n += 1
        if self.n != self.at:
            return
        if isinstance(self.fault, signal.Signals):
            os.kill(os.getpid(), self.fault)  # a real signal; its handler raises at the next bytecode
            time.sleep(0.001)
            return
        raise OSError(self.fault, os.strerror(self.fault))

    def mkstemp(self, directory: str, name: str) -> tuple[int, str]:
        self._hit("mkstemp")
        return super().mkstemp(directory, name)

    def write(self, fd: int, data: Any) -> int:
        self._hit("write")
        return super().write(fd, bytes(data[: self.rnd.randint(1, len(data))]))

    def fsync(self, fd: int) -> None:
        self._hit("fsync")
        super().fsync(fd)

    def chmod(self, fd: int, mode: int) -> None:
        self._hit("chmod")
        super().chmod(fd, mode)

    def close(self, fd: int) -> None:
        self._hit("close")
        super().close(fd)

    def replace(self, src: str, dst: str) -> None:
        self._hit("replace")
        super().replace(src, dst)


def _encode(text: str, form: str) -> bytes:
    if form == "crlf":
        return text.replace("\n", "\r\n").encode()
    if form == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    if form == "utf-16-le":
        return b"\xff\xfe" + text.encode("utf-16-le")
    if form == "utf-16-be":
        return b"\xfe\xff" + text.encode("utf-16-be")
    return text.encode()


@st.composite
def trees(draw: Any) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for i in range(draw(st.integers(1, 4))):
        text, _ = draw(gen.streams())
        form = draw(st.sampled_from(["utf-8", "crlf", "bom", "utf-16-le", "utf-16-be", "json"]))
        if form == "json":
            try:
                doc = next(iter(yaml.safe_load_all(text)), None)
                out[f"f{i}.json"] = (json.dumps(doc, indent=draw(st.sampled_from([None, 2, 4]))) + "\n").encode()
                continue
            except (yaml.YAMLError, TypeError, ValueError):
                form = "utf-8"
        out[f"f{i}.yaml"] = _encode(text, form)
    return out


def _put(d: str, tree: dict[str, bytes]) -> None:
    for name in os.listdir(d):
        os.unlink(os.path.join(d, name))
    for name, data in tree.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def _get(d: str) -> dict[str, bytes]:
    out = {}
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            out[name] = f.read()
    return out


_armed = [False]


def _alarm(signum: int, frame: Any) -> None:
    if _armed[0]:  # a late handler call (after the run) is not a signal to the run
        os.kill(os.getpid(), signal.SIGTERM)  # a real SIGTERM


def _run(d: str, delay: float = 0.0) -> tuple[int | str, str]:
    """``krmfn inject -i d`` in-process; with ``delay``, a SIGTERM (by SIGALRM) that much later."""
    err = io.StringIO()
    try:
        if delay:
            _armed[0] = True
            signal.setitimer(signal.ITIMER_REAL, delay)
        code: int | str = cli.main(["inject", "-i", d], io.BytesIO(), io.StringIO(), err)
        signal.setitimer(signal.ITIMER_REAL, 0)  # inside the try: a signal until here is caught below
    except KeyboardInterrupt:
        code = "SIGINT"
    except cli._Signalled as e:
        code = signal.Signals(e.signum).name
    return code, err.getvalue()


_stats: dict[str, Any] = {}


def check_one(d: str, tree: dict[str, bytes], rnd: random.Random, kind: str) -> None:
    _put(d, tree)
    files.layer = files.OSLayer()
    code0, err0 = _run(d)
    new = _get(d)
    assert code0 in (0, 1), (code0, err0)
    _put(d, tree)
    timer = kind == "timer"
    if kind == "errno":
        files.layer = FaultyLayer(rnd, rnd.choice(CALLS), rnd.randint(1, 3), rnd.choice(ERRNOS))
    elif kind == "signal":
        files.layer = FaultyLayer(rnd, rnd.choice(CALLS), rnd.randint(1, 3), rnd.choice([signal.SIGTERM,
                                                                                      signal.SIGINT]))
    else:
        files.layer = FaultyLayer(rnd, None, 0, None)
        gc.disable()  # as krmfn runs (cli.program); a signal in hypothesis's gc callback would be swallowed
    try:
        code, err = _run(d, rnd.uniform(0.0001, 0.05) if timer else 0.0)
    finally:
        _armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        gc.enable()
        files.layer = files.OSLayer()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    assert not blocked & {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}, blocked  # krmfn restored the mask
    now = _get(d)
    names = set(tree)
    leftovers = set(now) - names
    for name in names:
        assert now.get(name) in (tree[name], new[name]), (kind, name, code, err)
    if code in (0, 1):
        assert {n: now[n] for n in names} == new, (kind, code, err)
    elif code == 3:
        assert "cannot write" in err and ("unchanged" in err or "nothing written" in err), err
    else:
        assert code in ("SIGINT", "SIGTERM"), (code, err)
    if leftovers:
        assert timer, (kind, leftovers, code, err)  # an injected fault never leaves a temporary file
        _stats["timer_leftovers"] += 1
    _stats[f"{kind}_exit_{code}"] = _stats.get(f"{kind}_exit_{code}", 0) + 1
    _stats["changed"] += sum(now[n] != tree[n] for n in names)


def fuzz(examples: int, run_seed: int | None = None) -> dict[str, Any]:
    d = tempfile.mkdtemp(prefix="krmfn-fuzz-files-")
    old_term = signal.signal(signal.SIGTERM, cli._on_signal)
    old_alrm = signal.signal(signal.SIGALRM, _alarm)

    @settings(max_examples=examples, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    @given(trees(), st.randoms(use_true_random=False), st.sampled_from(["errno", "signal", "timer"]))
    def target(tree: dict[str, bytes], rnd: Any, kind: str) -> None:
        _stats["inputs"] += 1
        _stats["files"] += len(tree)
        check_one(d, tree, rnd, kind)

    if run_seed is not None:
        target = seed(run_seed)(target)
    _stats.clear()
    _stats.update(inputs=0, files=0, changed=0, timer_leftovers=0)
    started = time.perf_counter()
    try:
        target()
    finally:
        signal.signal(signal.SIGTERM, old_term)
        signal.signal(signal.SIGALRM, old_alrm)
        shutil.rmtree(d, ignore_errors=True)
    return dict(sorted(_stats.items()), seconds=round(time.perf_counter() - started, 1))
