"""Independent chunks of work run by forked copies of this process, results in order.

Once the Namespace labels are known, the workloads of a ResourceList are
independent of one another.  On a large input :func:`krmfn.function.process`
cuts the items into contiguous chunks and hands them to :func:`map_forked`:
the first chunk runs here, each other one in a child made with ``os.fork``
(a copy of this process, no other program), which sends its result back
pickled through a pipe and exits.  The caller sees ``[fn(c) for c in chunks]``
exactly as if it had run them itself: order is kept, and a child that fails
for any reason (it cannot be forked, it crashes, its result does not pickle)
has its chunk run again here, so an error surfaces as it would without
workers.  Nothing is written anywhere but the pipes.
"""

from __future__ import annotations

import os
import pickle

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

_FAILED = b"-"


def map_forked(fn: Callable[[Any], Any], chunks: Sequence[Any]) -> list[Any]:
    """``[fn(c) for c in chunks]``, every chunk but the first computed in a forked child."""
    children: list[tuple[int, int] | None] = []
    for chunk in chunks[1:]:
        children.append(_spawn(fn, chunk))
    first = fn(chunks[0]) if chunks else None
    out = [first] if chunks else []
    for chunk, child in zip(chunks[1:], children):
        value = _collect(child)
        out.append(fn(chunk) if value is _MISSING else value)
    return out


_MISSING = object()


def _spawn(fn: Callable[[Any], Any], chunk: Any) -> tuple[int, int] | None:
    """(pid, read end of its pipe) of a child computing ``fn(chunk)``; None if no child could be made."""
    try:
        r, w = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return None
    if pid == 0:  # the child: compute, send, and leave without running the parent's exit handlers
        code = 0
        try:
            os.close(r)
            try:
                payload = pickle.dumps(fn(chunk), pickle.HIGHEST_PROTOCOL)
            except BaseException:  # noqa: BLE001 - the parent runs the chunk again and sees the error itself
                payload = _FAILED
            view = memoryview(payload)
            while view:
                view = view[os.write(w, view):]
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    return pid, r


def _collect(child: tuple[int, int] | None) -> Any:
    """What the child sent, or _MISSING if it made nothing usable."""
    if child is None:
        return _MISSING
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
        return _MISSING
    try:
        return pickle.loads(payload)
    except Exception:  # noqa: BLE001 - a truncated payload: run the chunk here
        return _MISSING
