"""krmfn against ``kpt fn source``, on every shape of :mod:`bench.shapes`, and krmfn's start-up.

    python -m bench.run [--shapes generate,multiline,...] [--runs 3] [--scale-runs 2]
                        [--startup-runs 20] [--config FILE] [--fresh]

For each shape it generates the package at 1,000, 3,000 and 10,000 workloads
(each comes with a Service and a ConfigMap, so 3 resources per workload) and
saves what ``kpt fn source DIR`` hands a function (for the ``json`` shape, that
as JSON).  At 3,000 workloads (9,000 resources) it alternates ``--runs`` runs of

* ``kpt fn source DIR`` (output discarded), and
* krmfn reading that saved ResourceList on stdin (output discarded),

so both see the same machine load; at 1,000 and 10,000 it runs krmfn
``--scale-runs`` times (for the 10k/1k ratio and the peak RSS at 30,000
resources).  Start-up alternates krmfn on a one-Deployment ResourceList with
the same interpreter running ``-c "import yaml"``.  Every figure is a median;
ratios are of medians measured in this run.  Wall time is measured around each
child process, peak RSS is the child's ``ru_maxrss`` (which counts the parent's
RSS at fork: this process stays small), CPU is the child's user + system time.
Both cover the descendants a child waited for: krmfn's workers
(``KRMFN_WORKERS``; by default one per usable CPU, at most 4) are forks of it,
and kpt is multi-threaded, so the CPU ratio is the whole work of each (no credit
for using more cores).  ``--config`` is a functionConfig file (any form krmfn
takes) passed with ``kpt fn source --fn-config``, e.g. to pick a template.
Packages and ResourceLists are kept in ``--workdir`` (``--fresh`` remakes them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import IO

from .shapes import SHAPES, make, resource_list

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

ONE_DEPLOYMENT = """apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
  spec:
    selector:
      matchLabels:
        app: web
    template:
      metadata:
        labels:
          app: web
      spec:
        containers:
        - name: web
          image: nginx:1.25
"""

WALL_LIMIT = 1.0  # krmfn / kpt fn source, wall, at 3,000 workloads
CPU_LIMIT = 1.0  # krmfn / kpt fn source, CPU, at 3,000 workloads
RSS_LIMIT_MB = 300.0  # krmfn's peak RSS at 10,000 workloads
SCALE_LIMIT = 11.0  # krmfn 10k / 1k workloads, wall
STARTUP_LIMIT = 1.3  # krmfn on one Deployment / python -c "import yaml"


@dataclass
class Samples:
    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system seconds, the process and its children

    def add(self, seconds: float, rss_mb: float, cpu: float) -> None:
        self.seconds.append(seconds)
        self.rss_mb.append(rss_mb)
        self.cpu.append(cpu)


def measure(
    argv: list[str], stdin: IO[bytes] | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds of one run of ``argv``; fails loudly on a non-zero exit.

    wait4's usage covers the child and the descendants it waited for (krmfn's workers), so RSS is the
    largest of them and CPU their sum, as for kpt's threads."""
    if stdin is not None:
        stdin.seek(0)
    with tempfile.TemporaryFile() as errors:  # not a pipe: a child with more than a pipe's worth to say would block
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=errors, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        err = errors.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} exited {proc.returncode}:\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def fmt_time(xs: list[float]) -> str:
    return f"{statistics.median(xs):7.3f} s ({min(xs):.3f}-{max(xs):.3f})"


def fmt_rss(xs: list[float]) -> str:
    return f"{statistics.median(xs):6.0f} MB ({min(xs):.0f}-{max(xs):.0f})"


def ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(a) / statistics.median(b)


def prepare(workdir: str, shape: str, n: int, config: str | None, fresh: bool) -> tuple[str, str]:
    """The package directory of ``shape`` for ``n`` workloads and the file holding the ResourceList krmfn reads."""
    pkg = os.path.join(workdir, f"{shape}-{n}")
    rl = os.path.join(workdir, f"{shape}-{n}.resourcelist")
    stamp = os.path.join(workdir, f"{shape}-{n}.done")
    if fresh or not os.path.exists(stamp):
        make(shape, pkg, n)
        argv = ["kpt", "fn", "source", pkg] + (["--fn-config", config] if config else [])
        printed = subprocess.run(argv, stdout=subprocess.PIPE, check=True).stdout
        with open(rl, "wb") as out:
            if shape == "json":
                # Converted in a child: ru_maxrss of every later child counts this process's RSS at fork, so
                # loading 30,000 resources here would inflate every peak RSS the bench reports afterwards.
                code = ("import sys; from bench.shapes import resource_list as r; "
                        "sys.stdout.buffer.write(r(sys.argv[1], sys.stdin.buffer.read()))")
                root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
                out.write(subprocess.run([sys.executable, "-c", code, shape], input=printed, stdout=subprocess.PIPE,
                                         check=True, cwd=root).stdout)
            else:
                out.write(resource_list(shape, printed))
        del printed
        open(stamp, "w").close()
    return pkg, rl


