"""nodes.line_starts: the offsets at which libyaml's lines start, whichever way they are counted."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from krmfn.text.nodes import line_starts


def _libyaml_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(r"\r\n|[\r\n\x85]|\u2028|\u2029", text)]


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet="a \n\n\x0b\x0c\x1c\x1d\x1e\r\x85\u2028é", max_size=40))
def test_line_starts_are_libyaml_s(text: str) -> None:
    assert list(line_starts(text)) == _libyaml_starts(text)


@pytest.mark.parametrize("text", ["", "\n", "a", "a\n", "a\n\nb", "ab\n" * 30000, "ab\n" * 30000 + "c",
                                  "a\x0cb\n" * 30000, "\u2028x\n" * 30000])
def test_line_starts_of_long_texts(text: str) -> None:
    assert list(line_starts(text)) == _libyaml_starts(text)
