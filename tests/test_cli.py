"""The command line: the only place with argv, streams and exit codes."""

from __future__ import annotations

import io
import subprocess

import pytest
from helpers import REPO, load, resource_list, run_cli

from krmfn import __version__
from krmfn.cli import main
from krmfn.config import FIELDS
from krmfn.docs import reference, reference_page

DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
}


def call(args: list[str], data: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(args, io.BytesIO(data), out, err)
    return code, out.getvalue(), err.getvalue()


def test_help_fits_on_a_screen_and_help_config_documents_every_field() -> None:
    code, out, _ = call(["--help"])
    assert code == 0 and "Usage:" in out and "Exit codes" in out and "krmfn help config" in out
    assert len(out.splitlines()) < 60 and max(len(line) for line in out.splitlines()) <= 100
    assert call(["-h"]) == call(["help"]) == (0, out, "")
    code, out, _ = call(["help", "config"])
    assert code == 0
    for f in FIELDS:
        assert f"`{f.name}`" in out
    assert "Exit codes" in out
    assert call(["help", "nothing"])[0] == 2


def test_version_names_the_chart_commit_the_template_follows() -> None:
    from krmfn.istio.defaults import CHART_COMMIT, ISTIO_RELEASE

    code, out, err = call(["--version"])
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"krmfn {__version__}"
    assert f"chart commit {CHART_COMMIT[:7]} (1.32 development)" in out and f"image tag {ISTIO_RELEASE}" in out


def test_unknown_argument_is_a_usage_error() -> None:
    code, out, err = call(["--frobnicate"])
    assert code == 2 and out == "" and "--help" in err


def test_function_mode_round_trip() -> None:
    code, out, err = call([], resource_list([DEPLOY]).encode())
    assert code == 0 and err == ""
    assert load(out)["items"][0]["spec"]["template"]["spec"]["containers"][1]["name"] == "istio-proxy"


@pytest.mark.parametrize("data,words", [
    (b"", "empty"),
    (b"\xff\xfe\xfa not utf", "UTF"),
    (b"\x80abc", "not valid UTF-8"),
    (b"items: [\n", "not valid YAML"),
    (b"- 1\n", "list"),
    (b"kind: Pod\n", "ResourceList"),
])
def test_unreadable_input_exits_1_with_one_line(data: bytes, words: str) -> None:
    code, out, err = call([], data)
    assert code == 1 and out == ""
    assert err.startswith("krmfn: error: ") and words in err and err.count("\n") == 1


def test_error_results_are_echoed_on_stderr() -> None:
    bad = dict(DEPLOY, spec={"template": None})
    code, out, err = call([], resource_list([bad, DEPLOY]).encode())
    assert code == 1
    assert "[error] apps/v1/Deployment/shop/web: malformed workload" in err
    assert len(load(out)["items"]) == 2


@pytest.mark.e2e
def test_python_dash_m_and_no_traceback() -> None:
    p = run_cli([], b"{{{{")
    assert p.returncode == 1 and b"Traceback" not in p.stderr and p.stderr.startswith(b"krmfn: error:")
    p = run_cli(["--version"])
    assert p.returncode == 0 and p.stdout.decode().splitlines()[0] == f"krmfn {__version__}"


@pytest.mark.e2e
def test_console_script_is_installed() -> None:
    p = subprocess.run(["krmfn", "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and __version__ in p.stdout


def test_docs_reference_is_the_help_text() -> None:
    page = (REPO / "docs" / "reference.md").read_text(encoding="utf-8")
    assert page == reference_page(), "docs/reference.md is stale: run `make docs`"
    assert reference().split("\n", 1)[1] in page
