"""The benchmark's shapes at a small scale, as kpt hands them to a function, for tests.

    python -m bench.corpus --record tests/corpus.json [--krmfn CMD]

makes each shape of :mod:`bench.shapes` with :data:`SMALL` workloads, has
``kpt fn source`` print it, runs krmfn (the executable ``CMD``) on it, and
records the SHA-256 of the ResourceList and of krmfn's output and stderr.
tests/test_corpus.py makes the ResourceLists again and requires the same input
hashes and, from today's krmfn, the same outputs.  The figures were first recorded
with the krmfn that had no per-item fast read; after the merge of issues 11-13 (no
krmfn.dev/uninject by default, go-yaml-safe quoting) they were recorded again with
the general read path only (``--krmfn`` a wrapper that sets
``krmfn.text.read._read_fast`` to return None), so the corpus pins the fast read's
whole output to the general read's.  Recorded again (the same way) when the
``uninject will not be exact`` warning moved from inject to uninject: the items are
byte-identical to the previous recording's output, the results the same less those warnings.  The
``helm`` shape's entry was added the same way (the general read path of main at 67c0449, which gives the
other shapes' recorded figures too), the others left as they were; the ``scripts`` shape's likewise with
the general read path of main after issue 15's second CPU session (which reproduces every other entry).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import subprocess
import tempfile

from .shapes import SHAPES, make, resource_list

#: Workloads per shape: enough that every shape is above the fast read's size threshold (32 KiB).
SMALL = 20


def resource_lists(workdir: str, n: int = SMALL) -> dict[str, bytes]:
    """Each shape's ResourceList for ``n`` workloads, made in ``workdir``."""
    out: dict[str, bytes] = {}
    for shape in SHAPES:
        pkg = os.path.join(workdir, shape)
        make(shape, pkg, n)
        printed = subprocess.run(["kpt", "fn", "source", pkg], stdout=subprocess.PIPE, check=True).stdout
        out[shape] = resource_list(shape, printed)
    return out


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--record", required=True, help="the JSON file to write")
    ap.add_argument("--krmfn", default="krmfn", help="the krmfn command whose output is recorded")
    args = ap.parse_args()
    figures: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for shape, text in resource_lists(tmp).items():
            proc = subprocess.run(shlex.split(args.krmfn), input=text, capture_output=True,
                                  env={**os.environ, "KRMFN_WORKERS": "1"})
            figures[shape] = {"input": sha(text), "output": sha(proc.stdout), "exit": str(proc.returncode)}
    with open(args.record, "w", encoding="utf-8") as f:
        json.dump(figures, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
