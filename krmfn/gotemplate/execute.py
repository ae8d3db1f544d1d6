"""Executor: walks a parse tree over data, as Go's text/template exec.go does.

Field lookup on a dict: the exact key, then the Go field's JSON name (first letter lowered, or a
leading initialism: ``.Spec.Containers`` reads ``spec.containers``, ``.TypeMeta.APIVersion`` reads
``apiVersion``), then for ``GetX`` the field ``X`` (nil-safe protobuf getters); a known Go struct field
that is absent or null reads as its zero value (:data:`values.STRUCT_ZEROS`), anything else absent is
no value.  ``.String`` and ``.GetValue`` on a scalar give the scalar (protobuf enums and wrapper types
are plain JSON values here).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .errors import FuncError, TemplateError, position
from .funcs import FUNCS, Func
from .limits import MAX_ITEMS, MAX_OUTPUT, MAX_SECONDS
from .nodes import (
    Action,
    Arg,
    BreakNode,
    ChainNode,
    Command,
    ContinueNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    Literal,
    NilNode,
    Node,
    NumberNode,
    Pipe,
    RangeNode,
    TemplateCall,
    Text,
    VariableNode,
    WithNode,
)
from .values import (
    MISSING,
    STRUCT_ZEROS,
    go_type,
    print_value,
    sorted_keys,
    struct_zero,
    truth,
)

MAX_DEPTH = 200


class _NoFinal:
    pass


NO_FINAL: Any = _NoFinal()


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class ExecError(Exception):
    def __init__(self, msg: str, pos: int, src: str) -> None:
        super().__init__(msg)
        self.msg = msg
        self.pos = pos
        self.src = src


def lookup_field(receiver: Any, name: str, pos: int, src: str) -> Any:
    """``receiver.name`` with Go semantics on JSON-shaped data (see module docstring)."""
    if receiver is MISSING:
        return MISSING
    if receiver is None:
        raise ExecError(f"nil pointer evaluating interface {{}}.{name}", pos, src)
    if isinstance(receiver, Mapping):
        for key in (name, *json_names(name)):
            if key in receiver:
                value = receiver[key]
                # JSON null in a Go struct field leaves the field's zero value (a nil map reads as empty)
                return struct_zero(name) if value is None and name in STRUCT_ZEROS else value
        if name.startswith("Get") and len(name) > 3 and name[3].isupper():
            for key in (name[3:], *json_names(name[3:])):
                if key in receiver:
                    return receiver[key]
        return struct_zero(name)
    if name in ("String", "GetValue") and isinstance(receiver, (str, bool, int, float)):
        return receiver
    raise ExecError(f"can't evaluate field {name} in type {go_type(receiver)}", pos, src)


_JSON_NAMES: dict[str, tuple[str, ...]] = {}


def json_names(name: str) -> tuple[str, ...]:
    """JSON names a Go struct field may have: ``Containers`` -> ``containers``, ``APIVersion`` ->
    ``apiVersion`` (a leading initialism lowered), ``PodIP`` -> ``podIP``."""
    got = _JSON_NAMES.get(name)
    if got is None:
        first = name[:1].lower() + name[1:]
        i = 0
        while i < len(name) and name[i].isupper():
            i += 1
        if i == len(name):
            acronym = name.lower()
        elif i > 1:
            acronym = name[: i - 1].lower() + name[i - 1 :]
        else:
            acronym = first
        got = (first,) if acronym == first else (first, acronym)
        _JSON_NAMES[name] = got
    return got


class Budget:
    """What is left of one execution's budgets (:mod:`.limits`): time, and characters written."""

    __slots__ = ("deadline", "size", "ticks")

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.size = 0
        self.ticks = 0

    def tick(self, pos: int, src: str) -> None:
        """One step of work (a node, an iteration, a call); the clock is read every 256 steps."""
        self.ticks += 1
        if not self.ticks & 255 and time.monotonic() > self.deadline:
            raise ExecError(f"over the template sandbox's time limit of {MAX_SECONDS:g} s", pos, src)

    def wrote(self, n: int, pos: int, src: str) -> None:
        self.size += n
        if self.size > MAX_OUTPUT:
            raise ExecError(f"output over the template sandbox's limit of {MAX_OUTPUT} characters", pos, src)


