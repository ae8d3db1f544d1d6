"""docs/architecture.md's "where to add", done: each extension is one module (here a function or class of
the test) plus one table row (patched in for the test), and it works through the pipeline (``function.run``).

If one of these needs a second edit somewhere, the architecture page is wrong: fix the code or the page.
"""

from __future__ import annotations

import types

import pytest
from helpers import DEPLOYMENT, resource_list

from krmfn import function


def deployment(kind: str = "Deployment", api_version: str = "apps/v1") -> dict[str, object]:
    """helpers.DEPLOYMENT as another kind."""
    return {**DEPLOYMENT, "apiVersion": api_version, "kind": kind}


def test_add_a_config_form(monkeypatch: pytest.MonkeyPatch) -> None:
    """A form is a module with ``read(node) -> Config`` and a row of ``config.dispatch.FORMS``."""
    from krmfn.config import dispatch, model

    form = types.ModuleType("example_form")

    def read(node: object) -> model.Config:
        return model.build({"values": {"global": {"hub": "example.test/istio", "tag": "9.9.9"}}}, "example")

    form.read = read  # type: ignore[attr-defined]
    monkeypatch.setitem(dispatch.FORMS, ("example.dev/v1", "ExampleInjector"), ((None, form.read),))
    config = {"apiVersion": "example.dev/v1", "kind": "ExampleInjector", "metadata": {"name": "x"}}
    out = function.run(resource_list([DEPLOYMENT], config))
    assert out.exit_code == 0, [r.message for r in out.results]
    assert "image: example.test/istio/proxyv2:9.9.9" in out.output
    # without the row, the same functionConfig is refused
    monkeypatch.delitem(dispatch.FORMS, ("example.dev/v1", "ExampleInjector"))
    assert function.run(resource_list([DEPLOYMENT], config)).exit_code == 1


def test_add_a_result_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """A message is one ``Message`` in krmfn/messages.py, listed in ``CATALOG``: its result carries its code
    and fields, and the generated docs (``make docs``) list it."""
    from krmfn import docs, messages

    said = messages.Message("example.said-hello", "info", "hello {who}", "an example message of this test")
    monkeypatch.setattr(messages, "EXAMPLE_HELLO", said, raising=False)
    monkeypatch.setattr(messages, "CATALOG", (*messages.CATALOG, said))
    monkeypatch.setattr(docs, "CATALOG", messages.CATALOG)
    result = messages.EXAMPLE_HELLO.result({"kind": "Deployment", "name": "web"}, None, None, who="world")
    assert (result.message, result.severity, result.code) == ("hello world", "info", "example.said-hello")
    assert result.to_data()["message"] == "hello world"
    assert any("example.said-hello" in line and "an example message of this test" in line
               for line in docs.results_table())


def test_add_a_workload_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kind whose pod template sits at ``spec.template`` is one row of ``workloads.POD_PATHS``."""
    from krmfn import workloads

    text = resource_list([deployment("WebApp", "example.dev/v1")])
    before = function.run(text)
    assert before.output == text and before.results == []  # not a workload: passed through untouched
    monkeypatch.setitem(workloads.POD_PATHS, ("example.dev", "WebApp"), workloads.POD_PATHS[("apps", "Deployment")])
    out = function.run(text)
    assert out.exit_code == 0 and [r.code for r in out.results] == ["inject.injected"]
    assert "- name: istio-proxy" in out.output and "kind: WebApp" in out.output


def test_add_a_template(monkeypatch: pytest.MonkeyPatch) -> None:
    """A template is a module with a ``base.Template`` subclass and a row of ``templates.TABLE``; the
    config accepts the names of ``config.fields.TEMPLATES`` (kept equal to the table's keys by
    test_architecture: the config package cannot import the table, whose templates import the config)."""
    from krmfn import templates
    from krmfn.config import fields
    from krmfn.templates.base import Outcome, Target, Template

    class Annotate(Template):
        name = "annotate"

        def describe(self) -> str:
            return "marks the pod instead of injecting a sidecar"

        def inject(self, target: Target, cfg: object) -> Outcome:
            new = {**target.base, "metadata": {**target.base["metadata"], "annotations": {"example/marked": "yes"}}}
            return Outcome(new)

    monkeypatch.setitem(templates.TABLE, "annotate", Annotate)
    template_field = fields.BY_NAME["template"]
    patched = template_field.replace(enum=(*template_field.enum, "annotate"))
    monkeypatch.setitem(fields.BY_NAME, "template", patched)
    monkeypatch.setattr(fields, "FIELDS", tuple(patched if f is template_field else f for f in fields.FIELDS))
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"template": "annotate"}}
    out = function.run(resource_list([DEPLOYMENT], config))
    assert out.exit_code == 0, [r.message for r in out.results]
    assert "example/marked: \"yes\"" in out.output and "istio-proxy" not in out.output
    assert [r.message for r in out.results] == ["injected (template annotate, 0 containers, 0 init containers, 0 volumes)"]
