"""The KRM function, pure: ResourceList text in, ResourceList text and results out.

    read (:mod:`krmfn.text.read`) -> config (:mod:`krmfn.config`) -> for each workload: decide
      (:mod:`krmfn.policy`) and inject (the config's template: :mod:`krmfn.inject`) -> reconcile
      (:mod:`krmfn.text.reconcile`: the changed items' text as edits) -> write (:mod:`krmfn.text.write`)

The text bookkeeping (spans, composing on demand, splicing, re-rendering) is
:mod:`krmfn.text`'s; this module says what happens to each item and in which order.

No I/O here: :mod:`krmfn.cli` is the only module touching stdin, stdout,
argv and exit codes.
"""

from __future__ import annotations

from . import config as config_mod
from . import inject, workloads
from . import messages as m
from .results import Result
from .text import read, write
from .text.document import Document, Item, ReadError, anchored_items
from .text.nodes import YamlError, expansion_limit, refund_on_error, to_python
from .text.reconcile import Edit, Unspliceable, reconcile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["ConfigProblem", "Outcome", "ReadError", "process", "run", "run_stream", "run_streams"]


class ConfigProblem(Exception):
    """The config given to :func:`run_streams` is invalid (raised when asked, instead of a result per stream)."""

    def __init__(self, result: Result) -> None:
        super().__init__(result.message)
        self.result = result

SEQINDENT = "internal.config.kubernetes.io/seqindent"


class Outcome:
    """What a run made: the output text and the results.

    The output may be kept as pieces (:func:`write.write_pieces`): :meth:`pieces` gives them to
    write one by one, so a large output is never held whole; :attr:`output` joins them.
    """

    __slots__ = ("_output", "results", "objects")
    results: list[Result]
    objects: int | None  # stream mode: documents with an apiVersion and a kind (0: not a manifest file)

    def __init__(
        self, output: str | Iterable[str], results: list[Result] | None = None, objects: int | None = None
    ) -> None:
        self._output = output
        self.results = [] if results is None else results
        self.objects = objects

    def pieces(self) -> Iterable[str]:
        return (self._output,) if isinstance(self._output, str) else self._output

    @property
    def output(self) -> str:
        if not isinstance(self._output, str):
            self._output = "".join(self._output)
        return self._output

    @property
    def exit_code(self) -> int:
        return 1 if any(r.severity == "error" for r in self.results) else 0


def _wanted(api_version: Any, kind: Any) -> bool:
    return (
        workloads.is_workload(api_version, kind)
        or workloads.is_namespace(api_version, kind)
        or workloads.is_list(api_version, kind)
    )


def _gc_paused(fn: F) -> F:
    """Run ``fn`` with the cyclic garbage collector paused.

    The pipeline makes no reference cycles worth collecting (nodes and data are
    trees, freed by reference counting), but it allocates millions of objects
    on large inputs, and each collection walks all live ones: ~8% of the time
    at 9,000 resources.  Restored afterwards, whatever happens.
    """
    import functools
    import gc

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        was = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was:
                gc.enable()

    return wrapper  # type: ignore[return-value]  # fn's own signature (functools.wraps)


_CONFIG_PROBLEMS = (config_mod.ConfigError, YamlError, RecursionError)


def _problem(e: Exception) -> str:
    return "nested too deeply" if isinstance(e, RecursionError) else str(e)


@_gc_paused
def run(text: str, workers: int = 1) -> Outcome:
    """Run the function on ResourceList text; raises ReadError if unreadable.

    ``workers``: how many processes a large input may use (see :func:`process`).
    """
    with expansion_limit():  # one alias-expansion budget for the whole input
        return _run(text, workers)


def _run(text: str, workers: int) -> Outcome:
    # The fast read leaves checking its item slices to process(), which shares it out (and leaves a workload's
    # to its compose, which proves most valid from their lines).
    doc = read.read(text, _wanted, check=False)
    try:
        cfg = config_mod.parse(doc.function_config)
    except _CONFIG_PROBLEMS as e:
        sub = getattr(e, "path", None)
        err = m.INVALID_FUNCTION_CONFIG.result(None, f"functionConfig.{sub}" if sub else "functionConfig",
                                               problem=_problem(e))
        if not read.check_slices(doc, 0, len(doc.items)):
            doc = read.read(text, _wanted)
        return Outcome(write.output(doc, [], {}, [err.to_data()]), [err])
    try:
        edits, replaced, results = process(doc, cfg, workers=workers)
    except _SliceInvalid:
        # What a checked fast read finds itself: read again checking every slice as it is cut, so that the slices
        # a wrong cut made are read the general way together and the other items stay fast (only what it cannot
        # judge at all goes down the general path whole).
        doc = read.read(text, _wanted)
        edits, replaced, results = process(doc, cfg, workers=workers)
    return Outcome(write.output(doc, edits, replaced, [r.to_data() for r in results]), results)


