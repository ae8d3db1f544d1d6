"""The Go text/template language as krmfn.gotemplate implements it: syntax, semantics, errors."""

from __future__ import annotations

from typing import Any

import pytest

from krmfn.gotemplate import MISSING, StrMap, TemplateError, json_numbers, parse, render

DATA: dict[str, Any] = {
    "Values": {
        "global": {"hub": "docker.io/istio", "proxy": {"statusPort": 15020, "privileged": False, "image": "proxyv2"}},
        "nil": None,
        "list": [1, "two", None],
        "map": {"zeta": 1, "alpha": 2, "mid": 3},
        "empty": {},
        "zero": 0,
        "str": "text",
    },
    "ObjectMeta": {"name": "pod", "annotations": {"a": "1"}, "labels": {"app": "web"}},
    "Spec": {"containers": [{"name": "app", "ports": [{"containerPort": 80}]}, {"name": "istio-proxy"}]},
    "TypeMeta": {"apiVersion": "apps/v1", "kind": "Deployment"},
    "ProxyConfig": {"holdApplicationUntilProxyStarts": True, "interceptionMode": "TPROXY", "tracing": {"tlsSettings": {"caCertificates": "/etc/ca/root.pem"}}},
    "Revision": "",
    "NativeSidecars": True,
}


def r(text: str, data: Any = None) -> str:
    return render(text, DATA if data is None else data)


def err(text: str, data: Any = None) -> str:
    with pytest.raises(TemplateError) as e:
        r(text, data)
    return str(e.value)


# -- text, trim markers, comments ------------------------------------------------------------------


def test_plain_text_passes_through() -> None:
    assert r("no actions here\n  at all") == "no actions here\n  at all"


@pytest.mark.parametrize(
    "text, out",
    [
        ("a  {{- 1 }}  b", "a1  b"),
        ("a  {{ 1 -}}  b", "a  1b"),
        ("a \n\t {{- 1 -}} \n\t b", "a1b"),
        ("{{ 1 }}\n{{- 2 }}", "12"),
        ("x\n  {{- if true }}\n  y\n  {{- end }}\nz", "x\n  y\nz"),
        ("{{-3}}", "-3"),  # '-' not followed by a space is a negative number, not a trim marker
    ],
)
def test_trim_markers(text: str, out: str) -> None:
    assert r(text) == out


def test_comments_vanish_and_trim() -> None:
    assert r("a{{/* one */}}b") == "ab"
    assert r("a  {{- /* multi\nline */ -}}  b") == "ab"


# -- values and printing -------------------------------------------------------------------------


def test_field_chains_read_maps_and_struct_style_fields() -> None:
    assert r("{{ .Values.global.hub }}") == "docker.io/istio"
    assert r("{{ .ObjectMeta.Name }}/{{ .Spec.Containers | len }}") == "pod/2"
    assert r("{{ .TypeMeta.APIVersion }}") == "apps/v1"  # Go initialism -> apiVersion


def test_missing_key_prints_no_value_and_chains_through() -> None:
    assert r("{{ .Values.missing }}") == "<no value>"
    assert r("{{ .Values.missing.deeper.still }}") == "<no value>"
    assert r("{{ .Values.nil }}") == "<no value>"


def test_missing_or_null_struct_fields_read_as_go_zero_values() -> None:
    pod = {"metadata": {"name": "p", "annotations": None}, "spec": {}}
    data = {"ObjectMeta": pod["metadata"], "Spec": pod["spec"]}
    assert r('[{{ index .ObjectMeta.Annotations "x" }}]', data) == "[]"
    assert r("{{ if eq .Spec.ServiceAccountName \"\" }}default{{ end }}", data) == "default"
    assert r("{{ .ObjectMeta.Labels }} {{ len .ObjectMeta.Labels }} {{ .Spec.HostNetwork }}", data) == "map[] 0 false"
    assert r("{{ .ObjectMeta.Namespace | printf \"%q\" }}", data) == '""'


def test_field_of_nil_value_is_an_error_as_in_go() -> None:
    assert "nil pointer evaluating interface {}.x" in err("{{ .Values.nil.x }}")


def test_field_of_a_string_is_an_error() -> None:
    assert "can't evaluate field X in type string" in err("{{ .Values.str.X }}")


