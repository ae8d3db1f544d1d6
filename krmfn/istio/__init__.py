"""Today's Istio sidecar injection (template ``istio``): pure data in, data out."""
