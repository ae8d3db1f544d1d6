"""Nothing lost, no traceback: in-place writes, odd files, and the process's edges (issue 12).

Through the executable unless the fault needs the fault-injecting file-system
layer (krmfn.files.layer), which is swapped in-process.
"""

from __future__ import annotations

import errno
import io
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO, run_cli

from krmfn import cli

try:
    from krmfn import files
except ImportError:  # the code before issue 12: the in-process fault tests fail, the others run
    files = None  # type: ignore[assignment]

APP = REPO / "kustomization-example" / "app"

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: app
        image: nginx
        ports:
        - containerPort: 1500
"""


def _krmfn(args: list[str], **kw: Any) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "krmfn", *args], capture_output=True, timeout=120, **kw)


def _tree(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def _no_traceback(p: Any) -> None:
    assert b"Traceback" not in p.stderr, p.stderr.decode(errors="replace")[-800:]
    lines = p.stderr.decode(errors="replace").splitlines()
    assert all(line.startswith(("krmfn:", "deployment/", "pod/")) for line in lines), lines


# --- in-place writes -----------------------------------------------------------------------------


@pytest.mark.e2e
def test_a_write_that_fails_midway_leaves_the_original_bytes(tmp_path: Path) -> None:
    """The file-size limit makes the write of the (longer) injected text fail part-way (EFBIG), as a full
    disk would: the original keeps every byte, the message names the file, exit 3."""
    f = tmp_path / "web.yaml"
    f.write_text(DEPLOY.format(name="web"))
    before = f.read_bytes()
    limit = len(before) + 512

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    p = _krmfn(["inject", "-i", str(f)], preexec_fn=small_files)
    assert p.returncode == 3, p.stderr
    assert f.read_bytes() == before
    assert str(f).encode() in p.stderr and b"unchanged" in p.stderr
    _no_traceback(p)
    assert [x.name for x in tmp_path.iterdir()] == ["web.yaml"]  # no temporary file left


@pytest.mark.e2e
def test_a_read_only_file_fails_the_run_before_anything_is_written(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yaml").write_text(DEPLOY.format(name=name))
    (tmp_path / "b.yaml").chmod(0o444)
    before = _tree(tmp_path)
    p = run_cli(["inject", "-i", str(tmp_path)])
    assert p.returncode == 3
    assert b"b.yaml" in p.stderr and b"read-only" in p.stderr and b"nothing written" in p.stderr
    _no_traceback(p)
    assert _tree(tmp_path) == before


@pytest.mark.e2e
def test_an_unreadable_file_fails_the_run_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(DEPLOY.format(name="a"))
    (tmp_path / "b.yaml").symlink_to(tmp_path / "gone.yaml")  # dangling: cannot be read
    p = run_cli(["inject", "-i", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")])
    assert p.returncode != 0 and b"b.yaml" in p.stderr
    _no_traceback(p)
    assert (tmp_path / "a.yaml").read_text() == DEPLOY.format(name="a")


@pytest.mark.e2e
def test_a_file_that_does_not_parse_fails_the_run_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(DEPLOY.format(name="a"))
    (tmp_path / "b.yaml").write_text("a: [\n")
    before = _tree(tmp_path)
    p = run_cli(["inject", "-i", str(tmp_path)])
    assert p.returncode == 1 and b"b.yaml" in p.stderr and b"nothing written" in p.stderr
    _no_traceback(p)
    assert _tree(tmp_path) == before


@pytest.mark.e2e
def test_links_out_of_the_tree_and_special_files_are_skipped_with_a_note(tmp_path: Path) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    tree.mkdir()
    outside.mkdir()
    (outside / "x.yaml").write_text(DEPLOY.format(name="x"))
    (tree / "a.yaml").write_text(DEPLOY.format(name="a"))
    (tree / "out.yaml").symlink_to(outside / "x.yaml")
    (tree / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(tree / "fifo.yaml")
    (tree / "in.yaml").symlink_to(tree / "a.yaml")  # inside: the same file, once
    p = run_cli(["inject", "-i", str(tree)], timeout=60)
    assert p.returncode == 0, p.stderr
    err = p.stderr.decode()
    assert "skipped" in err and "out.yaml" in err and "zero.yaml" in err and "fifo.yaml" in err
    assert (outside / "x.yaml").read_text() == DEPLOY.format(name="x")
    assert "istio-proxy" in (tree / "a.yaml").read_text()
    assert (tree / "in.yaml").is_symlink() and (tree / "out.yaml").is_symlink()
    assert err.count("deployment/a injected") == 1


@pytest.mark.e2e
def test_mode_is_kept(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text(DEPLOY.format(name="a"))
    f.chmod(0o640)
    assert run_cli(["inject", "-i", str(f)]).returncode == 0
    assert "istio-proxy" in f.read_text() and (f.stat().st_mode & 0o777) == 0o640


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize(
    "encoding,bom",
    [("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-8", b"")],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_encoding_bom_and_line_endings_are_kept(tmp_path: Path, encoding: str, bom: bytes, newline: str) -> None:
    f = tmp_path / "a.yaml"
    text = DEPLOY.format(name="ü").replace("\n", newline)
    f.write_bytes(bom + text.encode(encoding))
    p = run_cli(["inject", "-i", str(f)])
    assert p.returncode == 0, p.stderr
    data = f.read_bytes()
    assert data.startswith(bom) and (not bom or not data[len(bom):].startswith(bom))
    out = data[len(bom):].decode(encoding)
    assert "istio-proxy" in out and out.count("\n") == out.count(newline if newline == "\n" else "\r\n")
    assert yaml.safe_load(out)["spec"]["template"]["spec"]["containers"][1]["name"] == "istio-proxy"
    assert run_cli(["uninject", "-i", str(f)]).returncode == 0
    assert f.read_bytes() == bom + text.encode(encoding)


@pytest.mark.e2e
@pytest.mark.parametrize("indent", [None, 2, 4])
def test_a_json_file_stays_json(tmp_path: Path, indent: int | None) -> None:
    f = tmp_path / "a.json"
    doc = yaml.safe_load(DEPLOY.format(name="a"))
    doc["metadata"]["annotations"] = {"emoji": "\U0001f680"}  # json.dumps writes a surrogate pair
    f.write_text(json.dumps(doc, indent=indent) + "\n")
    p = run_cli(["inject", "-i", str(f)])
    assert p.returncode == 0, p.stderr
    text = f.read_text()
    out = json.loads(text)
    assert out["spec"]["template"]["spec"]["containers"][1]["name"] == "istio-proxy"
    assert out["metadata"]["annotations"]["emoji"] == "\U0001f680"
    assert text == json.dumps(out, indent=indent) + "\n"


# --- the fault-injecting layer (in-process) ------------------------------------------------------


class Faulty(files.OSLayer if files else object):  # type: ignore[misc]
    """Fails the ``at``-th call of ``call`` with ``fault`` (an OSError errno, or an exception to raise)."""

    def __init__(self, call: str, fault: Any, at: int = 1) -> None:
        self.call, self.fault, self.at, self.n = call, fault, at, 0

    def _maybe(self, call: str) -> None:
        if call == self.call:
            self.n += 1
            if self.n == self.at:
                if isinstance(self.fault, int):
                    raise OSError(self.fault, os.strerror(self.fault))
                raise self.fault

    def write(self, fd: int, data: bytes) -> int:
        self._maybe("write")
        return super().write(fd, bytes(data[: max(1, len(data) // 2)]))  # short writes, as a pipe or NFS may

    def fsync(self, fd: int) -> None:
        self._maybe("fsync")
        super().fsync(fd)

    def replace(self, src: str, dst: str) -> None:
        self._maybe("replace")
        super().replace(src, dst)


@pytest.mark.parametrize(
    "call,fault,code",
    [("write", errno.ENOSPC, 3), ("write", errno.EIO, 3), ("fsync", errno.EIO, 3), ("replace", errno.EXDEV, 3),
     ("write", KeyboardInterrupt(), None), ("write", MemoryError(), None)],
)
def test_faults_leave_old_or_new_bytes_and_no_temporary_file(tmp_path: Path, monkeypatch: Any, call: str,
                                                              fault: Any, code: int | None) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yaml").write_text(DEPLOY.format(name=name))
    before = _tree(tmp_path)
    monkeypatch.setattr(files, "layer", Faulty(call, fault, at=2))
    err = io.StringIO()
    if code is None:
        with pytest.raises(type(fault)):
            cli.main(["inject", "-i", str(tmp_path)], io.BytesIO(), io.StringIO(), err)
    else:
        assert cli.main(["inject", "-i", str(tmp_path)], io.BytesIO(), io.StringIO(), err) == code
        assert "cannot write" in err.getvalue() and "unchanged" in err.getvalue()
    after = _tree(tmp_path)
    assert sorted(after) == sorted(before)  # no temporary file left
    changed = [n for n in after if after[n] != before[n]]
    assert all("istio-proxy" in after[n].decode() for n in changed)
    assert len(changed) < 3


@pytest.mark.e2e
@pytest.mark.slow
def test_a_signal_during_in_place_writes_leaves_each_file_old_or_new(tmp_path: Path) -> None:
    """SIGTERM and SIGINT at different moments of a run over many files: each file is whole (old or new
    bytes), no temporary file stays behind, and the exit is 143/130 with one line, or 0."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(40):
        (src / f"d{i:02}.yaml").write_text("---\n".join(DEPLOY.format(name=f"w{i}-{j}") for j in range(40)))
    old = _tree(src)
    work = tmp_path / "work"
    work.mkdir()
    for name, data in old.items():
        (work / name).write_bytes(data)
    assert run_cli(["inject", "-i", str(work)], timeout=300).returncode == 0
    new = _tree(work)
    for k, delay in enumerate([0.3, 0.6, 0.9, 1.2, 1.6, 2.0]):
        for name, data in old.items():
            (work / name).write_bytes(data)
        sig = signal.SIGTERM if k % 2 == 0 else signal.SIGINT
        proc = subprocess.Popen([sys.executable, "-m", "krmfn", "inject", "-i", str(work)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, 128 + sig), err
        assert b"Traceback" not in err
        now = _tree(work)
        assert sorted(now) == sorted(old)
        assert all(now[n] in (old[n], new[n]) for n in now)


# --- the process's edges -------------------------------------------------------------------------


def _big_stream(n: int = 3000) -> bytes:
    return "---\n".join(DEPLOY.format(name=f"w{i}") for i in range(n)).encode()


@pytest.mark.e2e
@pytest.mark.slow
def test_broken_pipe_is_one_line_and_exit_141(tmp_path: Path) -> None:
    f = tmp_path / "big.yaml"
    f.write_bytes(_big_stream())
    with open(tmp_path / "err", "wb") as errfile:  # (a file: one line per workload would fill a pipe)
        proc = subprocess.Popen([sys.executable, "-m", "krmfn", "inject", str(f)], stdout=subprocess.PIPE,
                                stderr=errfile)
        assert proc.stdout is not None
        proc.stdout.readline()
        proc.stdout.close()  # as `| head -1` does
        proc.wait(timeout=120)
    err = (tmp_path / "err").read_bytes()
    assert proc.returncode == 141 and b"Traceback" not in err and b"Exception ignored" not in err
    assert err.decode().splitlines()[-1] == "krmfn: error: output closed early (broken pipe)"


@pytest.mark.e2e
@pytest.mark.parametrize("mode", ["inject", "function"])
def test_full_disk_on_stdout_is_one_line_and_exit_3(mode: str) -> None:
    args = ["inject", "-"] if mode == "inject" else []
    data = _big_stream(50) if mode == "inject" else (
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
        + "".join("- " + DEPLOY.format(name=f"w{i}").replace("\n", "\n  ").rstrip() + "\n" for i in range(50))
    ).encode()
    with open("/dev/full", "w") as full:
        p = subprocess.run([sys.executable, "-m", "krmfn", *args], input=data, stdout=full, stderr=subprocess.PIPE,
                           timeout=120)
    assert p.returncode == 3
    assert p.stderr.decode() == "krmfn: error: cannot write output: No space left on device\n" or (
        mode == "inject" and p.stderr.decode().endswith("krmfn: error: cannot write output: No space left on device\n"))


def _closed(fd: int) -> Any:
    return lambda: os.close(fd)


@pytest.mark.e2e
def test_closed_stdin_and_stdout_are_one_line_errors(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "krmfn"], preexec_fn=_closed(0), capture_output=True, timeout=60)
    assert p.returncode == 3 and p.stderr == b"krmfn: error: cannot read stdin: it is closed\n"
    p = subprocess.run([sys.executable, "-m", "krmfn", "inject", "-"], input=DEPLOY.format(name="a").encode(),
                       preexec_fn=_closed(1), stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 3 and p.stderr.endswith(b"krmfn: error: cannot write output: stdout is closed\n")
    # in place needs neither
    f = tmp_path / "a.yaml"
    f.write_text(DEPLOY.format(name="a"))
    p = subprocess.run([sys.executable, "-m", "krmfn", "inject", "-i", str(f)],
                       preexec_fn=lambda: (os.close(0), os.close(1)), stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "istio-proxy" in f.read_text()


@pytest.mark.e2e
def test_out_of_memory_is_one_line_and_exit_4() -> None:
    items = "".join(f"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c{i}\n  data:\n    k: '{'x' * 200}'\n"
                    for i in range(100_000))
    data = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items).encode()
    limit = 80 << 20

    def small_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    p = subprocess.run([sys.executable, "-m", "krmfn"], input=data, capture_output=True, preexec_fn=small_memory,
                       env={**os.environ, "KRMFN_WORKERS": "1"}, timeout=120)
    assert p.returncode == 4 and p.stderr == b"krmfn: error: out of memory\n" and p.stdout == b""


@pytest.mark.e2e
def test_json_with_surrogate_pair_escapes_is_accepted() -> None:
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
          "items": [yaml.safe_load(DEPLOY.format(name="a")) | {"data": {"rocket": "\U0001f680", "e": "\\ud83d"}}]}
    text = json.dumps(rl)
    assert "\\ud83d\\ude80" in text
    p = subprocess.run([sys.executable, "-m", "krmfn"], input=text.encode(), capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out = yaml.safe_load(p.stdout)
    assert out["items"][0]["data"] == {"rocket": "\U0001f680", "e": "\\ud83d"}
    p = run_cli(["inject", "-"], json.dumps(rl["items"][0], indent=2).encode())
    assert p.returncode == 0 and yaml.safe_load(p.stdout)["data"]["rocket"] == "\U0001f680"


@pytest.mark.e2e
def test_an_internal_error_is_one_line_and_exit_70(tmp_path: Path) -> None:
    """A bug (simulated: a sitecustomize that breaks the function) ends in one line, not a traceback."""
    (tmp_path / "sitecustomize.py").write_text(
        "import krmfn.function\n"
        "def boom(*a, **k):\n    raise ZeroDivisionError('simulated bug')\n"
        "krmfn.function.run = boom\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    p = subprocess.run([sys.executable, "-m", "krmfn"], input=b"items: []\n", capture_output=True, env=env, timeout=60)
    assert p.returncode == 70
    assert p.stderr == b"krmfn: internal error: ZeroDivisionError: simulated bug\n"


@pytest.mark.e2e
@pytest.mark.parametrize(("raised", "env", "code", "stderr"), [
    ("OSError(5, 'Input/output error')", {}, 3, b"krmfn: error: Input/output error\n"),
    ("MemoryError()", {}, 4, b"krmfn: error: out of memory\n"),
    ("KeyboardInterrupt()", {}, 130, b"krmfn: interrupted (SIGINT)\n"),
    ("krmfn.cli._Signalled(1)", {}, 129, b"krmfn: ended by SIGHUP\n"),
    ("SystemExit(5)", {}, 5, b""),  # not a failure krmfn names: it goes on up as it is
    ("ZeroDivisionError('simulated bug')", {"KRMFN_TRACEBACK": "1"}, 1, b"ZeroDivisionError: simulated bug\n"),
])
def test_each_way_out_ends_with_its_line_and_exit_code(tmp_path: Path, raised: str, env: dict[str, str], code: int,
                                                       stderr: bytes) -> None:
    """What the function raises (simulated, as above) decides the one line on stderr and the exit code;
    KRMFN_TRACEBACK=1 shows a bug's traceback instead."""
    (tmp_path / "sitecustomize.py").write_text(
        "import krmfn.cli, krmfn.function\n"
        f"def boom(*a, **k):\n    raise {raised}\n"
        "krmfn.function.run = boom\n"
    )
    env = {**os.environ, **env, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    p = subprocess.run([sys.executable, "-m", "krmfn"], input=b"items: []\n", capture_output=True, env=env, timeout=60)
    assert p.returncode == code, p.stderr
    assert p.stderr.endswith(stderr) and p.stdout == b""
    assert (b"Traceback" in p.stderr) == ("KRMFN_TRACEBACK" in env)
