"""Hypothesis strategies: ResourceList texts built the way people and tools write them.

A generated input is *valid* YAML by construction: block style with comments,
anchors and aliases, flow-style sub-trees, tricky plain scalars (``on``,
``0755``, ``1:30``...), both sequence indentations, kpt's annotations, and a
functionConfig in one of the accepted forms (or a broken one).  Each item's
source text is kept (:class:`Case`), so that a property can check that an item
comes back as the very same bytes.

:func:`mutated` turns such a text into hostile bytes (cut, spliced, bytes
flipped) for the fuzz harness.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

# --- a tiny YAML tree that renders to text we control -------------------------


@dataclass
class S:
    """A scalar, already spelled as YAML (plain, quoted or a block scalar)."""

    text: str
    flow_safe: bool = True  # may appear inside [...] / {...}


@dataclass
class M:
    pairs: list[tuple[str, Node]]
    anchor: str | None = None
    flow: bool = False
    comment: str | None = None


@dataclass
class L:
    items: list[Node]
    anchor: str | None = None
    flow: bool = False


@dataclass
class A:
    name: str


Node = S | M | L | A


def _flow(node: Node) -> str:
    if isinstance(node, S):
        return node.text
    if isinstance(node, A):
        return f"*{node.name}"
    anchor = f"&{node.anchor} " if node.anchor else ""
    if isinstance(node, M):
        return anchor + "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in node.pairs) + "}"
    return anchor + "[" + ", ".join(_flow(i) for i in node.items) + "]"


def _inline(node: Node) -> bool:
    """Rendered on the key's line."""
    if isinstance(node, (S, A)):
        return "\n" not in node.text if isinstance(node, S) else True
    return node.flow or not (node.pairs if isinstance(node, M) else node.items)


def render_block(node: Node, indent: int, wide: bool) -> list[str]:
    """Lines (without newlines) of a block mapping or sequence at ``indent``."""
    pad = " " * indent
    out: list[str] = []
    if isinstance(node, M):
        for key, value in node.pairs:
            out.extend(_entry(f"{pad}{key}:", value, indent, wide))
        return out
    assert isinstance(node, L)
    for item in node.items:
        if _inline(item):
            out.append(f"{pad}- {_flow(item) if not isinstance(item, S) else item.text}")
        elif isinstance(item, S):  # a block scalar
            head, *rest = item.text.split("\n")
            out.append(f"{pad}- {head}")
            out.extend(" " * (indent + 2) + line if line else "" for line in rest)
        else:
            sub = render_block(item, indent + 2, wide)
            if isinstance(item, L) or item.anchor:
                out.append(f"{pad}-" + (f" &{item.anchor}" if item.anchor else ""))
                out.extend(sub)
            else:
                out.append(f"{pad}- " + sub[0][indent + 2 :])
                out.extend(sub[1:])
    return out


def _entry(head: str, value: Node, indent: int, wide: bool) -> list[str]:
    if isinstance(value, S) and "\n" in value.text:
        first, *rest = value.text.split("\n")
        return [f"{head} {first}"] + [" " * (indent + 2) + line if line else "" for line in rest]
    if _inline(value):
        text = value.text if isinstance(value, S) else _flow(value)
        return [f"{head} {text}"]
    assert isinstance(value, (M, L))
    anchor = f" &{value.anchor}" if value.anchor else ""
    comment = f"  # {value.comment}" if isinstance(value, M) and value.comment else ""
    child = indent + 2 if isinstance(value, M) or wide else indent
    return [f"{head}{anchor}{comment}"] + render_block(value, child, wide)


# --- scalars -----------------------------------------------------------------

#: Plain scalars a YAML 1.1 loader would retype (or that look like syntax).
TRICKY_PLAIN = ["on", "off", "yes", "no", "y", "n", "0755", "1:30", "1.10", "~", "null", "true", "False",
                "0x1F", ".inf", "-.nan", "2001-12-14", "12e3", "+1", "-1", "0o17", "1_000", "=", "<<",
                "a b", "x#y", "é✓", "100m", "0.5Gi", "http://x:80/y"]
_FLOW_UNSAFE = {"1:30", "x#y", "http://x:80/y", "<<", "="}


_WORDS = ["alpha", "web", "x", "nginx", "v1", "port", "a.b", "z-9"]
_LINES = ["block", "two words", "key: value", "# not a comment", "'quoted'", '"dq"', "x:y"]


def _quoted(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid YAML double-quoted scalar


def _single(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


safe_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, blacklist_categories=("Cs", "Cc")),
    max_size=12,
)


