"""The 0.2-era settings (the ``params``/``mesh`` sections, their flat keys) with Istio's template.

They act through Istio's values (:data:`LEGACY`, the table docs/configuration.md and the reference show),
or are refused with what to write instead.  Never ignored.
"""

from __future__ import annotations

import re

from .errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# legacy setting -> ("values"|"meshConfig", path) it sets, ("image", which) for a full image reference, or
# ("refuse", what to write instead).
LEGACY: dict[str, tuple[str, str]] = {
    "hub": ("values", "global.hub"),
    "tag": ("values", "global.tag"),
    "proxyImage": ("image", "proxy"),
    "initImage": ("image", "proxy_init"),
    "imagePullPolicy": ("values", "global.imagePullPolicy"),
    "includeIPRanges": ("values", "global.proxy.includeIPRanges"),
    "discoveryAddress": ("meshConfig", "defaultConfig.discoveryAddress"),
    "drainDuration": ("meshConfig", "defaultConfig.drainDuration"),
    "discoveryRefreshDelay": ("meshConfig", "defaultConfig.discoveryRefreshDelay"),
    "proxyAdminPort": ("meshConfig", "defaultConfig.proxyAdminPort"),
    "zipkinAddress": ("meshConfig", "defaultConfig.zipkinAddress"),
    "statsdUdpAddress": ("meshConfig", "defaultConfig.statsdUdpAddress"),
    "connectTimeout": ("meshConfig", "connectTimeout"),
    "verbosity": ("refuse", "Istio's proxy takes a log level, not -v: set "
                            "values.global.proxy.logLevel=trace|debug|info|warning|error|critical|off"),
    "version": ("refuse", "Istio's sidecar.istio.io/status records no version: set values.global.tag for the image"),
    "sidecarProxyUID": ("refuse", "Istio's template runs the proxy as UID 1337 (a pod's own istio-proxy "
                                  "securityContext.runAsUser wins); use template=legacy-0.2 for the 0.2 sidecar"),
    "enableCoreDump": ("refuse", "Istio's template has no core-dump init container; use template=legacy-0.2, or "
                                 "set the sysctl on the node"),
    "debugMode": ("refuse", "set meshConfig.defaultConfig.image.imageType=debug (debug proxy image) and "
                            "values.global.proxy.privileged=true"),
    "parentShutdownDuration": ("refuse", "Istio's ProxyConfig has no parentShutdownDuration; set "
                                         "meshConfig.defaultConfig.terminationDrainDuration"),
}

_IMAGE = re.compile(r"^(?P<hub>[^@\s]+)/(?P<name>[^/:@\s]+):(?P<tag>[^/:@\s]+)$")


def set_path(tree: dict[str, Any], path: list[str], value: Any, where: str) -> None:
    node = tree
    for key in path[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{where}: {'.'.join(path)} is set twice (once as a value, once as a mapping)", where)
        node = child
    if path[-1] in node and node[path[-1]] != value:
        raise ConfigError(f"{where}: {'.'.join(path)} is set twice, to {node[path[-1]]!r} and {value!r}; give one",
                          where)
    node[path[-1]] = value


def legacy_overrides(given: dict[str, Any], section_of: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values, meshConfig) overrides standing for the legacy settings in ``given`` (name -> checked value);
    ``section_of`` names each setting's section for messages (``params``, ``mesh``).  Raises ConfigError for
    a setting Istio's template cannot take."""
    values: dict[str, Any] = {}
    mesh: dict[str, Any] = {}
    for name in sorted(given, key=lambda n: (LEGACY[n][0] != "refuse", n)):
        value = given[name]
        kind, target = LEGACY[name]
        where = f"{section_of[name]}.{name}" if section_of.get(name) else name
        if kind == "refuse":
            raise ConfigError(f"{where}: not available with the istio template; {target}", where)
        if kind == "image":
            m = _IMAGE.match(str(value))
            if not m:
                raise ConfigError(f"{where}: {value!r} is not REGISTRY/NAME:TAG; Istio's values compose images as "
                                  "values.global.hub/<name>:values.global.tag (set those and values.global.proxy.image"
                                  " / values.global.proxy_init.image)", where)
            set_path(values, ["global", "hub"], m["hub"], where)
            set_path(values, ["global", "tag"], m["tag"], where)
            set_path(values, ["global", target, "image"], m["name"], where)
            continue
        set_path(values if kind == "values" else mesh, target.split("."), value, where)
    return values, mesh


def merge_overrides(explicit: dict[str, Any] | None, derived: dict[str, Any], root: str) -> dict[str, Any]:
    """``derived`` (from legacy settings) into the user's ``explicit`` tree; the same path set to two values
    is an error."""
    out: dict[str, Any] = _copy(explicit or {})

    def walk(node: dict[str, Any], over: dict[str, Any], path: list[str]) -> None:
        for key, value in over.items():
            if isinstance(value, dict) and isinstance(node.get(key), dict):
                walk(node[key], value, path + [key])
            elif key in node and node[key] != value:
                dotted = ".".join([root] + path + [key])
                raise ConfigError(f"{dotted} is set twice, to {node[key]!r} and {value!r} (by a legacy setting); "
                                  "give one", dotted)
            else:
                node[key] = _copy(value)

    walk(out, derived, [])
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
