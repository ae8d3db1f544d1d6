"""krmfn against ``kpt fn source``, and krmfn's start-up against ``python -c "import yaml"``.

    python -m bench.run [--sizes 1000,3000,10000] [--runs 5] [--startup-runs 20] [--config FILE]

For each size (number of workloads; each comes with a Service and a ConfigMap,
so 3 resources per workload) it generates a package (:mod:`bench.generate`),
saves what ``kpt fn source DIR`` hands a function, and then alternates runs of

* ``kpt fn source DIR`` (output discarded), and
* krmfn reading that saved ResourceList on stdin (output discarded),

so both see the same machine load.  Start-up alternates krmfn on a
one-Deployment ResourceList with the same interpreter running
``-c "import yaml"``.  Every figure is a median with its min-max; ratios are
of medians.  Wall time is measured around each child process, peak RSS is the
child's ``ru_maxrss`` (which counts the parent's RSS at fork: this process
stays small), CPU is the child's user + system time.  Both cover the
descendants a child waited for: krmfn's workers (``KRMFN_WORKERS``; by
default one per usable CPU, at most 4) are forks of it, and kpt is
multi-threaded, so the CPU column says how much of the machine each used.  ``--config`` is a functionConfig file (any form krmfn
takes) passed with ``kpt fn source --fn-config``, e.g. to pick a template.
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

from .generate import generate

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

TARGETS = {
    "krmfn / kpt fn source at 3,000 workloads (9,000 resources)": 1.0,
    "start-up / python -c 'import yaml'": 1.3,
    "krmfn 10k / 1k workloads": 11.0,
}
RSS_LIMIT_MB = 300.0


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
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} exited {proc.returncode}:\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def fmt_time(xs: list[float]) -> str:
    return f"{statistics.median(xs):7.3f} s ({min(xs):.3f}-{max(xs):.3f})"


def fmt_rss(xs: list[float]) -> str:
    return f"{statistics.median(xs):6.0f} MB ({min(xs):.0f}-{max(xs):.0f})"


def ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(a) / statistics.median(b)


def prepare(workdir: str, n: int, config: str | None) -> tuple[str, str]:
    """The package directory for ``n`` workloads and the file holding kpt's ResourceList of it."""
    pkg = os.path.join(workdir, f"pkg-{n}")
    stamp = os.path.join(workdir, f"pkg-{n}.done")
    if not os.path.exists(stamp):
        generate(pkg, n)
        open(stamp, "w").close()
    rl = os.path.join(workdir, f"pkg-{n}.resourcelist.yaml")
    argv = ["kpt", "fn", "source", pkg] + (["--fn-config", config] if config else [])
    with open(rl, "wb") as out:
        subprocess.run(argv, stdout=out, check=True)
    return pkg, rl


def check_output(krmfn: list[str], rl: str, n: int) -> None:
    """One untimed run: krmfn must inject every workload (else the bench measures nothing)."""
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
    if injected != n:
        print(f"  note: {injected} of {n} workloads injected (config/policy)")


def bench_size(n: int, runs: int, workdir: str, krmfn: list[str], config: str | None) -> tuple[Samples, Samples]:
    pkg, rl = prepare(workdir, n, config)
    size_mb = os.path.getsize(rl) / 1e6
    print(f"\n{n} workloads ({3 * n} resources, ResourceList {size_mb:.1f} MB), {runs} alternated runs:")
    check_output(krmfn, rl, n)
    kpt, ours = Samples(), Samples()
    kpt_argv = ["kpt", "fn", "source", pkg] + (["--fn-config", config] if config else [])
    with open(rl, "rb") as f:
        for _ in range(runs):
            kpt.add(*measure(kpt_argv))
            ours.add(*measure(krmfn, f))
    print(f"  kpt fn source DIR      {fmt_time(kpt.seconds)}  peak RSS {fmt_rss(kpt.rss_mb)}"
          f"  CPU {statistics.median(kpt.cpu):6.2f} s")
    print(f"  krmfn < kpt's output   {fmt_time(ours.seconds)}  peak RSS {fmt_rss(ours.rss_mb)}"
          f"  CPU {statistics.median(ours.cpu):6.2f} s")
    print(f"  ratio krmfn / kpt      time {ratio(ours.seconds, kpt.seconds):.2f}x   RSS {ratio(ours.rss_mb, kpt.rss_mb):.2f}x"
          f"   CPU {ratio(ours.cpu, kpt.cpu):.2f}x")
    return kpt, ours


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
    ap.add_argument("--sizes", default="1000,3000,10000", help="workload counts, comma-separated")
    ap.add_argument("--runs", type=int, default=5, help="alternated runs per size")
    ap.add_argument("--startup-runs", type=int, default=20)
    ap.add_argument("--config", help="functionConfig file (passed to kpt fn source --fn-config)")
    ap.add_argument("--workdir", default=os.path.join(REPO, ".cache", "bench"))
    ap.add_argument("--krmfn", default=os.path.join(os.path.dirname(sys.executable), "krmfn"),
                    help="the krmfn executable (default: next to this interpreter)")
    args = ap.parse_args()
    if shutil.which("kpt") is None:
        raise SystemExit("bench: kpt is not on PATH")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    config = os.path.abspath(args.config) if args.config else None
    os.makedirs(args.workdir, exist_ok=True)
    krmfn = [args.krmfn]
    # As pip leaves an installed package: bytecode compiled (an editable install has none, and with
    # PYTHONDONTWRITEBYTECODE set every start-up would compile the modules again).
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(REPO, "krmfn")], check=True)
    workers = os.environ.get("KRMFN_WORKERS", "default: usable CPUs, at most 4")
    print(f"krmfn {args.krmfn}; python {sys.version.split()[0]}; "
          f"config {args.config or '(none: defaults)'}; {os.cpu_count()} CPUs; KRMFN_WORKERS {workers}")
    by_size: dict[int, tuple[Samples, Samples]] = {}
    for n in sizes:
        by_size[n] = bench_size(n, args.runs, args.workdir, krmfn, config)
    base, start = bench_startup(args.startup_runs, krmfn, sys.executable, args.workdir)

    print("\ntargets:")
    figures: list[tuple[str, float, float, str]] = []
    if 3000 in by_size:
        kpt, ours = by_size[3000]
        figures.append(("krmfn / kpt fn source at 3,000 workloads (9,000 resources)",
                        ratio(ours.seconds, kpt.seconds), 1.0, "x"))
    figures.append(("start-up / python -c 'import yaml'", ratio(start.seconds, base.seconds), 1.3, "x"))
    if 1000 in by_size and 10000 in by_size:
        figures.append(("krmfn 10k / 1k workloads", ratio(by_size[10000][1].seconds, by_size[1000][1].seconds), 11.0, "x"))
        figures.append(("krmfn peak RSS at 30,000 resources", statistics.median(by_size[10000][1].rss_mb),
                        RSS_LIMIT_MB, " MB"))
    for name, value, limit, unit in figures:
        verdict = "ok" if value <= limit else "MISSED"
        print(f"  {name:<62} {value:7.2f}{unit}  (target <= {limit:g}{unit})  {verdict}")


if __name__ == "__main__":
    main()
