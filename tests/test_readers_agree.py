"""Whatever krmfn writes, every Kubernetes YAML reader reads the same data.

Three readers: PyYAML (YAML 1.1; Kubernetes' Python clients), ruamel.yaml in
YAML 1.2 mode (the core schema kyaml, kpt and kustomize follow) and a go-yaml
v2 stand-in (PyYAML with go-yaml v2's implicit types: ``y``/``n`` and the rest
of its bools, ``0o`` octals, signed hexadecimals... what kubectl reads with).
Every output of the conformance and fidelity inputs -- ``krmfn inject -i``
over copies of the reference suites' manifests and of tests/testdata, then
``uninject -i`` -- is read by all three; where they disagree on a value, the
input must have disagreed there already (what the user wrote is theirs).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import CONFORMANCE, REPO, _Loader, run_cli

ruamel = pytest.importorskip("ruamel.yaml")
pytestmark = [pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning"), pytest.mark.e2e]

TESTDATA = REPO / "tests" / "testdata"
SUITES = [CONFORMANCE / "istio-modern" / "testdata", CONFORMANCE / "istio-legacy-0.2" / "testdata"]


#: YAML 1.1 (PyYAML), accepting a redefined anchor as the other readers do.
_PyYAML = _Loader


class _GoYamlV2(_PyYAML):
    """PyYAML resolving plain scalars as go-yaml v2 does (resolve.go): its words, Go's integer syntax
    after dropping underscores, its float pattern and dates; no sexagesimals, no ``=``."""


_GoYamlV2.yaml_implicit_resolvers = {}
for _tag, _regex, _first in [
    ("bool", r"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF", "yYnNtTfFoO"),
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("float", r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)", "-+."),
    ("merge", r"<<", "<"),
    ("timestamp", next(r.pattern for t, r in _PyYAML.yaml_implicit_resolvers["2"] if t.endswith("timestamp")),
     "0123456789"),
    ("int", r"[-+]?_*(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)", "-+0123456789"),
    ("float", r"[-+]?_*(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?", "-+.0123456789"),
]:
    _GoYamlV2.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(f"^(?:{_regex})$", re.X), list(_first))


def _go_bool(loader: Any, node: Any) -> bool:
    return node.value.lower() in ("y", "yes", "on", "true")


def _go_int(loader: Any, node: Any) -> int:
    s = node.value.replace("_", "")
    sign = -1 if s.startswith("-") else 1
    s = s.lstrip("+-")
    base = {"0x": 16, "0o": 8, "0b": 2}.get(s[:2].lower())
    if base:
        return sign * int(s[2:], base)
    return sign * int(s, 8 if len(s) > 1 and s.startswith("0") and s.isdigit() and "8" not in s and "9" not in s
                      else 10)


_GoYamlV2.add_constructor("tag:yaml.org,2002:bool", _go_bool)
_GoYamlV2.add_constructor("tag:yaml.org,2002:int", _go_int)
_GoYamlV2.add_constructor("tag:yaml.org,2002:float", lambda loader, node: _go_float(node.value))


def _go_float(s: str) -> float:
    low = s.lower()
    if low.endswith((".inf", ".nan")):
        return float(low.replace(".", ""))
    return float(s.replace("_", ""))


def _ruamel_12() -> Any:
    y = ruamel.YAML(typ="safe", pure=True)
    y.version = (1, 2)
    y.allow_duplicate_keys = True
    return y


def read_all(text: str) -> dict[str, list[Any]]:
    """Each reader's documents of ``text``."""
    return {
        "yaml-1.1": list(yaml.load_all(text, Loader=_PyYAML)),
        "yaml-1.2": list(_ruamel_12().load_all(text)),
        "go-yaml-v2": list(yaml.load_all(text, Loader=_GoYamlV2)),
    }