class State:
    __slots__ = ("budget", "depth", "funcs", "out", "tmpl", "vars")

    def __init__(self, tmpl: Any, funcs: Mapping[str, Func], data: Any, depth: int = 0,
                 budget: Budget | None = None) -> None:
        self.tmpl = tmpl
        self.funcs = funcs
        self.out: list[str] = []
        self.vars: list[list[Any]] = [["$", data]]
        self.depth = depth
        self.budget = budget if budget is not None else Budget()

    # -- variables ------------------------------------------------------------------------------
    def var(self, name: str) -> Any:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                return self.vars[i][1]
        raise ExecError(f"undefined variable: {name}", 0, name)

    def set_var(self, name: str, value: Any) -> None:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                self.vars[i][1] = value
                return
        raise ExecError(f"undefined variable: {name}", 0, name)

    # -- walking ----------------------------------------------------------------------------------
    def walk(self, dot: Any, nodes: list[Node]) -> None:
        budget = self.budget
        for node in nodes:
            budget.tick(getattr(node, "pos", 0), "")
            if isinstance(node, Text):
                self.out.append(node.text)
                budget.wrote(len(node.text), 0, "")
            elif isinstance(node, Action):
                val = self.pipeline(dot, node.pipe)
                if not node.pipe.decl:
                    text = print_value(val)
                    self.out.append(text)
                    budget.wrote(len(text), node.pipe.pos, node.pipe.src)
            elif isinstance(node, (IfNode, WithNode)):
                self.if_or_with(dot, node)
            elif isinstance(node, RangeNode):
                self.range(dot, node)
            elif isinstance(node, TemplateCall):
                self.template(dot, node)
            elif isinstance(node, BreakNode):
                raise _Break()
            elif isinstance(node, ContinueNode):
                raise _Continue()

    def if_or_with(self, dot: Any, node: IfNode | WithNode) -> None:
        mark = len(self.vars)
        val = self.pipeline(dot, node.pipe)
        if truth(val):
            self.walk(val if isinstance(node, WithNode) else dot, node.body)
        elif node.else_body is not None:
            self.walk(dot, node.else_body)
        del self.vars[mark:]

    def range(self, dot: Any, node: RangeNode) -> None:
        mark = len(self.vars)
        pipe = node.pipe
        items = range_items(self.pipeline(dot, pipe, declare=False), pipe)
        if items is None:
            if node.else_body is not None:
                self.walk(dot, node.else_body)
            del self.vars[mark:]
            return
        budget = self.budget
        for key, elem in items:
            budget.tick(pipe.pos, pipe.src)
            inner = len(self.vars)
            if pipe.decl:
                self._bind_range(pipe, key, elem)
            try:
                self.walk(elem, node.body)
            except _Continue:
                pass
            except _Break:
                del self.vars[inner:]
                break
            del self.vars[inner:]
        del self.vars[mark:]

    def _bind_range(self, pipe: Pipe, key: Any, elem: Any) -> None:
        """{{range $e := ...}} binds the element; {{range $k, $e := ...}} the key (or index) and the element."""
        decl = pipe.decl
        if len(decl) == 1:
            self._bind(pipe, decl[0], elem)
        else:
            self._bind(pipe, decl[0], key)
            self._bind(pipe, decl[1], elem)

    def _bind(self, pipe: Pipe, name: str, value: Any) -> None:
        if pipe.is_assign:
            self.set_var(name, value)
        else:
            self.vars.append([name, value])

    def template(self, dot: Any, node: TemplateCall) -> None:
        body = self.tmpl.defines.get(node.name)
        if body is None:
            raise ExecError(f'no such template "{node.name}"', node.pos, f'template "{node.name}"')
        if self.depth >= MAX_DEPTH:
            raise ExecError(f"exceeded maximum template depth ({MAX_DEPTH})", node.pos, f'template "{node.name}"')
        new_dot = self.pipeline(dot, node.pipe) if node.pipe is not None else None
        sub = State(self.tmpl, self.funcs, new_dot, self.depth + 1, self.budget)
        sub.out = self.out
        sub.walk(new_dot, body)

    # -- pipelines and commands ---------------------------------------------------------------
    def pipeline(self, dot: Any, pipe: Pipe, declare: bool = True) -> Any:
        value: Any = NO_FINAL
        for cmd in pipe.cmds:
            value = self.command(dot, cmd, value)
            if value is None:  # a nil interface{} becomes no value between commands, as in Go
                value = MISSING
        if declare and pipe.decl:
            for name in pipe.decl:
                if pipe.is_assign:
                    self.set_var(name, value)
                else:
                    self.vars.append([name, value])
        return value

    def command(self, dot: Any, cmd: Command, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, FieldNode):
            return self.chain(dot, first.idents, cmd, final)
        if isinstance(first, IdentifierNode):
            return self.call(dot, self.funcs[first.name], cmd.args[1:], final, cmd)
        if isinstance(first, VariableNode):
            return self.chain(self.var(first.name), first.idents, cmd, final)
        if isinstance(first, ChainNode):
            return self.chain(self.arg_value(dot, first.node), first.idents, cmd, final)
        if len(cmd.args) > 1 or final is not NO_FINAL:
            raise ExecError(f"can't give argument to non-function {cmd.src.split()[0]}", cmd.pos, cmd.src)
        if isinstance(first, Pipe):
            return self.pipeline(dot, first)
        if isinstance(first, DotNode):
            return dot
        if isinstance(first, NilNode):
            raise ExecError("nil is not a command", cmd.pos, cmd.src)
        if isinstance(first, NumberNode):
            return first.ideal
        return first.value

    def chain(self, receiver: Any, idents: tuple[str, ...], cmd: Command | None, final: Any) -> Any:
        """receiver.A.B... (a field chain takes no arguments: there are no methods to call)."""
        if cmd is not None and idents and (len(cmd.args) > 1 or final is not NO_FINAL):
            raise ExecError(f"{idents[-1]} is not a method but has arguments", cmd.pos, cmd.src)
        src = cmd.src if cmd is not None else ""
        pos = cmd.pos if cmd is not None else 0
        for name in idents:
            receiver = lookup_field(receiver, name, pos, src)
        return receiver

    def arg_value(self, dot: Any, node: Arg) -> Any:
        """An argument's value before type checks (fields, variables, sub-pipelines, literals)."""
        if isinstance(node, FieldNode):
            return self.chain(dot, node.idents, None, NO_FINAL)
        if isinstance(node, VariableNode):
            return self.chain(self.var(node.name), node.idents, None, NO_FINAL)
        if isinstance(node, DotNode):
            return dot
        if isinstance(node, Pipe):
            return self.pipeline(dot, node)
        if isinstance(node, ChainNode):
            return self.chain(self.arg_value(dot, node.node), node.idents, None, NO_FINAL)
        if isinstance(node, NilNode):
            return None
        if isinstance(node, NumberNode):
            return node.ideal
        if isinstance(node, IdentifierNode):
            return self.call(dot, self.funcs[node.name], [], NO_FINAL, Command(node.pos, [node], node.name))
        return node.value

    def call(self, dot: Any, fn: Func, arg_nodes: list[Arg], final: Any, cmd: Command) -> Any:
        nargs = len(arg_nodes) + (0 if final is NO_FINAL else 1)
        kinds = fn.kinds(nargs)
        if kinds is None:
            raise ExecError(f"wrong number of args for {fn.name}: want {fn.want()} got {nargs}", cmd.pos, cmd.src)
        if fn.lazy:
            args = self.lazy_args(dot, arg_nodes, final)
        else:
            args = []
            for i, n in enumerate(arg_nodes):  # (a loop: a comprehension costs a call before Python 3.12)
                args.append(self.typed_arg(dot, n, kinds[i], cmd))
            if final is not NO_FINAL:
                args.append(convert(final, kinds[-1], cmd))
        self.budget.tick(cmd.pos, cmd.src)
        # called here, not in a helper: nested and/or calls recurse through this frame
        try:
            result = fn.fn(*args)
        except FuncError as e:
            raise ExecError(f"error calling {fn.name}: {e}", cmd.pos, cmd.src) from None
        except ExecError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, ZeroDivisionError, OverflowError, RecursionError) as e:
            raise ExecError(f"error calling {fn.name}: {e}", cmd.pos, cmd.src) from None
        except MemoryError:
            raise ExecError(f"error calling {fn.name}: out of memory", cmd.pos, cmd.src) from None
        if isinstance(result, str):
            if len(result) > MAX_OUTPUT:
                raise ExecError(f"error calling {fn.name}: result over the template sandbox's limit of "
                                f"{MAX_OUTPUT} characters", cmd.pos, cmd.src)
        elif isinstance(result, (list, tuple, Mapping)) and len(result) > MAX_ITEMS:
            raise ExecError(f"error calling {fn.name}: result over the template sandbox's limit of "
                            f"{MAX_ITEMS} items", cmd.pos, cmd.src)
        return result

    def lazy_args(self, dot: Any, arg_nodes: list[Arg], final: Any) -> list[Any]:
        """A lazy function's one argument: a thunk per argument, evaluated when the function asks."""
        thunks: list[Callable[[], Any]] = [functools.partial(self.arg_value, dot, n) for n in arg_nodes]
        if final is not NO_FINAL:
            thunks.append(lambda: final)
        return [thunks]

    def typed_arg(self, dot: Any, node: Arg, kind: str, cmd: Command) -> Any:
        if isinstance(node, NumberNode):
            if kind == "i":
                if not node.is_int:
                    raise ExecError(f"expected integer; found {node.text}", cmd.pos, cmd.src)
                return node.int_value
            if kind == "f":
                return node.float_value
            if kind in ("a", "r"):
                return node.ideal
            raise ExecError(f"wrong type for value; expected {KIND_NAMES.get(kind, kind)}; got number {node.text}", cmd.pos, cmd.src)
        if isinstance(node, NilNode):
            if kind in ("a", "r", "m", "l"):
                return None
            raise ExecError(f"cannot assign nil to {KIND_NAMES.get(kind, kind)}", cmd.pos, cmd.src)
        if isinstance(node, Literal) and kind in KIND_NAMES:
            v = node.value
            if not ((kind == "s" and isinstance(v, str)) or (kind == "b" and isinstance(v, bool))):
                raise ExecError(f"expected {KIND_NAMES[kind]}; found {fmt_literal(v)}", cmd.pos, cmd.src)
            return v
        return convert(self.arg_value(dot, node), kind, cmd)


