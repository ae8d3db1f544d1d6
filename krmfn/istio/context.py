"""What every template reads about one pod: Istio's SidecarTemplateData, as a Python object.

:class:`Context` holds the stripped pod (previously injected containers
removed), the effective values, mesh and proxy config and the derived
names; its helpers are the template functions the chart uses
(``annotation``, ``excludeInboundPort``, ...).
"""

from __future__ import annotations

from ..names import PROXY_CONTAINER
from ..plain import dig
from ..records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def go_str(value: Any) -> str:
    """fmt.Sprint of a template value."""
    if value is None:
        return "<nil>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def truthy(value: Any) -> bool:
    """Go template truth: zero values, empty strings and empty collections are false."""
    return bool(value) and value != "<nil>"


def exclude_inbound_port(port: Any, excluded: str) -> str:
    """The chart's excludeInboundPort: add the status port to the exclusion list unless it is there or 0."""
    port_str = go_str(port).strip()
    if not port_str or port_str == "0":
        return excluded
    out: list[str] = []
    for item in excluded.split(","):
        if item == port_str:
            return excluded
        item = item.strip()
        if item:
            out.append(item)
    out.append(port_str)
    return ",".join(out)


class Context(Record):
    __slots__ = (
        "annotations", "labels", "spec", "values", "mesh", "proxy_config", "revision", "proxy_image",
        "proxy_init_image", "proxy_uid", "proxy_gid", "native_sidecars", "deploy_name", "deploy_namespace",
        "api_version", "kind", "compliance_policy", "pod_metadata", "fixed_key",
    )
    annotations: dict[str, str]
    labels: dict[str, str]
    spec: dict[str, Any]
    values: dict[str, Any]
    mesh: dict[str, Any]
    proxy_config: dict[str, Any]
    revision: str
    proxy_image: str
    proxy_init_image: str
    proxy_uid: int
    proxy_gid: int
    native_sidecars: bool
    deploy_name: str
    deploy_namespace: str
    api_version: str
    kind: str
    compliance_policy: str
    pod_metadata: dict[str, Any]
    # What every field but the pod's annotations, labels, spec, metadata and controller (deploy_*,
    # api_version, kind) is made of, hashable: a template may cache what it makes of those fields under it,
    # adding the annotations it reads (krmfn.istio.sidecar.fixed).  None: do not cache.
    fixed_key: Any

    def __init__(
        self,
        annotations: dict[str, str],
        labels: dict[str, str],
        spec: dict[str, Any],
        values: dict[str, Any],
        mesh: dict[str, Any],
        proxy_config: dict[str, Any],
        revision: str,
        proxy_image: str,
        proxy_init_image: str,
        proxy_uid: int,
        proxy_gid: int,
        native_sidecars: bool,
        deploy_name: str,
        deploy_namespace: str,
        api_version: str,
        kind: str,
        compliance_policy: str,
        pod_metadata: dict[str, Any],
        fixed_key: Any = None,
    ) -> None:
        self.annotations = annotations
        self.labels = labels
        self.spec = spec
        self.values = values
        self.mesh = mesh
        self.proxy_config = proxy_config
        self.revision = revision
        self.proxy_image = proxy_image
        self.proxy_init_image = proxy_init_image
        self.proxy_uid = proxy_uid
        self.proxy_gid = proxy_gid
        self.native_sidecars = native_sidecars
        self.deploy_name = deploy_name
        self.deploy_namespace = deploy_namespace
        self.api_version = api_version
        self.kind = kind
        self.compliance_policy = compliance_policy
        self.pod_metadata = pod_metadata
        self.fixed_key = fixed_key

    def without_pod(self) -> Context:
        """This context without the pod's labels, spec, metadata and controller (None: reading them fails),
        for what a template makes of the other fields alone."""
        return self.replace(labels=None, spec=None, pod_metadata=None, deploy_name=None, deploy_namespace=None,
                            api_version=None, kind=None)

    def value(self, *path: str, default: Any = None) -> Any:
        return dig(self.values, *path, default=default)

    def annotation(self, name: str, default: Any) -> str:
        """The chart's ``annotation`` function: the pod's value, else the default as text."""
        if name in self.annotations:
            return self.annotations[name]
        return go_str(default)

    def isset(self, name: str) -> bool:
        return name in self.annotations

    @property
    def interception_mode(self) -> str:
        return self.annotation("sidecar.istio.io/interceptionMode", self.proxy_config.get("interceptionMode") or "REDIRECT")

    @property
    def tproxy(self) -> bool:
        return self.interception_mode == "TPROXY"

    @property
    def native(self) -> bool:
        """$nativeSidecar: the pod annotation, else the injector-wide decision; only "false" turns it off."""
        text = self.annotations.get("sidecar.istio.io/nativeSidecar") or ("true" if self.native_sidecars else "false")
        return text != "false"

    @property
    def status_port(self) -> str:
        return self.annotation("status.sidecar.istio.io/port", self.value("global", "proxy", "statusPort"))

    @property
    def app_containers(self) -> list[str]:
        return [c.get("name", "") for c in self.spec.get("containers") or [] if c.get("name") != PROXY_CONTAINER]

    @property
    def proxy_metadata(self) -> dict[str, str]:
        meta = self.proxy_config.get("proxyMetadata") or {}
        return {str(k): go_str(v) for k, v in sorted(meta.items())}

    @property
    def hold_application(self) -> bool:
        return bool(self.proxy_config.get("holdApplicationUntilProxyStarts")) or bool(
            self.value("global", "proxy", "holdApplicationUntilProxyStarts")
        )

    @property
    def inbound_policy_mode(self) -> str:
        mode = dig(self.mesh, "inboundTrafficPolicy", "mode")
        return "localhost" if mode == "LOCALHOST" else "passthrough"

    @property
    def trust_domain(self) -> str:
        return str(self.mesh.get("trustDomain") or self.value("global", "trustDomain") or "")
