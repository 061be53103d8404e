"""Model values survive the trip through plain dicts (xdist transport, JSON report)."""

from __future__ import annotations

import dataclasses
import json
import math

from pytest_perfguard.model import (
    BenchResult,
    BenchSettings,
    Caveat,
    CaveatKind,
    Comparison,
    Decision,
    Measurement,
    MetricComparison,
    Rule,
    Verdict,
)
from pytest_perfguard.store.codec import junit_properties, result_from_dict, result_to_dict
from pytest_perfguard.store.verdictcodec import comparison_from_dict, comparison_to_dict


def test_results_round_trip_through_json() -> None:
    result = BenchResult(
        nodeid='t.py::test[a-"b"-ü]',
        group="g",
        measurement=Measurement(
            median_ns=12.5,
            spread_ns=0.5,
            rounds=3,
            loops=7,
            samples_ns=(12.0, 12.5, 13.0),
            ref_ratios=(0.1, 0.2, 0.3),
            reference_ns=100.0,
            gc_collections_per_op=0.01,
            allocs_per_op=2.0,
            bytes_per_op=64.0,
            retained_blocks_per_op=0.0,
            peak_memory_bytes=4096,
            peak_memory_exact=False,
            notes=("n",),
            others_cpu=0.375,
            tracers=("sys.settrace",),
        ),
        settings=BenchSettings(
            max_time=0.2, alloc_tolerance=0.05, limit_time_ns=1e6, limit_memory_bytes=10, group="g"
        ),
        location=("t.py", 3),
    )
    assert result_from_dict(json.loads(json.dumps(result_to_dict(result)))) == result


def test_settings_written_before_alloc_tolerance_still_read() -> None:
    m = Measurement(1.0, 0.0, 1, 1, (1.0,), (), 10.0, 0.0)
    data = result_to_dict(BenchResult("t.py::t", None, m, BenchSettings(alloc_tolerance=0.5)))
    del data["settings"]["alloc_tolerance"]
    assert result_from_dict(data).settings.alloc_tolerance == 0.0


def test_a_missing_reference_becomes_null_and_back_to_nan() -> None:
    m = Measurement(1.0, 0.0, 1, 1, (1.0,), (), math.nan, 0.0)
    result = BenchResult("t.py::t", None, m)
    data = result_to_dict(result)
    assert data["measurement"]["reference_ns"] is None
    assert math.isnan(result_from_dict(data).measurement.reference_ns)


TIME = Decision(
    Rule.TIME_PAIRED,
    {"pairs": 40, "process_sd": 0.02, "min_effect": 0.03, "bias_floor": 0.0, "alpha": 0.05,
     "family": 3},
    {"ref": "main (1a2b)", "correction": "Bonferroni"},
    (Caveat(CaveatKind.BUSY, {"share": 0.6}), Caveat(CaveatKind.TRACER, texts={"tracers": "x"})),
    counted=True,
)  # fmt: skip
COUNT = Decision(Rule.COUNT_EXACT, {"runs": 5, "low": 2.0, "high": 2.0, "tolerance": 0.0,
                                    "limit": math.inf}, {"unit": "allocs/op"})  # fmt: skip


def test_comparisons_round_trip_through_json() -> None:
    comparison = Comparison(
        nodeid="t.py::t",
        group=None,
        verdict=Verdict.REGRESSED,
        metrics=(
            MetricComparison(
                "time", 100.0, 130.0, 0.3, (0.2, 0.4), 0.001, Verdict.REGRESSED, TIME, 0.05, False
            ),
            MetricComparison("allocs", 2.0, 2.0, 0.0, None, None, Verdict.UNCHANGED, COUNT),
        ),
        notes=("x",),
        reason=Decision(Rule.NO_BASE_MEASUREMENT, texts={"ref": "main (1a2b)"}),
    )
    assert comparison_from_dict(json.loads(json.dumps(comparison_to_dict(comparison)))) == (
        comparison
    )


def test_results_written_before_tracers_were_recorded_read_as_untraced() -> None:
    data = result_to_dict(
        BenchResult("t.py::t", None, Measurement(1.0, 0.0, 1, 1, (), (), 1.0, 0.0))
    )
    del data["measurement"]["tracers"]
    assert result_from_dict(data).measurement.tracers == ()


def test_junit_properties_name_every_metric() -> None:
    m = Measurement(
        median_ns=1234567.0,
        spread_ns=1.0,
        rounds=5,
        loops=10,
        samples_ns=(1.0,),
        ref_ratios=(),
        reference_ns=50.0,
        gc_collections_per_op=0.0,
        allocs_per_op=2.5,
        bytes_per_op=None,
        peak_memory_bytes=12345678,
        calls_per_op=41.0,
    )
    assert junit_properties(m, None) == [
        ("perf_median_ns", "1.23457e+06"),
        ("perf_rounds_x_loops", "5x10"),
        ("perf_allocs_per_op", "2.5"),
        ("perf_bytes_per_op", "n/a"),
        ("perf_calls_per_op", "41"),
        ("perf_peak_memory_bytes", "12345678"),
    ]
    # objects/op (Python 3.13+) is listed where it was measured, left out where it was not
    counted = dataclasses.replace(m, objects_per_op=3.0)
    assert ("perf_objects_per_op", "3") in junit_properties(counted, None)
    counted = junit_properties(dataclasses.replace(m, instructions_per_op=1234.5), None)
    assert ("perf_instructions_per_op", "1234.5") in counted