def range_items(val: Any, pipe: Pipe) -> Iterable[tuple[Any, Any]] | None:
    """The (key, element) pairs {{range}} walks over val; None when there are none ({{else}} runs)."""
    if isinstance(val, (list, tuple)):
        return list(enumerate(val)) or None
    if isinstance(val, Mapping):
        return [(k, val[k]) for k in sorted_keys(val)] or None
    if isinstance(val, int) and not isinstance(val, bool):
        if len(pipe.decl) > 1:
            raise ExecError("can't use two iteration variables when ranging over an integer", pipe.pos, pipe.src)
        if val <= 0:
            return None
        return ((i, i) for i in range(val))  # lazily: the time budget stops a huge one
    if val is MISSING or val is None:
        return None
    raise ExecError(f"range can't iterate over {print_value(val)}", pipe.pos, pipe.src)


def fmt_literal(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    from .gofmt import quote

    return quote(v) if isinstance(v, str) else str(v)


KIND_NAMES = {"s": "string", "i": "int", "f": "float64", "b": "bool", "m": "map", "l": "slice"}


# the Python types a value of each checked kind has ("i" also excludes bool)
_KIND_TYPES: dict[str, type | tuple[type, ...]] = {
    "s": str, "i": int, "f": float, "b": bool, "m": Mapping, "l": (list, tuple),
}


def convert(v: Any, kind: str, cmd: Command) -> Any:
    """Go's validateType for one argument."""
    if kind == "r":
        return v
    if kind == "a":
        return None if v is MISSING else v
    if v is MISSING or v is None:
        return _convert_nil(v, kind, cmd)
    if not isinstance(v, _KIND_TYPES[kind]) or (kind == "i" and isinstance(v, bool)):
        raise ExecError(f"wrong type for value; expected {KIND_NAMES[kind]}; got {go_type(v)}", cmd.pos, cmd.src)
    return v


def _convert_nil(v: Any, kind: str, cmd: Command) -> None:
    """No value or nil for an argument of a checked kind: nil for a map or a slice, else an error."""
    if kind in ("m", "l"):
        return None
    if v is MISSING:
        raise ExecError(f"invalid value; expected {KIND_NAMES[kind]}", cmd.pos, cmd.src)
    raise ExecError(f"wrong type for value; expected {KIND_NAMES[kind]}; got <nil>", cmd.pos, cmd.src)


def run(tmpl: Any, data: Any, funcs: Mapping[str, Func] | None = None) -> str:
    state = State(tmpl, funcs if funcs is not None else FUNCS, data)
    try:
        state.walk(data, tmpl.body)
    except ExecError as e:
        line, col = position(tmpl.src, e.pos)
        at = f" at <{e.src}>" if e.src else ""
        raise TemplateError(f'template: {tmpl.name}:{line}:{col}: executing "{tmpl.name}"{at}: {e.msg}', line, col) from None
    except RecursionError:
        raise TemplateError(f"template: {tmpl.name}: exceeded maximum template depth") from None
    return "".join(state.out)
