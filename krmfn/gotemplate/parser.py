"""Parser: tokens -> parse tree (a list of nodes per named template), with Go's parse-time checks
(undefined functions and variables, misplaced else/end/break, unclosed actions)."""

from __future__ import annotations

import math
import re
from collections.abc import Collection

from .errors import TemplateError, position
from .lexer import Lexer, T, Token
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


class Parser:
    def __init__(self, name: str, src: str, funcs: Collection[str]) -> None:
        self.name = name
        self.src = src
        self.funcs = funcs
        self.toks = Lexer(name, src).run()
        self.i = 0
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.defines: dict[str, list[Node]] = {}

    # -- token helpers -------------------------------------------------------------------------
    def error(self, msg: str, pos: int | None = None) -> TemplateError:
        if pos is None:
            pos = self.toks[min(self.i, len(self.toks) - 1)].pos
        line, col = position(self.src, pos)
        return TemplateError(f"template: {self.name}:{line}:{col}: {msg}", line, col)

    def peek(self) -> Token:
        return self.toks[self.i]

    def next(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def peek_nonspace(self) -> Token:
        j = self.i
        while self.toks[j].typ == T.SPACE:
            j += 1
        return self.toks[j]

    def next_nonspace(self) -> Token:
        t = self.next()
        while t.typ == T.SPACE:
            t = self.next()
        return t

    def expect(self, typ: T, context: str) -> Token:
        t = self.next_nonspace()
        if t.typ != typ:
            raise self.error(f"unexpected {describe(t)} in {context}", t.pos)
        return t

    # -- lists and actions ---------------------------------------------------------------------
    def parse(self) -> tuple[list[Node], dict[str, list[Node]]]:
        body, stop = self.parse_list(top=True)
        if stop is not None:
            raise self.error(f"unexpected {{{{{stop.val}}}}}", stop.pos)
        return body, self.defines

    def parse_list(self, top: bool = False) -> tuple[list[Node], Token | None]:
        """Nodes up to {{end}} / {{else}} (returned as the stop token) or EOF (stop None)."""
        nodes: list[Node] = []
        while True:
            t = self.next()
            if t.typ == T.EOF:
                if not top:
                    raise self.error("unexpected EOF", t.pos)
                return nodes, None
            if t.typ == T.TEXT:
                nodes.append(Text(t.val))
                continue
            # t is LEFT
            kw = self.peek_nonspace()
            if kw.typ == T.KEYWORD:
                self.next_nonspace()
                if kw.val in ("end", "else"):
                    if top:
                        raise self.error(f"unexpected {{{{{kw.val}}}}}", kw.pos)
                    if kw.val == "end":
                        self.expect(T.RIGHT, "end")
                    return nodes, kw
                node = self.keyword(kw, top)
                if node is not None:
                    nodes.append(node)
                continue
            pipe = self.pipeline("command", T.RIGHT, t.pos)
            nodes.append(Action(t.pos, pipe))

    def keyword(self, kw: Token, top: bool) -> Node | None:
        if kw.val in ("if", "with", "range"):
            return self.control(kw)
        if kw.val == "template":
            return self.template_call(kw)
        if kw.val == "define":
            if not top:
                raise self.error("unexpected <define> in command", kw.pos)
            self.define(kw)
            return None
        if kw.val == "block":
            return self.block(kw)
        if kw.val in ("break", "continue"):
            if self.range_depth == 0:
                raise self.error(f"{{{{{kw.val}}}}} outside {{{{range}}}}", kw.pos)
            self.expect(T.RIGHT, kw.val)
            return BreakNode(kw.pos) if kw.val == "break" else ContinueNode(kw.pos)
        raise self.error(f"unexpected {kw.val}", kw.pos)

    def control(self, kw: Token) -> Node:
        mark = len(self.vars)
        pipe = self.pipeline(kw.val, T.RIGHT, kw.pos)
        if kw.val == "range":
            self.range_depth += 1
        body, stop = self.parse_list()
        if kw.val == "range":
            self.range_depth -= 1
        else_body: list[Node] | None = None
        if stop is not None and stop.val == "else":
            nxt = self.peek_nonspace()
            if nxt.typ == T.KEYWORD and nxt.val == kw.val and kw.val in ("if", "with"):
                # {{else if ...}} / {{else with ...}}: a nested control that consumes the shared {{end}}
                self.next_nonspace()
                else_body = [self.control(nxt)]
            else:
                self.expect(T.RIGHT, "else")
                else_body, stop2 = self.parse_list()
                if stop2 is None or stop2.val != "end":
                    raise self.error("expected end; found {{else}}", stop2.pos if stop2 else None)
        del self.vars[mark:]
        if kw.val == "if":
            return IfNode(kw.pos, pipe, body, else_body)
        if kw.val == "with":
            return WithNode(kw.pos, pipe, body, else_body)
        return RangeNode(kw.pos, pipe, body, else_body)

    def template_name(self, context: str) -> str:
        t = self.next_nonspace()
        if t.typ not in (T.STRING, T.RAW):
            raise self.error(f"unexpected {describe(t)} in {context} clause", t.pos)
        return unquote(t.val, self, t.pos)

    def template_call(self, kw: Token) -> Node:
        name = self.template_name("template")
        pipe = None
        if self.peek_nonspace().typ != T.RIGHT:
            pipe = self.pipeline("template", T.RIGHT, kw.pos)
        else:
            self.next_nonspace()
        return TemplateCall(kw.pos, name, pipe)

    def define(self, kw: Token) -> None:
        name = self.template_name("define")
        self.expect(T.RIGHT, "define clause")
        saved_vars, saved_range = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        body, stop = self.parse_list()
        self.vars, self.range_depth = saved_vars, saved_range
        if stop is None or stop.val != "end":
            raise self.error("unexpected {{else}} in define", stop.pos if stop else None)
        self.defines[name] = body

    def block(self, kw: Token) -> Node:
        name = self.template_name("block")
        pipe = self.pipeline("block", T.RIGHT, kw.pos)
        saved_vars, saved_range = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        body, stop = self.parse_list()
        self.vars, self.range_depth = saved_vars, saved_range
        if stop is None or stop.val != "end":
            raise self.error("unexpected {{else}} in block", stop.pos if stop else None)
        self.defines[name] = body
        return TemplateCall(kw.pos, name, pipe)

    # -- pipelines -----------------------------------------------------------------------------
    def pipeline(self, context: str, end: T, pos: int) -> Pipe:
        start_tok = self.peek_nonspace()
        pipe = Pipe(start_tok.pos)
        self.declarations(pipe, context)
        while True:
            t = self.peek_nonspace()
            if t.typ == end:
                self.next_nonspace()
                if not pipe.cmds:
                    raise self.error(f"missing value for {context}", t.pos)
                for i, c in enumerate(pipe.cmds[1:]):
                    if isinstance(c.args[0], (Literal, NumberNode, NilNode, DotNode)):
                        raise self.error(f"non executable command in pipeline stage {i + 2}", c.pos)
                pipe.src = self.src[start_tok.pos : t.pos].strip()
                return pipe
            if t.typ in (T.RIGHT, T.RPAREN, T.EOF):
                raise self.error(f"unexpected {describe(t)} in {context}", t.pos)
            pipe.cmds.append(self.command(end))

    def declarations(self, pipe: Pipe, context: str) -> None:
        t = self.peek_nonspace()
        if t.typ != T.VARIABLE:
            return
        save = self.i
        self.next_nonspace()
        nxt = self.peek_nonspace()
        if nxt.typ in (T.DECLARE, T.ASSIGN):
            self.next_nonspace()
            pipe.is_assign = nxt.typ == T.ASSIGN
            if pipe.is_assign and t.val not in self.vars:
                raise self.error(f'undefined variable "{t.val}"', t.pos)
            pipe.decl.append(t.val)
            if not pipe.is_assign:
                self.vars.append(t.val)
            return
        if nxt.typ == T.COMMA and context == "range":
            self.next_nonspace()
            second = self.next_nonspace()
            if second.typ != T.VARIABLE:
                raise self.error(f"range can only initialize variables, found {describe(second)}", second.pos)
            op = self.next_nonspace()
            if op.typ not in (T.DECLARE, T.ASSIGN):
                raise self.error(f"unexpected {describe(op)} in range", op.pos)
            pipe.is_assign = op.typ == T.ASSIGN
            for v in (t, second):
                if pipe.is_assign and v.val not in self.vars:
                    raise self.error(f'undefined variable "{v.val}"', v.pos)
                pipe.decl.append(v.val)
                if not pipe.is_assign:
                    self.vars.append(v.val)
            return
        self.i = save

    def command(self, end: T) -> Command:
        first = self.peek_nonspace()
        cmd = Command(first.pos, [])
        while True:
            self.skip_space()
            t = self.peek()
            if t.typ == end or t.typ in (T.RIGHT, T.RPAREN):
                break
            if t.typ == T.PIPE:
                if not cmd.args:
                    raise self.error("missing command", t.pos)
                cmd.src = self.src[first.pos : t.pos].strip()
                self.next()
                return cmd
            cmd.args.append(self.operand())
            nxt = self.peek()
            if nxt.typ not in (T.SPACE, T.PIPE, T.RIGHT, T.RPAREN):
                raise self.error(f"unexpected {describe(nxt)} in operand", nxt.pos)
        if not cmd.args:
            raise self.error("empty command", first.pos)
        cmd.src = self.src[first.pos : self.peek().pos].strip()
        return cmd

    def skip_space(self) -> None:
        while self.peek().typ == T.SPACE:
            self.i += 1

    def operand(self) -> Arg:
        node = self.term()
        if self.peek().typ != T.FIELD:
            return node
        idents: list[str] = []
        while self.peek().typ == T.FIELD:
            idents.append(self.next().val[1:])
        if isinstance(node, FieldNode):
            return FieldNode(node.pos, node.idents + tuple(idents))
        if isinstance(node, VariableNode):
            return VariableNode(node.pos, node.name, node.idents + tuple(idents))
        if isinstance(node, (Literal, NumberNode, NilNode)):
            raise self.error("unexpected . after term", node.pos)
        return ChainNode(node.pos, node, tuple(idents))

    def term(self) -> Arg:
        t = self.next_nonspace()
        typ = t.typ
        if typ == T.IDENT:
            if t.val not in self.funcs:
                raise self.error(f'function "{t.val}" not defined', t.pos)
            return IdentifierNode(t.pos, t.val)
        if typ == T.DOT:
            return DotNode(t.pos)
        if typ == T.NIL:
            return NilNode(t.pos)
        if typ == T.VARIABLE:
            if t.val not in self.vars:
                raise self.error(f'undefined variable "{t.val}"', t.pos)
            return VariableNode(t.pos, t.val, ())
        if typ == T.FIELD:
            return FieldNode(t.pos, (t.val[1:],))
        if typ == T.BOOL:
            return Literal(t.pos, t.val == "true")
        if typ in (T.STRING, T.RAW):
            return Literal(t.pos, unquote(t.val, self, t.pos))
        if typ == T.CHAR:
            s = unquote('"' + t.val[1:-1].replace('"', '\\"') + '"', self, t.pos)
            if len(s) != 1:
                raise self.error(f"malformed character constant: {t.val}", t.pos)
            return number_node(str(ord(s)), t.pos, self)
        if typ == T.NUMBER:
            return number_node(t.val, t.pos, self)
        if typ == T.LPAREN:
            return self.pipeline("parenthesized pipeline", T.RPAREN, t.pos)
        raise self.error(f"unexpected {describe(t)} in operand", t.pos)


def describe(t: Token) -> str:
    if t.typ == T.EOF:
        return "EOF"
    if t.typ == T.RIGHT:
        return '"}}"'
    if t.typ in (T.TEXT, T.SPACE):
        return str(t.typ.value)
    return f"{t.typ.value} {t.val!r}" if t.typ not in (T.PIPE, T.LPAREN, T.RPAREN, T.COMMA) else f'"{t.val}"'


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"', "'": "'"}
_ESC_RE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)", re.DOTALL)