def _flat(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(v, f"{path}/{k}", out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flat(v, f"{path}/{i}", out)
    else:
        out[path] = (type(value).__name__, str(value))


def disagreements(text: str) -> set[str]:
    """``doc N/path`` of every value the readers read differently (type or value)."""
    readers = read_all(text)
    counts = {name: len(docs) for name, docs in readers.items()}
    assert len(set(counts.values())) == 1, counts
    out: set[str] = set()
    for n in range(next(iter(counts.values()))):
        flats = []
        for docs in readers.values():
            f: dict[str, Any] = {}
            _flat(docs[n], f"doc {n}", f)
            flats.append(f)
        keys = set().union(*flats)
        out |= {k for k in keys if len({repr(f.get(k)) for f in flats}) > 1}
    return out


def _check_tree(before: Path, after: Path) -> int:
    """Every file under ``after`` against its original under ``before``; the number of files checked."""
    n = 0
    for new in sorted(after.rglob("*")):
        if not new.is_file() or not new.name.endswith((".yaml", ".yml", ".json")):
            continue
        old = before / new.relative_to(after)
        try:
            was = disagreements(old.read_text(encoding="utf-8"))
        except (yaml.YAMLError, ruamel.YAMLError, AssertionError):
            continue  # input the readers do not even parse alike: nothing to hold the output to
        now = disagreements(new.read_text(encoding="utf-8"))
        assert now <= was, f"{new.name}: readers disagree on {sorted(now - was)[:5]}"
        n += 1
    return n


def _suites() -> list[Path]:
    return [s for s in SUITES if s.is_dir()]


@pytest.mark.conformance
@pytest.mark.slow
@pytest.mark.parametrize("suite", _suites(), ids=lambda p: p.parent.name)
def test_conformance_outputs_read_alike(suite: Path, tmp_path: Path) -> None:
    work = tmp_path / "w"
    shutil.copytree(suite, work, ignore=shutil.ignore_patterns("*.injected", "*.iop.yaml"))
    for f in [work, *work.rglob("*")]:
        f.chmod(0o755 if f.is_dir() else 0o644)  # the reference data is read-only
    p = run_cli(["inject", "-i", str(work)], timeout=600)
    assert b"Traceback" not in p.stderr
    assert any(f.read_bytes() != (suite / f.relative_to(work)).read_bytes() for f in work.rglob("*.yaml"))
    assert _check_tree(suite, work) > 10
    p = run_cli(["uninject", "-i", str(work)], timeout=600)
    assert b"Traceback" not in p.stderr
    _check_tree(suite, work)
    # the joined stream (what `krmfn inject DIR` prints) reads alike too
    joined = run_cli(["inject", str(suite)], timeout=600).stdout.decode()
    read_all(joined)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(p.name for p in TESTDATA.iterdir() if (p / "input.yaml").is_file()))
def test_fidelity_outputs_read_alike(case: str, tmp_path: Path) -> None:
    d = TESTDATA / case
    shutil.copy(d / "input.yaml", tmp_path / "input.yaml")
    (tmp_path / "input.yaml").chmod(0o644)
    args = ["inject", "-i"] + (["-c", str(d / "config.yaml")] if (d / "config.yaml").exists() else [])
    p = run_cli([*args, str(tmp_path / "input.yaml")], timeout=120)
    assert b"Traceback" not in p.stderr
    assert _check_tree(d, tmp_path) == 1
    # the golden ResourceList (what function mode writes, kept equal to it by test_golden)
    assert not disagreements((d / "expected.yaml").read_text(encoding="utf-8")) - _input_disagreements(d)


def _input_disagreements(d: Path) -> set[str]:
    """The input documents' disagreements, named as items of the ResourceList."""
    try:
        paths = disagreements((d / "input.yaml").read_text(encoding="utf-8"))
    except (yaml.YAMLError, ruamel.YAMLError, AssertionError):
        return set()
    return {re.sub(r"^doc (\d+)", r"doc 0/items/\1", p) for p in paths}


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: "on"
  namespace: "y"
  labels:
    app: "y"
    version: "0o17"
  annotations:
    proxy.istio.io/config: "{}"
spec:
  containers:
  - name: "n"
    image: nginx
    env:
    - name: FLAG
      value: "Y"
"""


@pytest.mark.slow
@pytest.mark.parametrize("word", ["y", "Y", "n", "N", "yes", "No", "ON", "off", "~", "null", "1:20", "0777",
                                  "0o17", "+0x1F", ".inf", "<<", "=", "1_000", "2024-01-02", "1e3"])
def test_values_krmfn_copies_are_quoted_for_every_reader(word: str) -> None:
    """The workload's label value becomes service.istio.io/canonical-name: written by krmfn, read as a string."""
    pod = POD.replace('app: "y"', f"app: {json.dumps(word)}")
    p = run_cli(["inject", "-"], pod.encode())
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    names = {name: docs[0]["metadata"]["labels"]["service.istio.io/canonical-name"]
             for name, docs in read_all(out).items()}
    assert len(set(names.values())) == 1 and all(isinstance(v, str) for v in names.values()), names
    if word[0].isalnum():  # (a label value starts with a letter or digit: krmfn drops what comes before)
        assert names["go-yaml-v2"] == word
    assert not disagreements(out)


def test_streams_with_directives_join_into_a_valid_stream(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(POD)
    (tmp_path / "b.yaml").write_text("%YAML 1.1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n")
    (tmp_path / "c.yaml").write_text("# c\n--- \napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    (tmp_path / "d.yaml").write_text("%TAG !k! tag:k8s.io,2024:\n---\napiVersion: v1\nkind: ConfigMap\n"
                                     "metadata:\n  name: d\n...\n")
    p = run_cli(["inject", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), str(tmp_path / "c.yaml"),
                 str(tmp_path / "d.yaml"), str(tmp_path / "b.yaml")])
    assert p.returncode == 0, p.stderr
    for name, docs in read_all(p.stdout.decode()).items():
        assert [d["metadata"]["name"] for d in docs] == ["on", "b", "c", "d", "b"], name
