"""What the modern ``istio`` template needs from the configuration.

:mod:`krmfn.config` builds one :class:`IstioSettings` from whichever form the
user gave (IstioOperator, Istio's injector ConfigMap, the typed
``SidecarInjector``); :mod:`krmfn.policy` reads the selectors and revision;
:mod:`krmfn.istio` merges ``values`` and ``mesh`` over the chart defaults and
injects.  Everything here is plain data, as the user wrote it (overrides, not
the merged result).
"""

from __future__ import annotations

from ..records import Frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


class IstioSettings(Frozen):
    __slots__ = (
        "values", "mesh", "revision", "native_sidecars", "templates", "default_templates", "aliases",
        "never_inject_selector", "always_inject_selector", "injected_annotations", "features", "values_complete",
    )
    # Helm values overrides, as in IstioOperator ``spec.values`` or the injector ConfigMap's ``data.values``
    # (e.g. {"global": {"hub": ..., "proxy": {...}}, "sidecarInjectorWebhook": {...}, "pilot": {"env": {...}}}).
    values: Mapping[str, Any]
    # meshConfig overrides, as in IstioOperator ``spec.meshConfig`` or the mesh ConfigMap's ``data.mesh``.
    mesh: Mapping[str, Any]
    # The control plane revision this config stands for ("" = the default revision).
    revision: str
    # True/False forces native (initContainers, restartPolicy: Always) or classic sidecars; None: native only when
    # values.pilot.env.ENABLE_NATIVE_SIDECARS is "true". A pod's sidecar.istio.io/nativeSidecar annotation wins.
    native_sidecars: bool | None
    # User-defined templates by name (Go text/template source, as in sidecarInjectorWebhook.templates or the
    # injector ConfigMap's data.config templates); a name here replaces a built-in template of that name.
    templates: Mapping[str, str]
    # Templates applied when the pod names none (inject.istio.io/templates).
    default_templates: tuple[str, ...]
    # Template aliases: name -> the templates it stands for.
    aliases: Mapping[str, tuple[str, ...]]
    # Label selectors (Kubernetes LabelSelector dicts: matchLabels / matchExpressions).
    never_inject_selector: tuple[Mapping[str, Any], ...]
    always_inject_selector: tuple[Mapping[str, Any], ...]
    # Annotations added to every injected pod (sidecarInjectorWebhook.injectedAnnotations).
    injected_annotations: Mapping[str, str]
    # Istiod feature flags that change injection: COMPLIANCE_POLICY, PLATFORM (e.g. "openshift").
    features: Mapping[str, str]
    # True when ``values`` is a release's whole data.values (Istio's injector ConfigMap, istioctl's --valuesFile):
    # Istio takes it as complete, so keys it lacks are not filled from krmfn's chart defaults.
    values_complete: bool

    def __init__(
        self,
        values: Mapping[str, Any] | None = None,
        mesh: Mapping[str, Any] | None = None,
        revision: str = "",
        native_sidecars: bool | None = None,
        templates: Mapping[str, str] | None = None,
        default_templates: tuple[str, ...] = ("sidecar",),
        aliases: Mapping[str, tuple[str, ...]] | None = None,
        never_inject_selector: tuple[Mapping[str, Any], ...] = (),
        always_inject_selector: tuple[Mapping[str, Any], ...] = (),
        injected_annotations: Mapping[str, str] | None = None,
        features: Mapping[str, str] | None = None,
        values_complete: bool = False,
    ) -> None:
        """Mappings left out (or None) are new empty dicts."""
        set_ = object.__setattr__
        set_(self, "values", {} if values is None else values)
        set_(self, "mesh", {} if mesh is None else mesh)
        set_(self, "revision", revision)
        set_(self, "native_sidecars", native_sidecars)
        set_(self, "templates", {} if templates is None else templates)
        set_(self, "default_templates", default_templates)
        set_(self, "aliases", {} if aliases is None else aliases)
        set_(self, "never_inject_selector", never_inject_selector)
        set_(self, "always_inject_selector", always_inject_selector)
        set_(self, "injected_annotations", {} if injected_annotations is None else injected_annotations)
        set_(self, "features", {} if features is None else features)
        set_(self, "values_complete", values_complete)
