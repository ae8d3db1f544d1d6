"""User Go templates run in a sandbox with Go's semantics, through the krmfn command.

Each hostile or wrong template gives an error result naming the template and the workload, the
workload unchanged, every other item written, no traceback; Go's regexp syntax and linear time.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from helpers import resource_list, run_cli
from test_gotemplate_cli import deployment, operator

from krmfn.gotemplate import limits


def _run(template: str, timeout: float = 120) -> tuple[Any, str, int]:
    stdin = resource_list([deployment("custom"), {"apiVersion": "v1", "kind": "ConfigMap",
                                                  "metadata": {"name": "keep"}, "data": {"a": "b"}}],
                          operator({"custom": template})).encode()
    proc = run_cli([], stdin, timeout=timeout)
    err = proc.stderr.decode()
    assert "Traceback" not in err, err
    out = yaml.safe_load(proc.stdout)
    assert [i["metadata"]["name"] for i in out["items"]] == ["web", "keep"], "every item comes back"
    return out, err, proc.returncode


def _refused(template: str, *words: str) -> str:
    """The template is an error result naming the template and the workload; the Deployment is unchanged."""
    out, err, code = _run(template)
    assert code == 1, err
    errors = [r for r in out.get("results") or [] if r.get("severity") == "error"]
    assert len(errors) == 1, out.get("results")
    message = errors[0]["message"]
    assert "'custom'" in message, message
    assert errors[0].get("resourceRef", {}).get("name") == "web", errors[0]
    for w in words:
        assert w in message, message
    assert out["items"][0] == deployment("custom"), "the workload is left unchanged"
    return message


def _regex_env(expr: str) -> str:
    """The value a template puts in an env var: ``expr`` evaluated as a template pipeline."""
    template = ("spec:\n  containers:\n  - name: web\n    env:\n    - name: R\n"
                f"      value: {{{{ {expr} | toString | quote }}}}\n")
    out, err, code = _run(template)
    assert code == 0, err
    env = out["items"][0]["spec"]["template"]["spec"]["containers"][0]["env"]
    return {e["name"]: e["value"] for e in env}["R"]


# -- time, output size, iterations ------------------------------------------------------------------

@pytest.mark.e2e
@pytest.mark.slow
def test_a_template_that_runs_forever_is_stopped_by_the_time_budget() -> None:
    loop = "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}spec: {}\n"
    _refused(loop, f"time limit of {limits.MAX_SECONDS:g} s")


@pytest.mark.e2e
@pytest.mark.slow
def test_ranging_over_a_huge_integer_does_not_allocate_it() -> None:
    _refused("{{ range 100000000000 }}{{ end }}spec: {}\n", "time limit")


@pytest.mark.e2e
def test_until_of_a_hundred_million_is_refused_before_it_allocates() -> None:
    _refused("{{ range until 100000000 }}x{{ end }}\n", "until", str(limits.MAX_ITEMS))


@pytest.mark.e2e
@pytest.mark.slow
def test_output_over_the_budget_is_refused() -> None:
    _refused('metadata:\n  annotations:\n    a: {{ repeat 100000000 "x" }}\n', "repeat")
    _refused("{{ range until 50000 }}0123456789012345678901234567890123456789{{ end }}\n", "output over")


@pytest.mark.e2e
def test_a_string_doubled_in_a_loop_is_stopped() -> None:
    _refused('{{ $s := "xx" }}{{ range until 64 }}{{ $s = print $s $s }}{{ end }}spec: {}\n', "characters")


# -- what the template renders ------------------------------------------------------------------------

@pytest.mark.e2e
@pytest.mark.slow
def test_an_alias_bomb_in_the_rendered_yaml_is_refused() -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        bomb.append(f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    template = "metadata:\n  annotations:\n    bomb: x\nextra:\n" + "".join(f"  {line}\n" for line in bomb)
    _refused(template, "alias")


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize(("value", "word"), [
    ("2024-01-01", "date"),
    ("!!binary aGVsbG8=", "binary"),
    (".inf", "JSON"),
    ("!!set {a}", "set"),
])
def test_non_json_values_in_the_rendered_yaml_are_errors(value: str, word: str) -> None:
    _refused(f"metadata:\n  labels:\n    when: {value}\n", word, "metadata.labels.when")


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize(("template", "field"), [
    ("metadata:\n  labels:\n  - app: other\n", "metadata.labels"),
    ("metadata:\n  annotations: just-a-string\n", "metadata.annotations"),
    ("spec:\n  containers:\n    name: sidecar\n    image: x\n", "spec.containers"),
    ("spec:\n  initContainers:\n  - just-a-name\n", "spec.initContainers[0]"),
    ("spec:\n  volumes:\n    data: {}\n", "spec.volumes"),
    ("spec:\n  containers:\n  - name: web\n    env:\n      A: b\n", "spec.containers[0].env"),
    ("metadata:\n  labels:\n    app:\n      nested: map\n", "metadata.labels.app"),
])
def test_a_field_rendered_with_the_wrong_shape_is_an_error_not_a_silent_loss(template: str, field: str) -> None:
    _refused(template, field)


# -- Go's regexp ----------------------------------------------------------------------------------------

@pytest.mark.e2e
def test_regex_match_has_no_catastrophic_backtracking() -> None:
    # Python's re takes minutes on this; RE2 (Go's regexp) is linear.
    assert _regex_env('regexMatch "^(a+)+$" "' + "a" * 5000 + 'b"') == "false"


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize(("expr", "want"), [
    ('regexFind "[[:alpha:]]+" "12ab:c"', "ab"),  # a POSIX class, not a set of ':' 'a' 'l' ...
    ('regexMatch "[[:alpha:]]" ":"', "false"),
    ('regexMatch "a\\\\z" "ba"', "true"),
    ('regexMatch "a$" "a\\n"', "false"),  # Go's $ is the end of text, not before a final newline
    ('regexFind "\\\\Qa.b\\\\E" "axb a.b"', "a.b"),
    ('regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W"', "-W-xxW-"),
    ('regexReplaceAll "a(?P<n>x*)b" "-axb-" "$n.$$"', "-x.$-"),
    ('regexReplaceAll "a(x*)b" "-axb-" "$1W"', "--"),  # $1W names group "1W": empty, as in Go
    ('regexReplaceAll "x*" "abc" "-"', "-a-b-c-"),
    ('regexFindAll "a*" "baaab" -1 | join ","', ",aaa,"),  # Go skips the empty match abutting "aaa"
    ('regexSplit "a*" "baaab" -1 | join ","', "b,b"),
    ('regexSplit "," "a,b,c" 2 | join "|"', "a|b,c"),
])
def test_go_regexp_semantics(expr: str, want: str) -> None:
    assert _regex_env(expr) == want


@pytest.mark.e2e
def test_a_backreference_is_refused_as_go_refuses_it() -> None:
    _refused('metadata:\n  labels:\n    a: {{ regexFind "(a)\\\\1" "aa" }}\n', "error parsing regexp")


def test_without_the_re2_library_a_regex_function_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from krmfn import gotemplate
    from krmfn.gotemplate import goregexp

    monkeypatch.setattr(goregexp, "_re2", None)
    with pytest.raises(gotemplate.TemplateError, match="google-re2"):
        gotemplate.render('{{ regexMatch "a" "a" }}', {})
    assert gotemplate.render('{{ "a" | upper }}', {}) == "A"  # nothing else needs it
