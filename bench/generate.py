"""Generate a realistic kpt package: N workloads, each with a Service and a ConfigMap.

Workloads cycle through Deployment, StatefulSet, DaemonSet, Job and CronJob,
with probes, env, resources and volume mounts, spread over namespaces (one
directory per namespace, one file per app holding its three resources, as a
package in Git usually looks).  Deterministic: the same N gives the same bytes.

    python -m bench.generate DIR N [--namespaces K]
"""

from __future__ import annotations

import argparse
import os
import shutil

KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


def _container(app: str, i: int) -> str:
    """A container with probes, env, resources and mounts, indented for a pod spec at column 6 + pad."""
    return f"""- name: {app}
  image: registry.example.com/shop/{app}:1.{i % 7}.{i % 13}
  imagePullPolicy: IfNotPresent
  args: ["--port=8080", "--log-level=info"]
  ports:
  - name: http
    containerPort: 8080
    protocol: TCP
  - name: metrics
    containerPort: 9090
  env:
  - name: APP_NAME
    value: {app}
  - name: POD_IP
    valueFrom:
      fieldRef:
        fieldPath: status.podIP
  - name: FEATURE_FLAGS
    value: "on"
  - name: TIMEOUT
    value: "1:30"
  - name: DB_URL
    valueFrom:
      secretKeyRef:
        name: {app}-db
        key: url
  envFrom:
  - configMapRef:
      name: {app}-config
  resources:
    requests:
      cpu: 100m
      memory: 128Mi
    limits:
      cpu: "1"
      memory: 512Mi
  readinessProbe:
    httpGet:
      path: /healthz/ready
      port: 8080
    initialDelaySeconds: 5
    periodSeconds: 10
  livenessProbe:
    httpGet:
      path: /healthz/live
      port: http
    failureThreshold: 3
  volumeMounts:
  - name: config
    mountPath: /etc/{app}
    readOnly: true
"""


def _indent(text: str, pad: int) -> str:
    p = " " * pad
    return "".join(p + line if line.strip() else line for line in text.splitlines(keepends=True))


def _pod(app: str, i: int, pad: int) -> str:
    """metadata + spec of a pod template, at column ``pad``."""
    restart = "OnFailure" if KINDS[i % len(KINDS)] in ("Job", "CronJob") else "Always"
    body = f"""metadata:
  labels:
    app: {app}
    version: v1
  annotations:
    prometheus.io/scrape: "true"
    prometheus.io/port: "9090"
spec:
  serviceAccountName: {app}
  restartPolicy: {restart}
  containers:
{_indent(_container(app, i), 2)}  volumes:
  - name: config
    configMap:
      name: {app}-config
"""
    return _indent(body, pad)


def _workload(kind: str, app: str, ns: str, i: int) -> str:
    head = f"""apiVersion: {'batch/v1' if kind in ('Job', 'CronJob') else 'apps/v1'}
kind: {kind}
metadata:
  name: {app}
  namespace: {ns}
  labels:
    app: {app}
    team: team-{i % 11}
  annotations:
    owner: "team-{i % 11}@example.com"  # who to page
spec:
"""
    selector = f"  selector:\n    matchLabels:\n      app: {app}\n"
    if kind == "Deployment":
        return head + f"  replicas: {1 + i % 3}\n" + selector + "  template:\n" + _pod(app, i, 4)
    if kind == "StatefulSet":
        return head + f"  serviceName: {app}\n  replicas: 2\n" + selector + "  template:\n" + _pod(app, i, 4)
    if kind == "DaemonSet":
        return head + selector + "  template:\n" + _pod(app, i, 4)
    if kind == "Job":
        return head + "  backoffLimit: 4\n  template:\n" + _pod(app, i, 4)
    return head + f'  schedule: "{i % 60} */6 * * *"\n  jobTemplate:\n    spec:\n      template:\n' + _pod(app, i, 8)


def _service(app: str, ns: str) -> str:
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: {ns}
  labels:
    app: {app}
spec:
  selector:
    app: {app}
  ports:
  - name: http
    port: 80
    targetPort: 8080
"""


def _configmap(app: str, ns: str, i: int) -> str:
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config
  namespace: {ns}
data:
  LOG_LEVEL: info
  RETRIES: "3"
  ENABLED: "yes"
  settings.yaml: |
    server:
      port: 8080
      workers: {1 + i % 8}
    cache: {{ttl: 30s}}
"""


def app_file(i: int, namespaces: int) -> tuple[str, str]:
    """(relative path, text) of app number ``i``."""
    ns = f"ns-{i % namespaces:02d}"
    kind = KINDS[i % len(KINDS)]
    app = f"{kind.lower()}-{i:05d}"
    text = _workload(kind, app, ns, i) + "---\n" + _service(app, ns) + "---\n" + _configmap(app, ns, i)
    return os.path.join(ns, f"{app}.yaml"), text


def generate(directory: str, n: int, namespaces: int = 20) -> None:
    """Write the package for ``n`` workloads into ``directory`` (replacing it)."""
    if os.path.exists(directory):
        shutil.rmtree(directory)
    os.makedirs(directory)
    for i in range(n):
        rel, text = app_file(i, namespaces)
        path = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("n", type=int, help="number of workloads (3 resources each)")
    ap.add_argument("--namespaces", type=int, default=20)
    args = ap.parse_args()
    generate(args.dir, args.n, args.namespaces)


if __name__ == "__main__":
    main()
