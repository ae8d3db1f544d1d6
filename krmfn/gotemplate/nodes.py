"""Parse tree of a template, as Go's text/template/parse builds it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Text:
    text: str


@dataclass(slots=True)
class FieldNode:
    pos: int
    idents: tuple[str, ...]  # .A.B -> ("A", "B")


@dataclass(slots=True)
class VariableNode:
    pos: int
    name: str  # "$x" or "$"
    idents: tuple[str, ...]  # $x.A.B -> ("A", "B")


@dataclass(slots=True)
class ChainNode:
    pos: int
    node: Arg
    idents: tuple[str, ...]


@dataclass(slots=True)
class DotNode:
    pos: int


@dataclass(slots=True)
class NilNode:
    pos: int


@dataclass(slots=True)
class Literal:
    """A bool, string or character constant: its value is known at parse time."""

    pos: int
    value: Any


@dataclass(slots=True)
class NumberNode:
    pos: int
    text: str
    is_int: bool
    int_value: int
    float_value: float
    is_float_text: bool  # written with '.', 'e' or 'p' (a float when passed to an untyped parameter)

    @property
    def ideal(self) -> int | float:
        return self.float_value if self.is_float_text or not self.is_int else self.int_value


@dataclass(slots=True)
class IdentifierNode:
    pos: int
    name: str


@dataclass(slots=True)
class Command:
    pos: int
    args: list[Arg]
    src: str = ""  # source text, for error messages


@dataclass(slots=True)
class Pipe:
    pos: int
    decl: list[str] = field(default_factory=list)
    is_assign: bool = False
    cmds: list[Command] = field(default_factory=list)
    src: str = ""  # source text, for error messages


Arg = FieldNode | VariableNode | ChainNode | DotNode | NilNode | Literal | NumberNode | IdentifierNode | Pipe


@dataclass(slots=True)
class Action:
    pos: int
    pipe: Pipe


@dataclass(slots=True)
class IfNode:
    pos: int
    pipe: Pipe
    body: list[Node]
    else_body: list[Node] | None


@dataclass(slots=True)
class WithNode:
    pos: int
    pipe: Pipe
    body: list[Node]
    else_body: list[Node] | None


@dataclass(slots=True)
class RangeNode:
    pos: int
    pipe: Pipe
    body: list[Node]
    else_body: list[Node] | None


@dataclass(slots=True)
class TemplateCall:
    pos: int
    name: str
    pipe: Pipe | None


@dataclass(slots=True)
class BreakNode:
    pos: int


@dataclass(slots=True)
class ContinueNode:
    pos: int


Node = Text | Action | IfNode | WithNode | RangeNode | TemplateCall | BreakNode | ContinueNode
