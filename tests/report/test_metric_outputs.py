"""The registry drives every output: each MetricSpec reaches the JSON results (written, read
and range-checked), the tables, the JUnit properties, the codec and the baseline file.

Parametrized over METRICS, so a new spec is checked everywhere without a new test: an output
that names its metrics by hand fails here for the spec it forgot.
"""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import datetime, timezone

import pytest

from pytest_perfguard.cli.output import baseline_lines
from pytest_perfguard.compat.document import benchmark_entry
from pytest_perfguard.judge.policy import Observation
from pytest_perfguard.metrics import METRICS, MetricKind, MetricSpec, Output, listed_in
from pytest_perfguard.model import BenchResult, Fingerprint, Measurement, RunSummary
from pytest_perfguard.report.html import HtmlReport, render_html
from pytest_perfguard.report.json import ResultsError, parse_results, render_json, results_document
from pytest_perfguard.report.markdown import render_markdown
from pytest_perfguard.report.terminal import format_metric, render_results
from pytest_perfguard.store.baseline import dumps, loads
from pytest_perfguard.store.codec import junit_properties, result_from_dict, result_to_dict
from pytest_perfguard.store.history import merge

FINGERPRINT = Fingerprint("CPython", "3.12.1", "Linux", "x86_64", "cpu", 2, "1.0")
NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)

_VALUES = {MetricKind.TIME: 1234.5, MetricKind.COUNT: 17.25, MetricKind.MEMORY: 3 * 1024 * 1024}


def _value(spec: MetricSpec) -> float | int:
    """A value of the spec's type that no other figure of the measurement has."""
    value = _VALUES[spec.kind] + (0 if spec.kind is MetricKind.TIME else METRICS.index(spec))
    return spec.value_type(value)


def _result() -> BenchResult:
    """Every metric measured, each with its own value."""
    m = Measurement(
        median_ns=1.0,
        spread_ns=0.5,
        rounds=3,
        loops=7,
        samples_ns=(1.0, 1.5, 2.0),
        ref_ratios=(0.1, 0.2, 0.3),
        reference_ns=100.0,
        gc_collections_per_op=0.0,
    )
    m = replace(m, **{spec.field: _value(spec) for spec in METRICS})
    return BenchResult("t.py::test_it", None, m)


def _html_table(page: str, cls: str) -> str:
    start = page.index(f'<table class="{cls}">')
    return page[start : page.index("</table>", start)]


def _cell(spec: MetricSpec) -> str:
    return format_metric(spec.name, _value(spec))


def test_every_spec_names_fields_of_every_value_that_holds_metrics() -> None:
    for cls in (Measurement, RunSummary, Observation):
        names = {f.name for f in fields(cls)}
        assert [s.field for s in METRICS if s.field not in names] == [], cls.__name__
    flags = {f.name for f in fields(Measurement) if f.type == "bool"}
    assert {s.exact_field for s in METRICS if s.exact_field is not None} <= flags
    for spec in METRICS:
        if spec.kind is MetricKind.COUNT:  # the rules word every count by its label and grain
            assert spec.label and spec.grain, spec.name


@pytest.mark.parametrize("spec", METRICS, ids=lambda s: s.name)
def test_the_codec_and_the_json_results_carry_every_metric(spec: MetricSpec) -> None:
    result = _result()
    data = json.loads(json.dumps(result_to_dict(result)))
    assert data["measurement"][spec.field] == _value(spec)
    assert result_from_dict(data) == result

    doc = results_document([result], {}, FINGERPRINT, {}, "2026-01-02T00:00:00Z")
    text = render_json(doc)
    assert json.loads(text)["benchmarks"][0]["measurement"][spec.field] == _value(spec)
    assert parse_results(text, source="r.json").results[0].measurement == result.measurement


@pytest.mark.parametrize("spec", METRICS, ids=lambda s: s.name)
def test_the_json_results_check_every_metrics_range(spec: MetricSpec) -> None:
    doc = results_document([_result()], {}, FINGERPRINT, {}, "2026-01-02T00:00:00Z")
    doc["benchmarks"][0]["measurement"][spec.field] = -1
    with pytest.raises(ResultsError, match=rf"measurement\.{spec.field}: expected"):
        parse_results(render_json(doc), source="r.json")


