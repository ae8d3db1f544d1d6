"""The edge: the only module touching argv, stdin, stdout, stderr and exit codes."""

from __future__ import annotations

import sys
from typing import BinaryIO, Sequence, TextIO


def main(
    argv: Sequence[str] | None = None,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    if args and args[0] in ("-h", "--help", "help"):
        from .docs import help_text

        stdout.write(help_text())
        return 0
    if args and args[0] in ("-V", "--version", "version"):
        from . import __version__

        stdout.write(f"krmfn {__version__}\n")
        return 0
    if args:
        stderr.write(f"krmfn: unknown argument {args[0]!r}; see krmfn --help\n")
        return 2
    return _function(stdin, stdout, stderr)


def _function(stdin: BinaryIO, stdout: TextIO, stderr: TextIO) -> int:
    from .function import ReadError, run
    from .resourcelist import decode

    try:
        outcome = run(decode(stdin.read()))
    except ReadError as e:
        stderr.write(f"krmfn: error: {e}\n")
        return 1
    except RecursionError:
        stderr.write("krmfn: error: input is nested too deeply\n")
        return 1
    stdout.write(outcome.output)
    stdout.flush()
    for r in outcome.results:
        if r.severity in ("error", "warning"):
            stderr.write(f"krmfn: {r.line()}\n")
    return outcome.exit_code
