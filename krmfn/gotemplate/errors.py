"""TemplateError: a user error in a template (parse or execution), with its line and column."""

from __future__ import annotations


class TemplateError(Exception):
    """A parse or execution error, worded as Go's text/template words it (``template: NAME:LINE:COL: ...``)."""

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col

    def __str__(self) -> str:
        return self.message


class FuncError(Exception):
    """Raised by a template function; the executor turns it into a TemplateError at the call's position."""


def position(src: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of offset in src."""
    line = src.count("\n", 0, offset) + 1
    col = offset - (src.rfind("\n", 0, offset) + 1) + 1
    return line, col
