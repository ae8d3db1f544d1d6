"""krmfn: Istio sidecar injection as a Kustomize/kpt KRM function."""

__version__ = "0.1.0"
