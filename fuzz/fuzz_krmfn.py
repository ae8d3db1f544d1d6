"""Fuzz krmfn's function mode and stream mode with hypothesis-generated inputs.

    python fuzz/fuzz_krmfn.py -n 100000            # the long run (make fuzz N=100000)
    python fuzz/fuzz_krmfn.py -n 300 --seed 1      # what the test suite runs
    python fuzz/fuzz_krmfn.py --mode files -n 1000 # in-place writes under FS faults and signals

Inputs mix structured ResourceLists (valid by construction: comments, anchors,
flow style, tricky scalars, every workload kind, each functionConfig form),
the same texts damaged byte-wise, raw bytes, and the classic hostile shapes
(alias bombs, deep nesting, duplicate keys).  Every input goes through
:func:`oracle.check_function` (and streams through ``check_stream``); the first
input that breaks the contract is shrunk by hypothesis and printed.

Why hypothesis rather than atheris: one dependency for the property tests and
the fuzzer, and structure-aware generation -- libFuzzer-style byte mutation
of YAML mostly yields texts libyaml rejects in its first lines, far from the
composer, config and splice code where the bugs live.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

import oracle
import strategies as gen

HEADER = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"


@st.composite
def hostile_shapes(draw: Any) -> bytes:
    """The shapes a parser-level attacker reaches for, with random sizes."""
    shape = draw(st.sampled_from(["bomb", "deep", "dupkey", "tags", "merge"]))
    kind = draw(st.sampled_from(["ConfigMap", "Deployment", "Pod"]))
    api = {"ConfigMap": "v1", "Deployment": "apps/v1", "Pod": "v1"}[kind]
    head = f"{HEADER}items:\n- apiVersion: {api}\n  kind: {kind}\n  metadata:\n    name: x\n"
    spec = "  spec:\n    template:\n      spec:\n        containers: [{name: a}]\n" if kind == "Deployment" else (
        "  spec:\n    containers: [{name: a}]\n" if kind == "Pod" else "")
    if shape == "bomb":  # mostly below the expansion cap (expanded and injected), sometimes past it
        width = draw(st.integers(2, 10))
        most = 9 if draw(st.integers(0, 9)) == 0 else max(1, int(math.log(20_000) / math.log(width)) - 1)
        levels = draw(st.integers(1, most))
        lines = [f"    a0: &a0 [{', '.join(['x'] * width)}]"]
        lines += [f"    a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels + 1)]
        where = draw(st.sampled_from(["item", "config"]))
        if where == "config":
            return (f"{HEADER}items: []\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n"
                    + "\n".join(lines) + "\n").encode()
        return (head + spec + "  bomb:\n" + "\n".join(lines) + "\n").encode()
    if shape == "deep":
        depth = draw(st.integers(100, 3000))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}")]))
        return (head + spec + "  deep: " + opener * depth + "1" + closer * depth + "\n").encode()
    if shape == "dupkey":
        key = draw(st.sampled_from(["metadata", "name", "spec", "containers", "kind", "items", "data"]))
        return (head + spec + f"  {key}: dup\n").encode()
    if shape == "tags":
        tag = draw(st.sampled_from(["!!python/object/apply:os.system", "!!python/name:os.system",
                                    "!!binary", "!custom", "!!set", "!!omap", "!!timestamp", "!!int", "!!map"]))
        return (head + spec + f"  tagged: {tag} [\"touch /tmp/krmfn-pwned\"]\n").encode()
    return (head + spec + "  base: &b {x: 1}\n  merged:\n    <<: *b\n    y: 2\n").encode()


_stats: dict[str, Any] = {}


def one(data: bytes, source: str) -> None:
    _stats["inputs"] += 1
    _stats[source] += 1
    t = time.perf_counter()
    code, out, _ = oracle.check_function(data)
    _stats["slowest"] = round(max(_stats["slowest"], time.perf_counter() - t), 2)
    _stats[f"exit{code}"] += 1
    _stats["unreadable"] += not out


CONFIGS = [None, "policy: enabled", "apiVersion: v1\nkind: ConfigMap\n", "[broken", "a: &a [*a]",
           "apiVersion: krmfn.dev/v1alpha1\nkind: SidecarInjector\npolicy: off\n"]


def fuzz(examples: int, mutants: int = 8, run_seed: int | None = None) -> dict[str, Any]:
    """``examples`` generated ResourceLists, each also damaged ``mutants`` times, plus every tenth
    example a hostile shape and raw bytes, and a stream.  Raises AssertionError (with the shrunk
    input) on the first input that breaks the contract."""

    @settings(max_examples=examples, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    @given(gen.resource_lists(), st.randoms(use_true_random=False), st.data())
    def target(case: gen.Case, rnd: Any, data: st.DataObject) -> None:
        text = case.text.encode("utf-8")
        one(text, "generated")
        for _ in range(mutants):
            one(gen.mutate(text, rnd), "mutated")
        if data.draw(st.integers(0, 9)) == 0:
            one(data.draw(hostile_shapes()), "hostile")
            one(data.draw(st.binary(max_size=300)), "raw")
            stream, _ = data.draw(gen.streams())
            oracle.check_stream(stream, data.draw(st.sampled_from(CONFIGS)))
            _stats["streams"] += 1

    if run_seed is not None:
        target = seed(run_seed)(target)
    _stats.update(inputs=0, generated=0, mutated=0, hostile=0, raw=0, streams=0, exit0=0, exit1=0, unreadable=0,
                  slowest=0.0)
    started = time.perf_counter()
    target()
    return dict(_stats, seconds=round(time.perf_counter() - started, 1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="inputs to run, at least (default 1000)")
    parser.add_argument("--mutants", type=int, default=8, help="damaged copies of each generated input")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--mode", choices=["krm", "files", "templates", "workers", "memory"], default="krm",
                        help="krm (default): generated ResourceLists; files: in-place writes under file-system faults"
                        " and signals (fuzz_files.py); templates, workers, memory: see fuzz/sandbox.py")
    opts = parser.parse_args()
    if opts.mode == "files":
        import fuzz_files

        print(" ".join(f"{k}={v}" for k, v in fuzz_files.fuzz(opts.n, opts.seed).items()))
        return 0
    if opts.mode != "krm":
        import sandbox

        stats = sandbox.MODES[opts.mode](opts.n, opts.seed)
        print(" ".join(f"{k}={v}" for k, v in stats.items()))
        return 0
    stats = fuzz(max(1, int(opts.n / (opts.mutants + 1.2)) + 1), opts.mutants, opts.seed)
    print(" ".join(f"{k}={v}" for k, v in stats.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
