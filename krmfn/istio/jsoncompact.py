"""``json.dumps(value, separators=(",", ":"))`` for the JSON text injection writes into annotations and env
values (app probers, the status, Prometheus scrape settings), without its per-call set-up.

``JSONEncoder.encode`` makes a new C encoder (and a Python closure for floats it never uses) on every call;
:func:`compact` keeps one C encoder made with the very arguments ``encode`` passes it, so the text is the
same, byte for byte, errors included (a circular value is still refused: its markers dict is emptied again
when an encoding fails half-way, as a fresh one would be).  Without the C accelerator it is ``json.dumps``.  It is made from json's
C module ``_json`` directly: importing the json package (which compiles six patterns) is left to what needs it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:  # json's C accelerator, without importing the json package (~2% of a one-Deployment run)
    import _json
except ImportError:  # pragma: no cover - an interpreter without the accelerator
    _json = None  # type: ignore[assignment]


def _unserializable(o: Any) -> Any:
    """``JSONEncoder.default``: the same TypeError."""
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


_markers: dict[int, Any] = {}
# the arguments JSONEncoder.iterencode passes for this encoder's settings (check_circular: a markers dict)
_c_encoder = None if _json is None else _json.make_encoder(_markers, _unserializable, _json.encode_basestring_ascii,
                                                           None, ":", ",", False, False, True)


def compact(value: Any) -> str:
    """``json.dumps(value, separators=(",", ":"))``."""
    if _c_encoder is None:  # pragma: no cover
        import json

        return json.dumps(value, separators=(",", ":"))
    try:
        return "".join(_c_encoder(value, 0))
    except BaseException:
        _markers.clear()
        raise
