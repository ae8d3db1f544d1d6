"""What must hold for *any* input: the checks the fuzz harness and the property tests share.

:func:`check_function` runs krmfn's function mode in-process (``krmfn.cli.main``
with byte streams, so a stray exception surfaces as itself instead of a
traceback in a subprocess) and asserts the contract:

* exit code 0 or 1 and no exception;
* every stderr line is ``krmfn: ...`` (never a traceback);
* nothing on stdout  <=>  the input was unreadable: then exactly one line on
  stderr, exit 1;
* otherwise stdout is one block-style ResourceList; exit 1 iff it holds an
  error result; running krmfn on it again changes nothing but the results.
"""

from __future__ import annotations

import io
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from krmfn import cli
from krmfn.text import yamlc


def run_main(data: bytes, argv: list[str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(argv or [], io.BytesIO(data), out, err)
    return code, out.getvalue(), err.getvalue()


def top_level(text: str) -> tuple[dict[str, tuple[int, int]], bool]:
    """Spans (key start, value end) of the root mapping's keys, and whether any alias occurs."""
    events = list(yaml.parse(text, Loader=yamlc.SafeLoader))
    aliases = any(e.__class__ is AliasEvent for e in events)
    spans: dict[str, tuple[int, int]] = {}
    i = next((n for n, e in enumerate(events) if e.__class__ is not DocumentStartEvent and n > 0), len(events))
    if i >= len(events) or events[i].__class__ is not MappingStartEvent:
        return spans, aliases
    i += 1
    while events[i].__class__ is not MappingEndEvent:
        key = events[i]
        j, depth = i + 1, 0
        while True:
            c = events[j].__class__
            if c is MappingStartEvent or c is SequenceStartEvent:
                depth += 1
            elif c is MappingEndEvent or c is SequenceEndEvent:
                depth -= 1
            if depth == 0:
                break
            j += 1
        spans[str(getattr(key, "value", ""))] = (key.start_mark.index, events[j].end_mark.index)
        i = j + 1
    return spans, aliases


def without_results(text: str) -> str:
    """The text with the root ``results:`` entry (krmfn writes it last) removed."""
    spans, _ = top_level(text)
    if "results" not in spans:
        return text
    start, end = spans["results"]
    line_start = text.rfind("\n", 0, start) + 1
    nl = text.find("\n", end)
    return text[:line_start] + (text[nl + 1 :] if nl >= 0 else "")


def results_of(text: str) -> list[dict[str, Any]]:
    spans, _ = top_level(text)
    if "results" not in spans:
        return []
    start, end = spans["results"]
    return yaml.safe_load(text[start:end])["results"] or []


def check_stderr(err: str) -> None:
    assert "Traceback" not in err, err
    for line in err.splitlines():
        assert line.startswith("krmfn: "), f"stray stderr line {line!r}"


def check_function(data: bytes) -> tuple[int, str, str]:
    """Run function mode on ``data`` and assert the contract; returns (code, stdout, stderr)."""
    code, out, err = run_main(data)
    assert code in (0, 1), (code, err)
    check_stderr(err)
    if not out:
        assert code == 1, "nothing written, yet exit 0"
        assert len(err.splitlines()) == 1 and err.startswith("krmfn: error: "), err
        return code, out, err
    spans, _ = top_level(out)
    assert "kind" in spans, out[:500]
    errors = [r for r in results_of(out) if r.get("severity") == "error"]
    assert (code == 1) == bool(errors), (code, errors)
    again, out2, err2 = run_main(out.encode("utf-8"))
    assert again in (0, 1), err2
    check_stderr(err2)
    assert out2, f"krmfn cannot read its own output: {err2}"
    assert without_results(out2) == without_results(out), f"not idempotent: {data[:3000]!r}"
    return code, out, err


def check_stream(text: str, config: str | None) -> None:
    """The exec-plugin / ``krmfn inject`` path: a stream and a config file's text."""
    from krmfn.function import ReadError, run_stream

    try:
        outcome = run_stream(text, config)
    except ReadError as e:
        assert "\n" not in str(e)
        return
    assert outcome.exit_code in (0, 1)
    again = run_stream(outcome.output, config)
    assert again.output == outcome.output, "stream output not idempotent"
