"""Independent chunks of work shared by forked copies of this process, results in order.

Once the Namespace labels are known, the workloads of a ResourceList are
independent of one another.  On a large input :func:`krmfn.function.process`
cuts the items into contiguous chunks, several per worker, and hands them to
:func:`map_forked`.  The chunks' numbers go into a pipe before any worker
starts; this process and ``workers - 1`` children made with ``os.fork`` (a
copy of this process, no other program) each take the next number from the
pipe until it is empty, so a worker that gets less CPU (a busy or
oversubscribed machine) simply does fewer chunks.  A child sends what it
computed back through a second pipe, one pickled frame per chunk, and exits.  The caller sees
``[fn(c) for c in chunks]`` exactly as if it had run them itself: order is
kept, and a chunk a child did not send back for any reason (it could not be
forked, it crashed, its result does not pickle, ``fn`` raised) is run again
here, so an error surfaces as it would without workers.  Nothing is written
anywhere but the pipes.

No worker can hang the run or take the machine:

* a child closes the result pipes of the children forked before it (no
  worker holds another's pipe) and points its stdin and stdout at /dev/null
  (a reader of krmfn's output never waits on a worker);
* the results are gathered with a bound: a child that is stopped (SIGSTOP,
  SIGTSTP, a debugger) is killed at once, one still running
  :data:`WAIT_SECONDS` after this process has done its own share is killed
  (``KRMFN_WORKER_WAIT``, read at the edge), and their chunks run here -- the
  output is the same, only later;
* on every way out, an exception included (a MemoryError here), every child
  still there is killed and reaped: nothing is left behind, nothing waits;
* :func:`affordable` lowers the number of workers to what the memory limit
  (cgroup v2 ``memory.max``, v1 ``memory.limit_in_bytes``, and the system's
  available memory) leaves room for, estimated from the input's size.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import Any

#: The most chunks one call shares out (their numbers must fit in the pipe before anyone reads it).
MAX_CHUNKS = 4096
_ID = 2  # bytes per chunk number in the pipe

#: Seconds a worker may still run after this process has done its own share (then it is killed and its
#: chunks run here); the edge sets it from ``KRMFN_WORKER_WAIT``.
WAIT_SECONDS = 60.0
#: How often the gathering looks for stopped workers while none sends anything.
_POLL_SECONDS = 0.1

#: Where the cgroup file system is mounted (tests point it elsewhere).
CGROUP_ROOT = "/sys/fs/cgroup"
#: Memory a worker is reckoned to need: a share of copied pages and what it computes and sends,
#: in bytes per byte of input, plus a fixed part (measured: ~32 MB per extra worker for 5 MB of input).
WORKER_BYTES_PER_INPUT_BYTE = 8
WORKER_BASE_BYTES = 16 << 20
#: What this process still needs on top of what it uses when the workers start (the results it gathers).
PARENT_BYTES_PER_INPUT_BYTE = 4


def affordable(workers: int, input_bytes: int) -> int:
    """``workers``, or fewer so that they fit in the memory left (cgroup limit, available memory) for an
    input of ``input_bytes``; at least 1."""
    if workers <= 1:
        return 1
    left = _memory_left()
    if left is None:
        return workers
    left -= PARENT_BYTES_PER_INPUT_BYTE * input_bytes
    per_worker = WORKER_BASE_BYTES + WORKER_BYTES_PER_INPUT_BYTE * input_bytes
    return max(1, min(workers, 1 + left // per_worker))


def _memory_left() -> int | None:
    """Bytes this process and its workers may still use: the smallest of the cgroup's limit less its
    usage (v2, then v1) and the system's available memory; None if nothing says."""
    found: list[int] = []
    for limit_file, usage_file in (("memory.max", "memory.current"),
                                   ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        limit = _read_int(os.path.join(CGROUP_ROOT, limit_file))
        if limit is not None and limit < 1 << 60:
            found.append(limit - (_read_int(os.path.join(CGROUP_ROOT, usage_file)) or 0))
            break
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    return min(found) if found else None


def _read_int(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None  # absent, unreadable, or "max"


def _same(value: Any) -> Any:
    return value


def map_forked(fn: Callable[[Any], Any], chunks: Sequence[Any], workers: int,
               send: Callable[[Any], Any] = _same, receive: Callable[[Any], Any] = _same) -> list[Any]:
    """``[fn(c) for c in chunks]``, the chunks shared between this process and ``workers - 1`` forked ones.

    A child pickles ``send(fn(c))`` and this process takes ``receive`` of that, which must give back an equal
    result: a caller whose results are objects that pickle slowly (records) sends them as plain data."""
    if workers <= 1 or len(chunks) <= 1 or len(chunks) > MAX_CHUNKS:
        return [fn(c) for c in chunks]
    r = _chunk_pipe(len(chunks))
    if r is None:
        return [fn(c) for c in chunks]
    done = _share(fn, chunks, workers, r, send, receive)
    return [done[i] if i in done else fn(chunks[i]) for i in range(len(chunks))]


def _chunk_pipe(count: int) -> int | None:
    """The read end of a pipe holding the chunk numbers ``0 .. count - 1`` (None if no pipe can be made)."""
    try:
        r, w = os.pipe()
    except OSError:
        return None
    try:
        os.write(w, b"".join(i.to_bytes(_ID, "little") for i in range(count)))
    finally:
        os.close(w)  # an empty pipe then reads as the end: no worker waits for more
    return r


def _share(fn: Callable[[Any], Any], chunks: Sequence[Any], workers: int, r: int,
           send: Callable[[Any], Any], receive: Callable[[Any], Any]) -> dict[int, Any]:
    """The results of the chunks that this process and its children computed, by chunk number (the chunk
    pipe ``r`` is closed on the way out; a chunk missing from them is one nobody completed)."""
    children: list[_Child] = []
    done: dict[int, Any] = {}
    try:
        for _ in range(min(workers, len(chunks)) - 1):
            child = _spawn(fn, chunks, r, [c.fd for c in children], send, receive)
            if child is not None:
                children.append(child)
        _own_share(fn, chunks, r, done)
        os.close(r)
        r = -1
        _gather(children, WAIT_SECONDS)
    finally:
        if r >= 0:
            os.close(r)
        _end(children)  # whatever happened: no child left running, stopped or unreaped, no pipe left open
    for child in children:
        if child.status == 0 and child.complete():
            done.update(child.results)
    return done


def _own_share(fn: Callable[[Any], Any], chunks: Sequence[Any], r: int, done: dict[int, Any]) -> None:
    """This process's chunks, taken from the pipe until it is empty or one raises."""
    for i in _claimed(r):
        try:
            done[i] = fn(chunks[i])
        except Exception:  # raised again by map_forked, in chunk order, as in one process
            break


def _claimed(r: int) -> Iterator[int]:
    """The chunk numbers this process takes from the pipe, one at a time, until it is empty."""
    while True:
        data = os.read(r, _ID)
        if len(data) < _ID:
            return
        yield int.from_bytes(data, "little")


class _Child:
    """A worker: its pid, the read end of its result pipe, what it sent so far (taken by ``receive``), how it
    ended."""

    __slots__ = ("bad", "buf", "eof", "fd", "pid", "receive", "results", "status")

    def __init__(self, pid: int, fd: int, receive: Callable[[Any], Any]) -> None:
        self.pid = pid
        self.fd = fd
        self.receive = receive
        self.buf = bytearray()
        self.results: dict[int, Any] = {}
        self.eof = False
        self.bad = False  # a frame did not unpickle (or ``receive`` refused it)
        self.status: int | None = None  # the exit status once reaped (-1: killed by us or not accountable)

    def take(self, data: bytes) -> None:
        """Bytes from the pipe: every complete frame (length, then pickle) becomes a result."""
        buf = self.buf
        buf += data
        start = 0
        while len(buf) - start >= 8:
            n = int.from_bytes(buf[start:start + 8], "little")
            if len(buf) - start - 8 < n:
                break
            frame = bytes(buf[start + 8:start + 8 + n])
            start += 8 + n
            try:
                i, sent = pickle.loads(frame)
                result = self.receive(sent)
            except MemoryError:
                raise
            except Exception:  # a frame that does not unpickle or receive: this child's chunks run here
                self.bad = True
                continue
            self.results[i] = result
        del buf[:start]

    def complete(self) -> bool:
        return self.eof and not self.buf and not self.bad


def _spawn(fn: Callable[[Any], Any], chunks: Sequence[Any], r: int, others: list[int],
           send: Callable[[Any], Any], receive: Callable[[Any], Any]) -> _Child | None:
    """A child working through the chunk pipe ``r`` (``others``: the result pipes it must not hold); None if none."""
    try:
        back_r, back_w = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(back_r)
        os.close(back_w)
        return None
    if pid == 0:  # the child: compute, send, and leave without running the parent's exit handlers
        code = 1
        try:
            os.close(back_r)
            for fd in others:
                os.close(fd)
            _quiet_stdio()
            done = [(i, fn(chunks[i])) for i in _claimed(r)]
            # One frame per chunk (length, then pickle): neither side ever holds all of it as bytes.
            for i, result in done:
                frame = pickle.dumps((i, send(result)), pickle.HIGHEST_PROTOCOL)
                _write_all(back_w, len(frame).to_bytes(8, "little"))
                _write_all(back_w, frame)
            code = 0
        except BaseException:  # the parent runs the chunks again and sees any error itself
            pass
        finally:
            os._exit(code)
    os.close(back_w)
    return _Child(pid, back_r, receive)


def _quiet_stdio() -> None:
    """Stdin and stdout of a child on /dev/null: whoever reads krmfn's output sees its end when krmfn ends."""
    try:
        null = os.open(os.devnull, os.O_RDONLY)  # read-only: a worker never writes stdout
    except OSError:
        return
    for fd in (0, 1):
        with contextlib.suppress(OSError):
            os.dup2(null, fd)
    if null > 2:
        os.close(null)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _gather(children: list[_Child], wait: float) -> None:
    """Read what the children send until each has ended (or is found stopped, or ``wait`` seconds pass)."""
    deadline = time.monotonic() + wait
    poller = select.poll()
    reading: dict[int, _Child] = {}
    for child in children:
        os.set_blocking(child.fd, False)
        poller.register(child.fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        reading[child.fd] = child
    while any(c.status is None for c in children):
        left = deadline - time.monotonic()
        if left <= 0:
            return
        for fd, _ in poller.poll(max(1, int(min(left, _POLL_SECONDS) * 1000))):
            child = reading[fd]
            try:
                data = os.read(fd, 1 << 20)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                child.take(data)
            else:
                child.eof = True
                poller.unregister(fd)
        for child in children:
            if child.status is None:
                _check(child)


def _check(child: _Child) -> None:
    """Reap the child if it has ended; kill it if it is stopped (it would never end by itself)."""
    try:
        pid, status = os.waitpid(child.pid, os.WNOHANG | os.WUNTRACED)
    except ChildProcessError:
        child.status = -1
        return
    if pid == 0:
        return
    if os.WIFSTOPPED(status):
        _kill(child)
        return
    code = os.waitstatus_to_exitcode(status)
    if code == 0 and not child.eof:
        # It ended well but its pipe has not said so yet: read what is left (the pipe holds it).
        _drain(child)
    child.status = code if child.complete() or code != 0 else -1


def _drain(child: _Child) -> None:
    while True:
        try:
            data = os.read(child.fd, 1 << 20)
        except BlockingIOError:
            return  # the write end is still open somewhere: not complete
        except OSError:
            data = b""
        if not data:
            child.eof = True
            return
        child.take(data)


def _kill(child: _Child) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(child.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(child.pid, 0)
    child.status = -1


def _end(children: list[_Child]) -> None:
    """Kill and reap every child not yet reaped; close every result pipe."""
    for child in children:
        if child.status is None:
            _kill(child)
        with contextlib.suppress(OSError):
            os.close(child.fd)