def test_proto_getters_and_enum_string() -> None:
    assert r("{{ .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue }}") == "true"
    assert r("{{ .ProxyConfig.InterceptionMode.String }}") == "TPROXY"
    assert r("{{ directory .ProxyConfig.GetTracing.GetTlsSettings.GetCaCertificates }}") == "/etc/ca/"
    assert r("{{ if .ProxyConfig.GetMissing.GetTlsSettings }}y{{ else }}n{{ end }}") == "n"


def test_print_formats_as_go() -> None:
    assert r("{{ .Values.list }}") == "[1 two <nil>]"
    assert r("{{ .Values.map }}") == "map[alpha:2 mid:3 zeta:1]"
    assert r("{{ true }} {{ false }} {{ 1.5 }} {{ 2.0 }} {{ 0x10 }} {{ 'a' }}") == "true false 1.5 2 16 97"
    assert r("{{ .X }}", {"X": 1e6}) == "1e+06"
    assert r("{{ .X }}", {"X": 15020.0}) == "15020"
    assert r("{{ print nil }}") == "<nil>"
    assert "nil is not a command" in err("{{ nil }}")


def test_parenthesised_pipeline_and_field_of_it() -> None:
    assert r("{{ (index .Spec.Containers 0).Name }}") == "app"
    assert r("{{ (.Values.empty).x }}") == "<no value>"
    assert r('{{ printf "%s-%s" (print "a") ("b" | print) }}') == "a-b"


def test_pipelines_pass_the_last_argument() -> None:
    assert r('{{ "a" | printf "%s%s" "b" }}') == "ba"
    assert r('{{ .Values.missing | default "d" | quote }}') == '"d"'


# -- variables --------------------------------------------------------------------------------------


def test_declare_assign_and_root() -> None:
    assert r("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}") == "2"
    assert r("{{ with .Values.global }}{{ $.Revision | printf \"%q\" }} {{ .hub }}{{ end }}") == '"" docker.io/istio'


def test_assignment_inside_blocks_reaches_outer_variable() -> None:
    text = "{{ $first := true }}{{ range .Values.list }}{{ if not $first }},{{ end }}{{ . }}{{ $first = false }}{{ end }}"
    assert r(text) == "1,two,<no value>"


def test_variables_declared_in_a_block_end_with_it() -> None:
    assert 'undefined variable "$y"' in err("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}")
    assert 'undefined variable "$i"' in err("{{ range $i, $v := .Values.list }}{{ end }}{{ $i }}")


def test_range_variables_and_dot() -> None:
    assert r("{{ range $i, $v := .Values.list }}{{ $i }}={{ $v }};{{ end }}") == "0=1;1=two;2=<no value>;"
    assert r("{{ range $v := .Values.list }}{{ $v }};{{ end }}") == "1;two;<no value>;"
    assert r("{{ range .Spec.Containers }}{{ .Name }};{{ end }}") == "app;istio-proxy;"


def test_range_over_map_is_sorted_by_key() -> None:
    assert r("{{ range $k, $v := .Values.map }}{{ $k }}={{ $v }} {{ end }}") == "alpha=2 mid=3 zeta=1 "


def test_range_else_break_continue_and_int() -> None:
    assert r("{{ range .Values.empty }}x{{ else }}none{{ end }}") == "none"
    assert r("{{ range .Values.missing }}x{{ else }}none{{ end }}") == "none"
    assert r("{{ range $i, $v := .Values.list }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ if eq $i 2 }}{{ break }}{{ end }}{{ $v }}{{ end }}") == "1"
    assert r("{{ range 3 }}{{ . }}{{ end }}") == "012"
    assert "range can't iterate over text" in err("{{ range .Values.str }}{{ end }}")


# -- conditionals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, truth",
    [(0, False), (1, True), ("", False), ("0", True), ([], False), ([0], True), ({}, False), (None, False), (False, False), (0.0, False)],
)
def test_truthiness_as_go(value: Any, truth: bool) -> None:
    assert r("{{ if .V }}t{{ else }}f{{ end }}", {"V": value}) == ("t" if truth else "f")


def test_missing_is_false() -> None:
    assert r("{{ if .Values.missing }}t{{ else }}f{{ end }}") == "f"


def test_else_if_chain() -> None:
    text = "{{ if eq .V 1 }}one{{ else if eq .V 2 }}two{{ else if eq .V 3 }}three{{ else }}many{{ end }}"
    assert [r(text, {"V": v}) for v in (1, 2, 3, 4)] == ["one", "two", "three", "many"]


