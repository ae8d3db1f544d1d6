"""Instructions krmfn executes on each shape, counted by valgrind's callgrind: a figure that does not move with the
machine's load, for comparing two versions of the code while other work runs (wall and CPU seconds on a shared VM
swing by tens of percent; instruction counts repeat to a few parts in ten thousand).

    python -m bench.icount [--shapes generate,multiline] [--workloads 200] [--krmfn CMD] [--workers 1]

For each shape it makes (or reuses) the package of ``--workloads`` workloads in ``--workdir`` as ``make bench``
does, runs krmfn on its ResourceList under ``valgrind --tool=callgrind`` with ``KRMFN_WORKERS`` (default 1: the
work itself; ``--workers 2``, what ``make bench`` runs, adds what sharing it costs: the workers' own counts
are added, see :func:`instructions`), and prints the instructions in millions, and once the start-up (a
one-Deployment ResourceList) so that ``per workload = (total - start-up) / workloads`` can be compared across
sizes.  It is a tool for A/B comparisons, not a target: the targets are ``make bench``'s (seconds against kpt).
About 40 s per shape at 200 workloads.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

from .run import ONE_DEPLOYMENT, REPO, prepare
from .shapes import SHAPES


def instructions(cmd: list[str], stdin_path: str, workers: int) -> int:
    """The instructions callgrind counts for ``cmd`` reading ``stdin_path`` (output discarded), its forked
    workers included: each process writes its own counts (``--trace-children``), and the parent writes what it
    counted so far before each fork (``--dump-before=fork``), so that a child -- which starts from the
    parent's counters at the fork -- starts from zero and nothing is counted twice."""
    env = dict(os.environ, KRMFN_WORKERS=str(workers))
    with tempfile.TemporaryDirectory() as out, open(stdin_path, "rb") as stdin:
        done = subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes", "--dump-before=fork",
                               f"--callgrind-out-file={out}/cg.%p", *cmd],
                              stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
        counts = []
        for name in os.listdir(out):
            with open(os.path.join(out, name), "rb") as f:
                found = re.search(rb"^summary: (\d+)$", f.read(), re.MULTILINE)
            if found is not None:
                counts.append(int(found.group(1)))
    if done.returncode != 0 or not counts:
        sys.exit(f"icount: {shlex.join(cmd)} failed (exit {done.returncode}):\n"
                 + done.stderr.decode(errors="replace")[-2000:])
    return sum(counts)


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.icount", description=__doc__.split("\n\n")[0])
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated shapes (default: all)")
    ap.add_argument("--workloads", type=int, default=200)
    ap.add_argument("--workers", type=int, default=1, help="KRMFN_WORKERS for the runs (default 1)")
    ap.add_argument("--krmfn", default=None,
                    help="the krmfn command (default: this interpreter with -m krmfn, run from this checkout)")
    ap.add_argument("--workdir", default=os.path.join(REPO, ".cache", "icount"))
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("icount: valgrind is not installed (Debian package valgrind)")
    cmd = shlex.split(args.krmfn) if args.krmfn else [sys.executable, "-m", "krmfn"]
    os.makedirs(args.workdir, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as one:
        one.write(ONE_DEPLOYMENT)
    try:
        start = instructions(cmd, one.name, args.workers)
    finally:
        os.unlink(one.name)
    print(f"start-up: {start / 1e6:,.0f} M instructions")
    print("| shape | workloads | M instructions | per workload (k, start-up excluded) |")
    print("|---|---|---|---|")
    for shape in args.shapes.split(","):
        _, rl = prepare(args.workdir, shape, args.workloads, None, False)
        total = instructions(cmd, rl, args.workers)
        print(f"| {shape} | {args.workloads} | {total / 1e6:,.0f} | {(total - start) / args.workloads / 1e3:,.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
