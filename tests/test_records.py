"""krmfn.records: what the record classes kept from dataclasses (equality, repr, replace, frozen, hashing)."""

from __future__ import annotations

import pickle

import pytest

from krmfn import config as config_mod
from krmfn.function import Outcome
from krmfn.istio.settings import IstioSettings
from krmfn.records import Frozen, FrozenError, Record
from krmfn.results import Result
from krmfn.text.reconcile import Edit


def test_equality_is_field_by_field_and_class_bound() -> None:
    assert Edit(1, 2, "x") == Edit(1, 2, "x")
    assert Edit(1, 2, "x") != Edit(1, 2, "y")
    assert Result("m") == Result("m", "info", None, None, None)
    assert Result("m") != Result("m", "error")

    class Other(Record):
        __slots__ = ("start", "end", "text")

        def __init__(self, start: int, end: int, text: str) -> None:
            self.start, self.end, self.text = start, end, text

    assert Other(1, 2, "x") != Edit(1, 2, "x")  # same fields, another class


def test_repr_names_the_fields() -> None:
    assert repr(Edit(1, 2, "x")) == "Edit(start=1, end=2, text='x')"
    assert repr(Result("m", "warning")) == (
        "Result(message='m', severity='warning', resource_ref=None, field_path=None, file=None)"
    )


def test_replace_copies_with_changes() -> None:
    cfg = config_mod.parse(None)
    other = cfg.replace(mode="uninject")
    assert other.mode == "uninject" and cfg.mode == "inject"
    assert other.istio is cfg.istio and other.policy == cfg.policy
    assert other.replace(mode="inject") == cfg
    with pytest.raises(TypeError, match="no field 'nope'"):
        cfg.replace(nope=1)


def test_frozen_records_refuse_changes_and_hash_by_fields() -> None:
    r = Result("m", "error", {"kind": "Pod"})
    with pytest.raises(FrozenError):
        r.message = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):  # FrozenError is one, as dataclasses' FrozenInstanceError
        del r.severity
    assert isinstance(r, Frozen) and r.message == "m"
    assert hash(Result("m", "info")) == hash(Result("m", "info"))
    with pytest.raises(TypeError):
        hash(r)  # a dict field: unhashable, as with dataclasses


def test_mutable_records_change_and_do_not_hash() -> None:
    e = Edit(1, 2, "x")
    e.text = "y"
    assert e == Edit(1, 2, "y")
    with pytest.raises(TypeError):
        hash(e)
    with pytest.raises(AttributeError):
        e.other = 1  # type: ignore[attr-defined]  # __slots__: fields only


def test_defaults_are_fresh_per_record() -> None:
    a, b = IstioSettings(), IstioSettings()
    assert a == b and a.values is not b.values and a.values == {}
    assert Outcome("x").results == [] and Outcome("x").results is not Outcome("x").results
    assert config_mod.parse(None).istio == IstioSettings()


def test_records_pickle() -> None:
    """krmfn.parallel sends edits and results back from forked workers pickled."""
    records = [Edit(1, 2, "x"), Result("m", "error", {"kind": "Pod"}, "spec", {"path": "a.yaml"}),
               config_mod.parse(None), IstioSettings(revision="canary")]
    for record in records:
        back = pickle.loads(pickle.dumps(record))
        assert back == record and type(back) is type(record)
    with pytest.raises(FrozenError):
        pickle.loads(pickle.dumps(records[1])).message = "x"  # type: ignore[misc]