@st.composite
def scalars(draw: Any) -> S:
    kind = draw(st.sampled_from(["plain", "tricky", "double", "single", "block", "number"]))
    if kind == "plain":
        return S(draw(st.sampled_from(_WORDS)) + draw(st.sampled_from(["", "-1", ".x", "0"])))
    if kind == "tricky":
        word = draw(st.sampled_from(TRICKY_PLAIN))
        return S(word, word not in _FLOW_UNSAFE)
    if kind == "double":
        return S(_quoted(draw(safe_text)))
    if kind == "single":
        return S(_single(draw(safe_text)))
    if kind == "number":
        return S(str(draw(st.integers(-(2**40), 2**40))))
    lines = draw(st.lists(st.sampled_from(_LINES), min_size=1, max_size=3))
    chomp = draw(st.sampled_from(["|", "|-", "|+", ">", ">-"]))
    return S(chomp + "\n" + "\n".join(lines) + ("\n" if chomp.endswith("+") else ""), flow_safe=False)


def _flow_ok(node: Node) -> bool:
    if isinstance(node, S):
        return node.flow_safe and "\n" not in node.text
    if isinstance(node, M):
        return all(_flow_ok(v) for _, v in node.pairs)
    if isinstance(node, L):
        return all(_flow_ok(i) for i in node.items)
    return True


keys = st.sampled_from(["a", "b", "key", "x.y", "K_1", "on", "no", "image", "name", "spec", "data"])


@st.composite
def free_trees(draw: Any, depth: int = 2) -> Node:
    """Arbitrary data (labels aside): ConfigMap data, container args, env..."""
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(scalars())
    if draw(st.booleans()):
        ks = draw(st.lists(keys, min_size=0, max_size=4, unique=True))
        node: Node = M([(k, draw(free_trees(depth - 1))) for k in ks])
    else:
        node = L(draw(st.lists(free_trees(depth - 1), max_size=3)))
    if _flow_ok(node) and draw(st.integers(0, 3)) == 0:
        node.flow = True  # type: ignore[union-attr]
    return node


# --- resources ---------------------------------------------------------------

WORKLOADS = [
    ("v1", "Pod"), ("v1", "ReplicationController"), ("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"), ("apps/v1", "ReplicaSet"), ("extensions/v1beta1", "Deployment"),
    ("batch/v1", "Job"), ("batch/v1", "CronJob"), ("apps.openshift.io/v1", "DeploymentConfig"),
    ("argoproj.io/v1alpha1", "Rollout"),
]
OTHERS = [("v1", "Service"), ("v1", "ConfigMap"), ("v1", "Secret"), ("example.com/v1", "Deployment"),
          ("rbac.authorization.k8s.io/v1", "Role"), ("v1", "Namespace")]
NAMESPACES = ["default", "shop", "kube-system", "istio-system", "web"]


@dataclass
class Item:
    api_version: str
    kind: str
    name: str
    text: str  # the item's lines as they appear in the ResourceList (after "- ")
    workload: bool


@dataclass
class Case:
    text: str
    items: list[Item] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)  # each item's exact text in ``text``


def _annotations(draw: Any, index: int) -> list[tuple[str, Node]]:
    pairs: list[tuple[str, Node]] = []
    if draw(st.booleans()):
        pairs.append(("config.kubernetes.io/index", S(_quoted(str(index)))))
        pairs.append(("internal.config.kubernetes.io/path", S(_single(f"dir/f{index}.yaml"))))
    if draw(st.integers(0, 3)) == 0:
        pairs.append(("config.kubernetes.io/path", S(f"f{index}.yaml")))
        pairs.append(("internal.config.kubernetes.io/index", S(_single("0"))))
    if draw(st.integers(0, 3)) == 0:
        value = draw(st.sampled_from(['"true"', '"false"', "'yes'", '"off"', '"maybe"', '""']))
        pairs.append(("sidecar.istio.io/inject", S(value)))
    if draw(st.integers(0, 5)) == 0:
        pairs.append(("example.com/note", draw(scalars())))
    return pairs


