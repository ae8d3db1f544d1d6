"""What a read makes: the :class:`Document` (a ResourceList or a stream) and its :class:`Item` records,
the :class:`ReadError` of an input that cannot be read, and the decoding of input bytes.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import yaml

from ..records import Record
from . import yamlc
from .nodes import error_message

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

    from .nodes import Composer, Node, Scalar, YamlError

RESOURCE_LIST_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1", "config.kubernetes.io/v1alpha1")


class ReadError(Exception):
    """The input cannot be read as a ResourceList at all."""


class Item(Record):
    __slots__ = ("index", "api_version", "kind", "is_mapping", "start", "col", "last_line", "node", "composer",
                 "error", "span", "data", "rendered")
    index: int
    api_version: Any
    kind: Any
    is_mapping: bool
    start: int  # offset of the item's node
    col: int
    last_line: int
    node: Node | None  # composed on request
    composer: Composer | None
    error: YamlError | None
    # Fast read: the item's source slice (start, end, column of its ``-``), composed on demand.
    span: tuple[int, int, int] | None
    data: Any  # to_python(node), made while composing (None: not made; call to_python)
    rendered: str | None  # a re-rendered list: the item's block text, made while reading (its node dropped)

    def __init__(
        self,
        index: int,
        api_version: Any,
        kind: Any,
        is_mapping: bool,
        start: int,
        col: int,
        last_line: int,
        node: Node | None = None,
        composer: Composer | None = None,
        error: YamlError | None = None,
        span: tuple[int, int, int] | None = None,
        data: Any = None,
    ) -> None:
        self.index = index
        self.api_version = api_version
        self.kind = kind
        self.is_mapping = is_mapping
        self.start = start
        self.col = col
        self.last_line = last_line
        self.node = node
        self.composer = composer
        self.error = error
        self.span = span
        self.data = data
        self.rendered = None


class Document(Record):
    __slots__ = ("text", "starts", "api_version", "kind", "items", "function_config", "rerender", "root_col",
                 "root_last_line", "results_span", "header", "stream", "unchecked", "from_json")
    text: str
    starts: list[int]
    api_version: str
    kind: str
    items: list[Item]
    function_config: Node | None
    rerender: bool  # flow-style input: re-render everything
    root_col: int
    root_last_line: int
    results_span: tuple[int, int] | None
    header: list[tuple[Scalar, Node | None]]  # for re-rendering
    stream: bool  # a multi-document stream of items, not a ResourceList
    # A fast read that left the validation of its item slices to :func:`check_slices` (read(check=False)):
    # each item's slice (None: read the general way, checked) and the column of their ``-``.
    unchecked: tuple[list[tuple[int, int] | None], int] | None
    from_json: bool  # read by krmfn.text.jsonread: workloads are spans of JSON text (no anchors, no positions needed)

    def __init__(
        self,
        text: str,
        starts: list[int],
        api_version: str,
        kind: str,
        items: list[Item],
        function_config: Node | None,
        rerender: bool,
        root_col: int,
        root_last_line: int,
        results_span: tuple[int, int] | None,
        header: list[tuple[Scalar, Node | None]] | None = None,
        stream: bool = False,
    ) -> None:
        self.text = text
        self.starts = starts
        self.api_version = api_version
        self.kind = kind
        self.items = items
        self.function_config = function_config
        self.rerender = rerender
        self.root_col = root_col
        self.root_last_line = root_last_line
        self.results_span = results_span
        self.header = [] if header is None else header
        self.stream = stream
        self.unchecked = None
        self.from_json = False


def decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise ReadError(f"input is not valid UTF-16: {e.reason} at byte {e.start}") from None
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ReadError(f"input is not valid UTF-8: invalid byte at offset {e.start}") from None
    return json_surrogates(text) if "\\u" in text else text


# Compiled on first use (re caches it): start-up does not pay for it.
_SURROGATE_PAIR = r"(?i)(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})"


def json_surrogates(text: str) -> str:
    """A JSON text's surrogate-pair escapes (``"\\ud83d\\ude80"``, how json.dumps writes what is beyond
    the BMP) as the one escape YAML reads (``"\\U0001f680"``): YAML has no surrogates and libyaml
    refuses them.  Only in a text that is JSON (there an escape can only be in a string); others as given.
    """
    if text.lstrip()[:1] not in ("{", "[") or not re.search(_SURROGATE_PAIR, text):
        return text
    import json

    try:
        json.loads(text)
    except ValueError:
        return text

    def one(m: re.Match[str]) -> str:
        high, low = int(m.group(2), 16), int(m.group(3), 16)
        return f"{m.group(1)}\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"

    return re.sub(_SURROGATE_PAIR, one, text)


#: ``span`` of an item of a re-rendered list: (start, end) of its node's text, no ``-`` to blank.
FLOW_SPAN = -1
#: ``span`` of an item of a JSON ResourceList read by :mod:`krmfn.text.jsonread`: (start, end) of its JSON text.
JSON_SPAN = -2


@contextmanager
def scanning(text: str) -> Iterator[Any]:
    """libyaml's parser over ``text``; its errors become one-line ReadErrors."""
    loader = yamlc.SafeLoader(text)
    try:
        yield loader
    except yaml.YAMLError as e:
        raise ReadError(f"input is not valid YAML: {error_message(e)}") from None
    except RecursionError:
        raise ReadError("input is nested too deeply") from None
    finally:
        loader.dispose()


def _anchors(text: str) -> Iterable[int]:
    """Where the text may hold an anchor (``&name``).
    Conservative: an ``&`` after a space, ``[``, ``{`` or ``,`` and before a name character counts."""
    i = text.find("&")
    while i >= 0:  # a find per '&' (rare in manifests): a regex over the whole text costs ~0.2 s per 10 MB
        if (i == 0 or text[i - 1] in " \t\r\n[{,") and text[i + 1: i + 2] not in ("", " ", "\t", "\r", "\n", "[",
                                                                              "]", "{", "}", ","):
            yield i
        i = text.find("&", i + 1)


def anchored_items(doc: Document) -> set[int]:
    """The indexes of the items that may hold an anchor.  Aliases share one expansion budget per run, which
    chunks run apart could not: those items all go to one chunk, in order (kpt never shares an anchor
    between items, and an item's aliases can only use its own anchors; the other items spend nothing)."""
    from bisect import bisect_right

    starts = [item.start for item in doc.items]
    out: set[int] = set()
    for at in _anchors(doc.text):
        k = bisect_right(starts, at) - 1
        out.update(i for i in (k, k + 1) if 0 <= i < len(starts))  # k + 1: an anchor before its item's node
    return out
