"""krmfn.istio.jsoncompact.compact is json.dumps(value, separators=(",", ":")), errors included."""

from __future__ import annotations

import json
from typing import Any

import pytest

from krmfn.istio.jsoncompact import compact

VALUES: list[Any] = [
    {}, [], "", "é\u2028\x00\"\\/", 0, -1, 2**70, 1.5, -0.0, 1e300, float("inf"), float("nan"), True, False, None,
    {"b": [1, {"a": None}], "a": "x", 3: "int key", 1.5: "float key", True: "bool key", None: "null key"},
    [{"httpGet": {"path": "/ready", "port": 8080}}, ["nested", [[]]]],
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_same_text_as_json_dumps(value: Any) -> None:
    assert compact(value) == json.dumps(value, separators=(",", ":"))


def test_same_errors_and_a_failure_leaves_nothing_behind() -> None:
    shared: list[Any] = ["x"]
    circular: list[Any] = [shared]
    circular.append(circular)
    for bad in (circular, {"k": {1, 2}}, {("tuple",): 1}):
        with pytest.raises((ValueError, TypeError)) as ours:
            compact(bad)
        with pytest.raises((ValueError, TypeError)) as theirs:
            json.dumps(bad, separators=(",", ":"))
        assert (type(ours.value), str(ours.value)) == (type(theirs.value), str(theirs.value))
    # the half-done encoding of ``circular`` must not make it look circular once it is not
    circular.pop()
    assert compact([circular, circular]) == '[[["x"]],[["x"]]]'
