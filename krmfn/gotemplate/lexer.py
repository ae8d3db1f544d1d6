"""Lexer: template source -> tokens, as Go's text/template/parse lexer splits it.

Text outside actions becomes TEXT tokens (already trimmed by ``{{-`` / ``-}}`` markers); comments
vanish; inside an action come identifiers, fields (``.Name``), variables (``$x``), literals and
punctuation.  Every token carries its offset in the source, for line:column in error messages.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import NamedTuple, NoReturn

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

_ACTION_TOKEN = re.compile(
    r"(?P<trimright>[ \t\r\n]+-\}\})"
    r"|(?P<right>\}\})"
    r"|(?P<space>[ \t\r\n]+)"
    r"|(?P<pipe>\|)|(?P<lparen>\()|(?P<rparen>\))|(?P<comma>,)|(?P<declare>:=)|(?P<assign>=)"
    r'|(?P<string>"(?:[^"\\\n]|\\.)*")'
    r"|(?P<raw>`[^`]*`)"
    r"|(?P<char>'(?:[^'\\\n]|\\.)*')"
    r"|(?P<variable>\$\w*)"
    r"|(?P<number>" + _NUMBER.pattern + r")"
    r"|(?P<field>\.\w+)"
    r"|(?P<dot>\.)"
    r"|(?P<word>\w+)"
)

KEYWORDS = {"block", "break", "continue", "define", "else", "end", "if", "range", "template", "with"}
_WORD_TYPES = {**dict.fromkeys(KEYWORDS, T.KEYWORD), "true": T.BOOL, "false": T.BOOL, "nil": T.NIL}


_KIND_TYPES = {
    "space": T.SPACE, "pipe": T.PIPE, "comma": T.COMMA, "declare": T.DECLARE, "assign": T.ASSIGN,
    "string": T.STRING, "raw": T.RAW, "char": T.CHAR, "variable": T.VARIABLE, "field": T.FIELD, "dot": T.DOT,
}


class Token(NamedTuple):
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

    def _action(self, p: int) -> tuple[int, bool]:
        """The tokens of one action, from after its ``{{`` through its ``}}``: the offset after it, and
        whether it closed with ``-}}``."""
        src = self.src
        append = self.tokens.append
        depth = 0  # parentheses open
        while True:
            m = _ACTION_TOKEN.match(src, p)
            if m is None:
                self._bad_token(p)
            kind = m.lastgroup or ""
            val = m.group()
            typ = _KIND_TYPES.get(kind)
            if typ is not None:
                append(Token(typ, val, p))
            elif kind == "word":
                append(Token(_WORD_TYPES.get(val, T.IDENT), val, p))
            elif kind == "number":
                self._number(val, p, m.end())
            elif kind in ("lparen", "rparen"):
                depth = self._paren(kind, depth, p)
            else:  # "right" or "trimright": the end of the action
                if depth:
                    raise self.error("unclosed left paren", p)
                append(Token(T.RIGHT, RIGHT, p))
                return m.end(), kind == "trimright"
            p = m.end()

    def _number(self, val: str, p: int, q: int) -> None:
        if q < len(self.src) and _is_alnum(self.src[q]):
            raise self.error(f"bad number syntax: {self.src[p:q + 1]!r}", p)
        self.tokens.append(Token(T.NUMBER, val, p))

    def _paren(self, kind: str, depth: int, p: int) -> int:
        """A parenthesis at p: its token, and the depth after it."""
        if kind == "lparen":
            self.tokens.append(Token(T.LPAREN, "(", p))
            return depth + 1
        if not depth:
            raise self.error("unexpected right paren", p)
        self.tokens.append(Token(T.RPAREN, ")", p))
        return depth - 1

    def _bad_token(self, p: int) -> NoReturn:
        """The error for an action where no token matches at p."""
        if p >= len(self.src):
            raise self.error("unclosed action", p)
        c = self.src[p]
        if c == '"':
            raise self.error("unterminated quoted string", p)
        if c == "`":
            raise self.error("unterminated raw quoted string", p)
        if c == "'":
            raise self.error("unterminated character constant", p)
        if c == ":":
            raise self.error("expected :=", p)
        raise self.error(f"unrecognized character in action: {c!r}", p)
