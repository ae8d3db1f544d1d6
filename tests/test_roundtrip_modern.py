"""Exact uninject and byte-stable re-injection over every modern conformance input.

Each in-scope case's input file goes through the whole pipeline (text in, text
out, as `krmfn inject` runs it) with that case's settings; then

* injecting the output again changes no byte (re-injection of what is injected is a no-op);
* uninjecting the output gives the input back: byte for byte, except where injection itself rewrote
  text the user wrote (a container the user named like an injected one is merged into it; a multus
  networks annotation is extended), where the data comes back exactly and comments inside those
  rewritten values cannot; an input that was injected already comes back as it was before that.

Inputs are read from ../shared/conformance (never copied); skipped when absent.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from helpers import CONFORMANCE

from krmfn import config as config_mod
from krmfn import function
from krmfn.istio.uninject import find_status
from krmfn.text import read, write

SUITE = CONFORMANCE / "istio-modern"
pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not (SUITE / "cases.yaml").exists(), reason="../shared/conformance is absent"),
]


def _cases() -> list[dict[str, Any]]:
    if not (SUITE / "cases.yaml").exists():
        return []
    cases = yaml.safe_load((SUITE / "cases.yaml").read_text())["cases"]
    return [c for c in cases if not c.get("unused") and not c.get("expectError")]


def _run(text: str, cfg: config_mod.Config) -> function.Outcome:
    doc = read.read_stream(text, function._wanted)
    edits, replaced, results = function.process(doc, cfg)
    return function.Outcome(write.write(doc, edits, replaced, []), results)


@pytest.mark.slow
@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["name"])
def test_uninject_and_reinject_are_exact(case: dict[str, Any]) -> None:
    from test_conformance_modern import settings_for

    # exactUninject: the krmfn.dev/uninject record makes uninject byte-exact (off by default)
    cfg = config_mod.parse(None).replace(template="istio", istio=settings_for(case), exact_uninject=True)
    text = (SUITE / "testdata" / case["input"]).read_text()
    injected = _run(text, cfg)
    assert injected.exit_code == 0, [r.line() for r in injected.results]
    again = _run(injected.output, cfg)
    if case["name"] in MOVES_PROXY:  # as Istio: the first re-injection kept the old proxy's fields, the next drops them
        assert again.output != injected.output
        injected, again = again, _run(again.output, cfg)
    assert again.output == injected.output
    assert not [r for r in again.results if r.message.startswith(("injected", "re-injected"))]
    uninject = cfg.replace(mode="uninject")
    back = _run(injected.output, uninject)
    assert back.exit_code == 0, [r.line() for r in back.results]
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    if any(isinstance(d, dict) and find_status(d) for d in docs):  # injected before: back to before that
        assert back.output == _run(text, uninject).output
    elif case["name"] in REWRITES_USER_TEXT:
        assert list(yaml.safe_load_all(back.output)) == list(yaml.safe_load_all(text))
        assert back.output != text  # else it belongs with the byte-identical ones
    else:
        assert back.output == text


#: Inputs injected earlier with the proxy elsewhere (classic) than the template now puts it (native): Istio
#: merges the old istio-proxy onto the new one as the user's override (--concurrency 2 survives), and a further
#: re-injection, where the status lists the proxy where it now is, strips it as Istio does (not idempotent
#: in Istio either; the output is stable from then on).
MOVES_PROXY = {"merge-probers.yaml.injected"}

#: Where injection rewrites text the user wrote: a container of their own named istio-proxy is merged
#: with the injected one (proxy-override*), a multus networks annotation is extended; the data comes
#: back exactly, comments and quoting inside those values cannot. Every other case comes back byte for byte.
REWRITES_USER_TEXT = {
    "hello-existing-cncf-networks-json.yaml.injected",
    "proxy-override.yaml.injected",
    "proxy-override-args.yaml.injected",
    "proxy-override-args-native.yaml.injected",
    "proxy-override-runas.yaml.injected",
    "proxy-override-runas.yaml.cni.injected",
    "proxy-override-runas.yaml.tproxy.injected",
}


def test_the_round_trip_counts() -> None:
    """docs/design.md's figures: 109 byte-identical, 7 the same data, 1 injected before."""
    cases = _cases()
    names = {c["name"] for c in cases}
    assert names >= REWRITES_USER_TEXT
    assert (len(cases) - len(REWRITES_USER_TEXT) - 1, len(REWRITES_USER_TEXT)) == (109, 7)
