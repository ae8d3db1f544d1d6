"""Independent chunks of work shared by forked copies of this process, results in order.

Once the Namespace labels are known, the workloads of a ResourceList are
independent of one another.  On a large input :func:`krmfn.function.process`
cuts the items into contiguous chunks, several per worker, and hands them to
:func:`map_forked`.  The chunks' numbers go into a pipe before any worker
starts; this process and ``workers - 1`` children made with ``os.fork`` (a
copy of this process, no other program) each take the next number from the
pipe until it is empty, so a worker that gets less CPU (a busy or
oversubscribed machine) simply does fewer chunks.  A child sends what it
computed back pickled through a second pipe and exits.  The caller sees
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
_FAILED = b"-"


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
        code = 0
        try:
            os.close(back_r)
            done: dict[int, Any] = {}
            try:
                for i in _claimed(r):
                    done[i] = fn(chunks[i])
                payload = pickle.dumps(done, pickle.HIGHEST_PROTOCOL)
            except BaseException:  # noqa: BLE001 - the parent runs the chunks again and sees the error itself
                payload = _FAILED
            view = memoryview(payload)
            while view:
                view = view[os.write(back_w, view):]
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(back_w)
    return pid, back_r


def _collect(child: tuple[int, int] | None) -> dict[int, Any]:
    """The chunks' results the child sent ({} if it sent nothing usable)."""
    if child is None:
        return {}
    pid, r = child
    parts: list[bytes] = []
    try:
        while True:
            block = os.read(r, 1 << 20)
            if not block:
                break
            parts.append(block)
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    payload = b"".join(parts)
    if status != 0 or not payload or payload == _FAILED:
        return {}
    try:
        done = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - a truncated payload: the chunks are run here
        return {}
    return done if isinstance(done, dict) else {}
