"""The edge: the only module touching argv, stdin, stdout, stderr and exit codes."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import BinaryIO, TextIO


def program() -> int:
    """The ``krmfn`` command: :func:`main` on the process's argv and streams, in a process that ends with it.

    The console script, ``python -m krmfn`` and the container's launcher call
    this; code running krmfn in-process calls :func:`main`.

    The cyclic garbage collector is off for the life of the process: krmfn
    makes no reference cycles that need collecting (a run pauses the
    collector anyway, see :func:`krmfn.function.run`), and start-up's imports
    would trigger full collections of every object made so far.  Before the
    process exits, what it made is frozen (:func:`gc.freeze`), so the
    interpreter's final collection skips those objects instead of walking all
    of them once more; exit still frees them and flushes the streams.
    Together ~7 ms of a ~75 ms one-Deployment run.
    """
    import gc

    gc.disable()
    code = main()
    gc.freeze()
    return code


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
        from .docs import TOPICS, help_text

        if len(args) > 1 and args[0] == "help":
            if args[1] not in TOPICS or len(args) > 2:
                stderr.write(f"krmfn: no help topic {' '.join(args[1:])!r}; topics: {', '.join(TOPICS)}\n")
                return 2
            stdout.write(TOPICS[args[1]]())
            return 0
        stdout.write(help_text())
        return 0
    if args and args[0] in ("-V", "--version", "version"):
        from . import __version__

        stdout.write(f"krmfn {__version__}\n")
        return 0
    if args and args[0] in ("inject", "uninject"):
        return _inject(args[0], args[1:], stdin, stdout, stderr)
    if args and args[0] == "install-plugin":
        return _install_plugin(args[1:], stdout, stderr)
    if len(args) == 1 and not args[0].startswith("-") and os.path.isfile(args[0]):
        return _exec_plugin(args[0], stdin, stdout, stderr)
    if args:
        stderr.write(f"krmfn: unknown argument {args[0]!r}; see krmfn --help\n")
        return 2
    return _function(stdin, stdout, stderr)


#: Default cap on worker processes: beyond this, memory grows faster than the run gets shorter.
MAX_DEFAULT_WORKERS = 4


def _workers(stderr: TextIO) -> int:
    """Processes a large input may use: ``KRMFN_WORKERS``, else the CPUs this process may run on
    (its affinity, and a cgroup v2 CPU quota such as a container's limit), at most MAX_DEFAULT_WORKERS."""
    given = os.environ.get("KRMFN_WORKERS", "").strip()
    if given:
        if given.isdigit() and int(given) >= 1:
            return int(given)
        stderr.write(f"krmfn: warning: KRMFN_WORKERS={given!r} is not a whole number >= 1; using 1\n")
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return max(1, min(cpus, MAX_DEFAULT_WORKERS))


def _report(results: list, stderr: TextIO) -> None:
    for r in results:
        if r.severity in ("error", "warning"):
            stderr.write(f"krmfn: {r.line()}\n")


class _Unreadable(Exception):
    """A file or stdin that cannot be read as text; the message names it."""


def _read_text(path: str, stdin: BinaryIO) -> str:
    """The decoded text of ``path`` (``-`` is stdin); raises _Unreadable."""
    from .resourcelist import ReadError, decode

    try:
        if path == "-":
            return decode(stdin.read())
        with open(path, "rb") as f:
            return decode(f.read())
    except OSError as e:
        raise _Unreadable(f"cannot read {path}: {e.strerror}") from None
    except ReadError as e:
        raise _Unreadable(f"{path}: {e}") from None


def _exec_plugin(config_path: str, stdin: BinaryIO, stdout: TextIO, stderr: TextIO) -> int:
    """kustomize's legacy exec plugin protocol: config file as argv[1], YAML stream on stdin."""
    from .function import ReadError, run_stream

    try:
        config_text = _read_text(config_path, stdin)
        meant = _meant_inject(config_text)
        if meant:
            stderr.write(f"krmfn: error: {config_path} holds {meant}, not a krmfn config; "
                         f"did you mean `krmfn inject {config_path}`?\n")
            return 2
        if _is_terminal(stdin):
            stderr.write(f"krmfn: error: `krmfn {config_path}` is kustomize's exec-plugin form and reads manifests "
                         f"on stdin, here a terminal; to inject files: `krmfn inject -c {config_path} FILE...`\n")
            return 2
        outcome = run_stream(_read_text("-", stdin), config_text, _workers(stderr))
    except (ReadError, _Unreadable) as e:
        stderr.write(f"krmfn: error: {e}\n")
        return 1
    for piece in outcome.pieces():
        stdout.write(piece)
    stdout.flush()
    _report(outcome.results, stderr)
    return outcome.exit_code


def _is_terminal(stream: BinaryIO) -> bool:
    stream = getattr(stream, "stream", stream)  # a wrapper around stdin (its failures as messages) holds it
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _meant_inject(config_text: str) -> str:
    """The kinds of a manifest given where the exec plugin's config goes ("" when it may be a config)."""
    from .config import parse_text
    from .hints import manifest_kinds

    try:
        kinds = manifest_kinds(parse_text(config_text))
    except Exception:  # not readable as YAML: the config parser reports it
        return ""
    return ", ".join(dict.fromkeys(kinds))


def _manifest_files(paths: list[str]) -> list[str]:
    """Files named, and YAML/JSON files under directories named, in sorted order."""
    out: list[str] = []
    for p in paths:
        if p != "-" and os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                out.extend(os.path.join(root, f) for f in sorted(files) if f.endswith((".yaml", ".yml", ".json")))
        else:
            out.append(p)
    return out


def _short(result) -> str:
    ref = result.resource_ref or {}
    ident = "/".join(x for x in (ref.get("kind", "").lower(), ref.get("namespace"), ref.get("name")) if x)
    message = result.message
    for word in ("injected", "re-injected"):
        if message.startswith(word + " ("):
            message = word
    if result.severity != "info":
        message = f"{result.severity}: {message}"
        if result.field_path:
            message += f" (field {result.field_path})"
    return f"{ident} {message}" if ident else message


def _inject(mode: str, args: list[str], stdin: BinaryIO, stdout: TextIO, stderr: TextIO) -> int:
    """``krmfn inject|uninject [-c CONFIG] [-i] [--strict] [FILE|DIR|-]...``: kube-inject for plain manifests.

    Any error: nothing on stdout (a pipe into ``kubectl apply`` gets nothing rather than unprocessed
    manifests).  A file without a Kubernetes object (no apiVersion and kind: a Helm values file, a CI
    workflow) is passed over with a note, or is an error with ``--strict``.
    """
    import argparse

    what = "Inject" if mode == "inject" else "Uninject (exactly, from the status annotation)"
    parser = argparse.ArgumentParser(prog=f"krmfn {mode}", description=f"{what} plain manifests.")
    parser.add_argument("-c", "--config", help="functionConfig file (any form krmfn accepts)")
    parser.add_argument("-i", "--in-place", action="store_true", help="rewrite the files instead of printing")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; list the files and workloads that would change, exit 1 if any would")
    parser.add_argument("--diff", action="store_true", help="write nothing; print a unified diff of what would change "
                        "(exit 1 if anything would)")
    parser.add_argument("--strict", action="store_true",
                        help="a file with no Kubernetes object (no apiVersion and kind) is an error, not passed over")
    parser.add_argument("paths", nargs="*", default=["-"], help="files, directories, or - for stdin")
    try:
        opts = parser.parse_args(args)
    except SystemExit as e:
        return 2 if e.code else 0
    from .function import ConfigProblem, ReadError, run_streams
    from .hints import located

    try:
        config_text = _read_text(opts.config, stdin) if opts.config else None
    except _Unreadable as e:
        stderr.write(f"krmfn: error: {e}\n")
        return 1
    files = _manifest_files(opts.paths or ["-"])
    if opts.in_place and "-" in files:
        stderr.write("krmfn: error: --in-place needs files, not stdin\n")
        return 2
    checking = opts.check or opts.diff
    if opts.in_place and checking:
        stderr.write("krmfn: error: --in-place writes files; --check and --diff write nothing: choose one\n")
        return 2
    checked: list = []
    code = 0
    outputs: list[str] = []
    texts: list[tuple[str, str]] = []
    for path in files:
        try:
            texts.append((path, _read_text(path, stdin)))
        except _Unreadable as e:
            stderr.write(f"krmfn: error: {e}\n")
            code = 1
    try:
        outcomes = run_streams([t for _, t in texts], config_text, mode, _workers(stderr), raise_config=True)
    except ConfigProblem as e:
        where = f"{opts.config}: " if opts.config else ""
        stderr.write(f"krmfn: error: {where}{e.result.message}; nothing written\n")
        return 1
    for (path, text), outcome in zip(texts, outcomes):
        name = "(stdin)" if path == "-" else path
        if isinstance(outcome, ReadError):
            stderr.write(f"krmfn: error: {name}: {outcome}\n")
            code = 1
            continue
        if outcome.objects == 0 and outcome.output.strip():  # not even an empty file
            what = "no Kubernetes object (no apiVersion and kind, or a kustomize or kpt file)"
            if opts.strict:
                stderr.write(f"krmfn: error: {name}: {what}\n")
                code = 1
            else:
                stderr.write(f"krmfn: note: {name}: {what}; passed over\n")
            continue
        for r in outcome.results:
            if r.severity in ("error", "warning"):
                stderr.write(f"krmfn: {r.severity}: {located(name, r)}\n")
            elif not checking:
                stderr.write(f"{_short(r)}\n")
        code = max(code, outcome.exit_code)
        if checking:
            from .check import Checked

            checked.append(Checked(name, text, outcome.output, outcome.results))
        elif opts.in_place:
            if outcome.output != text:
                with open(path, "w", encoding="utf-8", newline="") as f:
                    f.write(outcome.output)
        elif outcome.output.strip():
            outputs.append(outcome.output if outcome.output.endswith("\n") else outcome.output + "\n")
    if checking:
        return _check_report(mode, args, checked, code, opts.diff, stdout, stderr)
    if not opts.in_place:
        if code:
            stderr.write("krmfn: nothing written to stdout because of the errors above\n")
        else:
            stdout.write("---\n".join(outputs))
            stdout.flush()
    return code


def _check_report(mode: str, args: list[str], checked: list, code: int, diff: bool, stdout: TextIO,
                  stderr: TextIO) -> int:
    """``--check``/``--diff``: the report (stdout, or stderr under a diff), the diff; 1 if anything would change."""
    import shlex

    from .check import report

    if code:  # errors are on stderr; a partial verdict would mislead
        stderr.write("krmfn: check incomplete because of the errors above\n")
        return code
    update = " ".join(["krmfn", mode, "-i", *(shlex.quote(a) for a in args if a not in ("--check", "--diff"))])
    text = report(checked, update)
    if diff:
        stdout.write("".join(c.diff for c in checked))
        stdout.flush()
        stderr.write(text)
    else:
        stdout.write(text)
        stdout.flush()
    return 1 if any(c.changed for c in checked) else 0


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
        outcome = run(decode(stdin.read()), _workers(stderr))
    except ReadError as e:
        stderr.write(f"krmfn: error: {e}\n")
        return 1
    except RecursionError:
        stderr.write("krmfn: error: input is nested too deeply\n")
        return 1
    for piece in outcome.pieces():
        stdout.write(piece)
    stdout.flush()
    _report(outcome.results, stderr)
    return outcome.exit_code
