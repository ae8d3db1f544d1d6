"""The edge: the only module touching argv, stdin, stdout, stderr and exit codes."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from typing import Any, BinaryIO, TextIO

    from .check import Checked
    from .files import Form
    from .function import Outcome, ReadError
    from .results import Result


#: Exit codes (docs/reliability.md).  0: done; 1: error results, bad input or config, an input file that
#: cannot be read; 2: usage; 3: an output that cannot be written (a file in place, stdout); 4: out of memory;
#: 70: internal error (a bug); 128+n: ended by signal n (130 SIGINT, 143 SIGTERM); 141: stdout closed early.
EXIT_IO = 3
EXIT_MEMORY = 4
EXIT_INTERNAL = 70
EXIT_PIPE = 141


class _Signalled(BaseException):
    """SIGTERM or SIGHUP, raised where the process is so that cleanups (a temporary file) run."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame: object) -> None:
    raise _Signalled(signum)


class _StreamError(Exception):
    """stdin or stdout failed (closed, full, broken pipe); the message says which."""

    def __init__(self, message: str, error: OSError | None = None) -> None:
        super().__init__(message)
        self.error = error


class _In:
    """stdin's bytes; its failures (closed, I/O error) become a _StreamError."""

    def __init__(self, stream: BinaryIO | None) -> None:
        self.stream = stream

    def read(self, *args: int) -> bytes:
        if self.stream is None:
            raise _StreamError("cannot read stdin: it is closed")
        try:
            return self.stream.read(*args)
        except OSError as e:
            raise _StreamError(f"cannot read stdin: {e.strerror or e}", e) from None


class _Out:
    """stdout as UTF-8 text, written to file descriptor 1 in blocks of 64 KiB; its failures (closed, full,
    broken pipe) become a _StreamError.

    Not through sys.stdout: its buffered writer can take a partial write to a pipe the reader closed
    for success, and lose the rest of the output without a word.
    """

    def __init__(self, fd: int | None) -> None:
        self.fd = fd
        self.buffer: list[bytes] = []
        self.size = 0

    def write(self, text: str) -> int:
        if not text:
            return 0
        if self.fd is None:
            raise _StreamError("cannot write output: stdout is closed")
        data = text.encode("utf-8")
        self.buffer.append(data)
        self.size += len(data)
        if self.size >= 1 << 16:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if not self.buffer:
            return
        view = memoryview(b"".join(self.buffer))
        self.buffer.clear()
        self.size = 0
        try:
            while view:
                view = view[os.write(self.fd, view):]  # type: ignore[arg-type]
        except OSError as e:
            raise _StreamError(f"cannot write output: {e.strerror or e}", e) from None


