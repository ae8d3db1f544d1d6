"""The edge: the only module touching argv, stdin, stdout, stderr and exit codes."""

from __future__ import annotations

import os
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
    if args and args[0] == "install-plugin":
        return _install_plugin(args[1:], stdout, stderr)
    if len(args) == 1 and not args[0].startswith("-") and os.path.isfile(args[0]):
        return _exec_plugin(args[0], stdin, stdout, stderr)
    if args:
        stderr.write(f"krmfn: unknown argument {args[0]!r}; see krmfn --help\n")
        return 2
    return _function(stdin, stdout, stderr)


def _report(results: list, stderr: TextIO) -> None:
    for r in results:
        if r.severity in ("error", "warning"):
            stderr.write(f"krmfn: {r.line()}\n")


def _exec_plugin(config_path: str, stdin: BinaryIO, stdout: TextIO, stderr: TextIO) -> int:
    """kustomize's legacy exec plugin protocol: config file as argv[1], YAML stream on stdin."""
    from .function import ReadError, run_stream
    from .resourcelist import decode

    try:
        with open(config_path, "rb") as f:
            config_text = decode(f.read())
        outcome = run_stream(decode(stdin.read()), config_text)
    except ReadError as e:
        stderr.write(f"krmfn: error: {e}\n")
        return 1
    except OSError as e:
        stderr.write(f"krmfn: error: cannot read {config_path}: {e.strerror}\n")
        return 1
    stdout.write(outcome.output)
    stdout.flush()
    _report(outcome.results, stderr)
    return outcome.exit_code


def _install_plugin(args: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """Put krmfn where kustomize looks for the exec plugin of its typed kind."""
    from .config import TYPED_API_VERSION, TYPED_KIND

    if len(args) > 1 or (args and args[0].startswith("-")):
        stderr.write("krmfn: usage: krmfn install-plugin [DIR]\n")
        return 2
    if args:
        home = args[0]
    else:
        home = os.environ.get("KUSTOMIZE_PLUGIN_HOME") or os.path.join(
            os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config"),
            "kustomize",
            "plugin",
        )
    group, version = TYPED_API_VERSION.split("/")
    folder = os.path.join(os.path.abspath(home), group, version, TYPED_KIND.lower())
    path = os.path.join(folder, TYPED_KIND)
    try:
        os.makedirs(folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(f'#!/bin/sh\n# kustomize exec plugin for {TYPED_API_VERSION} {TYPED_KIND}\n'
                    f'exec "{sys.executable}" -m krmfn "$@"\n')
        os.chmod(path, 0o755)
    except OSError as e:
        stderr.write(f"krmfn: error: cannot write {path}: {e.strerror}\n")
        return 1
    stdout.write(path + "\n")
    return 0


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
    _report(outcome.results, stderr)
    return outcome.exit_code
