#!/usr/bin/env python3
"""Generate krmfn/config/istio_fields.py: the field tables of Istio's settings, from Istio's own .proto files.

    python tools/gen_istio_fields.py [SCHEMA_DIR] > krmfn/config/istio_fields.py

SCHEMA_DIR defaults to ../shared/conformance/istio-schema (see its README): ``values_types.proto`` (Helm
values) and istio/api's ``mesh/v1alpha1/*.proto`` with the files they import; beside it,
``istio-modern/chart/values.yaml`` (the chart's defaults, which may set fields the proto lacks).  The tool
reads every .proto below SCHEMA_DIR with a small parser of its own (messages, nested messages and enums,
``oneof``, ``map<K, V>``, ``repeated``; options, reserved ranges and services skipped) and writes, for every
message, its fields by JSON name and by proto name, each as ``(type, label)``:

* type: a scalar (``string``, ``bool``, ``int32``, ``uint32``, ``int64``, ``double``, ``bytes``...), a
  well-known type (``google.protobuf.Duration``, ``BoolValue``..., ``Struct``, ``Value``, ``ListValue``,
  ``Any``), ``enum:FULL.NAME`` or ``msg:FULL.NAME``;
* label: ``""``, ``"repeated"``, or ``"map:KEYTYPE"``;

and every enum's value names.  tests/test_istio_fields.py regenerates the module and compares.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SCALARS = {"double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64",
           "sfixed32", "sfixed64", "bool", "string", "bytes"}
ROOTS = {
    "values": "istio.operator.v1alpha1.Values",
    "meshConfig": "istio.mesh.v1alpha1.MeshConfig",
    "proxyConfig": "istio.mesh.v1alpha1.ProxyConfig",
}

_TOKEN = re.compile(r'\s+|//[^\n]*|/\*.*?\*/|"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|[A-Za-z_.][A-Za-z0-9_.]*'
                    r'|-?[0-9][0-9A-Za-z.]*|.', re.S)


def tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text) if t.strip() and not t.startswith(("//", "/*"))]


def json_name(name: str) -> str:
    """protoc's JSON name: underscores dropped, the letter after each one upper-cased."""
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


class Parser:
    def __init__(self, toks: list[str]) -> None:
        self.toks, self.i = toks, 0
        self.package = ""
        self.messages: dict[str, list[tuple[str, str, str, str]]] = {}  # full name -> (name, type ref, label, scope)
        self.enums: dict[str, list[str]] = {}

    def peek(self) -> str:
        return self.toks[self.i] if self.i < len(self.toks) else ""

    def next(self) -> str:
        t = self.peek()
        self.i += 1
        return t

    def expect(self, want: str) -> None:
        got = self.next()
        if got != want:
            raise SyntaxError(f"expected {want!r}, got {got!r} at token {self.i}")

    def skip_statement(self) -> None:
        depth = 0
        while True:
            t = self.next()
            if t == "" or (t == ";" and depth == 0):
                return
            if t in "{[(":
                depth += 1
            elif t in "}])":
                depth -= 1
                if depth == 0 and t == "}":
                    return

    def skip_options(self) -> None:
        if self.peek() == "[":
            depth = 0
            while True:
                t = self.next()
                depth += t == "["
                depth -= t == "]"
                if depth == 0:
                    break

    def file(self) -> None:
        while self.peek():
            t = self.next()
            if t == "package":
                self.package = self.next()
                self.expect(";")
            elif t == "message":
                self.message(self.package)
            elif t == "enum":
                self.enum(self.package)
            elif t == ";":
                continue
            else:  # syntax, import, option, service, extend
                self.skip_statement()

    def message(self, scope: str) -> None:
        name = f"{scope}.{self.next()}".lstrip(".")
        fields = self.messages.setdefault(name, [])
        self.expect("{")
        self.body(name, fields)

    def body(self, name: str, fields: list[tuple[str, str, str, str]]) -> None:
        while True:
            t = self.next()
            if t == "}":
                return
            if t == "":
                raise SyntaxError(f"unterminated message {name}")
            if t == "message":
                self.message(name)
            elif t == "enum":
                self.enum(name)
            elif t == "oneof":
                self.next()
                self.expect("{")
                self.body(name, fields)
            elif t in ("option", "reserved", "extensions", "extend"):
                self.skip_statement()
            elif t == ";":
                continue
            else:
                label = ""
                if t in ("repeated", "optional", "required"):
                    label = "repeated" if t == "repeated" else ""
                    t = self.next()
                if t == "map":
                    self.expect("<")
                    key = self.next()
                    self.expect(",")
                    value = self.next()
                    self.expect(">")
                    label, t = f"map:{key}", value
                field = self.next()
                self.expect("=")
                self.next()
                self.skip_options()
                self.expect(";")
                fields.append((field, t, label, name))

    def enum(self, scope: str) -> None:
        name = f"{scope}.{self.next()}".lstrip(".")
        values = self.enums.setdefault(name, [])
        self.expect("{")
        while True:
            t = self.next()
            if t == "}":
                return
            if t in ("option", "reserved"):
                self.skip_statement()
            elif t == ";":
                continue
            else:
                self.expect("=")
                self.next()
                self.skip_options()
                self.expect(";")
                values.append(t)


