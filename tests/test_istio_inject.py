"""krmfn.istio.inject (krmfn/istio/injection.py): placement, metadata, images, status, purity (no shared structure, order, determinism)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from krmfn.istio import (
    ISTIO_RELEASE,
    AnnotationError,
    IstioSettings,
    NotInjectable,
    TemplateError,
    inject,
    kube_inject_skip_reason,
    status_of,
)

NATIVE = IstioSettings(native_sidecars=True)
CLASSIC = IstioSettings(native_sidecars=False)


def deployment(**pod: Any) -> dict[str, Any]:
    meta = pod.pop("meta", {"labels": {"app": "web"}})
    spec = {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80, "name": "http"}]}]}
    spec.update(pod)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": 2, "template": {"metadata": meta, "spec": spec}},
    }


def pod_of(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]  # type: ignore[no-any-return]


def names(items: Any) -> list[str]:
    return [i["name"] for i in items or []]


def proxy_of(obj: dict[str, Any]) -> dict[str, Any]:
    spec = pod_of(obj)["spec"]
    return next(c for c in (spec.get("initContainers") or []) + spec["containers"] if c["name"] == "istio-proxy")


def env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env") or []}


# --- placement ------------------------------------------------------------------------------------------


def test_native_layout() -> None:
    obj = deployment(initContainers=[{"name": "setup", "image": "busybox"}])
    spec = pod_of(inject(obj, NATIVE).obj)["spec"]
    assert names(spec["initContainers"]) == ["istio-init", "istio-proxy", "setup"]
    assert names(spec["containers"]) == ["web"]
    proxy = spec["initContainers"][1]
    assert proxy["restartPolicy"] == "Always"
    assert proxy["lifecycle"]["preStop"]["exec"]["command"] == ["pilot-agent", "request", "--debug-port=15020", "POST", "drain"]


def test_classic_layout() -> None:
    obj = deployment(initContainers=[{"name": "setup", "image": "busybox"}])
    spec = pod_of(inject(obj, CLASSIC).obj)["spec"]
    assert names(spec["initContainers"]) == ["setup", "istio-init"]
    assert names(spec["containers"]) == ["web", "istio-proxy"]
    assert "restartPolicy" not in spec["containers"][1] and "lifecycle" not in spec["containers"][1]


def test_hold_application_puts_the_proxy_first_in_classic_mode_only() -> None:
    hold = {"global": {"proxy": {"holdApplicationUntilProxyStarts": True}}}
    classic = pod_of(inject(deployment(), IstioSettings(values=hold, native_sidecars=False)).obj)["spec"]
    assert names(classic["containers"]) == ["istio-proxy", "web"]
    assert classic["containers"][0]["lifecycle"] == {"postStart": {"exec": {"command": ["pilot-agent", "wait"]}}}
    native = inject(deployment(), IstioSettings(values=hold, native_sidecars=True)).obj
    assert proxy_of(native)["lifecycle"]["preStop"]


@pytest.mark.parametrize(
    "settings,annotation,native",
    [
        (IstioSettings(), None, False),
        (IstioSettings(values={"pilot": {"env": {"ENABLE_NATIVE_SIDECARS": "true"}}}), None, True),
        (IstioSettings(values={"pilot": {"env": {"ENABLE_NATIVE_SIDECARS": "true"}}}, native_sidecars=False), None, False),
        (NATIVE, "false", False),
        (CLASSIC, "true", True),
    ],
)
def test_native_decision(settings: IstioSettings, annotation: str | None, native: bool) -> None:
    meta: dict[str, Any] = {"labels": {"app": "web"}}
    if annotation is not None:
        meta["annotations"] = {"sidecar.istio.io/nativeSidecar": annotation}
    spec = pod_of(inject(deployment(meta=meta), settings).obj)["spec"]
    assert ("istio-proxy" in names(spec.get("initContainers"))) is native
    assert ("istio-proxy" in names(spec["containers"])) is not native


def test_interception_none_classic_has_no_init_container() -> None:
    meta = {"annotations": {"sidecar.istio.io/interceptionMode": "NONE"}}
    injected = inject(deployment(meta=meta), CLASSIC)
    spec = pod_of(injected.obj)["spec"]
    assert "initContainers" not in spec
    assert injected.status["initContainers"] == [] and injected.status["containers"] == ["istio-proxy"]
    status = json.loads(pod_of(injected.obj)["metadata"]["annotations"]["sidecar.istio.io/status"])
    assert status["initContainers"] is None


def test_user_istio_proxy_is_merged_over_the_injected_one() -> None:
    user = {"name": "istio-proxy", "image": "auto", "args": ["proxy", "custom"],
            "securityContext": {"runAsUser": 1234}, "env": [{"name": "EXTRA", "value": "1"}]}
    obj = deployment()
    pod_of(obj)["spec"]["containers"].append(user)
    out = inject(obj, NATIVE).obj
    spec = pod_of(out)["spec"]
    assert names(spec["containers"]) == ["web"]
    proxy = spec["initContainers"][1]
    assert proxy["image"] == f"docker.io/istio/proxyv2:{ISTIO_RELEASE}"
    assert proxy["args"] == ["proxy", "custom"]
    assert proxy["securityContext"]["runAsUser"] == 1234
    assert env(proxy)["EXTRA"] == "1" and "PROXY_CONFIG" in env(proxy)
    iptables = spec["initContainers"][0]["args"]
    assert iptables[iptables.index("-u") + 1] == "1234"
    overrides = json.loads(pod_of(out)["metadata"]["annotations"]["proxy.istio.io/overrides"])
    # native: the user's container moved to initContainers, and is recorded there
    assert list(overrides) == ["initContainers"]
    assert overrides["initContainers"][0]["name"] == "istio-proxy" and "image" not in overrides["initContainers"][0]


# --- metadata, images, env ------------------------------------------------------------------------------


def test_labels_and_annotations() -> None:
    meta = {
        "labels": {"app.kubernetes.io/name": "-" + "x" * 70, "app": "ignored", "version": "v2",
                   "security.istio.io/tlsMode": "disabled"},
        "annotations": {"kubectl.kubernetes.io/default-container": "mine"},
    }
    out = inject(deployment(meta=meta), IstioSettings(revision="canary"))
    got = pod_of(out.obj)["metadata"]
    assert got["labels"]["service.istio.io/canonical-name"] == "x" * 62
    assert got["labels"]["service.istio.io/canonical-revision"] == "v2"
    assert got["labels"]["security.istio.io/tlsMode"] == "disabled"
    assert got["annotations"]["kubectl.kubernetes.io/default-container"] == "mine"
    assert got["annotations"]["kubectl.kubernetes.io/default-logs-container"] == "web"
    assert got["annotations"]["istio.io/rev"] == "canary"
    assert out.status["revision"] == "canary"
    proxy_env = env(proxy_of(out.obj))
    assert proxy_env["CA_ADDR"] == "istiod-canary.istio-system.svc:15012"
    assert proxy_env["ISTIO_META_OWNER"] == "kubernetes://apis/apps/v1/namespaces/shop/deployments/web"
    assert proxy_env["ISTIO_META_WORKLOAD_NAME"] == "web"
    assert proxy_env["ISTIO_META_APP_CONTAINERS"] == "web"
    assert proxy_env["ISTIO_META_POD_PORTS"] == '[\n    {"name":"http","containerPort":80}\n]'


def test_images_and_pull_policy() -> None:
    out = inject(deployment(), NATIVE).obj
    spec = pod_of(out)["spec"]
    assert {c["image"] for c in spec["initContainers"]} == {f"docker.io/istio/proxyv2:{ISTIO_RELEASE}"}
    values = {"global": {"hub": "r.example/istio", "tag": "1.2.3-distroless", "imagePullPolicy": "Always"}}
    meta = {"annotations": {"sidecar.istio.io/proxyImageType": "debug"}}
    spec = pod_of(inject(deployment(meta=meta), IstioSettings(values=values, native_sidecars=True)).obj)["spec"]
    assert [c["image"] for c in spec["initContainers"]] == ["r.example/istio/proxyv2:1.2.3-debug"] * 2
    assert {c["imagePullPolicy"] for c in spec["initContainers"]} == {"Always"}
    meta = {"annotations": {"sidecar.istio.io/proxyImage": "my.reg/proxy:x"}}
    spec = pod_of(inject(deployment(meta=meta), NATIVE).obj)["spec"]
    assert [c["image"] for c in spec["initContainers"]] == ["my.reg/proxy:x"] * 2


def test_resources_traffic_and_status_port_annotations() -> None:
    meta = {"annotations": {
        "sidecar.istio.io/proxyCPU": "50m", "sidecar.istio.io/proxyMemoryLimit": "1Gi",
        "traffic.sidecar.istio.io/includeOutboundIPRanges": "10.0.0.0/8",
        "traffic.sidecar.istio.io/excludeInboundPorts": "9000",
        "traffic.sidecar.istio.io/excludeOutboundPorts": "5432",
        "status.sidecar.istio.io/port": "0",
    }}
    spec = pod_of(inject(deployment(meta=meta), NATIVE).obj)["spec"]
    init, proxy = spec["initContainers"][:2]
    assert init["resources"] == proxy["resources"] == {"requests": {"cpu": "50m"}, "limits": {"memory": "1Gi"}}
    args = init["args"]
    assert args[args.index("-i") + 1] == "10.0.0.0/8"
    assert args[args.index("-d") + 1] == "15090,15021,9000"
    assert args[args.index("-o") + 1] == "5432"
    assert "readinessProbe" not in proxy and "startupProbe" not in proxy


def test_user_volume_annotations_and_pull_secrets() -> None:
    meta = {"annotations": {
        "sidecar.istio.io/userVolume": '{"extra": {"configMap": {"name": "cm"}}}',
        "sidecar.istio.io/userVolumeMount": '{"extra": {"mountPath": "/extra", "readOnly": true}}',
    }}
    obj = deployment(meta=meta, imagePullSecrets=[{"name": "mine"}])
    out = inject(obj, IstioSettings(values={"global": {"imagePullSecrets": ["istio-pull"]}}))
    spec = pod_of(out.obj)["spec"]
    assert {"name": "extra", "configMap": {"name": "cm"}} in spec["volumes"]
    assert {"name": "extra", "mountPath": "/extra", "readOnly": True} in proxy_of(out.obj)["volumeMounts"]
    assert names(spec["imagePullSecrets"]) == ["istio-pull", "mine"]
    assert out.status["imagePullSecrets"] == ["istio-pull"]


# --- status, counts, kinds ------------------------------------------------------------------------------


def test_status_names_exactly_what_was_injected() -> None:
    obj = deployment(volumes=[{"name": "data", "emptyDir": {}}])
    injected = inject(obj, NATIVE)
    text = pod_of(injected.obj)["metadata"]["annotations"]["sidecar.istio.io/status"]
    assert list(json.loads(text)) == ["initContainers", "containers", "volumes", "imagePullSecrets", "revision"]
    status = status_of(injected.obj)
    assert status == injected.status
    assert status is not None and status["initContainers"] == ["istio-init", "istio-proxy"]
    spec = pod_of(injected.obj)["spec"]
    assert set(status["volumes"]) == set(names(spec["volumes"])) - {"data"}
    assert (injected.init_containers, injected.containers, injected.volumes) == (2, 0, len(status["volumes"]))
    assert status_of(deployment()) is None


def test_cronjob_metadata_goes_to_the_job_template() -> None:
    obj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
           "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
               "containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "OnFailure"}}}}}}
    out = inject(obj, NATIVE).obj
    job = out["spec"]["jobTemplate"]
    assert list(job) == ["spec", "metadata"]
    assert job["metadata"]["labels"]["service.istio.io/canonical-name"] == "tick"
    assert names(job["spec"]["template"]["spec"]["initContainers"]) == ["istio-init", "istio-proxy"]
    assert status_of(out) is not None


def test_bare_pod_owner_and_workload_name() -> None:
    obj = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "web-5d8-abc", "generateName": "web-5d8-", "labels": {"pod-template-hash": "5d8"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8",
                                             "controller": True, "uid": "1"}]},
           "spec": {"containers": [{"name": "c", "image": "x"}]}}
    out = inject(obj, NATIVE).obj
    proxy = next(c for c in out["spec"]["initContainers"] if c["name"] == "istio-proxy")
    assert env(proxy)["ISTIO_META_OWNER"] == "kubernetes://apis/apps/v1/namespaces/default/deployments/web"
    assert out["metadata"]["labels"]["service.istio.io/canonical-name"] == "web"


def test_not_injectable_and_missing_templates() -> None:
    with pytest.raises(NotInjectable):
        inject({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}, NATIVE)
    with pytest.raises(NotInjectable) as err:
        inject({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {}}, NATIVE)
    assert err.value.path == "spec.template"
    meta = {"annotations": {"inject.istio.io/templates": "sidecar,nope"}}
    with pytest.raises(TemplateError, match="'nope' not found") as terr:
        inject(deployment(meta=meta), NATIVE)
    assert isinstance(terr.value, AnnotationError) and terr.value.annotation == "inject.istio.io/templates"
    with pytest.raises(TemplateError, match="'nope' not found") as terr:
        inject(deployment(), IstioSettings(default_templates=("nope",)))
    assert not isinstance(terr.value, AnnotationError)  # from the config: not the pod's fault


def test_kube_inject_skip_rules() -> None:
    assert kube_inject_skip_reason(deployment()) is None
    assert "host networking" in str(kube_inject_skip_reason(deployment(hostNetwork=True)))
    off = deployment(meta={"annotations": {"sidecar.istio.io/inject": "false"}})
    assert "injection disabled" in str(kube_inject_skip_reason(off))
    label_wins = deployment(meta={"labels": {"sidecar.istio.io/inject": "true"},
                                  "annotations": {"sidecar.istio.io/inject": "false"}})
    assert kube_inject_skip_reason(label_wins) is None
    assert kube_inject_skip_reason(deployment(meta={"namespace": "kube-system"})) is not None


@pytest.mark.parametrize("template", ["gateway", "grpc-agent", "grpc-simple"])
def test_other_builtin_templates(template: str) -> None:
    meta = {"annotations": {"inject.istio.io/templates": template}}
    out = inject(deployment(meta=meta), NATIVE)
    spec = pod_of(out.obj)["spec"]
    if template == "grpc-simple":
        assert names(spec["initContainers"]) == ["grpc-bootstrap-init"]
        assert out.status["containers"] == ["web"]
    else:
        assert names(spec["containers"]) == ["web", "istio-proxy"]
        assert "initContainers" not in spec
    assert pod_of(out.obj)["metadata"]["annotations"]["sidecar.istio.io/status"]


# --- user templates (through the krmfn.gotemplate interface) --------------------------------------------


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Stands in for krmfn.gotemplate.render: records its input and returns a fixed partial pod."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def render(text: str, data: dict[str, Any], environ: dict[str, str] | None = None) -> str:
        calls.append((text, data))
        return "spec:\n  containers:\n  - name: web\n    env:\n    - name: FROM_TEMPLATE\n      value: from-template\n" \
               "  volumes:\n  - name: extra\n    emptyDir: {}\n"

    import krmfn.gotemplate

    monkeypatch.setattr(krmfn.gotemplate, "render", render)
    yield calls


def test_user_template_is_rendered_with_go_field_names_and_merged(fake_engine: list[Any]) -> None:
    settings = IstioSettings(templates={"custom": "TEMPLATE TEXT"}, native_sidecars=True)
    meta = {"labels": {"app": "web"}, "annotations": {"inject.istio.io/templates": "sidecar,custom"}}
    out = inject(deployment(meta=meta), settings)
    (text, data), = fake_engine
    assert text == "TEMPLATE TEXT"
    assert {"TypeMeta", "DeploymentMeta", "ObjectMeta", "Spec", "ProxyConfig", "MeshConfig", "Values", "Revision",
            "ProxyImage", "ProxyUID", "ProxyGID", "NativeSidecars", "InboundTrafficPolicyMode",
            "CompliancePolicy"} <= set(data)
    assert data["DeploymentMeta"] == {"Name": "web", "Namespace": "shop"}
    assert data["Spec"]["containers"][0]["name"] == "web" and data["ProxyUID"] == 1337
    web = pod_of(out.obj)["spec"]["containers"][0]
    assert env(web)["FROM_TEMPLATE"] == "from-template"
    assert "extra" in out.status["volumes"] and out.status["containers"] == ["web"]


def test_user_template_replaces_a_builtin_of_the_same_name(fake_engine: list[Any]) -> None:
    out = inject(deployment(), IstioSettings(templates={"sidecar": "mine"}))
    assert "initContainers" not in pod_of(out.obj)["spec"]
    assert len(fake_engine) == 1


# --- purity ---------------------------------------------------------------------------------------------


def _ids(value: Any, into: list[int]) -> None:
    if isinstance(value, (dict, list)):
        into.append(id(value))
        for child in value.values() if isinstance(value, dict) else value:
            _ids(child, into)


def test_no_shared_structure_and_input_untouched() -> None:
    obj = deployment(initContainers=[{"name": "setup", "image": "busybox"}], volumes=[{"name": "v", "emptyDir": {}}])
    before = copy.deepcopy(obj)
    out = inject(obj, NATIVE).obj
    assert obj == before
    ins: list[int] = []
    outs: list[int] = []
    _ids(obj, ins)
    _ids(out, outs)
    assert not set(ins) & set(outs)
    assert len(outs) == len(set(outs)), "the output shares a node with itself (it would dump as a YAML alias)"


def test_unchanged_parts_keep_their_values_and_key_order() -> None:
    obj = deployment()
    obj["status"] = {}
    out = inject(obj, NATIVE).obj
    assert list(out) == list(obj)
    assert list(out["spec"]) == list(obj["spec"]) and out["spec"]["replicas"] == 2
    assert list(pod_of(out)["metadata"]) == ["labels", "annotations"]
    assert next(iter(pod_of(out)["metadata"]["labels"])) == "app"
    assert pod_of(out)["spec"]["containers"] == pod_of(obj)["spec"]["containers"]
    assert next(iter(pod_of(out)["spec"])) == "containers"


def test_deterministic_and_idempotent() -> None:
    obj = deployment(initContainers=[{"name": "setup", "image": "busybox"}])
    pod_of(obj)["spec"]["containers"].append({"name": "istio-proxy", "image": "auto",
                                              "resources": {"limits": {"cpu": "3000m"}}})
    for settings in (NATIVE, CLASSIC):
        first = inject(obj, settings).obj
        assert json.dumps(inject(obj, settings).obj) == json.dumps(first)
        assert inject(first, settings).obj == first


def test_every_input_error_is_an_injection_error() -> None:
    from krmfn.istio import AnnotationError, InjectionError

    assert issubclass(AnnotationError, InjectionError) and issubclass(TemplateError, InjectionError)
    assert issubclass(NotInjectable, InjectionError)


def test_real_go_template_engine_renders_user_templates() -> None:
    pytest.importorskip("krmfn.gotemplate")
    text = (
        "spec:\n  containers:\n  {{- range .Spec.Containers }}\n  - name: {{ .Name }}\n    env:\n"
        "    - name: OWNER\n      value: {{ .Name }}-{{ $.DeploymentMeta.Name }}-{{ $.Values.global.hub }}\n  {{- end }}\n"
    )
    settings = IstioSettings(templates={"tag": text}, native_sidecars=True)
    meta = {"annotations": {"inject.istio.io/templates": "sidecar,tag"}}
    out = inject(deployment(meta=meta), settings)
    assert env(pod_of(out.obj)["spec"]["containers"][0])["OWNER"] == "web-web-docker.io/istio"
    broken = IstioSettings(templates={"bad": "{{ .Nope"})
    with pytest.raises(TemplateError, match="'bad'"):
        inject(deployment(meta={"annotations": {"inject.istio.io/templates": "bad"}}), broken)


@pytest.mark.parametrize(
    "field,value,path",
    [
        ("ports", "80", "spec.template.spec.containers[0].ports"),
        ("ports", [{"containerPort": "http"}], "spec.template.spec.containers[0].ports[0].containerPort"),
        ("env", [{"value": "x"}], "spec.template.spec.containers[0].env[0]"),
        ("securityContext", 1, "spec.template.spec.containers[0].securityContext"),
        ("readinessProbe", {"httpGet": "/"}, "spec.template.spec.containers[0].readinessProbe.httpGet"),
        ("lifecycle", {"preStop": []}, "spec.template.spec.containers[0].lifecycle.preStop"),
    ],
)
def test_malformed_containers_are_refused_with_the_field_path(field: str, value: Any, path: str) -> None:
    obj = deployment()
    pod_of(obj)["spec"]["containers"][0][field] = value
    with pytest.raises(NotInjectable) as err:
        inject(obj, NATIVE)
    assert err.value.path == path and path in str(err.value)


def test_odd_but_legal_shapes_inject() -> None:
    obj = deployment(initContainers=None)
    pod_of(obj)["spec"]["containers"][0]["readinessProbe"] = {"httpGet": {}}
    pod_of(obj)["spec"]["containers"].append({"name": "istio-proxy", "image": "auto"})
    spec = pod_of(inject(obj, NATIVE).obj)["spec"]
    assert names(spec["initContainers"]) == ["istio-init", "istio-proxy"]


def test_yaml_aliases_in_input_or_settings_give_no_shared_nodes() -> None:
    import yaml

    doc = yaml.safe_load(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w, labels: &l {app: w}}\n"
        "spec:\n  selector: {matchLabels: *l}\n  template:\n    metadata: {labels: *l}\n    spec:\n      containers:\n"
        "      - {name: c, image: i, env: &e [{name: A, value: b}]}\n      - {name: d, image: i, env: *e}\n"
    )
    profile = {"type": "RuntimeDefault"}
    settings = IstioSettings(values={"global": {"proxy": {"seccompProfile": profile}}}, native_sidecars=True)
    out = inject(doc, settings).obj
    ids: list[int] = []
    _ids(out, ids)
    assert len(ids) == len(set(ids))
    assert out["metadata"]["labels"] == {"app": "w"} and out["spec"]["selector"]["matchLabels"] == {"app": "w"}
    spec = pod_of(out)["spec"]
    assert spec["initContainers"][0]["securityContext"]["seccompProfile"] == profile


# --- the sidecar's fixed parts, cached per settings and pod annotations (krmfn.istio.sidecar.Fixed) ----------


def test_cached_sidecar_parts_follow_each_pods_annotations_and_proxy_config() -> None:
    settings = IstioSettings(native_sidecars=False)  # one settings object: every pod below meets the same cache
    plain = deployment()
    cpu = deployment(meta={"labels": {"app": "web"}, "annotations": {"sidecar.istio.io/proxyCPU": "300m"}})
    held = deployment(meta={"labels": {"app": "web"}, "annotations": {
        "proxy.istio.io/config": "holdApplicationUntilProxyStarts: true"}})
    first = inject(plain, settings).obj
    assert proxy_of(inject(cpu, settings).obj)["resources"]["requests"] == {"cpu": "300m"}
    assert proxy_of(first)["resources"]["requests"] == {"cpu": "100m", "memory": "128Mi"}
    held_out = inject(held, settings).obj
    assert "holdApplicationUntilProxyStarts" in env(proxy_of(held_out))["PROXY_CONFIG"]
    assert "holdApplicationUntilProxyStarts" not in env(proxy_of(first))["PROXY_CONFIG"]
    assert pod_of(held_out)["spec"]["containers"][0]["name"] == "istio-proxy"
    assert inject(plain, settings).obj == first


def test_cached_sidecar_parts_keep_each_pods_own_values() -> None:
    settings = IstioSettings(values={"global": {"mountMtlsCerts": True}}, native_sidecars=True)
    outs = [inject(deployment(meta={"labels": {"app": app, "version": app}}, serviceAccountName=app,
                              containers=[{"name": app, "image": "i", "ports": [{"containerPort": port}]}]), settings).obj
            for app, port in (("a", 8080), ("b", 9090))]
    for out, app, port in zip(outs, "ab", (8080, 9090)):
        pod = pod_of(out)
        assert pod["metadata"]["labels"]["service.istio.io/canonical-name"] == app
        assert pod["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"] == app
        values = env(proxy_of(out))
        assert values["ISTIO_META_APP_CONTAINERS"] == app and f'"containerPort":{port}' in values["ISTIO_META_POD_PORTS"]
        certs = next(v for v in pod["spec"]["volumes"] if v["name"] == "istio-certs")
        assert certs["secret"]["secretName"] == f"istio.{app}"


def test_cached_sidecar_parts_are_never_shared_between_outputs() -> None:
    lifecycle = {"preStop": {"exec": {"command": ["sleep", "5"]}}}
    values = {"global": {"proxy": {"lifecycle": lifecycle, "seccompProfile": {"type": "RuntimeDefault"}}}}
    settings = IstioSettings(values=values, native_sidecars=True)
    before = copy.deepcopy(values)
    first, second = (inject(deployment(), settings).obj for _ in range(2))
    ids_first: list[int] = []
    ids_second: list[int] = []
    _ids(first, ids_first)
    _ids(second, ids_second)
    assert not set(ids_first) & set(ids_second)
    expected = copy.deepcopy(second)
    proxy_of(first)["lifecycle"]["preStop"]["exec"]["command"].append("changed")
    proxy_of(first)["securityContext"]["seccompProfile"]["type"] = "changed"
    pod_of(first)["spec"]["initContainers"][0]["args"].clear()
    assert second == expected and inject(deployment(), settings).obj == expected
    assert values == before


def test_images_kept_per_settings_follow_each_pods_image_type() -> None:
    values = {"global": {"hub": "r.example/istio", "tag": "1.2.3-distroless"}}
    settings = IstioSettings(values=values, mesh={"defaultConfig": {"image": {"imageType": "debug"}}}, native_sidecars=True)

    def images(annotations: dict[str, str]) -> set[str]:
        out = inject(deployment(meta={"labels": {"app": "web"}, "annotations": annotations}), settings).obj
        return {c["image"] for c in pod_of(out)["spec"]["initContainers"]}

    for _ in range(2):  # the second round meets what the first kept
        assert images({}) == {"r.example/istio/proxyv2:1.2.3-debug"}
        assert images({"sidecar.istio.io/proxyImageType": ""}) == {"r.example/istio/proxyv2:1.2.3-distroless"}
        assert images({"sidecar.istio.io/proxyImageType": "default"}) == {"r.example/istio/proxyv2:1.2.3"}
        assert images({"proxy.istio.io/config": "image: {imageType: default}"}) == {"r.example/istio/proxyv2:1.2.3"}


@pytest.mark.parametrize(
    "where,container,path",
    [
        ("initContainers", {"name": "a", "ports": [{"containerPort": True}]},
         "spec.jobTemplate.spec.template.spec.initContainers[1].ports[0].containerPort"),
        ("containers", {"name": "a", "lifecycle": {"postStart": {"exec": "x"}}},
         "spec.jobTemplate.spec.template.spec.containers[1].lifecycle.postStart.exec"),
        ("containers", {"name": "a", "volumeMounts": [{}, 2]},
         "spec.jobTemplate.spec.template.spec.containers[1].volumeMounts[1]"),
        ("volumes", {"emptyDir": {}}, "spec.jobTemplate.spec.template.spec.volumes[1]"),
    ],
)
def test_a_cronjob_pod_is_checked_at_its_own_path(where: str, container: dict[str, Any], path: str) -> None:
    ok = {"name": "ok", "image": "x"}
    spec = {"containers": [dict(ok)], "initContainers": [dict(ok)], "volumes": [dict(ok)]}
    spec[where] = [*spec[where], container]
    obj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
           "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}
    with pytest.raises(NotInjectable) as err:
        inject(obj, NATIVE)
    assert err.value.path == path and path in str(err.value)


@pytest.mark.parametrize("kind", ["Pod", "CronJob", "Deployment-no-metadata"])
def test_no_shared_structure_whatever_the_pod_path(kind: str) -> None:
    spec = {"containers": [{"name": "app", "image": "a", "ports": [{"containerPort": 80}]}],
            "volumes": [{"name": "v", "emptyDir": {}}]}
    meta = {"labels": {"app": "x"}, "annotations": {"a": "b"}}
    if kind == "Pod":
        obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", **meta}, "spec": spec}
    elif kind == "CronJob":
        obj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
               "spec": {"jobTemplate": {"metadata": meta, "spec": {"template": {"spec": spec}}}}}
    else:
        obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
               "spec": {"template": {"metadata": None, "spec": spec}}}
    before = copy.deepcopy(obj)
    out = inject(obj, NATIVE).obj
    assert obj == before
    ins: list[int] = []
    outs: list[int] = []
    _ids(obj, ins)
    _ids(out, outs)
    assert not set(ins) & set(outs)
    assert len(outs) == len(set(outs))