def run_stream(text: str, config_text: str | None, workers: int = 1) -> Outcome:
    """Run on a multi-document stream of resources (kustomize's exec plugin protocol).

    ``config_text`` is the YAML of the transformer config (the functionConfig).
    Raises ReadError if the stream is unreadable.
    """
    result = run_streams([text], config_text, None, workers)[0]
    if isinstance(result, ReadError):
        raise result
    return result


@_gc_paused
def run_streams(
    texts: list[str], config_text: str | None, mode: str | None = None, workers: int = 1,
    raise_config: bool = False, exact_uninject: bool | None = None,
) -> list[Outcome | ReadError]:
    """Run on several streams (files) as one set: Namespace objects in any of them count for all.

    ``mode`` ("inject" or "uninject") and ``exact_uninject``, when given, override the config's.  ``raise_config``: an
    invalid config raises :class:`ConfigProblem` instead of giving each stream, unchanged, its error.
    """
    with expansion_limit():  # one alias-expansion budget for all of them
        return _run_streams(texts, config_text, mode, workers, raise_config, exact_uninject)


#: API groups of build configuration, not cluster objects: a Kustomization, a Kptfile.
_BUILD_CONFIG_GROUPS = ("kustomize.config.k8s.io/", "kpt.dev/")


def _objects(doc: Document) -> int:
    """How many of a stream's documents are Kubernetes objects: an apiVersion and a kind, and not a
    kustomize or kpt file."""
    return sum(1 for i in doc.items if isinstance(i.api_version, str) and isinstance(i.kind, str)
               and not i.api_version.startswith(_BUILD_CONFIG_GROUPS))


def _run_streams(
    texts: list[str], config_text: str | None, mode: str | None, workers: int, raise_config: bool = False,
    exact_uninject: bool | None = None,
) -> list[Outcome | ReadError]:
    docs = [_read_stream(text) for text in texts]
    try:
        cfg = _stream_config(config_text, mode, exact_uninject)
    except _CONFIG_PROBLEMS as e:
        err = m.INVALID_CONFIG.result(None, getattr(e, "path", None) or None, problem=_problem(e))
        if raise_config:
            raise ConfigProblem(err) from None
        return [d if isinstance(d, ReadError) else Outcome(d.text, [err], _objects(d)) for d in docs]
    ns_labels: dict[str, dict[str, str]] = {}
    for d in docs:
        if isinstance(d, Document):
            ns_labels.update(_namespace_labels(d))
    out: list[Outcome | ReadError] = []
    for d in docs:
        if isinstance(d, ReadError):
            out.append(d)
            continue
        edits, replaced, results = process(d, cfg, ns_labels, workers)
        try:
            out.append(Outcome(write.output(d, edits, replaced, []), results, _objects(d)))
        except ReadError as e:
            out.append(e)
    return out


def _read_stream(text: str) -> Document | ReadError:
    try:
        return read.read_stream(text, _wanted)
    except ReadError as e:
        return e


def _stream_config(config_text: str | None, mode: str | None, exact_uninject: bool | None) -> config_mod.Config:
    """The config of a stream run: ``config_text`` parsed, ``mode`` and ``exact_uninject`` (when given) applied."""
    node = config_mod.parse_text(config_text) if config_text is not None else None
    cfg = config_mod.parse(node)
    if mode is not None:
        cfg = cfg.replace(mode=mode)
    if exact_uninject is not None:
        cfg = cfg.replace(exact_uninject=exact_uninject)
    return cfg