@st.composite
def containers(draw: Any, prefix: str) -> L:
    out: list[Node] = []
    for i in range(draw(st.integers(1, 3))):
        pairs: list[tuple[str, Node]] = [("name", S(f"{prefix}{i}")), ("image", S(_quoted(f"img{i}:1.10")))]
        if draw(st.booleans()):
            pairs.append(("args", L([draw(scalars()) for _ in range(draw(st.integers(0, 3)))])))
        if draw(st.integers(0, 2)) == 0:
            pairs.append(("ports", L([M([("containerPort", S(str(draw(st.integers(1, 65535)))))])])))
        if draw(st.integers(0, 3)) == 0:
            pairs.append(("env", L([M([("name", S("FLAG")), ("value", draw(scalars()))])])))
        c = M(pairs)
        if _flow_ok(c) and draw(st.integers(0, 5)) == 0:
            c.flow = True
        out.append(c)
    seq = L(out)
    if _flow_ok(seq) and draw(st.integers(0, 6)) == 0:
        seq.flow = True
    return seq


@st.composite
def pod_template(draw: Any, index: int) -> tuple[M, M]:
    """(template metadata, template spec)."""
    meta_pairs: list[tuple[str, Node]] = []
    labels = M([("app", S(f"app{index}"))], anchor=f"l{index}" if draw(st.booleans()) else None)
    meta_pairs.append(("labels", labels))
    if draw(st.booleans()):
        meta_pairs.append(("annotations", M(_annotations(draw, index) or [("a", S("b"))])))
    spec_pairs: list[tuple[str, Node]] = [("containers", draw(containers("c")))]
    if draw(st.integers(0, 3)) == 0:
        spec_pairs.append(("initContainers", draw(containers("i"))))
    if draw(st.integers(0, 3)) == 0:
        spec_pairs.append(("volumes", L([M([("name", S("data")), ("emptyDir", M([], flow=True))])])))
    if draw(st.integers(0, 6)) == 0:
        spec_pairs.append(("hostNetwork", S(draw(st.sampled_from(["true", "false"])))))
    if draw(st.integers(0, 3)) == 0:
        spec_pairs.append(("serviceAccountName", S("sa")))
    spec = M(spec_pairs)
    if _flow_ok(spec) and draw(st.integers(0, 8)) == 0:
        spec.flow = True
    return M(meta_pairs), spec


def _with_path(spec_pairs: list[tuple[str, Node]], path: tuple[str, ...], template: M) -> None:
    """Put ``template`` at ``path`` under spec (``path`` starts after ``spec``)."""
    if not path:
        spec_pairs.extend(template.pairs)
        return
    inner: list[tuple[str, Node]] = []
    if path[0] == "template":
        spec_pairs.append(("replicas", S("1")))
    spec_pairs.append((path[0], M(inner)))
    _with_path(inner, path[1:], template)


_PATHS = {"Pod": (), "CronJob": ("jobTemplate", "spec", "template")}


@st.composite
def items(draw: Any, index: int, wide: bool) -> Item:
    workload = draw(st.integers(0, 2)) > 0
    api_version, kind = draw(st.sampled_from(WORKLOADS if workload else OTHERS))
    name = f"r{index}"
    meta: list[tuple[str, Node]] = [("name", S(name))]
    if draw(st.booleans()):
        meta.append(("namespace", S(draw(st.sampled_from(NAMESPACES)))))
    ann = _annotations(draw, index)
    if ann:
        meta.append(("annotations", M(ann)))
    if kind == "Namespace" and draw(st.booleans()):
        meta.append(("labels", M([("istio-injection", S(draw(st.sampled_from(["enabled", "disabled"]))))])))
    pairs: list[tuple[str, Node]] = [("apiVersion", S(api_version)), ("kind", S(kind)),
                                     ("metadata", M(meta, comment="meta" if draw(st.booleans()) else None))]
    if workload:
        tmeta, tspec = draw(pod_template(index))
        if kind == "Pod":
            pairs[2][1].pairs.extend(p for p in tmeta.pairs if p[0] != "labels")  # type: ignore[union-attr]
            pairs.append(("spec", tspec))
        else:
            spec_pairs: list[tuple[str, Node]] = []
            path = _PATHS.get(kind, ("template",))
            _with_path(spec_pairs, path, M([("metadata", tmeta), ("spec", tspec)]))
            if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet") and tmeta.pairs[0][1].anchor:
                spec_pairs.append(("selector", M([("matchLabels", A(tmeta.pairs[0][1].anchor))])))  # type: ignore[union-attr]
            pairs.append(("spec", M(spec_pairs)))
    elif kind in ("ConfigMap", "Secret"):
        data = draw(free_trees(2))
        pairs.append(("data", data if isinstance(data, M) else M([("k", data)])))
    elif kind == "Service":
        pairs.append(("spec", M([("ports", L([M([("port", S("80")), ("targetPort", draw(scalars()))])]))])))
    else:
        pairs.append(("extra", draw(free_trees(2))))
    item = M(pairs)
    if _flow_ok(item) and draw(st.integers(0, 8)) == 0:
        text = _flow(item)
    else:
        lines = render_block(item, 0, wide)
        tops = [i for i, line in enumerate(lines) if i and line[:1] not in ("", " ")]  # not in a block scalar
        if tops and draw(st.integers(0, 4)) == 0:
            lines.insert(draw(st.sampled_from(tops)), "# a comment line")
        text = "\n".join(lines)
    return Item(api_version, kind, name, text, workload and (api_version, kind) in WORKLOADS)


