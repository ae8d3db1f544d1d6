"""Kubernetes resource quantities: parsing, and the canonical spelling Kubernetes writes back.

:mod:`decimal` is imported on first use: only a pod with resource overrides needs it (start-up does not).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from decimal import Decimal

_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def parse(text: object) -> tuple[Decimal, str]:
    """(value, format) with format "binary" or "decimal"; raises ValueError."""
    from decimal import Decimal

    s = str(text).strip()
    for suffix, power in _BINARY.items():
        if s.endswith(suffix):
            return _number(s[: -len(suffix)]) * (Decimal(2) ** power), "binary"
    for suffix, exp in _DECIMAL.items():
        if suffix and s.endswith(suffix):
            return _number(s[: -len(suffix)]) * (Decimal(10) ** exp), "decimal"
    return _number(s), "decimal"


def _number(s: str) -> Decimal:
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(s)
    except InvalidOperation:
        raise ValueError(f"{s!r} is not a quantity") from None


def canonical(text: object) -> str:
    """The form Kubernetes serializes a quantity in ("3000m" -> "3", "1024Mi" -> "1Gi")."""
    try:
        value, fmt = parse(text)
    except ValueError:
        return str(text)
    from decimal import Decimal

    if value == 0:
        return "0"
    if fmt == "binary" and value == value.to_integral_value() and value >= 1024:
        for suffix, power in reversed(list(_BINARY.items())):
            unit = Decimal(2) ** power
            if value % unit == 0:
                return f"{int(value / unit)}{suffix}"
    if fmt == "binary" and value == value.to_integral_value():
        return str(int(value))
    for suffix, exp in sorted(_DECIMAL.items(), key=lambda kv: -kv[1]):
        unit = Decimal(10) ** exp
        scaled = value / unit
        if scaled == scaled.to_integral_value() and abs(scaled) >= 1:
            return f"{int(scaled)}{suffix}"
    return str(text)
