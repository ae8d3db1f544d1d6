"""The seed's example: its ConfigMap verbatim as functionConfig, its manifests as items."""

from __future__ import annotations

import re

import yaml
from helpers import run_text

SEED_CONFIG = '''\
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: istio-inject
    namespace: istio-system
  data:
    config: |-
      policy: "enabled"
      namespaces: [""] # 除了几个特定名称之外的所有命名空间
      initializerName: "sidecar.initializer.istio.io"
      params: # 自定义 sidecar 执行参数
        initImage: docker.io/istio/proxy_init:0.2.4
        proxyImage: docker.io/istio/proxy:0.2.4
        verbosity: 2
        version: 0.2.4
        meshConfigMapName: istio
        imagePullPolicy: IfNotPresent
'''

SERVICE = '''\
- apiVersion: v1
  kind: Service
  metadata:
    name: service-{n}
    labels:
      app: service-{n}
  spec:
    ports:
    - port: 80
      targetPort: 8080
      name: {port}
    selector:
      app: service-{n}
'''

DEPLOYMENT = '''\
- apiVersion: extensions/v1beta1
  kind: Deployment
  metadata:
    name: service-{n}
  spec:
    replicas: 1
    template:
      metadata:
        labels:
          app: service-{n}
      spec:
        containers:
        - name: app
          image: gcr.io/google_containers/echoserver:1.4
          ports:
          - containerPort: 8080
'''


def seed_resource_list() -> str:
    items = (
        SERVICE.format(n="one", port="http")
        + DEPLOYMENT.format(n="one")
        + SERVICE.format(n="two", port="http-status")
        + DEPLOYMENT.format(n="two")
    )
    return "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items + "functionConfig:\n" + SEED_CONFIG


def test_seed_example_is_injected_as_the_seed_shows() -> None:
    text = seed_resource_list()
    outcome = run_text(text)
    assert outcome.exit_code == 0
    items = yaml.safe_load(outcome.output)["items"]
    assert [i["kind"] for i in items] == ["Service", "Deployment", "Service", "Deployment"]
    for dep in (items[1], items[3]):
        assert dep["metadata"]["annotations"]["sidecar.istio.io/status"] == "injected-version-0.2.4"
        tmpl = dep["spec"]["template"]
        assert tmpl["metadata"]["annotations"]["sidecar.istio.io/status"] == "injected-version-0.2.4"
        containers = tmpl["spec"]["containers"]
        assert [c["name"] for c in containers] == ["app", "istio-proxy"]
        proxy = containers[1]
        assert proxy["image"] == "docker.io/istio/proxy:0.2.4"
        assert proxy["imagePullPolicy"] == "IfNotPresent"
        (init,) = tmpl["spec"]["initContainers"]
        assert init["image"] == "docker.io/istio/proxy_init:0.2.4"
        assert init["args"] == ["-p", "15001", "-u", "1337"]
        assert proxy["args"][:4] == ["proxy", "sidecar", "-v", "2"]


def test_seed_services_come_back_byte_identical() -> None:
    text = seed_resource_list()
    out = run_text(text).output
    for n, port in (("one", "http"), ("two", "http-status")):
        assert SERVICE.format(n=n, port=port) in out


def test_seed_results_say_what_happened() -> None:
    outcome = run_text(seed_resource_list())
    messages = [r.message for r in outcome.results]
    assert any("meshConfigMapName" in m and "no effect offline" in m for m in messages)
    injected = [r for r in outcome.results if r.message.startswith("injected")]
    assert [r.resource_ref["name"] for r in injected] == ["service-one", "service-two"]
    assert all(r.severity == "info" for r in outcome.results)


def test_seed_output_is_a_fixed_point() -> None:
    first = run_text(seed_resource_list()).output
    second = run_text(first).output
    strip = lambda s: re.split(r"^results:\n", s, flags=re.M)[0]  # noqa: E731
    assert strip(second) == strip(first)
    assert "skipped: already injected" in second