def test_with_sets_dot_and_else() -> None:
    assert r("{{ with .Values.global.proxy }}{{ .image }}{{ end }}") == "proxyv2"
    assert r("{{ with .Values.zero }}x{{ else }}zero{{ end }}") == "zero"
    assert r("{{ with .Values.missing }}x{{ else with .Values.str }}{{ . }}{{ end }}") == "text"


def test_if_declaration_scoped_to_the_if() -> None:
    assert r("{{ if $x := .Values.str }}{{ $x }}{{ end }}") == "text"
    assert r("{{ if $x := 0 }}{{ else if $y := 1 }}{{ $x }}{{ $y }}{{ end }}") == "01"
    assert 'undefined variable "$x"' in err("{{ if $x := 1 }}{{ end }}{{ $x }}")


# -- templates ----------------------------------------------------------------------------------------


def test_define_template_and_block() -> None:
    text = '{{ define "item" }}<{{ . }}>{{ end }}{{ template "item" "a" }}{{ template "item" .Values.str }}'
    assert r(text) == "<a><text>"
    assert r('{{ block "b" .Values.str }}[{{ . }}]{{ end }}') == "[text]"
    assert r('{{ define "n" }}{{ . }}{{ end }}{{ template "n" }}') == "<no value>"


def test_defined_template_sees_only_its_argument_and_root() -> None:
    assert 'undefined variable "$x"' in err('{{ $x := 1 }}{{ define "t" }}{{ $x }}{{ end }}')
    assert r('{{ define "t" }}{{ $ }}{{ end }}{{ template "t" "arg" }}') == "arg"


def test_unknown_template_is_an_execution_error() -> None:
    assert 'no such template "nope"' in err('{{ template "nope" }}')


def test_recursive_template_stops() -> None:
    assert "maximum template depth" in err('{{ define "t" }}{{ template "t" . }}{{ end }}{{ template "t" . }}')


# -- builtins ------------------------------------------------------------------------------------------


def test_and_or_return_deciding_value_and_short_circuit() -> None:
    assert r('{{ and 1 "x" 0 }}|{{ and 1 "x" }}|{{ or 0 "" "y" }}|{{ or 0 "" }}') == '0|x|y|'
    # the second argument would fail if evaluated
    assert r("{{ or true .Values.nil.x }}") == "true"
    assert r("{{ and false .Values.nil.x }}") == "false"


def test_not_len_index() -> None:
    assert r("{{ not 0 }} {{ not 1 }} {{ not .Values.missing }}") == "true false true"
    assert r('{{ len .Values.list }} {{ len .Values.map }} {{ len "héllo" }}') == "3 3 6"
    assert r("{{ index .Values.list 1 }} {{ index .Values.map \"mid\" }}") == "two 3"
    assert r('{{ index .Values "global" "proxy" "image" }}') == "proxyv2"
    assert "index out of range: 3" in err("{{ index .Values.list 3 }}")


def test_index_of_missing_string_map_key_is_empty() -> None:
    assert r('[{{ index .ObjectMeta.Annotations "nope" }}]') == "[]"
    assert r('[{{ index .M "nope" }}]', {"M": StrMap()}) == "[]"
    assert r('[{{ index .Values.map "nope" }}]') == "[<no value>]"  # map[string]interface{}: nil
    assert r('[{{ index .ObjectMeta.Missing "x" }}]') == "[]"  # a nil typed map in Istio's data


def test_slice() -> None:
    assert r("{{ slice .Values.list 1 }} {{ slice \"abcdef\" 1 3 }}") == "[two <nil>] bc"


@pytest.mark.parametrize(
    "text, out",
    [
        ('{{ eq "a" "a" }}', "true"),
        ('{{ eq "a" "b" "a" }}', "true"),
        ("{{ eq 1 2 3 }}", "false"),
        ('{{ ne "a" "b" }}', "true"),
        ("{{ lt 1 2 }} {{ le 2 2 }} {{ gt 1 2 }} {{ ge 2 3 }}", "true true false false"),
        ('{{ lt "a" "b" }}', "true"),
        ('{{ eq .Values.missing "x" }}', "false"),
        ("{{ eq .Values.zero 0 }}", "true"),
        ("{{ eq .Values.missing .Values.nil }}", "true"),
    ],
)
def test_comparisons(text: str, out: str) -> None:
    assert r(text) == out


