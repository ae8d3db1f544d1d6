"""The benchmark's corpus: packages of several shapes, each N workloads with a Service and a ConfigMap.

Performance must not depend on the shape of the items, so ``make bench`` measures every shape:

``generate``   :mod:`bench.generate`'s package (one file per app, one directory per namespace).
``multiline``  one file per 100 apps; Deployments/StatefulSets/DaemonSets with named-port probes; ConfigMaps
               holding small files as multi-line single-quoted strings, which ``kpt fn source`` prints with
               the closing quote at column 0.
``flow``       Services and ConfigMaps written as JSON documents (flow style), one workload in 20 too.
``comments``   comments before, between and after the documents of each file (kpt keeps them in the items).
``anchors``    one workload in 50 shares its labels and env with anchors and aliases.
``onefile``    the ``generate`` apps, all in one file.
``json``       the ``generate`` package's ResourceList as JSON (what a tool that speaks JSON hands over).
``scripts``    the ``generate`` apps whose container runs a shell script given as a literal block scalar
               (``command: [/bin/sh, -c]``, ``args: - |``), as real packages carry scripts.
``helm``       the ``generate`` apps as ``helm template`` renders a chart's: Helm's labels, a per-app image
               tag and, on every pod template, ``checksum/config`` (the SHA-256 of the app's ConfigMap): an
               annotation unique to each workload, which no per-pod cache may key on.

The ResourceList krmfn reads is what ``kpt fn source DIR`` prints for the package (for ``json``, that
converted to JSON), so the text is what kpt really writes.  Deterministic: the same N gives the same bytes.

    python -m bench.shapes SHAPE DIR N
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil

from .generate import KINDS, _service, app_file, generate

SHAPES = ("generate", "multiline", "flow", "comments", "anchors", "onefile", "json", "helm", "scripts")


def _write(directory: str, files: dict[str, list[str]]) -> None:
    if os.path.exists(directory):
        shutil.rmtree(directory)
    os.makedirs(directory)
    for rel, docs in files.items():
        path = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write("---\n".join(docs))


def _multiline_app(i: int) -> list[str]:
    kind = ("Deployment", "StatefulSet", "DaemonSet")[i % 3]
    app = f"{kind.lower()}-{i:05d}"
    ns = f"ns-{i % 20:02d}"
    workload = f"""apiVersion: apps/v1
kind: {kind}
metadata:
  name: {app}
  namespace: {ns}
  labels:
    app: {app}
spec:
{"  serviceName: " + app + chr(10) if kind == "StatefulSet" else ""}  selector:
    matchLabels:
      app: {app}
  template:
    metadata:
      labels:
        app: {app}
    spec:
      containers:
      - name: {app}
        image: registry.example.com/{app}:1.{i % 9}
        ports:
        - name: http
          containerPort: 8080
        readinessProbe:
          httpGet:
            path: /ready
            port: http
        livenessProbe:
          tcpSocket:
            port: http
        volumeMounts:
        - name: config
          mountPath: /etc/app
      volumes:
      - name: config
        configMap:
          name: {app}
"""
    # A YAML writer (go-yaml, kubectl) emits a multi-line string as a single-quoted scalar with blank lines
    # for its line breaks; kpt re-indents the continuation lines and leaves the closing quote at column 0.
    configmap = f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}
  namespace: {ns}
data:
  app.properties: 'a=1

    b={i}

    '
  run.sh: 'echo start

    exec /app --port=8080

    '
"""
    return [workload, _service(app, ns), configmap]


def _flow_app(i: int) -> list[str]:
    import yaml

    _rel, text = app_file(i, 20)
    docs = text.split("---\n")
    out = []
    for j, doc in enumerate(docs):
        if j > 0 or i % 20 == 0:
            # A tool's JSON document (flow style): kpt keeps it on one line.
            out.append(json.dumps(yaml.safe_load(doc), separators=(", ", ": ")) + "\n")
        else:
            out.append(doc)
    return out


def _comments_app(i: int) -> list[str]:
    _, text = app_file(i, 20)
    docs = text.split("---\n")
    return [f"# {['workload', 'service', 'config'][j]} of app {i}\n{doc}# end of {j}\n\n# next\n"
            for j, doc in enumerate(docs)]


def _anchors_app(i: int) -> list[str]:
    _, text = app_file(i, 20)
    docs = text.split("---\n")
    if i % 50 == 0:
        kind = KINDS[i % len(KINDS)]
        app = f"{kind.lower()}-{i:05d}"
        w = docs[0]
        w = w.replace(f"  labels:\n    app: {app}\n    team:", f"  labels: &labels\n    app: {app}\n    team:", 1)
        # the limits are the requests (an alias), as a hand-written manifest may say it
        head, _sep, tail = w.partition("          requests:\n")
        limits = tail.index("          limits:\n")
        after = tail.index("        readinessProbe:\n")
        w = head + "          requests: &resources\n" + tail[:limits] + "          limits: *resources\n" + tail[after:]
        docs[0] = w
    return docs