def _item_lines(text: str, wide: bool) -> str:
    """An item's text placed under ``items:`` (compact or wide sequence)."""
    base = "  " if wide else ""
    lines = text.split("\n")
    out = [f"{base}- {lines[0]}"]
    out.extend(f"{base}  {line}" if line and not line.startswith("#") else line for line in lines[1:])
    return "\n".join(out)


@st.composite
def function_configs(draw: Any) -> str:
    """functionConfig as block YAML at the top level ('' for none)."""
    kind = draw(st.sampled_from(["none", "flat", "typed", "seed", "broken"]))
    policy = draw(st.sampled_from(["enabled", "disabled", "off", '"enabled"']))
    if kind == "none":
        return ""
    if kind == "flat":
        data = [f"    policy: {policy}"]
        if draw(st.booleans()):
            data.append(f"    namespaces: {_quoted(draw(st.sampled_from(['shop,web', '', 'default'])))}")
        if draw(st.booleans()):
            data.append(f"    proxyImage: {_quoted('reg/proxy:1.10')}")
        if draw(st.booleans()):
            data.append(f"    enableCoreDump: {_quoted(draw(st.sampled_from(['true', 'false'])))}")
        return "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: fc\n  data:\n" + "\n".join(data)
    if kind == "typed":
        body = [f"  policy: {policy}"]
        if draw(st.booleans()):
            body.append("  namespaces: [shop, default]")
        if draw(st.booleans()):
            body.append("  params:\n    tag: 1.10\n    debugMode: true")
        return ("functionConfig:\n  apiVersion: krmfn.dev/v1alpha1\n  kind: SidecarInjector\n  metadata:\n"
                "    name: fc\n" + "\n".join(body))
    if kind == "seed":
        return ("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: istio-inject\n"
                f"  data:\n    config: |-\n      policy: {policy}\n      params:\n        verbosity: 3")
    bad = draw(st.sampled_from([
        "  apiVersion: v1\n  kind: ConfigMap\n  data:\n    policy: sometimes",
        "  apiVersion: krmfn.dev/v1alpha1\n  kind: SidecarInjector\n  bogus: 1",
        "  apiVersion: krmfn.dev/v1alpha1\n  kind: SidecarInjector\n  params:\n    verbosity: loud",
        "  apiVersion: v1\n  kind: ConfigMap\n  data:\n    config: '[unclosed'",
        "  apiVersion: example.com/v1\n  kind: Other",
        "  [1, 2]",
    ]))
    return "functionConfig:\n" + bad


@st.composite
def resource_lists(draw: Any, max_items: int = 6) -> Case:
    wide = draw(st.booleans())
    n = draw(st.integers(0, max_items))
    generated = [draw(items(i, wide)) for i in range(n)]
    head = draw(st.sampled_from(["", "# generated\n", "---\n"]))
    version = draw(st.sampled_from(["config.kubernetes.io/v1", "config.kubernetes.io/v1alpha1"]))
    parts = [f"{head}apiVersion: {version}\nkind: ResourceList"]
    blocks = [_item_lines(i.text, wide) for i in generated]
    if generated:
        parts.append("items:\n" + "\n".join(blocks))
    else:
        parts.append("items: []")
    fc = draw(function_configs())
    if fc:
        at = draw(st.sampled_from([1, len(parts)]))
        parts.insert(at, fc)
    text = "\n".join(parts) + "\n"
    return Case(text, generated, blocks)


# --- hostile bytes -----------------------------------------------------------


_SNIPPETS = [b"&a ", b"*a", b"[", b"{", b"- ", b": ", b"\n", b"\t", b"'", b'"', b"!!python/object:os.system ",
             b"<<: *a\n", b"\xff", b"#", b"---\n", b"\r\n", b"  ", b"!!binary ", b"%YAML 1.1\n", b"? ", b"|\n",
             b"\xc3", b"\x00", b"~", b",", b"}", b"]", b"items:\n", b"kind: ResourceList\n"]


