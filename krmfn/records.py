"""Plain data records: :class:`Record` and :class:`Frozen`, in place of :mod:`dataclasses`.

``import dataclasses`` costs ~17 ms of start-up (it imports inspect, ast,
dis, tokenize...) and ``@dataclass`` compiles code for every class it
decorates: together more than krmfn's whole start-up budget.  A record class
lists its fields in ``__slots__`` and writes its ``__init__``, which takes
every field by that name; the base classes add what the dataclasses did from
those names:

* ``==`` compares the fields of two records of the same class; ``repr``
  shows them;
* ``replace(**changes)``: a copy with some fields changed
  (``dataclasses.replace``);
* :class:`Frozen` records cannot be changed after ``__init__`` (which sets
  its fields with ``object.__setattr__``) and hash by their fields;
* records pickle (:mod:`krmfn.parallel` sends results back from workers).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    R = TypeVar("R", bound="Record")


class Record:
    """A mutable record: ``__slots__`` are its fields, in order; not hashable."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in self.__slots__])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    __hash__: None = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{self.__class__.__qualname__}({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return _restore, (self.__class__, self._values())

    def replace(self: R, **changes: Any) -> R:
        """A copy with ``changes`` (field name -> value) applied."""
        values: dict[str, Any] = {name: getattr(self, name) for name in self.__slots__}
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"{self.__class__.__qualname__} has no field {sorted(unknown)[0]!r}")
        values.update(changes)
        return self.__class__(**values)


class FrozenError(AttributeError):
    """Raised on an attempt to change a :class:`Frozen` record."""


class Frozen(Record):
    """An immutable record: ``__init__`` sets fields with ``object.__setattr__``; hashable by its fields."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenError(f"cannot assign to field {name!r} of frozen {self.__class__.__qualname__}")

    def __delattr__(self, name: str) -> None:
        raise FrozenError(f"cannot delete field {name!r} of frozen {self.__class__.__qualname__}")

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self._values())


def _restore(cls: type[R], values: tuple[Any, ...]) -> R:
    """A record of class ``cls`` with these field values, as pickled (``__init__`` is not called)."""
    record = object.__new__(cls)
    for name, value in zip(cls.__slots__, values):
        object.__setattr__(record, name, value)
    return record
