"""istioctl kube-inject's three files -> the injector ConfigMap krmfn reads.

``istioctl kube-inject --injectConfigFile inject-config.yaml --valuesFile values.json --meshConfigFile mesh.yaml``
takes what Istio's docs tell users to capture from their cluster::

    kubectl -n istio-system get cm istio-sidecar-injector -o jsonpath='{.data.config}' > inject-config.yaml
    kubectl -n istio-system get cm istio-sidecar-injector -o jsonpath='{.data.values}' > values.json
    kubectl -n istio-system get cm istio -o jsonpath='{.data.mesh}' > mesh.yaml

krmfn takes the same files under the same flag names: they become the ``data.config``, ``data.values`` and
``data.mesh`` of one ``istio-sidecar-injector`` ConfigMap (the form a KRM function config may hold too), read
by :mod:`krmfn.config.injector` like any other.  A file left out means what krmfn has built in: its injection
config (policy enabled, template ``sidecar``), the chart's default values, the default mesh config.  There is
no cluster to fall back on, so the flags that name ConfigMaps in one are refused.

Pure: the CLI reads the files and hands their text here.
"""

from __future__ import annotations

import json

from .fields import INJECTOR_CONFIGMAP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


# flag -> the data key of the injector ConfigMap it fills
FILE_FLAGS = {"injectConfigFile": "config", "valuesFile": "values", "meshConfigFile": "mesh"}
# istioctl flags that read a cluster: refused with what to do instead
CLUSTER_FLAGS = {
    "injectConfigMapName": "--injectConfigFile inject-config.yaml (kubectl -n istio-system get cm "
                           "istio-sidecar-injector -o jsonpath='{.data.config}' > inject-config.yaml)",
    "meshConfigMapName": "--meshConfigFile mesh.yaml (kubectl -n istio-system get cm istio "
                         "-o jsonpath='{.data.mesh}' > mesh.yaml)",
}


class FilesError(Exception):
    """A file that cannot stand for what its flag says; the message names the flag."""


def _check_yaml(text: str, flag: str) -> None:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise FilesError(f"--{flag}: not valid YAML{where}: {getattr(e, 'problem', None) or e}") from None
    if data is not None and not isinstance(data, dict):
        raise FilesError(f"--{flag}: expected a YAML mapping, got {type(data).__name__}")


def _check_json(text: str, flag: str) -> None:
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError as e:
        raise FilesError(f"--{flag}: not valid JSON: {e} (capture it with -o jsonpath='{{.data.values}}')") from None
    except RecursionError:
        raise FilesError(f"--{flag}: nested too deeply") from None
    if not isinstance(data, dict):
        raise FilesError(f"--{flag}: expected a JSON object, got {type(data).__name__}")


def injector_configmap(texts: dict[str, str], revision: str = "") -> dict[str, Any]:
    """The ConfigMap the files stand for; ``texts`` maps flag names of :data:`FILE_FLAGS` to file contents.

    ``revision`` (istioctl's ``--revision``) names the ConfigMap ``istio-sidecar-injector-REV``, which makes it
    the revision's injector (unless data.values sets ``revision``, as a revision's own ConfigMap does).
    """
    data: dict[str, str] = {}
    for flag, key in FILE_FLAGS.items():
        text = texts.get(flag)
        if text is None:
            continue
        if key == "values":
            _check_json(text, flag)
        else:
            _check_yaml(text, flag)
        data[key] = text
    name = INJECTOR_CONFIGMAP + (f"-{revision}" if revision and revision != "default" else "")
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def config_text(texts: dict[str, str], revision: str = "") -> str:
    """:func:`injector_configmap` as YAML text (the functionConfig krmfn runs with)."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, value: str) -> Any:
        style = "|" if "\n" in value and _literal_ok(value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    return yaml.dump(injector_configmap(texts, revision), Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def _literal_ok(value: str) -> bool:
    """A block literal keeps the text exactly only without trailing spaces on its lines and tabs/CR."""
    return not any(line != line.rstrip(" ") for line in value.split("\n")) and "\r" not in value and "\t" not in value