def test_comparison_of_different_types_is_an_error() -> None:
    assert "incompatible types for comparison" in err('{{ eq 1 "1" }}')
    assert "incompatible types for comparison" in err("{{ eq .X 1 }}", {"X": 1.0})  # float64 vs int, as in Go
    assert "invalid type for comparison" in err("{{ lt true false }}")
    assert "non-comparable type" in err("{{ eq .Values.list .Values.list }}")


@pytest.mark.parametrize(
    "fmt, args, out",
    [
        ("%s|%d|%v|%q", '"a" 5 "v" "q\\n"', 'a|5|v|"q\\n"'),
        ("%5s|%-5s|%05d|%x|%X|%o|%b", '"ab" "ab" 42 255 255 8 5', "   ab|ab   |00042|ff|FF|10|101"),
        ("%.2f|%e|%g|%v", "3.14159 1234.5 0.000012 2.5", "3.14|1.234500e+03|1.2e-05|2.5"),
        ("%t|%c|%U|%%", "true 65 65", "true|A|U+0041|%"),
        ("%d", '"x"', "%!d(string=x)"),
        ("%s %s", '"a"', "a %!s(MISSING)"),
        ("%s", '"a" "b"', "a%!(EXTRA string=b)"),
        ("%v %s", "nil nil", "<nil> %!s(<nil>)"),
        ("%v", ".Values.list", "[1 two <nil>]"),
        ("%s", ".Values.list", "[%!s(int=1) two %!s(<nil>)]"),
        ("%T %T %T", '1 "s" .Values.map', "int string map[string]interface {}"),
        ("%t", '"%d"', "%!t(string=%d)"),
    ],
)
def test_printf(fmt: str, args: str, out: str) -> None:
    assert r('{{ printf "' + fmt + '" ' + args + " }}") == out


def test_print_println() -> None:
    assert r('{{ print "a" 1 2 "b" }}') == "a1 2b"
    assert r('{{ println "a" 1 }}') == "a 1\n"


def test_html_js_urlquery() -> None:
    assert r('{{ html "<a href=\'x\'>&" }}') == "&lt;a href=&#39;x&#39;&gt;&amp;"
    assert r("{{ js \"it's <b>\" }}") == "it\\'s \\u003Cb\\u003E"
    assert r("{{ js .S }}", {"S": 'q"=\n'}) == 'q\\"\\u003D\\u000A'
    assert r('{{ urlquery "a b&c" }}') == "a+b%26c"


# -- errors with positions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("line1\n  {{ nope }}", 'template: inject:2:6: function "nope" not defined'),
        ("{{ if true }}", "unexpected EOF"),
        ("{{ end }}", "unexpected {{end}}"),
        ("{{ else }}", "unexpected {{else}}"),
        ("{{ .A", "unclosed action"),
        ("{{ $x }}", 'undefined variable "$x"'),
        ("{{ $x = 1 }}", 'undefined variable "$x"'),
        ("{{ 1 | 2 }}", "non executable command in pipeline stage 2"),
        ("{{ | 1 }}", "missing command"),
        ('{{ "abc }}', "unterminated quoted string"),
        ("{{ /* x */ }}", "unrecognized character"),
        ("{{/* unclosed", "unclosed comment"),
        ("{{ break }}", "{{break}} outside {{range}}"),
        ("{{ ( 1 }}", "unclosed left paren"),
        ("{{ 1 ) }}", "unexpected right paren"),
        ("{{ if }}{{ end }}", "missing value for if"),
        ("{{ 1 2 }}", "can't give argument to non-function"),
        ("{{ .A.B 1 }}", "B is not a method but has arguments"),
        ("{{ template 1 }}", "template clause"),
        ("{{ range $i, $v, $w := .X }}{{ end }}", "range"),
        ("{{ 1.5.x }}", "unexpected . after term"),
        ('{{ "a".x }}', "unexpected . after term"),
        ("{{ if false }}{{ else with 1 }}{{ end }}", "unexpected keyword 'with' in else"),
        ("{{ range .X }}{{ else if true }}{{ end }}", "unexpected keyword 'if' in else"),
        ("{{ 9223372036854775808 }}", "integer overflow"),
        ("{{ 1" + "0" * 400 + " }}", "integer overflow"),  # too long for a float too: was an OverflowError
        ("{{ 0x" + "f" * 300 + " }}", "integer overflow"),
    ],
)
def test_parse_and_exec_errors(text: str, fragment: str) -> None:
    assert fragment in err(text, {"A": {"B": 1}, "X": []})


