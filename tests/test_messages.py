"""The result catalog (krmfn/messages.py): each result defined once; docs made from it; results carry their code."""

from __future__ import annotations

import ast
import re
import string

from helpers import DEPLOYMENT, REPO, resource_list, run_text

from krmfn import messages
from krmfn.docs import RESULTS_BEGIN, messages_page, reference
from krmfn.hints import located

CODE = re.compile(r"^[a-z]+\.[a-z]+(-[a-z]+)*$")


def test_codes_are_unique_stable_identifiers_and_every_message_is_listed() -> None:
    codes = [m.code for m in messages.CATALOG]
    assert len(codes) == len(set(codes)) == len(messages.BY_CODE)
    assert all(CODE.match(c) for c in codes), [c for c in codes if not CODE.match(c)]
    defined = [v for v in vars(messages).values() if isinstance(v, messages.Message)]
    assert sorted(m.code for m in defined) == sorted(codes)  # none defined and left out of CATALOG
    for m in messages.CATALOG:
        assert m.severity in ("info", "warning", "error"), m
        assert m.doc and "\n" not in m.doc, m
        if m.reason is not None:  # a skip: its text is the policy's reason after "skipped: "
            assert m.template == messages.SKIPPED + m.reason


def test_text_fills_the_fields_the_template_names() -> None:
    for m in messages.CATALOG:
        names = {f for _, f, _, _ in string.Formatter().parse(m.template) if f}
        text = m.text(**{n: f"<{n}>" for n in names}) if names else m.text()
        assert "{" not in text, m
        r = m.result({"kind": "Deployment"}, "spec", None, **{n: 1 for n in names})
        assert (r.code, r.severity, r.fields or {}) == (m.code, m.severity, {n: 1 for n in names})
        assert "code" not in r.to_data()  # the codes stay inside krmfn: the KRM result is unchanged


def test_no_result_is_made_outside_the_catalog() -> None:
    """Every ``Result(...)`` in krmfn is made by messages.Message.result (or copied with replace)."""
    makers = []
    for path in sorted((REPO / "krmfn").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "Result" not in text:
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Result":
                makers.append(path.relative_to(REPO).as_posix())
    assert makers == ["krmfn/messages.py"]


def test_the_results_tables_are_made_from_the_catalog() -> None:
    page = (REPO / "docs" / "messages.md").read_text(encoding="utf-8")
    assert page == messages_page(page), "docs/messages.md is stale: run `make docs`"
    ref = reference()
    for m in messages.CATALOG:
        assert f"`{m.code}`" in page.split(RESULTS_BEGIN, 1)[1] and f"`{m.code}`" in ref


def test_results_of_a_run_carry_their_code_and_fields() -> None:
    skipped = {**DEPLOYMENT, "metadata": {**DEPLOYMENT["metadata"], "namespace": "kube-system"}}
    out = run_text(resource_list([DEPLOYMENT, skipped, "not a mapping"]))
    codes = [(r.code, r.fields) for r in out.results]
    assert codes == [
        ("inject.injected", {"template": "istio", "containers": "1 container", "init_containers": "1 init container",
                             "volumes": "9 volumes"}),
        ("inject.skipped-ignored-namespace", {"namespace": "kube-system"}),
        ("item.not-mapping", {"index": 2}),
    ], codes
    assert [r.message for r in out.results] == [
        "injected (template istio, 1 container, 1 init container, 9 volumes)",
        "skipped: ignored namespace kube-system",
        "item 2 is not a mapping; left unchanged",
    ]
    # The CLI names the document from the fields, not from the text.
    assert located("a.yaml", out.results[2]) == "a.yaml: document 3 is not a mapping; left unchanged"