def resolve(ref: str, scope: str, messages: dict, enums: dict) -> str:
    if ref in SCALARS:
        return ref
    if ref.startswith("google.protobuf."):
        return ref
    candidates = []
    if ref.startswith("."):
        candidates = [ref[1:]]
    else:
        parts = scope.split(".")
        candidates = [".".join(parts[:n] + [ref]) for n in range(len(parts), -1, -1)]
    for c in candidates:
        if c in messages:
            return f"msg:{c}"
        if c in enums:
            return f"enum:{c}"
    raise KeyError(f"cannot resolve type {ref} in {scope}")


def tables(schema: Path) -> tuple[dict[str, dict[str, tuple[str, str]]], dict[str, list[str]]]:
    messages: dict[str, list[tuple[str, str, str, str]]] = {}
    enums: dict[str, list[str]] = {}
    for path in sorted(schema.rglob("*.proto")):
        p = Parser(tokens(path.read_text(encoding="utf-8")))
        p.file()
        for k, v in p.messages.items():
            messages.setdefault(k, []).extend(v)
        enums.update(p.enums)
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for name, fields in messages.items():
        table: dict[str, tuple[str, str]] = {}
        for field, ref, label, scope in fields:
            entry = (resolve(ref, scope, messages, enums), label)
            table[json_name(field)] = entry
            table.setdefault(field, entry)
        out[name] = dict(sorted(table.items()))
    return dict(sorted(out.items())), dict(sorted(enums.items()))


def chart_fields(messages: dict[str, dict[str, tuple[str, str]]], values_yaml: Path) -> dict[str, list[str]]:
    """Fields the istio-discovery chart's values.yaml sets that values_types.proto lacks (the chart can be ahead
    of the proto: a release's data.values holds them), by message.  The chart's top level is pilot's, except
    the keys the Values message itself has."""
    import yaml

    if not values_yaml.is_file():
        return {}
    defaults = yaml.safe_load(values_yaml.read_text(encoding="utf-8")).get("_internal_defaults_do_not_set") or {}
    out: dict[str, set[str]] = {}
    root, pilot = ROOTS["values"], "istio.operator.v1alpha1.PilotConfig"

    def walk(data: dict, message: str) -> None:
        fields = messages.get(message, {})
        for key, value in data.items():
            entry = fields.get(key)
            if entry is None:
                out.setdefault(message, set()).add(key)
            elif isinstance(value, dict) and entry[0].startswith("msg:") and not entry[1]:
                walk(value, entry[0][4:])

    for key, value in defaults.items():
        walk({key: value}, root if key in messages[root] else pilot)
    return {k: sorted(v) for k, v in sorted(out.items())}


def render(schema: Path) -> str:
    messages, enums = tables(schema)
    extras = chart_fields(messages, schema.parent / "istio-modern" / "chart" / "values.yaml")
    lines = [
        '"""Field tables of Istio\'s settings (values, MeshConfig, ProxyConfig), derived from Istio\'s .proto files.',
        "",
        "GENERATED by tools/gen_istio_fields.py from ../shared/conformance/istio-schema; do not edit.",
        "tests/test_istio_fields.py regenerates it and compares.  Read by krmfn.config.istio_check, imported only when",
        "a config carries such settings.",
        '"""',
        "",
        "# field -> (type, label); type: scalar, google.protobuf.*, 'enum:NAME' or 'msg:NAME';",
        "# label: '', 'repeated' or 'map:KEYTYPE'.  Fields appear by JSON name and by proto name.",
        f"ROOTS = {ROOTS!r}",
        "",
        "MESSAGES = {",
    ]
    for name, table in messages.items():
        lines.append(f"    {name!r}: {{")
        for field, entry in table.items():
            lines.append(f"        {field!r}: {entry!r},")
        lines.append("    },")
    lines.append("}")
    lines.append("")
    lines.append("# Fields istio-modern/chart/values.yaml sets beyond values_types.proto (taken as any JSON).")
    lines.append("CHART_FIELDS = {")
    for name, fields in extras.items():
        lines.append(f"    {name!r}: {tuple(fields)!r},")
    lines.append("}")
    lines.append("")
    lines.append("ENUMS = {")
    for name, values in enums.items():
        lines.append(f"    {name!r}: {tuple(values)!r},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    schema = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1].parent / "shared" / \
        "conformance" / "istio-schema"
    sys.stdout.write(render(schema))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
