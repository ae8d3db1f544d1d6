"""ResourceList text out: the source text with the edits spliced in, or a flow-style input re-rendered.

Edits (:class:`krmfn.text.reconcile.Edit`) are insertions and replacements at
known offsets; everything between them is copied, so an item nobody touched
comes back as the very bytes it came in as, and an injected item changes only
where the injection adds lines.  A flow-style input (JSON, ``items: [...]``)
has no block text to splice into: the whole list is rendered in block style.
"""

from __future__ import annotations

from . import render
from .document import JSON_SPAN, ReadError
from .nodes import Mapping, Sequence, YamlError, next_line_start, unshare
from .read import compose, release
from .reconcile import Edit

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

    from .document import Document
    from .nodes import Node

__all__ = ["apply_edits", "newline_of", "output", "rendered_item", "splice", "write", "write_pieces"]


def output(
    doc: Document, edits: list[Edit], replaced: dict[int, tuple[Any, int]], results: list[Any]
) -> Iterable[str]:
    """:func:`write_pieces`; output that cannot be rendered without aliases makes the input unreadable
    (a :class:`ReadError`).

    Only a re-rendered (flow-style) input can fail here: an alias bomb must be
    expanded to be written without aliases, and the expansion is capped.
    """
    try:
        return write_pieces(doc, edits, replaced, results)
    except (YamlError, render.Unrenderable) as e:
        raise ReadError(f"input cannot be re-rendered in block style: {e}") from None
    except RecursionError:
        raise ReadError("input is nested too deeply to re-render") from None


def write(
    doc: Document, edits: list[Edit], replaced: dict[int, tuple[Node, int]], results: list[dict[str, Any]]
) -> str:
    """The output ResourceList text (see :func:`write_pieces`)."""
    return "".join(write_pieces(doc, edits, replaced, results))


def write_pieces(
    doc: Document, edits: list[Edit], replaced: dict[int, tuple[Node, int]], results: list[dict[str, Any]]
) -> Iterable[str]:
    """The output ResourceList text, as pieces to write one after the other.

    ``edits`` splice the source text; ``replaced`` maps item indexes to new
    item nodes (and their sequence indentation) to re-render in place; ``results`` are written last.
    Everything that can fail happens here, not while iterating: a large output
    is written piece by piece and never held whole (or twice, once encoded).
    """
    if doc.rerender:
        return _rerender(doc, replaced, results)
    text = doc.text
    all_edits = list(edits)
    for index, (node, seq_indent) in replaced.items():
        item = doc.items[index]
        lines: list[str] = []
        render.render_lines(node, item.col, lines, seq_indent)
        new = "".join(lines)[item.col :].rstrip("\n")
        end = next_line_start(text, doc.starts, item.last_line)
        if end > 0 and text[end - 1 : end] == "\n":
            end -= 1
            if text[end - 1 : end] == "\r":
                end -= 1
        all_edits.append(Edit(item.start, end, new))
    if doc.results_span is not None:
        all_edits.append(Edit(doc.results_span[0], doc.results_span[1], ""))
    if results and not doc.stream:
        at = next_line_start(text, doc.starts, doc.root_last_line)
        if doc.results_span is not None and doc.results_span[1] >= at:
            at = doc.results_span[0]  # the old results were last: the new ones take their place
        all_edits.append(Edit(at, at, render.render_entry("results", results, doc.root_col)))
    return splice(text, all_edits, newline_of(text))


def newline_of(text: str) -> str:
    """The line break the source uses (that of its first line)."""
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def apply_edits(text: str, edits: list[Edit], newline: str = "\n") -> str:
    return "".join(splice(text, edits, newline))


def splice(text: str, edits: list[Edit], newline: str = "\n") -> Iterable[str]:
    """``text`` with ``edits`` applied, as pieces (iterable more than once); edits are checked now."""
    # At one offset, insertions go before a replacement starting there (same text either way).
    order = sorted(edits, key=lambda e: (e.start, e.end != e.start))  # stable: equal keys keep their order
    pos = 0
    for e in order:
        if e.start < pos:
            raise AssertionError("overlapping edits")  # a bug, never user input
        pos = e.end
    return _Spliced(text, order, newline)


class _Spliced:
    def __init__(self, text: str, order: list[Edit], newline: str) -> None:
        self.text, self.order, self.newline = text, order, newline

    def __iter__(self) -> Iterator[str]:
        text, newline = self.text, self.newline
        no_final_break = bool(text) and text[-1] not in "\n\r"
        held = ""  # the last non-empty piece, held back: a text without a final line break keeps having none
        pos = 0
        for e in self.order:
            for piece in (text[pos : e.start], self._new(e)):
                if piece:
                    if held:
                        yield held
                    held = piece
            pos = e.end
        tail = text[pos:]
        if tail:
            if held:
                yield held
            held = tail
        if no_final_break and self.order and held.endswith(newline):
            held = held[: -len(newline)]
        if held:
            yield held

    def _new(self, e: Edit) -> str:
        text, newline = self.text, self.newline
        new = e.text
        if newline != "\n":
            new = new.replace("\n", newline)
        if new and e.start == len(text) and text and text[-1] not in "\n\r":
            new = newline + new.rstrip("\n")  # lines added at the end of a text that has no final line break
        return new


def rendered_item(new: Any) -> Any:
    """An edited item's new data in a re-rendered list: its block text (as :func:`write` would render it),
    made now so the data need not be kept; the data itself if it cannot be rendered (the writer says why)."""
    lines: list[str] = []
    try:
        render.render_lines(Sequence([new]), 0, lines)
    except (render.Unrenderable, RecursionError, TypeError, YamlError):
        return new
    return "".join(lines)


def _rerender(doc: Document, replaced: dict[int, tuple[Node, int]], results: list[dict[str, Any]]) -> list[str]:
    """The whole list in block style, as pieces (one per item): the text of rendering the root mapping at once,
    without a copy of every item's nodes (only an item with aliases is copied, to expand them) nor a line list
    of the whole output."""
    out: list[str] = []
    for key_node, value in doc.header:
        if key_node.value == "results":
            continue
        if key_node.value == "items":
            key = render.key_text(key_node)
            if not doc.items:
                out.append(f"{key}: []\n")
                continue
            out.append(f"{key}:\n")
            for item in doc.items:
                if item.rendered is not None:
                    out.append(item.rendered)
                    continue
                if item.index in replaced:
                    node: Any = replaced[item.index][0]
                    if node.__class__ is str:  # rendered already (rendered_item)
                        out.append(node)
                        continue
                elif item.span is not None and item.span[2] == JSON_SPAN:  # a workload left unchanged
                    from . import jsonread

                    out.append(jsonread.render_item(doc, item))
                    continue
                else:
                    compose(doc, item)  # one left as its text (a workload not processed: functionConfig error)
                    assert item.node is not None and item.composer is not None
                    node = unshare(item.node) if item.composer.aliased else item.node
                lines: list[str] = []
                render.render_lines(Sequence([node]), 0, lines)
                release(item)
                out.append("".join(lines))
        else:
            assert value is not None
            root = Mapping()
            root.pairs.append((key_node, unshare(value)))
            lines = []
            render.render_lines(root, 0, lines)
            out.append("".join(lines))
    if results:
        out.append(render.render_entry("results", results, 0))
    return out
