"""Start-up stays cheap: what a default run imports, and the hand-written checks that replace regexes.

No timing here (``make bench`` measures start-up): these tests pin what the
time depends on.  A run on the benchmark's one-Deployment ResourceList with
the default config (istio template, policy enabled: the full sidecar is
injected) must not import modules that only other paths need, or that cost
start-up for nothing (dataclasses pulls in inspect, ast, dis, tokenize).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest
from helpers import REPO
from hypothesis import example, given
from hypothesis import strategies as st

from bench.run import ONE_DEPLOYMENT
from krmfn.text import render
from krmfn.text.render import core12_non_string, plain_bad_anywhere, plain_ok

# Imported by a run that needs them; never by the default one-Deployment run.
NOT_AT_START_UP = (
    "dataclasses",
    "typing",
    "inspect",
    "ast",
    "difflib",
    "decimal",
    "copy",
    "argparse",
    "array",  # line starts of a short text are a list
    "jsonschema",
    "krmfn.gotemplate",
    "krmfn.config.injector",  # the config forms: each only when a config has that form
    "krmfn.config.operator",
    "krmfn.config.seed",
    "krmfn.config.flat",
    "krmfn.config.typed",
    "krmfn.config.checks",
    "krmfn.config.istio_fields",  # Istio's field tables: only when a config carries values/mesh settings
    "krmfn.config.istio_check",
    "krmfn.config.istioctl_files",
    "krmfn.docs",
    "krmfn.selectors",
    "krmfn.patch",
    "krmfn.templates.legacy",  # the 0.2 sidecar: only when a config asks for it
    "krmfn.istio.gateway",
    "krmfn.istio.grpc",
    "krmfn.parallel",  # workers are for large inputs
    "pickle",
    "json",  # the json package compiles six patterns on import: injection's JSON goes through _json (jsoncompact)
)

# Run krmfn as its console script does, then list the modules it imported (on stderr, after its output).
_PROBE = """\
import sys
from krmfn.cli import program
code = program()
sys.stdout.flush()
sys.stderr.write("\\nMODULES " + repr(sorted(sys.modules)) + "\\n")
sys.exit(code)
"""


def _modules_after(stdin: str, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    p = subprocess.run([sys.executable, "-c", _PROBE, *args], input=stdin, capture_output=True, text=True,
                       cwd=REPO)
    line = next(x for x in p.stderr.splitlines() if x.startswith("MODULES "))
    return p, set(ast.literal_eval(line[len("MODULES "):]))


@pytest.mark.e2e
def test_a_default_run_imports_only_what_it_uses() -> None:
    p, modules = _modules_after(ONE_DEPLOYMENT)
    assert p.returncode == 0, p.stderr
    assert "- name: istio-proxy" in p.stdout  # it really injected the istio sidecar
    assert "krmfn.istio.sidecar" in modules
    assert sorted(m for m in NOT_AT_START_UP if m in modules) == []


@pytest.mark.e2e
def test_the_probe_sees_lazy_imports() -> None:
    """The probe is not blind: a module imported on first use (krmfn.docs, for --help) shows up."""
    p, modules = _modules_after("", "--help")
    assert p.returncode == 0, p.stderr
    assert "krmfn.docs" in modules


_CORE12 = re.compile(
    r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
        |0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
        |null|Null|NULL|~|true|True|TRUE|false|False|FALSE)$""",
    re.X,
)  # what the YAML 1.2 core schema reads as null, bool, int or float: the oracle of core12_non_string


@given(st.text(alphabet="0123456789abfxoeEinINaA+-._~ \u0663", max_size=8))
@example("1.")
@example(".5e-3")
@example("0o17")
@example("0o8")
@example("0xfF")
@example("-.Inf")
@example(".NaN")
@example("+.nan")
@example("1e")
@example("\u0663")  # ARABIC-INDIC DIGIT THREE: a digit to str.isdigit, not to the schema
def test_core12_non_string_is_the_core_schema_regex(s: str) -> None:
    assert core12_non_string(s) == bool(_CORE12.match(s))


@given(st.sampled_from(["null", "True", "~", "0x1F", "0o7", "1.5", ".5", "-1e3", ".inf", "-.INF"]))
def test_plain_ok_refuses_core12_non_strings(s: str) -> None:
    assert not plain_ok(s)


_PLAIN_ANY_BAD = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029\ufeff,\[\]{}]|: |:$| #|\s$")  # plain_bad_anywhere's oracle


@given(st.text(alphabet=" :#a,[]{}\n\t\x7f\x85\xa0\u2028\u2029\u3000\ufeff", min_size=1, max_size=8))
@example("a:")
@example("a :b")
@example("a #b")
@example("a\u3000")  # IDEOGRAPHIC SPACE: \s to re, and str.isspace
def test_plain_bad_anywhere_is_the_regex(s: str) -> None:
    assert plain_bad_anywhere(s) == bool(_PLAIN_ANY_BAD.search(s))


@given(st.one_of(st.text(alphabet="aeflnorsuyAEFLNORSTUY/0123456789-._:", min_size=1, max_size=8),
                 st.sampled_from(sorted(render._NON_STRING_WORDS)).map(str.upper),
                 st.sampled_from(sorted(render._NON_STRING_WORDS)).map(str.title)))
@example("y")
@example("Off")
@example("NULL")
@example("e5")
@example("E1")
@example("a:")
@example("/")
@example("http://x")
def test_plain_ok_shortcut_agrees_with_the_rules(s: str) -> None:
    """plain_ok's answer for a simple string (letters, digits, ``-._/:``) is that of every rule."""
    assert plain_ok.__wrapped__(s) == render._plain_ok_by_rules(s)
