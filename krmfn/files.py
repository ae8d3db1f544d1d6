"""Manifest files on disk: finding them, reading them, and rewriting them in place atomically.

Everything ``krmfn inject|uninject`` does with named files lives here (the
edge, with :mod:`krmfn.cli`); the logic that turns one text into another stays
pure.

* **Finding**: files named, and ``*.yaml``/``*.yml``/``*.json`` under
  directories named.  A symbolic link that leads out of the directory it was
  found in is not followed, and anything that is not a regular file (a device,
  a fifo, a socket) found in a directory is skipped; each skip is a note.
* **Checking first** (in-place runs): every file must be a regular file the
  user can read and write, in a directory where a new file can be made; one
  that is not fails the run before anything is written.
* **Writing atomically**: the new text goes to a temporary file in the same
  directory, is flushed to disk (fsync), takes the original's mode (and owner,
  where allowed) and is renamed over the original (``os.replace``, atomic on
  POSIX).  On any failure -- a full disk, an I/O error, a signal -- the
  temporary file is removed and the original keeps its bytes; the message
  names the file.  A reader sees the old file or the new one, never a part.
* **Keeping the form**: encoding (UTF-8 with or without BOM, UTF-16 LE/BE with
  BOM), line endings (kept by the splice, see :func:`krmfn.text.read.newline_of`)
  and format: a JSON file stays JSON with its indentation.

The operating-system calls go through :class:`OSLayer` so that tests and the
fuzzer can inject faults (ENOSPC, EIO, a signal in the middle of a write).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat

SUFFIXES = (".yaml", ".yml", ".json")


class FileError(Exception):
    """A file that cannot be read or written; the message names it (one line)."""


class OSLayer:
    """The system calls an in-place write makes; swap it to inject faults."""

    def mkstemp(self, directory: str, name: str) -> tuple[int, str]:
        import tempfile

        return tempfile.mkstemp(prefix=f".{name}.", suffix=".krmfn-tmp", dir=directory)

    def write(self, fd: int, data: bytes | memoryview) -> int:
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        os.fsync(fd)

    def close(self, fd: int) -> None:
        os.close(fd)

    def chmod(self, fd: int, mode: int) -> None:
        os.fchmod(fd, mode)

    def chown(self, fd: int, uid: int, gid: int) -> None:
        os.fchown(fd, uid, gid)

    def replace(self, src: str, dst: str) -> None:
        os.replace(src, dst)

    def unlink(self, path: str) -> None:
        os.unlink(path)

    def fsync_dir(self, directory: str) -> None:
        try:
            fd = os.open(directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


#: The layer in use (tests and the fuzzer replace it).
layer = OSLayer()


def _why(e: OSError) -> str:
    return e.strerror or str(e)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def collect(paths: list[str]) -> tuple[list[str], list[str]]:
    """The files to process, in order, and notes about what was skipped.

    Files named are taken as named (``-`` is stdin; a named pipe such as
    ``<(...)`` can be read, not rewritten: see :func:`check`).  Under a
    directory named: ``*.yaml``, ``*.yml`` and ``*.json`` regular files, in
    sorted order, not following a link whose target is outside that directory,
    and each real file once.
    """
    out: list[str] = []
    notes: list[str] = []
    for p in paths:
        if p == "-" or not os.path.isdir(p):
            out.append(p)
        else:
            out.extend(_walk(p, notes))
    return out, notes


def _walk(directory: str, notes: list[str]) -> list[str]:
    """The files :func:`collect` takes under ``directory``; what it passes over goes into ``notes``."""
    root = os.path.realpath(directory)
    out: list[str] = []
    seen: set[str] = set()
    for top, dirs, files in os.walk(directory):
        kept = []
        for d in sorted(dirs):
            full = os.path.join(top, d)
            if os.path.islink(full) and not _inside(os.path.realpath(full), root):
                notes.append(f"skipped {full}: a link out of {directory}")
            else:
                kept.append(d)
        dirs[:] = kept
        for f in sorted(files):
            if not f.endswith(SUFFIXES):
                continue
            full = os.path.join(top, f)
            real = os.path.realpath(full)
            why = _not_taken(full, real, root, directory)
            if why:
                notes.append(f"skipped {full}: {why}")
            elif real not in seen:  # else a link to a file already taken
                seen.add(real)
                out.append(full)
    return out


def _not_taken(full: str, real: str, root: str, directory: str) -> str:
    """Why a file found under ``directory`` is passed over ("" when it is taken)."""
    if not _inside(real, root):
        return f"a link out of {directory}"
    try:
        st = os.stat(full)
    except OSError as e:
        return _why(e)
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    return ""


def check(paths: list[str]) -> list[str]:
    """Messages (one per file) about files that cannot be rewritten in place; empty when all can."""
    problems = []
    for path in paths:
        real = os.path.realpath(path)
        try:
            st = os.stat(real)
        except OSError as e:
            problems.append(f"cannot read {path}: {_why(e)}")
            continue
        if not stat.S_ISREG(st.st_mode):
            problems.append(f"cannot rewrite {path}: not a regular file")
            continue
        if not os.access(real, os.R_OK):
            problems.append(f"cannot read {path}: permission denied")
            continue
        if not os.access(real, os.W_OK) or not st.st_mode & 0o222:
            problems.append(f"cannot rewrite {path}: the file is read-only")
            continue
        directory = os.path.dirname(real) or "."
        if not os.access(directory, os.W_OK | os.X_OK):
            problems.append(f"cannot rewrite {path}: its directory {directory} is not writable")
    return problems


class Form:
    """How a file's text is stored: its encoding (with BOM or not) and whether it is JSON."""

    __slots__ = ("encoding", "bom", "json_indent", "json_ascii", "final_newline")

    def __init__(self, encoding: str = "utf-8", bom: bytes = b"") -> None:
        self.encoding = encoding
        self.bom = bom
        self.json_indent: int | str | bool | None = False  # False: not JSON
        self.json_ascii = True
        self.final_newline = True