def unquote(text: str, parser: Parser, pos: int) -> str:
    """Go strconv.Unquote of a "..." or `...` literal."""
    if text.startswith("`"):
        return text[1:-1]
    body = text[1:-1]

    def repl(m: re.Match[str]) -> str:
        e = m.group(1)
        if e in _ESCAPES:
            return _ESCAPES[e]
        if e[0] in "xuU":
            return chr(int(e[1:], 16))
        if e[0] in "01234567" and len(e) == 3:
            return chr(int(e, 8))
        raise parser.error(f"invalid syntax: {text}", pos)

    return _ESC_RE.sub(repl, body)


def _int_literal(low: str) -> int | None:
    """The value of an integer literal in Go's syntax (lower-cased, no underscores: ``0x``, ``0o``,
    ``0b`` prefixes, a leading ``0`` for octal), or None when it is not one."""
    sign = -1 if low[:1] == "-" else 1
    body = low[1:] if low[:1] in ("+", "-") else low
    if body.startswith(("0x", "0o", "0b")):
        base = 0
    elif len(body) > 1 and body.startswith("0"):
        base = 8
    else:
        base = 10
    try:
        return sign * int(body, base)
    except ValueError:
        return None


def number_node(text: str, pos: int, parser: Parser) -> NumberNode:
    """A number constant, as Go's parse.NewNumber reads it: an int when it is one (``1``, ``0x1f``, and
    a float with an integral value such as ``1e3``), a float otherwise."""
    clean = text.replace("_", "")
    low = clean.lower()
    is_hex = low.lstrip("+-").startswith("0x")
    float_text = "p" in low if is_hex else ("." in low or "e" in low)
    ival = None if float_text else _int_literal(low)
    if ival is not None:
        fval = float(_int64(ival, text, pos, parser))
    else:
        try:
            fval = float.fromhex(clean) if is_hex else float(clean)
        except ValueError:
            raise parser.error(f"bad number syntax: {text!r}", pos) from None
        if math.isfinite(fval) and fval == int(fval):
            ival = _int64(int(fval), text, pos, parser)
    return NumberNode(pos, text, ival is not None, ival or 0, fval, float_text)


def _int64(value: int, text: str, pos: int, parser: Parser) -> int:
    """value, if it fits Go's int (also before an integer too long for a float is converted to one)."""
    if not -(2**63) <= value < 2**63:
        raise parser.error(f"integer overflow: {text!r}", pos)
    return value
