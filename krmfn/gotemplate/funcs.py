"""Function table: every function a template may call, with the Go parameter kinds the executor checks.

Parameter kinds (one letter each, as Go's reflect-based call checks arguments):

* ``a`` any (interface{}): no value arrives as ``None``;
* ``r`` raw: the value as is, :data:`MISSING` included (Go builtins that take reflect.Value);
* ``s`` string, ``i`` int, ``f`` float64, ``b`` bool: the value must have that type (an untyped
  number constant converts to ``i``/``f``);
* ``m`` a map (nil allowed -> ``None``); ``l`` a list (nil allowed -> ``None``).

A signature is the fixed kinds plus, optionally, the kind of a variadic tail.  ``lazy`` functions
(``and``, ``or``) get their argument nodes unevaluated, as a thunk list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import FuncError


@dataclass(frozen=True)
class Func:
    name: str
    fn: Callable[..., Any]
    params: str = ""
    variadic: str | None = None
    lazy: bool = False

    def kinds(self, nargs: int) -> str | None:
        """The kinds of a call's nargs arguments, one letter each; None when the signature does not
        take nargs arguments."""
        extra = nargs - len(self.params)
        if self.variadic is None:
            return self.params if extra == 0 else None
        return self.params + self.variadic * extra if extra >= 0 else None

    def want(self) -> str:
        """The number of arguments the signature wants, as Go's error words it."""
        return str(len(self.params)) if self.variadic is None else f"at least {len(self.params)}"


FUNCS: dict[str, Func] = {}

F = TypeVar("F", bound=Callable[..., Any])


def register(name: str, *params: str, variadic: str | None = None, lazy: bool = False) -> Callable[[F], F]:
    """Register fn under name; params are the kinds of its fixed parameters, one per argument."""

    def deco(fn: F) -> F:
        FUNCS[name] = Func(name, fn, "".join(params), variadic, lazy)
        return fn

    return deco


def alias(name: str, target: str) -> None:
    f = FUNCS[target]
    FUNCS[name] = Func(name, f.fn, f.params, f.variadic, f.lazy)


def fail(msg: str) -> FuncError:
    return FuncError(msg)
