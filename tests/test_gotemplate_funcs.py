"""Each function krmfn.gotemplate offers: Go builtins, sprig, Istio's InjectionFuncmap."""

from __future__ import annotations

import re
from typing import Any

import pytest

from krmfn.gotemplate import FUNCTION_NAMES, StrMap, TemplateError, render

META = {"name": "web", "annotations": {"sidecar.istio.io/proxyCPU": "100m", "empty": ""}, "labels": {"app": "web"}}
CONTAINERS = [
    {"name": "app", "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 53, "protocol": "UDP"}, {"containerPort": 9000, "protocol": "SCTP"}]},
    {"name": "istio-proxy", "ports": [{"containerPort": 15090, "protocol": "TCP"}]},
    {"name": "side", "ports": [{"containerPort": 8080, "protocol": "TCP"}]},
]
DATA: dict[str, Any] = {
    "ObjectMeta": META,
    "Containers": CONTAINERS,
    "Port": {"name": "http", "containerPort": 80, "protocol": "TCP"},
    "Map": {"b": 2, "a": 1, "n": None, "nested": {"x": None, "y": [1, None]}},
    "Str": StrMap({"k": "v", "html": "<a&b>"}),
    "List": ["a", "b", "a", "", None],
    "Nums": [3, 1, 2],
    "F": 15020.0,
    "NaN": float("nan"),
    "Floats": [1e-7, 1e21, 123456789.0, 0.1, -0.0, 1e20],
    "Nil": None,
    "PC": {"interceptionMode": "REDIRECT", "statusPort": 15020, "drainDuration": "45s", "concurrency": 0, "tracing": {}, "proxyMetadata": {}, "configPath": "/custom"},
    "Mesh": {"extensionProviders": [{"name": "otel", "opentelemetry": {"serviceAttributeEnrichment": "OTEL_SEMANTIC_CONVENTIONS"}}]},
}

CASES: list[tuple[str, str]] = [
    # Istio's InjectionFuncmap
    ('{{ annotation .ObjectMeta "sidecar.istio.io/proxyCPU" "1" }}', "100m"),
    ('{{ annotation .ObjectMeta "missing" "dflt" }}|{{ annotation .ObjectMeta "missing" .F }}|{{ annotation .ObjectMeta "missing" .Nope }}', "dflt|15020|<nil>"),
    ('{{ annotation .ObjectMeta "empty" "dflt" }}|', "|"),
    ('{{ isset .ObjectMeta.annotations "empty" }} {{ isset .ObjectMeta.annotations "nope" }} {{ isset .Nope "x" }}', "true false false"),
    ('{{ valueOrDefault "" "d" }} {{ valueOrDefault .Nope "d" }} {{ valueOrDefault 0 "d" }} {{ valueOrDefault "v" "d" }}', "d d 0 v"),
    ('{{ excludeInboundPort 15020 "" }}|{{ excludeInboundPort "15020" "80, 443" }}|{{ excludeInboundPort 15020 "15020,81" }}|{{ excludeInboundPort 0 "81" }}|{{ excludeInboundPort .F "" }}', "15020|80,443,15020|15020,81|81|15020"),
    ("{{ includeInboundPorts .Containers }}", "80,15090,8080"),
    ("{{ applicationPorts .Containers }}", "80,8080"),
    ('{{ kubevirtInterfaces "net1" }} {{ excludeInterfaces "eth1" }}', "net1 eth1"),
    ("{{ toJSON .Str }}|{{ toJSON .Nope }}", '{"html":"\\u003ca\\u0026b\\u003e","k":"v"}|{}'),
    ('{{ range $k, $v := fromJSON `{"b":[1,2.5],"a":"x"}` }}{{ $k }}={{ $v }};{{ end }}', "a=x;b=[1 2.5];"),
    ("{{ fromJSON `not json` }}", "{}"),
    ("{{ structToJSON .Port }}|{{ structToJSON .Nope }}", '{"name":"http","containerPort":80,"protocol":"TCP"}|{}'),
    ("{{ protoToJSON .PC }}|{{ protoToJSON .Nope }}", '{"concurrency":0,"tracing":{},"configPath":"/custom"}|{}'),
    ("{{ toYaml .Map }}", "a: 1\nb: 2\n\"n\": null\nnested:\n  x: null\n  \"y\":\n  - 1\n  - null\n"),
    ("{{ toYaml (omitNil .Map) }}", "a: 1\nb: 2\nnested:\n  \"y\":\n  - 1\n  - null\n"),
    ('{{ "a\\nb\\nc" | indent 2 }}', "a\n  b\n  c"),
    ('{{ directory "/etc/certs/root.pem" }}|{{ directory "root.pem" }}', "/etc/certs/|"),
    ('{{ contains "/" "a/b" }} {{ contains "/" "ab" }}', "true false"),
    ('{{ toLower "MiXeD" }}', "mixed"),
    ('{{ appendMultusNetwork "" "istio-cni" }}|{{ appendMultusNetwork "a, b" "istio-cni" }}|{{ appendMultusNetwork "istio-cni,b" "istio-cni" }}', "istio-cni|a, b, istio-cni|istio-cni,b"),
    ("{{ appendMultusNetwork `[{\"name\": \"a\"}]` `istio-cni` }}", '[{"name": "a"}, {"name": "istio-cni"}]'),
    ("{{ appendMultusNetwork `[{\"name\": \"istio-cni\"}]` `istio-cni` }}", '[{"name": "istio-cni"}]'),
    ('{{ env "ISTIO_NOT_SET_ANYWHERE" "fallback" }}', "fallback"),
    ('{{ omit .Map "a" "nested" "n" }}', "map[b:2]"),
    ('{{ strdict "a" "1" "b" "2" }}', "map[a:1 b:2]"),
    ('{{ mergeMaps (strdict "a" "1") (strdict "a" "2" "b" "3") }}', "map[a:2 b:3]"),
    ('{{ toJsonMap (strdict "a" "1") (strdict "b" "2") | toJson }}', '{"a":"1","b":"2"}'),
    ('{{ formatDuration "90s" }} {{ formatDuration "0.5s" }} {{ formatDuration "3600s" }} {{ formatDuration .Nope }} {{ formatDuration (dict "seconds" 5) }}', "1m30s 500ms 1h0m0s 0s 5s"),
    ('{{ otelResourceAttributes .Mesh .ObjectMeta.annotations (strdict "app.kubernetes.io/version" "v1") "ns" .Containers }}', "service.namespace=ns,service.version=v1,service.instance.id=ns.$(POD_NAME).app"),
    ("[{{ otelResourceAttributes .Nope .ObjectMeta.annotations .ObjectMeta.labels \"ns\" .Containers }}]", "[]"),
    # sprig: defaults and logic
    ('{{ default "d" "" }} {{ default "d" "v" }} {{ default "d" 0 }} {{ default "d" .Nope }} {{ default "d" (list) }} {{ "v" | default "d" }}', "d v d d d v"),
    ("{{ empty 0 }} {{ empty .Nope }} {{ empty (list 1) }} {{ empty false }} {{ empty .Map }}", "true true false true false"),
    ('{{ coalesce "" .Nope 0 "x" "y" }}|{{ coalesce "" 0 }}', "x|<no value>"),
    ('{{ all 1 "a" true }} {{ all 1 "" }} {{ any 0 "" "x" }} {{ any 0 "" }}', "true false true false"),
    ('{{ ternary "yes" "no" true }} {{ true | ternary "yes" "no" }} {{ ternary "yes" "no" false }}', "yes yes no"),
    ('{{ typeOf 1 }} {{ typeOf "s" }} {{ typeOf .List }} {{ kindOf .Map }} {{ typeIs "int" 1 }}', "int string []interface {} map true"),
    ("{{ deepEqual (list 1 2) (list 1 2) }} {{ deepEqual 1 1.0 }}", "true false"),
    # sprig: strings
    ('{{ quote "a\\"b" 1 .Nope }}|{{ squote "a" 2 }}|{{ cat "a" 1 .Nope "b" }}', '"a\\"b" "1"|\'a\' \'2\'|a 1 b'),
    ("{{ toString 15020.0 }} {{ toString true }} {{ toStrings (list 1 \"a\") }}", "15020 true [1 a]"),
    ('[{{ trim "  a b \\n" }}] [{{ trimAll "-_." "-_a.b_-" }}] [{{ trimall "x" "xax" }}] [{{ trimPrefix "pre-" "pre-fix" }}] [{{ trimSuffix ".yaml" "a.yaml" }}]', "[a b] [a.b] [a] [fix] [a]"),
    ('{{ trunc 3 "abcdef" }} {{ trunc -2 "abcdef" }} {{ trunc 10 "ab" }} {{ "abcdef" | trunc 63 }}', "abc ef ab abcdef"),
    ('{{ upper "a" }} {{ lower "A" }} {{ title "hello world" }} {{ untitle "Hello World" }}', "A a Hello World hello world"),
    ('{{ replace "a" "b" "banana" }} {{ repeat 3 "ab" }} {{ substr 1 3 "abcdef" }} {{ nospace " a b " }}', "bbnbnb ababab bc ab"),
    ('{{ hasPrefix "ca" "cat" }} {{ hasSuffix "at" "cat" }} {{ hasPrefix "x" "cat" }}', "true true false"),
    ('{{ split "," "a,b,c" }} {{ (split "," "a,b")._1 }} {{ splitList "," "a,b" }} {{ splitn "," 2 "a,b,c" }}', "map[_0:a _1:b _2:c] b [a b] map[_0:a _1:b,c]"),
    ('{{ join "," .List }} {{ join "-" .Nums }} {{ list "x" | join "," }}', "a,b,a, 3-1-2 x"),
    ('{{ "a\\nb" | nindent 2 }}', "\n  a\n  b"),
    ('{{ b64enc "hello" }} {{ b64dec "aGVsbG8=" }}', "aGVsbG8= hello"),
    ('{{ sha256sum "a" | trunc 8 }} {{ sha1sum "a" | trunc 8 }} {{ adler32sum "a" }}', "ca978112 86f7e437 6422626"),
    ('{{ regexMatch "^a.c$" "abc" }} {{ regexFind "[0-9]+" "ab12cd34" }} {{ regexFindAll "[0-9]" "a1b2c3" 2 }} {{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }} {{ regexReplaceAllLiteral "a" "aa" "$1" }} {{ regexSplit "," "a,b,c" -1 }}', "true 12 [1 2] -W-xxW- $1$1 [a b c]"),
    ('{{ base "/a/b.txt" }} {{ dir "/a/b.txt" }} {{ ext "b.tar.gz" }} {{ clean "/a/../b//c" }} {{ isAbs "/a" }}', "b.txt /a .gz /b/c true"),
    # sprig: numbers
    ('{{ int "42" }} {{ int 3.9 }} {{ int64 "x" }} {{ float64 "1.5" }} {{ atoi "7" }}', "42 3 0 1.5 7"),
    ("{{ add 1 2 3 }} {{ add1 1 }} {{ sub 5 2 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ div -7 2 }} {{ mod 7 3 }} {{ max 1 5 3 }} {{ min 4 2 8 }}", "6 2 3 24 3 -3 1 5 2"),
    ("{{ until 3 }} {{ untilStep 0 10 4 }}", "[0 1 2] [0 4 8]"),
    # sprig: lists
    ('{{ list 1 "a" }} {{ append (list 1) 2 }} {{ push (list) "x" }} {{ prepend (list 2) 1 }}', "[1 a] [1 2] [x] [1 2]"),
    ("{{ first .Nums }} {{ last .Nums }} {{ rest .Nums }} {{ initial .Nums }} {{ reverse .Nums }}", "3 2 [1 2] [3 1] [2 1 3]"),
    ('{{ uniq .List }} {{ compact .List }} {{ without .Nums 1 }} {{ has 2 .Nums }} {{ has 9 .Nums }} {{ concat .Nums (list 4) }} {{ sortAlpha (list "b" "a") }}', "[a b  <nil>] [a b a] [3 2] true false [3 1 2 4] [a b]"),
    # sprig: dicts
    ('{{ dict "a" 1 "b" }} {{ hasKey .Map "a" }} {{ hasKey .Map "z" }} {{ get .Map "b" }} [{{ get .Map "z" }}]', "map[a:1 b:] true false 2 []"),
    ('{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ $_ := unset $d "a" }}{{ $d }}', "map[b:2]"),
    ('{{ keys .Map }} {{ values (dict "b" 2 "a" 1) }} {{ pick .Map "a" "zz" }}', "[a b n nested] [1 2] map[a:1]"),
    ('{{ dig "nested" "y" "dflt" .Map }} {{ dig "nested" "q" "dflt" .Map }}', "[1 <nil>] dflt"),
    ('{{ merge (dict "a" 1) (dict "a" 2 "b" 3) }} {{ mergeOverwrite (dict "a" 1) (dict "a" 2 "b" 3) }}', "map[a:1 b:3] map[a:2 b:3]"),
    ("{{ $c := deepCopy .Map }}{{ $_ := set $c \"a\" 9 }}{{ .Map.a }}", "1"),
    # sprig: encodings
    ('{{ toJson .Map }}', '{"a":1,"b":2,"n":null,"nested":{"x":null,"y":[1,null]}}'),
    ('{{ toPrettyJson (dict "a" (list 1) "b" (dict)) }}', '{\n  "a": [\n    1\n  ],\n  "b": {}\n}'),
    ('{{ toRawJson .Str }} {{ toJson .Str }}', '{"html":"<a&b>","k":"v"} {"html":"\\u003ca\\u0026b\\u003e","k":"v"}'),
    ("{{ (fromJson `{\"a\": [1]}`).a }} [{{ fromJson `bad` }}]", "[1] [<no value>]"),
    # sprig: the rest
    ('{{ tuple 1 "a" }} {{ pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3) }} {{ chunk 2 (list 1 2 3) }}', "[1 a] [1 3] [[1 2] [3]]"),
    ('{{ seq 3 }}|{{ seq 2 4 }}|{{ seq 5 -2 1 }}|{{ seq 1 0 }}', "1 2 3|2 3 4|5 3 1|1 0"),
    ('{{ kindIs "map" .Map }} {{ kindIs "slice" .Map }} {{ toDecimal "0777" }}', "true false 511"),
    ("{{ addf 1.5 2 }} {{ subf 5 1.5 }} {{ mulf 1.5 2 }} {{ divf 3 2 }} {{ maxf 1 2.5 }} {{ minf 1 2.5 }}", "3.5 3.5 3 1.5 2.5 1"),
    ("{{ ceil 1.2 }} {{ floor 1.8 }} {{ round 3.14159 2 }} {{ round 2.5 0 }}", "2 1 3.14 3"),
    ('{{ snakecase "FirstName" }} {{ kebabcase "FirstName" }} {{ camelcase "http_server" }} {{ swapcase "aB" }}', "first_name first-name HttpServer Ab"),
    ('{{ initials "First Try" }} {{ abbrev 5 "hello world" }} {{ plural "one" "many" 2 }} {{ plural "one" "many" 1 }}', "FT he... many one"),
    ('{{ wrap 5 "aaa bbb ccc" }}|{{ wrapWith 5 "\\t" "aaa bbb" }}|{{ regexQuoteMeta "1.5+" }}', "aaa\nbbb\nccc|aaa\tbbb|1\\.5\\+"),
    ('{{ sha512sum "a" | trunc 8 }} {{ b32enc "hi" }} {{ b32dec "NBUQ====" }}', "1f40fc92 NBUQ==== hi"),
    ('{{ mustAppend (list 1) 2 }} {{ mustPush (list) 1 }} {{ mustPrepend (list 2) 1 }} {{ mustFirst .Nums }} {{ mustLast .Nums }} {{ mustRest .Nums }} {{ mustInitial .Nums }}', "[1 2] [1] [1 2] 3 2 [1 2] [3 1]"),
    ('{{ mustReverse .Nums }} {{ mustUniq (list 1 1) }} {{ mustWithout .Nums 3 }} {{ mustHas 1 .Nums }} {{ mustCompact (list 0 1) }} {{ mustSlice .Nums 1 }} {{ mustChunk 2 .Nums }}', "[2 1 3] [1] [1 2] true [1] [1 2] [[3 1] [2]]"),
    ('{{ mustMerge (dict "a" 1) (dict "b" 2) }} {{ mustMergeOverwrite (dict "a" 1) (dict "a" 2) }} {{ mustDeepCopy .Nums }}', "map[a:1 b:2] map[a:2] [3 1 2]"),
    ('{{ mustRegexMatch "a" "a" }} {{ mustRegexFind "b+" "abbc" }} {{ mustRegexFindAll "b" "abb" -1 }} {{ mustRegexReplaceAll "b" "abb" "x" }} {{ mustRegexReplaceAllLiteral "b" "ab" "$0" }} {{ mustRegexSplit "b" "abc" -1 }}', "true bb [b b] axx a$0 [a c]"),
    ('{{ mustToJson (list 1) }} {{ mustToPrettyJson (list) }} {{ mustToRawJson "<" }} {{ (mustFromJson `{"a":1}`).a }}', '[1] [] "<" 1'),
    # numbers as Go's json and go-yaml write float64
    ("{{ toJson .Floats }}", "[1e-7,1e+21,123456789,0.1,-0,100000000000000000000]"),
    ("{{ toYaml .Floats }}", "- 1e-07\n- 1e+21\n- 123456789\n- 0.1\n- 0\n- 1e+20\n"),
    ("{{ range .Floats }}{{ . }} {{ end }}", "1e-07 1e+21 1.23456789e+08 0.1 -0 1e+20 "),
    ('{{ toJson "a\u2028<>&\x01é" }}', '"a\\u2028\\u003c\\u003e\\u0026\\u0001é"'),
    # Go builtins
    ('{{ and 1 2 }} {{ or 0 3 }} {{ not "" }} {{ len "abc" }} {{ index .Nums 0 }} {{ slice .Nums 1 2 }}', "2 3 true 3 3 [1]"),
    ('{{ print 1 2 }} {{ printf "%03d" 7 }} {{ println "x" }}', "1 2 007 x\n"),
    ('{{ eq 1 1 }} {{ ne 1 1 }} {{ lt 1 2 }} {{ le 1 1 }} {{ gt 2 1 }} {{ ge 1 2 }}', "true false true true true false"),
    ('{{ html "<b>" }} {{ js "a\'b" }} {{ urlquery "a b" }}', "&lt;b&gt; a\\'b a+b"),
]


@pytest.mark.parametrize("text, out", CASES, ids=[c[0][:60] for c in CASES])
def test_function(text: str, out: str) -> None:
    assert render(text, DATA) == out


def test_every_function_has_a_case() -> None:
    used = set()
    for text, _ in CASES + ERROR_CASES:
        used.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    assert sorted(set(FUNCTION_NAMES) - used) == []


ERROR_CASES: list[tuple[str, str]] = [
    ('{{ fail "stop here" }}', "error calling fail: stop here"),
    ("{{ div 1 0 }}", "integer divide by zero"),
    ('{{ set .Nope "a" 1 }}', "assignment to entry in nil map"),
    ('{{ regexMatch "(" "x" }}', "error parsing regexp"),
    ('{{ first "abc" }}', "Cannot find first on type string"),
    ("{{ formatDuration `soon` }}", "bad duration"),
    ("{{ isset .List `a` }}", "wrong type for value; expected map; got []interface {}"),
    ('{{ protoToJSON "x" }}', "expected proto.Message"),
    ('{{ repeat -1 "a" }}', "negative Repeat count"),
    ("{{ mustFromJson `{` }}", "error calling mustFromJson"),
    ("{{ mustToJson .NaN }}", "unsupported value: NaN"),
    ("{{ mustToPrettyJson .NaN }}", "unsupported value: NaN"),
    ("{{ mustToRawJson .NaN }}", "unsupported value: NaN"),
    ("{{ chunk 0 .Nums }}", "size must be positive"),
]


@pytest.mark.parametrize("text, fragment", ERROR_CASES)
def test_function_errors(text: str, fragment: str) -> None:
    with pytest.raises(TemplateError) as e:
        render(text, DATA)
    assert fragment in str(e.value)


def test_istio_indent_leaves_the_first_line_and_nindent_indents_it() -> None:
    assert render("x: {{ toYaml .M | indent 4 }}", {"M": {"a": {"b": 1}}}) == "x: a:\n      b: 1\n    "
    assert render("x:{{ toYaml .M | nindent 4 }}", {"M": {"a": 1}}) == "x:\n    a: 1\n    "


def test_to_yaml_reads_back_as_the_same_data() -> None:
    """toYaml quotes exactly what would otherwise read back as something else (YAML 1.1, as go-yaml)."""
    import random

    import yaml

    tricky = ["", " ", "true", "no", "y", "~", "null", "0755", "08", "1e3", "1_000", ".5", "1:30", "2001-12-14", "-", "- a",
              "? x", "a: b", "a #b", "#c", "*a", "&a", "!a", "|", ">", "'", '"', "%", "@", "`", "x:", "[a]", "{a}", "a,b",
              "tab\there", "é", "line\n", "two\nlines", "trail \nx", " lead", "\n", "a\n\n", "\\", "<<", "=", "0x1F", "+1"]
    rng = random.Random(7)
    alphabet = "ab: #-?'\"\n\t,[]{}*&!|>%@`01.eE+_~é\\"
    values = tricky + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(400)]
    for v in values:
        doc = {"k": v, v or "empty": [v], "n": {"m": v}}
        out = render("{{ toYaml .D }}", {"D": doc})
        assert yaml.safe_load(out) == doc, (v, out)
