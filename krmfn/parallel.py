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
"""

from __future__ import annotations

import os
import pickle

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

#: The most chunks one call shares out (their numbers must fit in the pipe before anyone reads it).
MAX_CHUNKS = 4096
_ID = 2  # bytes per chunk number in the pipe


def map_forked(fn: Callable[[Any], Any], chunks: Sequence[Any], workers: int) -> list[Any]:
    """``[fn(c) for c in chunks]``, the chunks shared between this process and ``workers - 1`` forked ones."""
    if workers <= 1 or len(chunks) <= 1 or len(chunks) > MAX_CHUNKS:
        return [fn(c) for c in chunks]
    try:
        r, w = os.pipe()
    except OSError:
        return [fn(c) for c in chunks]
    try:
        os.write(w, b"".join(i.to_bytes(_ID, "little") for i in range(len(chunks))))
    finally:
        os.close(w)  # an empty pipe then reads as the end: no worker waits for more
    children = [_spawn(fn, chunks, r) for _ in range(min(workers, len(chunks)) - 1)]
    done: dict[int, Any] = {}
    try:
        for i in _claimed(r):
            done[i] = fn(chunks[i])
    finally:
        os.close(r)
        for child in children:
            done.update(_collect(child))
    return [done[i] if i in done else fn(chunks[i]) for i in range(len(chunks))]


def _claimed(r: int) -> Any:
    """The chunk numbers this process takes from the pipe, one at a time, until it is empty."""
    while True:
        data = os.read(r, _ID)
        if len(data) < _ID:
            return
        yield int.from_bytes(data, "little")


def _spawn(fn: Callable[[Any], Any], chunks: Sequence[Any], r: int) -> tuple[int, int] | None:
    """(pid, read end of its result pipe) of a child working through the chunk pipe ``r``; None if none."""
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
            done = [(i, fn(chunks[i])) for i in _claimed(r)]
            # One frame per chunk (length, then pickle): neither side ever holds all of it as bytes.
            for i, result in done:
                frame = pickle.dumps((i, result), pickle.HIGHEST_PROTOCOL)
                _write_all(back_w, len(frame).to_bytes(8, "little"))
                _write_all(back_w, frame)
            code = 0
        except BaseException:  # noqa: BLE001 - the parent runs the chunks again and sees any error itself
            pass
        finally:
            os._exit(code)
    os.close(back_w)
    return pid, back_r


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, n: int) -> bytes | None:
    """``n`` bytes from ``fd``, or None if it ends first."""
    parts: list[bytes] = []
    while n:
        block = os.read(fd, min(n, 1 << 20))
        if not block:
            return None
        parts.append(block)
        n -= len(block)
    return b"".join(parts)


def _collect(child: tuple[int, int] | None) -> dict[int, Any]:
    """The chunks' results the child sent, frame by frame; only a child that ends well counts
    ({} otherwise: its chunks run here)."""
    if child is None:
        return {}
    pid, r = child
    done: dict[int, Any] = {}
    try:
        while True:
            head = _read_exactly(r, 8)
            if head is None:
                break
            frame = _read_exactly(r, int.from_bytes(head, "little"))
            if frame is None:
                done = {}
                break
            try:
                i, result = pickle.loads(frame)
            except Exception:  # noqa: BLE001 - a frame that does not unpickle: the chunks run here
                done = {}
                break
            done[i] = result
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    return done if status == 0 else {}