def decode(path: str, data: bytes) -> tuple[str, Form]:
    """The text of a file's bytes and the form to write it back in; raises FileError."""
    from .text.document import ReadError
    from .text.document import decode as decode_text

    if data.startswith(b"\xef\xbb\xbf"):
        form = Form("utf-8", b"\xef\xbb\xbf")
    elif data.startswith(b"\xff\xfe"):
        form = Form("utf-16-le", b"\xff\xfe")
    elif data.startswith(b"\xfe\xff"):
        form = Form("utf-16-be", b"\xfe\xff")
    else:
        form = Form()
    try:
        text = decode_text(data)
    except ReadError as e:
        raise FileError(f"{path}: {e}") from None
    stripped = text.lstrip()
    if path.endswith(".json") or stripped[:1] in ("{", "["):
        try:
            json.loads(data[len(form.bom):].decode(form.encoding))  # as read: surrogate escapes are JSON
        except ValueError:
            pass
        else:
            form.json_indent = json_indent(text)
            form.json_ascii = text.isascii()
            form.final_newline = text.endswith("\n")
    return text, form


def json_indent(text: str) -> int | str | None:
    """The indentation of a JSON text: None when it is on one line, else its first indented line's."""
    lines = text.strip().splitlines()
    if len(lines) < 2:
        return None
    second = lines[1]
    pad = second[: len(second) - len(second.lstrip(" \t"))]
    if not pad:
        return None
    return len(pad) if set(pad) == {" "} else pad


def encode(path: str, text: str, form: Form) -> bytes:
    """The bytes to write for ``text`` (the output for a file read in ``form``); raises FileError."""
    if form.json_indent is not False:
        text = _as_json(path, text, form)
    try:
        return form.bom + text.encode(form.encoding)
    except UnicodeEncodeError as e:
        raise FileError(f"cannot write {path}: {e.reason}") from None


def _as_json(path: str, text: str, form: Form) -> str:
    import yaml

    try:
        from .text.yamlc import SafeLoader

        data = SafeLoader(text).get_single_data()
        out = json.dumps(data, indent=form.json_indent, ensure_ascii=form.json_ascii, allow_nan=False)
    except (yaml.YAMLError, TypeError, ValueError) as e:
        raise FileError(f"cannot write {path} back as JSON: {e}") from None
    newline = "\r\n" if "\r\n" in text else "\n"
    if newline != "\n":
        out = out.replace("\n", newline)
    return out + newline if form.final_newline else out


def read(path: str) -> bytes:
    """A file's bytes; raises FileError naming it."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise FileError(f"cannot read {path}: {_why(e)}") from None


def write_atomic(path: str, data: bytes) -> None:
    """Replace the file at ``path`` (following links to the real file) by ``data``, atomically.

    On failure (raised as FileError naming the file, or any exception such as
    MemoryError) the temporary file is removed and the original is as it was.
    SIGINT, SIGTERM and SIGHUP wait while one file is written (or rolled back):
    one landing in the clean-up could leave the temporary file behind.
    """
    import signal

    deferred = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    # (pthread_sigmask runs pending handlers as it returns: one may raise after the mask is set,
    # so the mask to restore is read first, and restored whatever happens from then on.)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, deferred)
        _write_atomic(path, data)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a signal that came meanwhile acts now


def _write_atomic(path: str, data: bytes) -> None:
    real = os.path.realpath(path)
    directory, name = os.path.split(real)
    try:
        st = os.stat(real)
    except OSError as e:
        raise FileError(f"cannot write {path}: {_why(e)}") from None
    try:
        fd, tmp = layer.mkstemp(directory, name)
    except OSError as e:
        raise FileError(f"cannot write {path}: {_why(e)} (the file is unchanged)") from None
    done = False
    closed = False
    try:
        view = memoryview(data)
        while view:
            n = layer.write(fd, view)
            if n <= 0:
                raise OSError(errno.EIO, "short write")
            view = view[n:]
        layer.fsync(fd)
        layer.chmod(fd, stat.S_IMODE(st.st_mode))
        if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
            try:
                layer.chown(fd, st.st_uid, st.st_gid)
            except OSError as e:
                if e.errno not in (errno.EPERM, errno.EINVAL):
                    raise
        closed = True
        layer.close(fd)
        layer.replace(tmp, real)
        done = True
    except OSError as e:
        raise FileError(f"cannot write {path}: {_why(e)} (the file is unchanged)") from None
    finally:
        if not done:
            if not closed:
                with contextlib.suppress(OSError):
                    layer.close(fd)
            with contextlib.suppress(OSError):
                layer.unlink(tmp)
    layer.fsync_dir(directory)