def mutate(data: bytes, rnd: random.Random) -> bytes:
    """``data`` damaged by one to four random edits (cut, overwrite, insert, duplicate, delete)."""
    out = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        if not out:
            break
        at = rnd.randrange(len(out))
        op = rnd.randrange(5)
        if op == 0:
            del out[at:]
        elif op == 1:
            out[at] = rnd.randrange(256)
        elif op == 2:
            out[at:at] = rnd.choice(_SNIPPETS)
        elif op == 3:
            out[at:at] = out[at : at + rnd.randint(1, 80)]
        else:
            del out[at : at + rnd.randint(1, 20)]
    return bytes(out)


@st.composite
def mutated(draw: Any) -> bytes:
    """A generated ResourceList, then damaged."""
    text = draw(resource_lists(max_items=4)).text.encode("utf-8")
    return mutate(text, draw(st.randoms(use_true_random=False)))


@st.composite
def streams(draw: Any) -> tuple[str, list[Item]]:
    """A multi-document stream of the same items (exec plugin / krmfn inject input)."""
    wide = draw(st.booleans())
    generated = [draw(items(i, wide)) for i in range(draw(st.integers(0, 4)))]
    return "---\n".join(i.text + "\n" for i in generated), generated


# --- the same items below and above the size thresholds ----------------------

#: Items the fast read must judge as the general path does: a duplicate key in an item krmfn passes
#: through, kpt's multi-line single-quoted scalar (closing quote at column 0), a quoted scalar whose
#: continuation line looks like an entry, a flow-style item, a comment between items, an empty entry.
QUIRKS = [
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\ndata:\n  a: '1'\n  a: '2'",
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: dup2\n  name: again\nspec:\n  ports:\n  - port: 80",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kpt-quote\ndata:\n  app.properties: 'a=1\n\n    b=2\n\n'",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cut\ndata:\n  k: 'one\n- two'",
    "{apiVersion: v1, kind: ConfigMap, metadata: {name: flow}, data: {a: b}}",
    "{apiVersion: v1, kind: ConfigMap, metadata: {name: flowdup}, data: {a: b, a: c}}",
    "{apiVersion: v1, kind: Pod, metadata: {name: flowpod}, spec: {containers: [{name: a, image: a}]}}",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: duppod\n  name: again\nspec:\n  containers:\n  - name: a\n    image: a",
]


def _quirk_lines(text: str, wide: bool) -> str:
    """A quirk item under ``items:``; a line at column 0 (a closing quote) stays there."""
    base = "  " if wide else ""
    lines = text.split("\n")
    out = [f"{base}- {lines[0]}"]
    out.extend(line if line.startswith("'") else f"{base}  {line}" for line in lines[1:])
    return "\n".join(out)


def filler(index: int, wide: bool) -> str:
    """A plain ConfigMap (about 1 KB) that every path passes through untouched."""
    body = "".join(f"\n  key{k}: value {k} of filler {index}" for k in range(30))
    return _item_lines(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: filler-{index}\ndata:{body}", wide)


@dataclass
class Sized:
    small: str  # the items, under 32 KiB
    big: str  # the same text with filler items after them, over 32 KiB
    fillers: int
    mutated: bool
    wide: bool  # the items' sequence indented under ``items:``


@st.composite
def sized(draw: Any, max_items: int = 5) -> Sized:
    """Generated items and quirks in a ResourceList, small; the same followed by filler items, big.
    Sometimes the small text is damaged (:func:`mutate`) before the filler goes after it."""
    wide = draw(st.booleans())
    blocks = [_item_lines(draw(items(i, wide)).text, wide) for i in range(draw(st.integers(0, max_items)))]
    for q in draw(st.lists(st.sampled_from(QUIRKS), max_size=3)):
        blocks.insert(draw(st.integers(0, len(blocks))), _quirk_lines(q, wide))
    if blocks and draw(st.booleans()):
        blocks.insert(draw(st.integers(0, len(blocks) - 1)), "# a comment between items")
    fc = draw(function_configs())
    small = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n" + (fc + "\n" if fc else "")
    small += "items:\n" + "".join(b + "\n" for b in blocks)
    mutated = draw(st.integers(0, 3)) == 0
    if mutated:
        small = mutate(small.encode(), draw(st.randoms(use_true_random=False))).decode("utf-8", "replace")
        if not small.endswith("\n"):
            small += "\n"
    fillers = 40
    big = small + "".join(filler(k, wide) + "\n" for k in range(fillers))
    return Sized(small, big, fillers, mutated, wide)