def test_execution_error_names_position_and_action() -> None:
    msg = err('first line\n{{ if true }}\n    {{ index .Values.list 9 }}{{ end }}')
    assert msg.startswith('template: inject:3:8: executing "inject" at <index .Values.list 9>: error calling index:')


def test_error_carries_line_and_column() -> None:
    with pytest.raises(TemplateError) as e:
        r("a\nbc {{ nope }}")
    assert (e.value.line, e.value.col) == (2, 7)


def test_wrong_argument_types_are_errors() -> None:
    assert "wrong number of args for quote" not in err("{{ trunc .Values.str 1 }}")
    assert "wrong type for value; expected int; got string" in err("{{ trunc .Values.str 1 }}")
    assert "expected integer; found 1.5" in err('{{ trunc 1.5 "abc" }}')
    assert 'expected string; found true' in err("{{ upper true }}")
    assert "wrong number of args for upper: want 1 got 2" in err('{{ upper "a" "b" }}')
    assert "invalid value; expected string" in err("{{ upper .Values.missing }}")


def test_parse_is_cached_and_reusable() -> None:
    t1 = parse("{{ .A }}")
    t2 = parse("{{ .A }}")
    assert t1 is t2
    assert t1.execute({"A": 1}) == "1" and t1.execute({"A": 2}) == "2"


def test_non_string_template_is_a_template_error() -> None:
    with pytest.raises(TemplateError):
        parse(123)  # type: ignore[arg-type]


def test_json_numbers_and_missing_sentinel() -> None:
    assert json_numbers({"a": [1, True, None, "x"]}) == {"a": [1.0, True, None, "x"]}
    assert not MISSING and repr(MISSING) == "MISSING"


def test_render_does_not_modify_data() -> None:
    data = {"M": {"b": 1}, "L": [1]}
    r('{{ $_ := set .M "a" 2 }}{{ $l := append .L 2 }}', data)
    # sprig's set mutates its map argument, as in Go; append returns a new list
    assert data == {"M": {"b": 1, "a": 2}, "L": [1]}


# -- robustness: any input gives output or a TemplateError, never a Python exception --------------------


def test_deep_nesting_is_a_template_error() -> None:
    assert "max expression depth exceeded" in err("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}")
    assert "max expression depth exceeded" in err("{{ if true }}" * 3000 + "x" + "{{ end }}" * 3000)


def test_huge_printf_width_is_refused_as_go_does() -> None:
    assert r('{{ printf "%*d" 1000000000 1 }}') == "%!(BADWIDTH)1"


_PIECES = [
    "{{", "}}", "{{-", "-}}", " ", ".", ".A", ".B.C", "$", "$x", ":=", "=", "|", "(", ")", '"s"', "`r`", "'c'", "1", "-2",
    "3.5", "0x1F", "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "nil", "true",
    "false", "eq", "lt", "and", "or", "not", "len", "index", "slice", "printf", "default", "toYaml", "quote", "indent",
    "list", "dict", "append", "fromJSON", "annotation", "isset", "trunc", "split", "regexMatch", "formatDuration",
    "structToJSON", "protoToJSON", "merge", "set", "dig", "until", "omitNil", "first", "keys", "div", "int", "substr",
    "/*", "*/", "\n", "text", ",", '"%s %v"', "$i, $v :=", '"t"',
]


def test_random_token_soup_never_raises_anything_but_template_error() -> None:
    import random

    rng = random.Random(20261126)
    data = {"A": {"x": 1, "y": [1, None]}, "B": {"C": "str"}, "L": [1, "a"], "N": None, "ObjectMeta": {"annotations": {"a": "b"}}}
    outcomes = {"ok": 0, "error": 0}
    for _ in range(3000):
        text = "".join(rng.choice(_PIECES) + rng.choice(["", " "]) for _ in range(rng.randint(1, 12)))
        if rng.random() < 0.5:
            text = "{{ " + text + " }}"
        try:
            render(text, data)
            outcomes["ok"] += 1
        except TemplateError:
            outcomes["error"] += 1
    assert outcomes["ok"] > 100 and outcomes["error"] > 100
