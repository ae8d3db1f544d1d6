"""Lexer: template source -> tokens, as Go's text/template/parse lexer splits it.

Text outside actions becomes TEXT tokens (already trimmed by ``{{-`` / ``-}}`` markers); comments
vanish; inside an action come identifiers, fields (``.Name``), variables (``$x``), literals and
punctuation.  Every token carries its offset in the source, for line:column in error messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from .errors import TemplateError, position

LEFT = "{{"
RIGHT = "}}"
TRIM_CHARS = " \t\r\n"


class T(Enum):
    TEXT = "text"
    LEFT = "{{"
    RIGHT = "}}"
    IDENT = "identifier"
    FIELD = "field"
    VARIABLE = "variable"
    DOT = "."
    STRING = "string"
    RAW = "raw string"
    CHAR = "character constant"
    NUMBER = "number"
    BOOL = "bool"
    NIL = "nil"
    PIPE = "|"
    LPAREN = "("
    RPAREN = ")"
    DECLARE = ":="
    ASSIGN = "="
    COMMA = ","
    SPACE = "space"
    KEYWORD = "keyword"
    EOF = "EOF"


_NUMBER = re.compile(
    r"[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?"
    r"|0[oO][0-7_]+|0[bB][01_]+"
    r"|(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9_]+)?)(?:i)?"
)

KEYWORDS = {"block", "break", "continue", "define", "else", "end", "if", "range", "template", "with"}


@dataclass(frozen=True)
class Token:
    typ: T
    val: str
    pos: int


def _is_alnum(c: str) -> bool:
    return c == "_" or c.isalnum()


class Lexer:
    def __init__(self, name: str, src: str) -> None:
        self.name = name
        self.src = src
        self.tokens: list[Token] = []

    def error(self, msg: str, pos: int) -> TemplateError:
        line, col = position(self.src, pos)
        return TemplateError(f"template: {self.name}:{line}:{col}: {msg}", line, col)

    def run(self) -> list[Token]:
        src = self.src
        pos = 0
        trim_next = False
        n = len(src)
        while pos <= n:
            start = src.find(LEFT, pos)
            if start < 0:
                self._text(src[pos:], pos, trim_next, False)
                break
            trim_left = src.startswith("-", start + 2) and start + 3 < n and src[start + 3] in TRIM_CHARS
            self._text(src[pos:start], pos, trim_next, trim_left)
            inner = start + 2 + (2 if trim_left else 0)
            # comment?
            after = inner
            if src.startswith("/*", after):
                end = src.find("*/", after + 2)
                if end < 0:
                    raise self.error("unclosed comment", start)
                p = end + 2
                trim_right = False
                if src.startswith(" -" + RIGHT, p) or src.startswith("\t-" + RIGHT, p) or src.startswith("\n-" + RIGHT, p):
                    trim_right = True
                    p += 2
                if not src.startswith(RIGHT, p):
                    raise self.error("comment ends before closing delimiter", start)
                pos = p + 2
                trim_next = trim_right
                continue
            self.tokens.append(Token(T.LEFT, LEFT, start))
            pos, trim_next = self._action(inner)
        self.tokens.append(Token(T.EOF, "", n))
        return self.tokens

    def _text(self, text: str, pos: int, trim_start: bool, trim_end: bool) -> None:
        if trim_start:
            stripped = text.lstrip(TRIM_CHARS)
            pos += len(text) - len(stripped)
            text = stripped
        if trim_end:
            text = text.rstrip(TRIM_CHARS)
        if text:
            self.tokens.append(Token(T.TEXT, text, pos))

    def _at_right(self, p: int) -> tuple[bool, bool, int]:
        """Is there a closing delimiter at p (after optional space-dash trim)? -> (found, trim, end)."""
        src = self.src
        if src.startswith(RIGHT, p):
            return True, False, p + 2
        if p < len(src) and src[p] in TRIM_CHARS:
            q = p
            while q < len(src) and src[q] in TRIM_CHARS:
                q += 1
            if src.startswith("-" + RIGHT, q):
                return True, True, q + 3
        return False, False, p

    def _action(self, p: int) -> tuple[int, bool]:
        src = self.src
        n = len(src)
        paren_depth = 0
        while True:
            found, trim, end = self._at_right(p)
            if found:
                if paren_depth:
                    raise self.error("unclosed left paren", p)
                self.tokens.append(Token(T.RIGHT, RIGHT, p))
                return end, trim
            if p >= n:
                raise self.error("unclosed action", p)
            c = src[p]
            if c in TRIM_CHARS:
                q = p
                while q < n and src[q] in TRIM_CHARS:
                    q += 1
                self.tokens.append(Token(T.SPACE, src[p:q], p))
                p = q
            elif c == "|":
                self.tokens.append(Token(T.PIPE, c, p))
                p += 1
            elif c == "(":
                paren_depth += 1
                self.tokens.append(Token(T.LPAREN, c, p))
                p += 1
            elif c == ")":
                paren_depth -= 1
                if paren_depth < 0:
                    raise self.error("unexpected right paren", p)
                self.tokens.append(Token(T.RPAREN, c, p))
                p += 1
            elif c == ",":
                self.tokens.append(Token(T.COMMA, c, p))
                p += 1
            elif c == ":":
                if not src.startswith(":=", p):
                    raise self.error("expected :=", p)
                self.tokens.append(Token(T.DECLARE, ":=", p))
                p += 2
            elif c == "=":
                self.tokens.append(Token(T.ASSIGN, c, p))
                p += 1
            elif c == '"':
                p = self._quoted(p)
            elif c == "`":
                end_q = src.find("`", p + 1)
                if end_q < 0:
                    raise self.error("unterminated raw quoted string", p)
                self.tokens.append(Token(T.RAW, src[p : end_q + 1], p))
                p = end_q + 1
            elif c == "'":
                p = self._char(p)
            elif c == "$":
                q = p + 1
                while q < n and _is_alnum(src[q]):
                    q += 1
                self.tokens.append(Token(T.VARIABLE, src[p:q], p))
                p = q
            elif c == ".":
                if p + 1 < n and src[p + 1].isdigit():
                    p = self._number(p)
                elif p + 1 < n and _is_alnum(src[p + 1]):
                    q = p + 1
                    while q < n and _is_alnum(src[q]):
                        q += 1
                    self.tokens.append(Token(T.FIELD, src[p:q], p))
                    p = q
                else:
                    self.tokens.append(Token(T.DOT, ".", p))
                    p += 1
            elif c.isdigit() or (c in "+-" and p + 1 < n and (src[p + 1].isdigit() or src[p + 1] == ".")):
                p = self._number(p)
            elif _is_alnum(c):
                q = p
                while q < n and _is_alnum(src[q]):
                    q += 1
                word = src[p:q]
                if word in KEYWORDS:
                    typ = T.KEYWORD
                elif word in ("true", "false"):
                    typ = T.BOOL
                elif word == "nil":
                    typ = T.NIL
                else:
                    typ = T.IDENT
                self.tokens.append(Token(typ, word, p))
                p = q
            else:
                raise self.error(f"unrecognized character in action: {c!r}", p)

    def _quoted(self, p: int) -> int:
        src = self.src
        q = p + 1
        while True:
            if q >= len(src) or src[q] == "\n":
                raise self.error("unterminated quoted string", p)
            if src[q] == "\\":
                q += 2
                continue
            if src[q] == '"':
                break
            q += 1
        self.tokens.append(Token(T.STRING, src[p : q + 1], p))
        return q + 1

    def _char(self, p: int) -> int:
        src = self.src
        q = p + 1
        while True:
            if q >= len(src) or src[q] == "\n":
                raise self.error("unterminated character constant", p)
            if src[q] == "\\":
                q += 2
                continue
            if src[q] == "'":
                break
            q += 1
        self.tokens.append(Token(T.CHAR, src[p : q + 1], p))
        return q + 1

    def _number(self, p: int) -> int:
        m = _NUMBER.match(self.src, p)
        if not m or m.end() == p:
            raise self.error(f"bad number syntax: {self.src[p:p + 1]!r}", p)
        q = m.end()
        if q < len(self.src) and _is_alnum(self.src[q]):
            raise self.error(f"bad number syntax: {self.src[p:q + 1]!r}", p)
        self.tokens.append(Token(T.NUMBER, self.src[p:q], p))
        return q