def check_output(krmfn: list[str], rl: str, n: int) -> str:
    """One untimed run: krmfn must inject every workload (else the bench measures nothing); a note if not."""
    out = rl + ".out"
    with open(rl, "rb") as f, open(out, "wb") as o:
        proc = subprocess.run(krmfn, stdin=f, stdout=o, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise SystemExit(f"bench: krmfn failed on {rl}:\n{proc.stderr.decode(errors='replace')[-2000:]}")
    injected = 0
    with open(out, "rb") as o:  # line by line: this process stays small (a child's peak RSS counts its parent's)
        for line in o:
            if line.startswith(b"- message: ") and b"injected (" in line:
                injected += 1
    os.remove(out)
    return "" if injected == n else f"{injected} of {n} injected"


@dataclass
class ShapeFigures:
    shape: str
    size_mb: float  # the ResourceList at 3,000 workloads
    kpt: Samples
    ours: Samples
    small: Samples  # krmfn at 1,000 workloads
    large: Samples  # krmfn at 10,000 workloads
    note: str

    @property
    def wall(self) -> float:
        return ratio(self.ours.seconds, self.kpt.seconds)

    @property
    def cpu(self) -> float:
        return ratio(self.ours.cpu, self.kpt.cpu)

    @property
    def rss(self) -> float:
        return statistics.median(self.large.rss_mb)

    @property
    def scale(self) -> float:
        return ratio(self.large.seconds, self.small.seconds)


def bench_shape(shape: str, args: argparse.Namespace, krmfn: list[str], config: str | None) -> ShapeFigures:
    mid, small_n, large_n = 3000, 1000, 10000
    pkg, rl = prepare(args.workdir, shape, mid, config, args.fresh)
    note = check_output(krmfn, rl, mid)
    kpt, ours = Samples(), Samples()
    kpt_argv = ["kpt", "fn", "source", pkg] + (["--fn-config", config] if config else [])
    with open(rl, "rb") as f:
        for _ in range(args.runs):
            kpt.add(*measure(kpt_argv))
            ours.add(*measure(krmfn, f))
    scaled = []
    for n in (small_n, large_n):
        _, path = prepare(args.workdir, shape, n, config, args.fresh)
        samples = Samples()
        with open(path, "rb") as f:
            for _ in range(args.scale_runs):
                samples.add(*measure(krmfn, f))
        scaled.append(samples)
    fig = ShapeFigures(shape, os.path.getsize(rl) / 1e6, kpt, ours, scaled[0], scaled[1], note)
    print(f"\n{shape}: 3,000 workloads (9,000 resources, ResourceList {fig.size_mb:.1f} MB), {args.runs} alternated runs")
    print(f"  kpt fn source DIR      {fmt_time(kpt.seconds)}  peak RSS {fmt_rss(kpt.rss_mb)}"
          f"  CPU {statistics.median(kpt.cpu):6.2f} s")
    print(f"  krmfn < kpt's output   {fmt_time(ours.seconds)}  peak RSS {fmt_rss(ours.rss_mb)}"
          f"  CPU {statistics.median(ours.cpu):6.2f} s")
    print(f"  krmfn 1k  workloads    {fmt_time(fig.small.seconds)}  peak RSS {fmt_rss(fig.small.rss_mb)}")
    print(f"  krmfn 10k workloads    {fmt_time(fig.large.seconds)}  peak RSS {fmt_rss(fig.large.rss_mb)}")
    print(f"  wall {fig.wall:.2f}x  CPU {fig.cpu:.2f}x  RSS@30k {fig.rss:.0f} MB  10k/1k {fig.scale:.2f}x"
          + (f"  note: {note}" if note else ""), flush=True)
    return fig


def _mark(value: float, limit: float) -> str:
    return "" if value <= limit else " **MISSED**"


def table(figs: list[ShapeFigures], startup: float) -> str:
    """The Markdown table of every target for every shape, then the worst shape per target."""
    lines = [
        f"| shape | RL MB (9k) | wall vs kpt (<= {WALL_LIMIT:g}x) | CPU vs kpt (<= {CPU_LIMIT:g}x) "
        f"| peak RSS 30k (<= {RSS_LIMIT_MB:g} MB) | 10k/1k (<= {SCALE_LIMIT:g}x) | kpt wall / CPU (9k) | krmfn wall / CPU (9k) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in figs:
        lines.append(
            f"| {f.shape}{' (' + f.note + ')' if f.note else ''} | {f.size_mb:.1f} "
            f"| {f.wall:.2f}x{_mark(f.wall, WALL_LIMIT)} | {f.cpu:.2f}x{_mark(f.cpu, CPU_LIMIT)} "
            f"| {f.rss:.0f} MB{_mark(f.rss, RSS_LIMIT_MB)} | {f.scale:.2f}x{_mark(f.scale, SCALE_LIMIT)} "
            f"| {statistics.median(f.kpt.seconds):.2f} s / {statistics.median(f.kpt.cpu):.2f} s "
            f"| {statistics.median(f.ours.seconds):.2f} s / {statistics.median(f.ours.cpu):.2f} s |"
        )
    lines.append(f"\nstart-up / python -c 'import yaml': {startup:.2f}x (<= {STARTUP_LIMIT:g}x){_mark(startup, STARTUP_LIMIT)}")
    if figs:
        worst = [
            ("wall", max(figs, key=lambda f: f.wall), lambda f: f"{f.wall:.2f}x", WALL_LIMIT, lambda f: f.wall),
            ("CPU", max(figs, key=lambda f: f.cpu), lambda f: f"{f.cpu:.2f}x", CPU_LIMIT, lambda f: f.cpu),
            ("peak RSS", max(figs, key=lambda f: f.rss), lambda f: f"{f.rss:.0f} MB", RSS_LIMIT_MB, lambda f: f.rss),
            ("10k/1k", max(figs, key=lambda f: f.scale), lambda f: f"{f.scale:.2f}x", SCALE_LIMIT, lambda f: f.scale),
        ]
        lines.append("worst shape per target: " + "; ".join(
            f"{name} {show(f)} ({f.shape}){' MISSED' if value(f) > limit else ''}"
            for name, f, show, limit, value in worst))
    return "\n".join(lines)


def bench_startup(runs: int, krmfn: list[str], python: str, workdir: str) -> tuple[Samples, Samples]:
    rl = os.path.join(workdir, "one-deployment.yaml")
    with open(rl, "w", encoding="utf-8") as f:
        f.write(ONE_DEPLOYMENT)
    base, ours = Samples(), Samples()
    with open(rl, "rb") as f:
        measure(krmfn, f)  # warm the page cache and .pyc files
        for _ in range(runs):
            base.add(*measure([python, "-c", "import yaml"]))
            ours.add(*measure(krmfn, f))
    print(f"\nstart-up, {runs} alternated runs:")
    print(f"  python -c 'import yaml' {fmt_time(base.seconds)}  peak RSS {fmt_rss(base.rss_mb)}")
    print(f"  krmfn, one Deployment   {fmt_time(ours.seconds)}  peak RSS {fmt_rss(ours.rss_mb)}")
    print(f"  ratio                   {ratio(ours.seconds, base.seconds):.2f}x")
    return base, ours


def main() -> None:
    ap = argparse.ArgumentParser(description="krmfn benchmark (see bench/run.py)")
    ap.add_argument("--shapes", default=",".join(SHAPES), help=f"comma-separated, of {', '.join(SHAPES)}")
    ap.add_argument("--runs", type=int, default=3, help="alternated kpt/krmfn runs at 3,000 workloads, per shape")
    ap.add_argument("--scale-runs", type=int, default=2, help="krmfn runs at 1,000 and 10,000 workloads, per shape")
    ap.add_argument("--startup-runs", type=int, default=20)
    ap.add_argument("--config", help="functionConfig file (passed to kpt fn source --fn-config)")
    ap.add_argument("--workdir", default=os.path.join(REPO, ".cache", "bench"))
    ap.add_argument("--fresh", action="store_true", help="make the packages and ResourceLists again")
    ap.add_argument("--krmfn", default=os.path.join(os.path.dirname(sys.executable), "krmfn"),
                    help="the krmfn executable (default: next to this interpreter)")
    args = ap.parse_args()
    if shutil.which("kpt") is None:
        raise SystemExit("bench: kpt is not on PATH")
    shapes = [s for s in args.shapes.split(",") if s]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        raise SystemExit(f"bench: unknown shape {unknown[0]!r}; the shapes are {', '.join(SHAPES)}")
    config = os.path.abspath(args.config) if args.config else None
    os.makedirs(args.workdir, exist_ok=True)
    krmfn = [args.krmfn]
    # As pip leaves an installed package: bytecode compiled (an editable install has none, and with
    # PYTHONDONTWRITEBYTECODE set every start-up would compile the modules again).
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(REPO, "krmfn")], check=True)
    workers = os.environ.get("KRMFN_WORKERS", "default: usable CPUs, at most 4")
    load = os.getloadavg()
    print(f"krmfn {args.krmfn}; python {sys.version.split()[0]}; "
          f"config {args.config or '(none: defaults)'}; {os.cpu_count()} CPUs; KRMFN_WORKERS {workers}; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    figs = [bench_shape(shape, args, krmfn, config) for shape in shapes]
    base, start = bench_startup(args.startup_runs, krmfn, sys.executable, args.workdir)
    load = os.getloadavg()
    print(f"\nload average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print(table(figs, ratio(start.seconds, base.seconds)))


if __name__ == "__main__":
    main()