class _Err:
    """stderr, where a failure to write (closed, full) is ignored: there is nowhere left to say it."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            if self.stream is not None:
                self.stream.write(text)
                self.stream.flush()
        except (OSError, ValueError):
            pass
        return len(text)

    def flush(self) -> None:
        pass


def _hold_fd(fd: int) -> bool:
    """Whether ``fd`` (0, 1, 2) was closed; a closed one is filled with /dev/null so that no file
    krmfn opens takes its number."""
    try:
        os.fstat(fd)
        return False
    except OSError:
        pass
    try:
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    except OSError:
        pass
    return True


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's final flush of stdout cannot fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    except OSError:
        pass


def program() -> int:
    """The ``krmfn`` command: :func:`main` on the process's argv and streams, in a process that ends with it.

    The console script, ``python -m krmfn`` and the container's launcher call
    this; code running krmfn in-process calls :func:`main`.

    Nothing ends it with a traceback: a closed or full stdout, a broken pipe,
    an I/O error, MemoryError, SIGINT/SIGTERM/SIGHUP and a bug each end it with
    one line on stderr and an exit code of their own (EXIT_* above, :data:`_ENDINGS`).
    ``KRMFN_TRACEBACK=1`` shows the traceback of an internal error.

    The cyclic garbage collector is off for the life of the process: krmfn
    makes no reference cycles that need collecting (a run pauses the
    collector anyway, see :func:`krmfn.function.run`), and start-up's imports
    would trigger full collections of every object made so far.  Before the
    process exits, what it made is frozen (:func:`gc.freeze`), so the
    interpreter's final collection skips those objects instead of walking all
    of them once more; exit still frees them and flushes the streams.
    Together ~7 ms of a ~75 ms one-Deployment run.
    """
    import _signal  # type: ignore[import-not-found]  # signal's C core: the signal module builds enums (~4 M instructions)
    import gc

    gc.disable()
    closed = [_hold_fd(fd) for fd in (0, 1, 2)]
    for signum in (_signal.SIGTERM, _signal.SIGHUP):
        try:
            _signal.signal(signum, _on_signal)
        except (OSError, ValueError):
            pass
    stdin = _In(None if closed[0] or sys.stdin is None else sys.stdin.buffer)
    if not closed[1] and sys.stdout is not None:
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
    stdout = _Out(None if closed[1] else 1)
    stderr = _Err(None if closed[2] else sys.stderr)
    try:
        code = main(None, stdin, stdout, stderr)  # type: ignore[arg-type]
        stdout.flush()
    except BaseException as e:
        ending = _ending(e)
        if ending is None:
            raise
        line, code = ending
        stderr.write(line)
    gc.freeze()
    return code


def _ending(e: BaseException) -> tuple[str, int] | None:
    """The line on stderr and the exit code an exception ends the process with (None: it goes on up)."""
    for kind, end in _ENDINGS:
        if isinstance(e, kind):
            return end(e)
    return None


def _stream_ending(e: _StreamError) -> tuple[str, int]:
    """stdin or stdout failed: a broken pipe has its own code; after a failed write, fd 1 goes to /dev/null."""
    if e.error is not None and str(e).startswith("cannot write"):
        _silence_stdout()
    if isinstance(e.error, BrokenPipeError):
        return "krmfn: error: output closed early (broken pipe)\n", EXIT_PIPE
    return f"krmfn: error: {e}\n", EXIT_IO


def _signal_ending(e: _Signalled) -> tuple[str, int]:
    import signal

    return f"krmfn: ended by {signal.Signals(e.signum).name}\n", 128 + e.signum


def _internal_ending(e: Exception) -> tuple[str, int] | None:
    """A bug: one line, not a traceback (the last line of defence), unless ``KRMFN_TRACEBACK`` asks for it."""
    if os.environ.get("KRMFN_TRACEBACK"):
        return None
    return f"krmfn: internal error: {type(e).__name__}: {e}\n", EXIT_INTERNAL


#: How each way out of :func:`main` ends the process: the first entry the exception is an instance of.
_ENDINGS: tuple[tuple[type[BaseException], Callable[[Any], tuple[str, int] | None]], ...] = (
    (_StreamError, _stream_ending),
    (MemoryError, lambda e: ("krmfn: error: out of memory\n", EXIT_MEMORY)),
    (KeyboardInterrupt, lambda e: ("krmfn: interrupted (SIGINT)\n", 128 + 2)),  # 2: SIGINT
    (_Signalled, _signal_ending),
    (OSError, lambda e: (f"krmfn: error: {e.strerror or e}\n", EXIT_IO)),
    (Exception, _internal_ending),
)


def main(
    argv: Sequence[str] | None = None,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """krmfn on ``argv`` (default: the process's): a subcommand from :data:`_COMMANDS`, kustomize's exec plugin
    (one argument, a file), or else the KRM function on stdin; the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    command = _COMMANDS.get(args[0]) if args else None
    if command is not None:
        return command(args, stdin, stdout, stderr)
    if len(args) == 1 and not args[0].startswith("-") and os.path.isfile(args[0]):
        return _exec_plugin(args[0], stdin, stdout, stderr)
    if args:
        stderr.write(f"krmfn: unknown argument {args[0]!r}; see krmfn --help\n")
        return 2
    return _function(stdin, stdout, stderr)


def _help(args: list[str], stdin: BinaryIO, stdout: TextIO, stderr: TextIO) -> int:
    """``krmfn --help``, ``krmfn help [TOPIC]``."""
    from .docs import TOPICS, help_text

    if len(args) > 1 and args[0] == "help":
        if args[1] not in TOPICS or len(args) > 2:
            stderr.write(f"krmfn: no help topic {' '.join(args[1:])!r}; topics: {', '.join(TOPICS)}\n")
            return 2
        stdout.write(TOPICS[args[1]]())
        return 0
    stdout.write(help_text())
    return 0


def _version(args: list[str], stdin: BinaryIO, stdout: TextIO, stderr: TextIO) -> int:
    from . import __version__
    from .istio.defaults import CHART_COMMIT, CHART_LINE, ISTIO_RELEASE

    stdout.write(f"krmfn {__version__}\ntemplate istio: istio/istio chart commit {CHART_COMMIT[:7]} "
                 f"({CHART_LINE}); default image tag {ISTIO_RELEASE}\n")
    return 0


#: The subcommands by their first argument: each gets the whole argument list and the streams.
_COMMANDS: dict[str, Callable[[list[str], BinaryIO, TextIO, TextIO], int]] = {
    "-h": _help,
    "--help": _help,
    "help": _help,
    "-V": _version,
    "--version": _version,
    "version": _version,
    "inject": lambda args, stdin, stdout, stderr: _inject(args[0], args[1:], stdin, stdout, stderr),
    "uninject": lambda args, stdin, stdout, stderr: _inject(args[0], args[1:], stdin, stdout, stderr),
    "install-plugin": lambda args, stdin, stdout, stderr: _install_plugin(args[1:], stdout, stderr),
}


#: Default cap on worker processes: beyond this, memory grows faster than the run gets shorter.
MAX_DEFAULT_WORKERS = 4


def _workers(stderr: TextIO) -> int:
    """Processes a large input may use: ``KRMFN_WORKERS``, else the CPUs this process may run on
    (its affinity, and a cgroup v2 CPU quota such as a container's limit), at most MAX_DEFAULT_WORKERS."""
    wait = os.environ.get("KRMFN_WORKER_WAIT", "").strip()
    if wait:  # seconds a worker may still run once this process has done its share (krmfn.parallel)
        _worker_wait(wait, stderr)
    given = os.environ.get("KRMFN_WORKERS", "").strip()
    if given:
        if given.isascii() and given.isdigit() and int(given) >= 1:
            return int(given)
        stderr.write(f"krmfn: warning: KRMFN_WORKERS={given!r} is not a whole number >= 1; using 1\n")
        return 1
    return max(1, min(_cpus(), MAX_DEFAULT_WORKERS))


def _worker_wait(wait: str, stderr: TextIO) -> None:
    """``KRMFN_WORKER_WAIT``: set :data:`krmfn.parallel.WAIT_SECONDS`, or warn and keep its default."""
    from . import parallel

    try:
        seconds = float(wait) if wait.isascii() else 0.0
    except ValueError:
        seconds = 0.0
    if 0 < seconds < float("inf"):
        parallel.WAIT_SECONDS = seconds
    else:
        stderr.write(f"krmfn: warning: KRMFN_WORKER_WAIT={wait!r} is not a number of seconds > 0; "
                     f"using {parallel.WAIT_SECONDS:g}\n")


def _cpus() -> int:
    """The CPUs this process may run on: its affinity, within a cgroup v2 CPU quota."""
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
    return cpus


def _report(results: list[Result], stderr: TextIO) -> None:
    for r in results:
        if r.severity in ("error", "warning"):
            stderr.write(f"krmfn: {r.line()}\n")


class _Unreadable(Exception):
    """A file or stdin that cannot be read as text; the message names it."""


def _read_text(path: str, stdin: BinaryIO) -> str:
    """The decoded text of ``path`` (``-`` is stdin); raises _Unreadable."""
    from .text.document import ReadError, decode

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


def _short(result: Result) -> str:
    """A workload's line: ``kind/ns/name`` and the message, or its short form (``injected``) from the catalog."""
    from .hints import ident
    from .messages import BY_CODE

    name = ident(result.resource_ref)
    said = BY_CODE.get(result.code) if result.code else None
    message = said.short if said is not None and said.short else result.message
    if result.severity != "info":
        message = f"{result.severity}: {message}"
        if result.field_path:
            message += f" (field {result.field_path})"
    return f"{name} {message}" if name else message


def _inject(mode: str, args: list[str], stdin: BinaryIO, stdout: TextIO, stderr: TextIO) -> int:
    """``krmfn inject|uninject [-c CONFIG] [-i] [--strict] [FILE|DIR|-]...``: kube-inject for plain manifests.

    Any error: nothing on stdout (a pipe into ``kubectl apply`` gets nothing rather than unprocessed
    manifests).  A file without a Kubernetes object (no apiVersion and kind: a Helm values file, a CI
    workflow) is passed over with a note, or is an error with ``--strict``.

    The steps (:data:`_INJECT_STEPS`) run in turn on one :class:`_InjectRun` until one gives an exit code.
    """
    opts = _inject_options(mode, args)
    if isinstance(opts, int):
        return opts
    run = _InjectRun(mode, args, opts, stdin, stdout, stderr)
    for step in _INJECT_STEPS:
        code = step(run)
        if code is not None:
            return code
    return run.code


def _inject_options(mode: str, args: list[str]) -> argparse.Namespace | int:
    """The parsed arguments of ``krmfn inject|uninject``, or the exit code of ``--help`` (0) or a usage error (2)."""
    import argparse

    what = "Inject" if mode == "inject" else "Uninject (exactly, from the status annotation)"
    parser = argparse.ArgumentParser(prog=f"krmfn {mode}", description=f"{what} plain manifests.")
    parser.add_argument("-c", "--config", help="functionConfig file (any form krmfn accepts)")
    parser.add_argument("--exact-uninject", action="store_true",
                        help="record in krmfn.dev/uninject what the status annotation cannot restore (exactUninject)")
    parser.add_argument("-i", "--in-place", action="store_true", help="rewrite the files instead of printing")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; list the files and workloads that would change, exit 1 if any would")
    parser.add_argument("--diff", action="store_true", help="write nothing; print a unified diff of what would change "
                        "(exit 1 if anything would)")
    parser.add_argument("--strict", action="store_true",
                        help="a file with no Kubernetes object (no apiVersion and kind) is an error, not passed over")
    parser.add_argument("paths", nargs="*", default=["-"], help="files, directories, or - for stdin")
    _istioctl_flags(parser)
    try:
        return parser.parse_args(args)
    except SystemExit as e:
        return 2 if e.code else 0


class _InjectRun:
    """One ``krmfn inject|uninject``: its options and streams, what it read, and what it is to write.

    ``code`` is the exit code so far; ``texts``: each input's path, text and file form (stdin has none);
    then, from the outcomes: ``outputs`` (for stdout or ``-o``), ``writes`` (``-i``: path and bytes),
    ``checked`` (``--check``/``--diff``), and ``unwritable`` when an ``-i`` file cannot be rewritten.
    """

    __slots__ = ("args", "checked", "checking", "code", "config_text", "files", "mode", "opts", "outcomes",
                 "outputs", "stderr", "stdin", "stdout", "texts", "unwritable", "writes")

    def __init__(self, mode: str, args: list[str], opts: argparse.Namespace, stdin: BinaryIO, stdout: TextIO,
                 stderr: TextIO) -> None:
        self.mode = mode
        self.args = args
        self.opts = opts
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.checking: bool = opts.check or opts.diff
        self.code = 0
        self.config_text: str | None = None
        self.files: list[str] = []
        self.texts: list[tuple[str, str, Form | None]] = []
        self.outcomes: list[Outcome | ReadError] = []
        self.outputs: list[str] = []
        self.writes: list[tuple[str, bytes]] = []
        self.checked: list[Checked] = []
        self.unwritable = False

    def error(self, message: str) -> None:
        self.stderr.write(f"krmfn: error: {message}\n")


def _read_config(run: _InjectRun) -> int | None:
    """``-c`` or istioctl's file flags: the config text (1 when a file cannot be read)."""
    opts = run.opts
    try:
        config_text = _read_text(opts.config, run.stdin) if opts.config else None
        run.config_text = _istioctl_config(opts, config_text, run.stdin)
    except _Unreadable as e:
        run.error(str(e))
        return 1
    return None


def _collect(run: _InjectRun) -> int | None:
    """The input files (directories walked, ``-f`` added) and the notes about what is passed over."""
    from . import files as fs

    opts = run.opts
    if opts.filename:
        opts.paths = [p for p in opts.paths if p != "-"] + [opts.filename]
    run.files, notes = fs.collect(opts.paths or ["-"])
    for note in notes:
        run.stderr.write(f"krmfn: note: {note}\n")
    return None


def _refuse(run: _InjectRun) -> int | None:
    """Options that do not go together (2), and ``-i`` files that could not be rewritten (EXIT_IO)."""
    from . import files as fs

    opts = run.opts
    if opts.exact_uninject and run.mode != "inject":
        run.error("--exact-uninject acts when injecting (it records what uninject restores); "
                  "uninject reads the record by itself")
        return 2
    if opts.in_place and "-" in run.files:
        run.error("--in-place needs files, not stdin")
        return 2
    if opts.in_place and run.checking:
        run.error("--in-place writes files; --check and --diff write nothing: choose one")
        return 2
    problems = fs.check(run.files) if opts.in_place else []
    for problem in problems:
        run.error(f"{problem}; nothing written")
    return EXIT_IO if problems else None


def _read_inputs(run: _InjectRun) -> int | None:
    """Each input's text (an unreadable one is an error; with ``-i`` nothing is then written)."""
    from . import files as fs

    for path in run.files:
        try:
            if path == "-":
                run.texts.append((path, _read_text(path, run.stdin), None))
            else:
                run.texts.append((path, *fs.decode(path, fs.read(path))))
        except (_Unreadable, fs.FileError) as e:
            run.error(str(e))
            run.code = 1
    if run.opts.in_place and run.code:
        run.error("nothing written")
        return run.code
    return None


def _run(run: _InjectRun) -> int | None:
    """Inject (or uninject) every input as one set; a config that does not hold is one error (1)."""
    from .function import ConfigProblem, run_streams

    opts = run.opts
    try:
        run.outcomes = run_streams([t for _, t, _ in run.texts], run.config_text, run.mode, _workers(run.stderr),
                                   raise_config=True, exact_uninject=opts.exact_uninject or None)
    except ConfigProblem as e:
        where = f"{opts.config}: " if opts.config else ""
        run.error(f"{where}{e.result.message}; nothing written")
        return 1
    return None


def _take_outcomes(run: _InjectRun) -> int | None:
    """Each input's outcome: its results on stderr, its output kept for what the options say to do with it."""
    from .function import ReadError

    for (path, text, form), outcome in zip(run.texts, run.outcomes):
        name = "(stdin)" if path == "-" else path
        if isinstance(outcome, ReadError):
            run.error(f"{name}: {outcome}")
            run.code = 1
            run.unwritable = True
        elif outcome.objects == 0 and outcome.output.strip():  # not even an empty file
            _passed_over(run, name)
        else:
            _take(run, path, name, text, form, outcome)
    return None


def _passed_over(run: _InjectRun, name: str) -> None:
    what = "no Kubernetes object (no apiVersion and kind, or a kustomize or kpt file)"
    if run.opts.strict:
        run.error(f"{name}: {what}")
        run.code = 1
    else:
        run.stderr.write(f"krmfn: note: {name}: {what}; passed over\n")


def _take(run: _InjectRun, path: str, name: str, text: str, form: Form | None, outcome: Outcome) -> None:
    """One input's results (problems located in the file; per-workload lines unless checking) and output."""
    from .hints import located

    for r in outcome.results:
        if r.severity in ("error", "warning"):
            run.stderr.write(f"krmfn: {r.severity}: {located(name, r)}\n")
        elif not run.checking:
            run.stderr.write(f"{_short(r)}\n")
    run.code = max(run.code, outcome.exit_code)
    if run.checking:
        from .check import Checked

        run.checked.append(Checked(name, text, outcome.output, outcome.results))
    elif run.opts.in_place:
        if outcome.output != text:
            _stage_write(run, path, outcome.output, form)
    elif outcome.output.strip():
        run.outputs.append(outcome.output if outcome.output.endswith("\n") else outcome.output + "\n")


def _stage_write(run: _InjectRun, path: str, output: str, form: Form | None) -> None:
    """The bytes ``-i`` will write to ``path`` (in the file's own encoding and line breaks)."""
    from . import files as fs

    try:
        run.writes.append((path, fs.encode(path, output, form or fs.Form())))
    except fs.FileError as e:
        run.error(str(e))
        run.code = max(run.code, 1)
        run.unwritable = True


def _check_step(run: _InjectRun) -> int | None:
    """``--check``/``--diff``: the report instead of any output."""
    if not run.checking:
        return None
    return _check_report(run.mode, run.args, run.checked, run.code, run.opts.diff, run.stdout, run.stderr)


def _write_files(run: _InjectRun) -> int | None:
    """``-i``: every changed file rewritten, each atomically; none when one of them cannot be."""
    from . import files as fs

    if run.unwritable and run.writes:
        run.error("nothing written")  # every file is checked before any is written
        return run.code
    for n, (path, data) in enumerate(run.writes):
        try:
            fs.write_atomic(path, data)
        except fs.FileError as e:
            left = len(run.writes) - n - 1
            run.stderr.write(f"krmfn: error: {e}" + (f"; {left} more file(s) not written\n" if left else "\n"))
            return EXIT_IO
    return None


def _write_output(run: _InjectRun) -> int | None:
    """Without ``-i``: the output on stdout or in the ``-o`` file, nothing at all after an error."""
    opts = run.opts
    if opts.in_place:
        return None
    if run.code:
        where = opts.output or "stdout"
        run.stderr.write(f"krmfn: nothing written to {where} because of the errors above\n")
    elif opts.output:
        return _write_output_file(run, opts.output)
    else:
        run.stdout.write(join_streams(run.outputs))
        run.stdout.flush()
    return None


def _write_output_file(run: _InjectRun, output: str) -> int | None:
    """``-o FILE``: replaced atomically when it exists, else created (EXIT_IO when it cannot be written)."""
    from . import files as fs

    data = join_streams(run.outputs).encode("utf-8")
    try:
        if os.path.lexists(output):
            fs.write_atomic(output, data)
        else:
            with open(output, "xb") as f:
                f.write(data)
    except fs.FileError as e:
        run.error(str(e))
        return EXIT_IO
    except OSError as e:
        run.error(f"cannot write {output}: {e.strerror}")
        return EXIT_IO
    return None


#: ``krmfn inject|uninject`` after its options are parsed: each step either goes on (None) or ends the run
#: with an exit code; past the last one, the run's code.
_INJECT_STEPS: tuple[Callable[[_InjectRun], int | None], ...] = (
    _read_config,
    _collect,
    _refuse,
    _read_inputs,
    _run,
    _take_outcomes,
    _check_step,
    _write_files,
    _write_output,
)


def _check_report(mode: str, args: list[str], checked: list[Checked], code: int, diff: bool, stdout: TextIO,
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


def join_streams(outputs: list[str]) -> str:
    """YAML streams (each ending with a line break) joined into one valid stream.

    Documents are separated by ``---``; a stream that starts with directives
    (``%YAML``, ``%TAG``) needs the document before it ended with ``...`` (a
    directive after ``---`` would be content), and a stream that starts with
    its own ``---`` needs no separator.
    """
    parts: list[str] = []
    for i, out in enumerate(outputs):
        if i:
            first = _first_significant_line(out)
            if first.startswith("%"):
                parts.append("...\n")
            elif not (first.startswith("---") and first[3:4] in ("", " ", "\t", "\r")):
                parts.append("---\n")
        parts.append(out)
    return "".join(parts)


def _first_significant_line(text: str) -> str:
    for line in text.splitlines():
        s = line.lstrip("\ufeff")
        if s.strip() and not s.lstrip().startswith("#"):
            return s
    return ""


def _istioctl_flags(parser: argparse.ArgumentParser) -> None:
    """istioctl kube-inject's flags for its files (see krmfn.config.istioctl_files)."""
    import argparse

    group = parser.add_argument_group("istioctl kube-inject's files (instead of -c)")
    group.add_argument("--injectConfigFile", help="injection config: data.config of istio-sidecar-injector")
    group.add_argument("--valuesFile", help="injection values: data.values of istio-sidecar-injector (JSON)")
    group.add_argument("--meshConfigFile", help="mesh config: data.mesh of the istio ConfigMap")
    group.add_argument("-r", "--revision", help="control plane revision the files stand for")
    group.add_argument("-f", "--filename", help="input manifest file (- for stdin), as istioctl's -f")
    group.add_argument("-o", "--output", help="write the output to this file instead of stdout")
    for flag in ("injectConfigMapName", "meshConfigMapName"):  # refused: krmfn reads no cluster
        group.add_argument(f"--{flag}", help=argparse.SUPPRESS)


def _istioctl_config(opts: argparse.Namespace, config_text: str | None, stdin: BinaryIO) -> str | None:
    """The functionConfig text istioctl's file flags stand for (or ``config_text`` when none is given);
    raises _Unreadable with a message starting with the flag at fault."""
    from .config.istioctl_files import CLUSTER_FLAGS, FILE_FLAGS, FilesError
    from .config.istioctl_files import config_text as files_config

    for flag, instead in CLUSTER_FLAGS.items():
        if getattr(opts, flag) is not None:
            raise _Unreadable(f"--{flag}: krmfn reads no cluster; capture the file and pass {instead}")
    given = {flag: getattr(opts, flag) for flag in FILE_FLAGS if getattr(opts, flag) is not None}
    if not given and opts.revision is None:
        return config_text
    if config_text is not None:
        raise _Unreadable("--config and istioctl's file flags are two configs; give one")
    try:
        return files_config({flag: _read_text(path, stdin) for flag, path in given.items()}, opts.revision or "")
    except FilesError as e:
        raise _Unreadable(str(e)) from None


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
    from .text.document import decode

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
    code: int = outcome.exit_code
    return code
