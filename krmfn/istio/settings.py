"""What the modern ``istio`` template needs from the configuration.

:mod:`krmfn.config` builds one :class:`IstioSettings` from whichever form the
user gave (IstioOperator, Istio's injector ConfigMap, the typed
``SidecarInjector``); :mod:`krmfn.policy` reads the selectors and revision;
:mod:`krmfn.istio` merges ``values`` and ``mesh`` over the chart defaults and
injects.  Everything here is plain data, as the user wrote it (overrides, not
the merged result).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class IstioSettings:
    # Helm values overrides, as in IstioOperator ``spec.values`` or the injector ConfigMap's ``data.values``
    # (e.g. {"global": {"hub": ..., "proxy": {...}}, "sidecarInjectorWebhook": {...}, "pilot": {"env": {...}}}).
    values: Mapping[str, Any] = field(default_factory=dict)
    # meshConfig overrides, as in IstioOperator ``spec.meshConfig`` or the mesh ConfigMap's ``data.mesh``.
    mesh: Mapping[str, Any] = field(default_factory=dict)
    # The control plane revision this config stands for ("" = the default revision).
    revision: str = ""
    # True/False forces native (initContainers, restartPolicy: Always) or classic sidecars; None: native only when
    # values.pilot.env.ENABLE_NATIVE_SIDECARS is "true". A pod's sidecar.istio.io/nativeSidecar annotation wins.
    native_sidecars: bool | None = None
    # User-defined templates by name (Go text/template source, as in sidecarInjectorWebhook.templates or the
    # injector ConfigMap's data.config templates); a name here replaces a built-in template of that name.
    templates: Mapping[str, str] = field(default_factory=dict)
    # Templates applied when the pod names none (inject.istio.io/templates).
    default_templates: tuple[str, ...] = ("sidecar",)
    # Template aliases: name -> the templates it stands for.
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Label selectors (Kubernetes LabelSelector dicts: matchLabels / matchExpressions).
    never_inject_selector: tuple[Mapping[str, Any], ...] = ()
    always_inject_selector: tuple[Mapping[str, Any], ...] = ()
    # Annotations added to every injected pod (sidecarInjectorWebhook.injectedAnnotations).
    injected_annotations: Mapping[str, str] = field(default_factory=dict)
    # Istiod feature flags that change injection: COMPLIANCE_POLICY, PLATFORM (e.g. "openshift").
    features: Mapping[str, str] = field(default_factory=dict)