def _helm_app(i: int) -> list[str]:
    """The ``generate`` app as a chart renders it: Helm's labels on the workload and its pod template,
    the image at the release's tag (one per app), and the ``checksum/config`` pod annotation charts put on
    a pod template so that a changed ConfigMap rolls the pods (the SHA-256 of the rendered ConfigMap)."""
    _, text = app_file(i, 20)
    workload, service, configmap = text.split("---\n")
    kind = KINDS[i % len(KINDS)]
    app = f"{kind.lower()}-{i:05d}"
    tag = f"2.{i // 100}.{i % 100}"
    release = f"release-{i:05d}"
    helm = ("helm.sh/chart: {app}-0.1.{i}\napp.kubernetes.io/name: {app}\napp.kubernetes.io/instance: {release}\n"
            f'app.kubernetes.io/version: "{tag}"\napp.kubernetes.io/managed-by: Helm\n').format(app=app, i=i, release=release)

    def labels(text: str, first: str) -> str:
        """Helm's labels after the label line ``first`` (kept), at its indentation."""
        pad = first[: len(first) - len(first.lstrip())]
        return text.replace(first, first + "".join(pad + line + "\n" for line in helm.splitlines()), 1)

    workload = labels(workload, "    app: " + app + "\n")
    pod_labels = next(line for line in workload.splitlines(keepends=True) if line.strip() == "version: v1")
    workload = labels(workload, pod_labels)
    pad = pod_labels[: len(pod_labels) - len(pod_labels.lstrip())]
    checksum = hashlib.sha256(configmap.encode()).hexdigest()
    scrape = pad + 'prometheus.io/scrape: "true"\n'
    workload = workload.replace(scrape, f"{pad}checksum/config: {checksum}\n" + scrape, 1)
    workload = workload.replace(f"image: registry.example.com/shop/{app}:1.{i % 7}.{i % 13}\n",
                                f"image: registry.example.com/shop/{app}:{tag}\n", 1)
    return [workload, labels(service, "    app: " + app + "\n"), configmap]


def _scripts_app(i: int) -> list[str]:
    """The ``generate`` app whose container runs a script (a literal block scalar) instead of its flow-style args."""
    _, text = app_file(i, 20)
    workload, service, configmap = text.split("---\n")
    line = next(x for x in workload.splitlines(keepends=True) if x.lstrip().startswith("args: ["))
    pad = line[: len(line) - len(line.lstrip())]
    app = f"{KINDS[i % len(KINDS)].lower()}-{i:05d}"
    script = (f"set -eu\nif [ -f /etc/{app}/settings.yaml ]; then\n  export APP_CONFIG=/etc/{app}/settings.yaml\nfi\n"
              f"echo \"starting {app} on port ${{PORT:-8080}}\"\n\nexec /app/server --port=8080 --log-level=info\n")
    block = "".join(pad + "  " + x + "\n" if x else "\n" for x in script.splitlines())
    command = f"{pad}command:\n{pad}- /bin/sh\n{pad}- -c\n{pad}args:\n{pad}- |\n{block}"
    return [workload.replace(line, command, 1), service, configmap]


def make(shape: str, directory: str, n: int) -> None:
    """Write the package of ``shape`` for ``n`` workloads into ``directory`` (replacing it)."""
    if shape in ("generate", "json"):
        generate(directory, n)
        return
    files: dict[str, list[str]] = {}
    for i in range(n):
        if shape == "multiline":
            files.setdefault(f"apps-{i // 100:03d}.yaml", []).extend(_multiline_app(i))
        elif shape == "onefile":
            files.setdefault("all.yaml", []).append(app_file(i, 20)[1])
        else:
            rel = app_file(i, 20)[0]
            docs = {"flow": _flow_app, "comments": _comments_app, "anchors": _anchors_app, "helm": _helm_app,
                    "scripts": _scripts_app}[shape](i)
            files[rel] = docs
    _write(directory, files)


def resource_list(shape: str, kpt_output: bytes) -> bytes:
    """The ResourceList krmfn reads for ``shape``, from what ``kpt fn source`` printed for its package."""
    if shape != "json":
        return kpt_output
    import yaml

    return (json.dumps(yaml.load(kpt_output, Loader=yaml.CSafeLoader), indent=2) + "\n").encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shape", choices=SHAPES)
    ap.add_argument("dir")
    ap.add_argument("n", type=int, help="number of workloads (3 resources each)")
    args = ap.parse_args()
    make(args.shape, args.dir, args.n)


if __name__ == "__main__":
    main()
