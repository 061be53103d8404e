"""The metric registry: one spec per metric, consistent with the model it names."""

from __future__ import annotations

from dataclasses import fields

from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.metrics import BY_NAME, COUNT_METRICS, METRICS, MetricKind
from pytest_perfguard.model import BenchSettings, Measurement, RunSummary


def test_every_spec_names_model_fields() -> None:
    measured = {f.name for f in fields(Measurement)}
    kept = {f.name for f in fields(RunSummary)}
    for spec in METRICS:
        assert spec.field in measured
        assert spec.field in kept
        if spec.tolerance is not None:
            assert spec.tolerance in {f.name for f in fields(BenchSettings)}
            assert spec.tolerance in {f.name for f in fields(Policy)}


def test_names_keys_and_columns_are_unique() -> None:
    for attribute in ("name", "field", "column", "junit_property"):
        values = [getattr(spec, attribute) for spec in METRICS]
        assert len(set(values)) == len(values), attribute


def test_the_table_in_order() -> None:
    assert [m.name for m in METRICS] == [
        "time", "allocs", "bytes", "objects", "calls", "instructions", "memory",
    ]  # fmt: skip
    assert [m.name for m in COUNT_METRICS] == [
        "allocs",
        "bytes",
        "objects",
        "calls",
        "instructions",
    ]
    assert [m.name for m in METRICS if m.optional] == ["objects", "instructions"]
    assert BY_NAME["memory"].kind is MetricKind.MEMORY
    assert [m.name for m in METRICS if m.is_bytes] == ["bytes", "memory"]