@pytest.mark.parametrize("spec", METRICS, ids=lambda s: s.name)
def test_a_metric_added_later_reads_as_not_measured_from_older_results(spec: MetricSpec) -> None:
    data = result_to_dict(_result())
    del data["measurement"][spec.field]
    if spec.in_every_result:
        with pytest.raises(KeyError):
            result_from_dict(data)
    else:
        assert getattr(result_from_dict(data).measurement, spec.field) is None


@pytest.mark.parametrize("spec", METRICS, ids=lambda s: s.name)
def test_junit_properties_hold_every_metric(spec: MetricSpec) -> None:
    properties = dict(junit_properties(_result().measurement, None))
    assert float(properties[spec.junit_property]) == pytest.approx(_value(spec), rel=1e-5)


@pytest.mark.parametrize("spec", METRICS, ids=lambda s: s.name)
def test_the_baseline_keeps_every_metric(spec: MetricSpec) -> None:
    baseline = merge(None, [_result()], FINGERPRINT, now=NOW)
    (run,) = loads(dumps(baseline)).entries["t.py::test_it"].runs
    assert getattr(run, spec.field) == pytest.approx(_value(spec), rel=1e-5)
    assert getattr(Observation.from_run(run), spec.field) == getattr(run, spec.field)


@pytest.mark.parametrize("spec", METRICS, ids=lambda s: s.name)
def test_every_table_has_a_column_for_every_metric(spec: MetricSpec) -> None:
    result = _result()
    assert spec.column in render_results([result])[0]
    markdown = render_markdown([], [result], baseline_path=None).splitlines()
    header = next(line for line in markdown if line.startswith("| benchmark"))
    assert f" {spec.column} " in header
    assert f" {_cell(spec)} " in next(line for line in markdown if "test_it" in line)
    overview = _html_table(render_html(HtmlReport([result], {}, "2026-01-02"), None), "overview")
    assert f"<th>{spec.column}</th>" in overview


def test_outputs_that_leave_metrics_out_list_the_others() -> None:
    result = _result()
    show = baseline_lines(merge(None, [result], FINGERPRINT, now=NOW))[0]
    listed = listed_in(Output.BASELINE_TABLE)
    assert [s.column for s in METRICS if s.column in show] == [s.column for s in listed]
    perfguard = benchmark_entry(result, None)["perfguard"]
    listed = listed_in(Output.BENCHMARK_JSON)
    assert [s.field for s in METRICS if s.field in perfguard] == [s.field for s in listed]
    runs_table = _html_table(render_html(HtmlReport([result], {}, "2026-01-02"), None), "runs")
    for spec in METRICS:
        if spec.kind is not MetricKind.TIME:
            shown = f"<th>{spec.column}</th>" in runs_table
            assert shown is (Output.RUNS_TABLE not in spec.left_out_of), spec.name


def test_only_the_outputs_fixed_before_calls_and_bytes_leave_them_out() -> None:
    # The table of exceptions: a new spec is listed everywhere unless it says otherwise.
    left_out = {s.name: s.left_out_of for s in METRICS if s.left_out_of}
    assert left_out == {
        "bytes": {Output.RUNS_TABLE},
        "calls": {Output.BASELINE_TABLE, Output.BENCHMARK_JSON},
    }


@pytest.mark.parametrize("spec", [s for s in METRICS if s.optional], ids=lambda s: s.name)
def test_an_optional_metric_no_benchmark_measured_has_no_column(spec: MetricSpec) -> None:
    result = _result()
    unmeasured = replace(result, measurement=replace(result.measurement, **{spec.field: None}))
    assert spec.column not in render_results([unmeasured])[0]
    assert spec.column in render_results([unmeasured, result])[0]
    markdown = render_markdown([], [unmeasured], baseline_path=None)
    assert f" {spec.column} " not in markdown
    overview = _html_table(
        render_html(HtmlReport([unmeasured], {}, "2026-01-02"), None), "overview"
    )
    assert f"<th>{spec.column}</th>" not in overview
    assert spec.junit_property not in dict(junit_properties(unmeasured.measurement, None))