def _namespace_labels(doc: Document) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for item in doc.items:
        if not workloads.is_namespace(item.api_version, item.kind):
            continue
        node = read.compose(doc, item)
        if node is None:
            continue
        try:
            data = item.data if item.data is not None else to_python(node)
        except YamlError:
            continue
        finally:
            read.release(item)
        meta = data.get("metadata") if isinstance(data, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            labels = meta.get("labels")
            out[meta["name"]] = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
    return out


#: Fewer workloads than this run in one process: forking would cost more than it saves.
PARALLEL_MIN_WORKLOADS = 64


def process(
    doc: Document, cfg: config_mod.Config, ns_labels: dict[str, dict[str, str]] | None = None, workers: int = 1
) -> tuple[list[Edit], dict[int, tuple[Any, int]], list[Result]]:
    """Edits, re-rendered items and results for the document; ``workers`` > 1 may split the work
    between forked processes (:mod:`krmfn.parallel`) with the very same outcome."""
    chunks = _chunks(doc, workers)
    if len(chunks) > 1:  # no more workers than the memory left has room for
        from . import parallel

        if (fit := parallel.affordable(workers, len(doc.text))) < workers:
            workers, chunks = fit, _chunks(doc, fit)
    if len(chunks) == 1:  # every slice checked here (Namespaces included), but workloads': when composed
        if not read.check_slices(doc, 0, len(doc.items), _editable):
            raise _SliceInvalid
        doc.unchecked = None
    labels = _namespace_labels(doc) if ns_labels is None else ns_labels
    if len(chunks) > 1:  # each chunk checks its own slices
        from . import parallel

        parts = parallel.map_forked(lambda chunk: _process_items(doc, cfg, labels, chunk), chunks, workers,
                                    _send, _receive)
        doc.unchecked = None
    else:
        parts = [_process_items(doc, cfg, labels, ((0, len(doc.items)),))]
    if any(part is None for part in parts):
        raise _SliceInvalid
    return _gathered(doc, parts, [m.CONFIG_NOTE.result(note=note) for note in cfg.notes])


def _gathered(
    doc: Document, parts: list[Any], results: list[Result]
) -> tuple[list[Edit], dict[int, tuple[Any, int]], list[Result]]:
    """The chunks' edits, re-rendered items and results (after ``results``), the results in item order."""
    edits: list[Edit] = []
    replaced: dict[int, tuple[Any, int]] = {}
    owned: list[tuple[int, list[Result]]] = []  # each item's results: chunks may not come in item order
    for part_edits, part_replaced, part_results, owners, last_lines in parts:
        edits.extend(part_edits)
        replaced.update(part_replaced)
        bounds = [at for at, _ in owners] + [len(part_results)]
        owned.extend((index, part_results[bounds[k]:bounds[k + 1]]) for k, (_, index) in enumerate(owners))
        for index, last_line in last_lines:
            doc.items[index].last_line = last_line
    if len(parts) > 1:
        owned.sort(key=lambda o: o[0])
    for _, item_results in owned:
        results.extend(item_results)
    return edits, replaced, results


def _send(part: Any) -> Any:
    """What a worker sends of a :func:`_process_items` part: its edits as three lists (start, end, text),
    which pickle several times faster than as :class:`Edit` records (~9 per workload, most of what is sent)."""
    if part is None:
        return None
    edits, replaced, results, owners, last_lines = part
    return ([e.start for e in edits], [e.end for e in edits], [e.text for e in edits],
            replaced, results, owners, last_lines)


def _receive(sent: Any) -> Any:
    """The part :func:`_send` sent."""
    if sent is None:
        return None
    starts, ends, texts, replaced, results, owners, last_lines = sent
    return list(map(Edit, starts, ends, texts)), replaced, results, owners, last_lines


#: Chunks per worker: workers take chunks until none are left, so one that gets less CPU does fewer.
CHUNKS_PER_WORKER = 16


Chunk = tuple[tuple[int, int], ...]  # item ranges (begin, end)


def _chunks(doc: Document, workers: int) -> list[Chunk]:
    """Item ranges of about equal workload text, CHUNKS_PER_WORKER per worker (one: no split).

    Each chunk is contiguous but for the first when some workloads may hold an anchor: those workloads
    make a chunk of their own (see :func:`krmfn.text.document.anchored_items`), taken out of the others."""
    whole: list[Chunk] = [((0, len(doc.items)),)]
    if workers <= 1 or (doc.rerender and not doc.from_json):  # JSON: workloads are spans, no anchors
        return whole
    weights = [_weight(item) for item in doc.items]
    if _count(weights) < PARALLEL_MIN_WORKLOADS:
        return whole
    anchored = [] if doc.from_json else sorted(i for i in anchored_items(doc) if weights[i])
    for i in anchored:
        weights[i] = 0
    if _count(weights) < PARALLEL_MIN_WORKLOADS:
        return whole
    chunks = _cut(weights, workers * CHUNKS_PER_WORKER)
    if not anchored:
        return [((a, b),) for a, b in chunks if a < b]
    return _apart(chunks, anchored)


def _weight(item: Item) -> int:
    """How much work an item is: the length of a workload's text (1: not known), 0 for the others."""
    if not _editable(item):
        return 0
    return item.span[1] - item.span[0] if item.span is not None else 1


def _count(weights: list[int]) -> int:
    return sum(1 for w in weights if w)


def _cut(weights: list[int], count: int) -> list[tuple[int, int]]:
    """At most ``count`` contiguous item ranges of about equal weight (some may be empty)."""
    total = sum(weights)
    chunks: list[tuple[int, int]] = []
    start = acc = 0
    for i, w in enumerate(weights):
        acc += w
        if len(chunks) < count - 1 and acc * count >= total * (len(chunks) + 1):
            chunks.append((start, i + 1))
            start = i + 1
    chunks.append((start, len(weights)))
    return chunks


def _apart(chunks: list[tuple[int, int]], anchored: list[int]) -> list[Chunk]:
    """The ``anchored`` items as the first chunk, then ``chunks`` without them."""
    out: list[Chunk] = [_ranges(anchored)]
    taken = set(anchored)
    for a, b in chunks:
        rest = [i for i in range(a, b) if i not in taken] if any(i in taken for i in range(a, b)) else None
        chunk = ((a, b),) if rest is None else _ranges(rest)
        if chunk:
            out.append(chunk)
    return out


def _ranges(indexes: list[int]) -> Chunk:
    """Sorted item indexes as ranges of consecutive ones."""
    out: list[tuple[int, int]] = []
    for i in indexes:
        if out and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return tuple(out)


def _editable(item: Item) -> bool:
    """A workload or a ``v1 List``: the items krmfn composes and may change."""
    av, kd = item.api_version, item.kind
    return isinstance(av, str) and isinstance(kd, str) and (workloads.is_workload(av, kd) or workloads.is_list(av, kd))


_SliceInvalid = read.SliceInvalid  # an item slice of a ``read(check=False)`` is not one valid YAML node


def _process_items(
    doc: Document, cfg: config_mod.Config, ns_labels: dict[str, dict[str, str]], chunk: Chunk
) -> tuple[list[Edit], dict[int, tuple[Any, int]], list[Result], list[tuple[int, int]], list[tuple[int, int]]] | None:
    """What :func:`process` makes of the items of ``chunk`` (ranges), plus where each item's results start
    (offset in the results, item index), and the last line of each composed item (composing finds it;
    re-rendering an item needs it); None if one of their slices is not valid."""
    if not all(read.check_slices(doc, begin, end, _editable) for begin, end in chunk):
        return None
    results: list[Result] = []
    owners: list[tuple[int, int]] = []
    edits: list[Edit] = []
    replaced: dict[int, tuple[Any, int]] = {}
    last_lines: list[tuple[int, int]] = []
    for item in (doc.items[i] for begin, end in chunk for i in range(begin, end)):
        owners.append((len(results), item.index))
        if not (item.is_mapping and isinstance(item.api_version, str) and isinstance(item.kind, str)
                and _editable(item)):
            results.extend(_passed_through(item))
            continue
        try:
            read.compose(doc, item)
        except read.SliceInvalid:
            return None
        try:
            results.extend(_one(doc, item, cfg, ns_labels, edits, replaced))
        except RecursionError:  # nothing was recorded for the item yet
            results.append(m.WORKLOAD_UNREADABLE.result({"apiVersion": item.api_version, "kind": item.kind},
                                                        f"items[{item.index}]", index=item.index,
                                                        problem="nested too deeply"))
        last_lines.append((item.index, item.last_line))
        read.release(item)  # one workload's nodes at a time
        if doc.rerender and item.index in replaced:
            item.node = item.composer = item.data = None  # re-rendered from its new data: nothing reads them
    if doc.stream:
        _tag_documents(results, owners)
    return edits, replaced, results, owners, last_lines


def _passed_through(item: Item) -> list[Result]:
    """What is said of an item krmfn does not edit: not a mapping, no apiVersion or kind, or unreadable."""
    if not item.is_mapping:
        return [m.ITEM_NOT_MAPPING.result(None, f"items[{item.index}]", index=item.index)]
    if not isinstance(item.api_version, str) or not isinstance(item.kind, str):
        missing = "apiVersion" if not isinstance(item.api_version, str) else "kind"
        return [m.ITEM_MISSING.result(None, f"items[{item.index}].{missing}", index=item.index, missing=missing)]
    if item.error is not None:  # e.g. a duplicate key: passed through, but reported
        return [m.ITEM_UNREADABLE.result({"apiVersion": item.api_version, "kind": item.kind},
                                         f"items[{item.index}]", index=item.index, problem=str(item.error))]
    return []


def _tag_documents(results: list[Result], owners: list[tuple[int, int]]) -> None:
    """A stream has no path annotations: each result without a ``file`` gets the index of the document it
    is about (``owners``: where each item's results start in ``results``, and the item's index)."""
    from itertools import pairwise

    for (start, index), (stop, _) in pairwise([*owners, (len(results), -1)]):
        for j in range(start, stop):
            r = results[j]
            if r.file is None:
                results[j] = r.replace(file={"index": index})


def _one(
    doc: Document,
    item: Item,
    cfg: config_mod.Config,
    ns_labels: dict[str, dict[str, str]],
    edits: list[Edit],
    replaced: dict[int, tuple[Any, int]],
) -> list[Result]:
    data = _data(item)
    if not isinstance(data, dict):
        return [data]
    if workloads.is_list(item.api_version, item.kind):
        new, out = _list(data, cfg, ns_labels)
    else:
        new, out = inject.workload(data, cfg, ns_labels, "")
    if new is None or any(r.severity == "error" for r in out):
        return out
    seq_indent = _seq_indent(data)
    assert item.node is not None and item.composer is not None
    if not doc.rerender:  # a flow-style ResourceList is re-rendered whole
        try:
            edits.extend(reconcile(doc.text, doc.starts, item.node, item.composer.aliased, data, new, seq_indent))
            return out
        except Unspliceable:
            pass
    # A re-rendered list: the new item's text now, not its data until the end.
    replaced[item.index] = (write.rendered_item(new) if doc.rerender else new, seq_indent)
    return out


def _data(item: Item) -> dict[str, Any] | Result:
    """The item's data, or the result that says why it cannot be read."""
    ref = {"apiVersion": item.api_version, "kind": item.kind}
    if item.error is not None or item.node is None:
        return m.WORKLOAD_UNREADABLE.result(ref, f"items[{item.index}]", index=item.index, problem=str(item.error))
    try:
        with refund_on_error():
            data: dict[str, Any] = item.data if item.data is not None else to_python(item.node)
            return data
    except YamlError as e:
        return m.WORKLOAD_UNREADABLE.result(ref, f"items[{item.index}]", index=item.index, problem=str(e))


def _seq_indent(data: dict[str, Any]) -> int:
    """2 when kpt recorded the item's sequences as indented ("wide"), else 0."""
    meta = data.get("metadata") or {}
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    return 2 if isinstance(ann, dict) and ann.get(SEQINDENT) == "wide" else 0


def _list(
    data: dict[str, Any], cfg: config_mod.Config, ns_labels: dict[str, dict[str, str]]
) -> tuple[dict[str, Any] | None, list[Result]]:
    """A ``v1 List``: each workload among its items, as if it stood alone."""
    items = data.get("items")
    if not isinstance(items, list):
        return None, []
    out: list[Result] = []
    new_items: list[Any] = []
    changed = False
    for i, element in enumerate(items):
        if isinstance(element, dict) and workloads.is_workload(element.get("apiVersion"), element.get("kind")):
            new, results = inject.workload(element, cfg, ns_labels, f"items[{i}].")
            out.extend(results)
            if new is not None:
                new_items.append(new)
                changed = True
                continue
        new_items.append(element)
    if not changed:
        return None, out
    return {**data, "items": new_items}, out
