"""The names injection writes and reads back, spelled once: containers, volumes, annotations.

No imports: every module may use it, the start-up pays nothing for it.
"""

PROXY_CONTAINER = "istio-proxy"
INIT_CONTAINER = "istio-init"
VALIDATION_CONTAINER = "istio-validation"  # istio-init's place when the Istio CNI plugin sets up iptables
CORE_DUMP_CONTAINER = "enable-core-dump"  # the 0.2 sidecar's core-dump init container
LEGACY_VOLUMES = ("istio-envoy", "istio-certs")  # the 0.2 sidecar's volumes

STATUS_KEY = "sidecar.istio.io/status"  # what an injection added (JSON; "injected-version-..." for 0.2)
RESTORE_KEY = "krmfn.dev/uninject"  # krmfn's record of what the status cannot restore (exactUninject)
LEGACY_STATUS_PREFIX = "injected-version-"
