"""``json.dumps(value, separators=(",", ":"))`` for the JSON text injection writes into annotations and env
values (app probers, the status, Prometheus scrape settings), without its per-call set-up.

``JSONEncoder.encode`` makes a new C encoder (and a Python closure for floats it never uses) on every call;
:func:`compact` keeps one C encoder made with the very arguments ``encode`` passes it, so the text is the
same, byte for byte, errors included (a circular value is still refused: its markers dict is emptied again
when an encoding fails half-way, as a fresh one would be).  Without the C accelerator it is ``encode``.
"""

from __future__ import annotations

import json
from json import encoder as _encoder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_REFERENCE = json.JSONEncoder(separators=(",", ":"))
_markers: dict[int, Any] = {}
_make = getattr(_encoder, "c_make_encoder", None)  # (not in the type stubs)
# the arguments JSONEncoder.iterencode passes for this encoder's settings (check_circular: a markers dict)
_c_encoder = None if _make is None else _make(_markers, _REFERENCE.default, _encoder.encode_basestring_ascii,
                                              None, ":", ",", False, False, True)


def compact(value: Any) -> str:
    """``json.dumps(value, separators=(",", ":"))``."""
    if _c_encoder is None:
        return _REFERENCE.encode(value)
    try:
        return "".join(_c_encoder(value, 0))
    except BaseException:
        _markers.clear()
        raise
