"""The custom-metric rule (judge/custom.py) and the codecs of reported figures, without pytest
runs: values in, verdicts and round-trips out."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace

import pytest

from pytest_perfguard.judge.custom import custom_metric, custom_metrics
from pytest_perfguard.model import BenchResult, Measurement, Verdict
from pytest_perfguard.store.codec import result_from_dict, result_to_dict
from pytest_perfguard.usermetrics import CustomMetric, throughput


def metric(value: float, **kw: object) -> CustomMetric:
    return CustomMetric("m", value, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("now", "better", "seen", "verdict"),
    [
        (4.0, "lower", [3.0], Verdict.REGRESSED),
        (3.0, "lower", [3.0], Verdict.UNCHANGED),
        (3.0000001, "lower", [3.0], Verdict.UNCHANGED),  # the file's 7 digits
        (2.0, "lower", [3.0], Verdict.IMPROVED),
        (2.0, "higher", [3.0], Verdict.REGRESSED),
        (4.0, "higher", [3.0], Verdict.IMPROVED),
        (3.5, "lower", [3.0, 4.0], Verdict.UNCHANGED),  # within the runs seen
        (4.5, "lower", [3.0, 4.0], Verdict.REGRESSED),
        (0.0, "higher", [0.0], Verdict.UNCHANGED),
    ],
)
def test_exact_metrics_fail_on_any_move_the_worse_way(
    now: float, better: str, seen: list[float], verdict: Verdict
) -> None:
    got = custom_metric(metric(now, better=better, exact=True), seen, "saved", live=False)
    assert got.verdict is verdict and not got.advisory


@pytest.mark.parametrize(
    ("now", "better", "verdict"),
    [
        (104.0, "lower", Verdict.UNCHANGED),
        (106.0, "lower", Verdict.REGRESSED),
        (94.0, "lower", Verdict.IMPROVED),
        (94.0, "higher", Verdict.REGRESSED),
        (96.0, "higher", Verdict.UNCHANGED),
    ],
)
def test_a_tolerance_is_a_share_of_the_runs_median(
    now: float, better: str, verdict: Verdict
) -> None:
    m = metric(now, better=better, tolerance=0.05)
    got = custom_metric(m, [90.0, 100.0, 500.0], "saved", live=False)
    assert (got.baseline, got.verdict) == (100.0, verdict)


def test_without_exact_or_tolerance_a_metric_is_advisory() -> None:
    got = custom_metric(metric(200.0), [100.0], "saved", live=False)
    assert (got.verdict, got.advisory) == (Verdict.REGRESSED, True)


def test_only_metrics_both_sides_have_are_compared() -> None:
    now = SimpleNamespace(custom=(metric(1.0, exact=True), CustomMetric("new", 1.0)))
    runs = [SimpleNamespace(custom=(metric(1.0),)), SimpleNamespace(custom=())]
    assert [m.metric for m in custom_metrics(runs, now, "saved", live=False)] == ["m"]
    live = custom_metrics(runs, now, "main (abc)", live=True)
    assert live[0].decision.texts["ref"] == "main (abc)"


def test_the_codec_round_trips_reported_figures_and_reads_older_results() -> None:
    m = Measurement(1000.0, 1.0, 3, 10, (1000.0,), (), float("nan"), 0.0)
    m = replace(
        m,
        bytes_processed=4096,
        custom=(CustomMetric("hits", 0.75, "hits/op", "higher", tolerance=0.05),),
    )
    result = BenchResult("t.py::test_x", None, m)
    data = json.loads(json.dumps(result_to_dict(result)))
    back = result_from_dict(data)
    assert back.measurement.custom == m.custom and back.measurement.bytes_processed == 4096
    for key in ("custom", "bytes_processed", "items_processed"):
        del data["measurement"][key]
    older = result_from_dict(data).measurement
    assert (older.custom, older.bytes_processed, older.items_processed) == ((), None, None)


def test_throughput_in_words() -> None:
    assert throughput(1e6, 1 << 20, None) == "1049 MB/s"  # 1 MiB per ms
    assert throughput(500.0, None, 10) == "2e+07 items/s"
    assert throughput(500.0, None, None) is None


def test_an_empty_profile_is_still_written_beside_no_custom_metrics() -> None:
    from pytest_perfguard.model import Baseline, BaselineEntry, RunSummary
    from pytest_perfguard.store import baseline as storage

    run = RunSummary("2026-01-01T00:00:00+00:00", 1000.0, None, None, 5, 10, profile=())
    text = storage.dumps(Baseline(None, {"t::x": BaselineEntry("t::x", None, (run,))}))
    assert "\nprofile = []\n" in text and "custom" not in text
    assert storage.loads(text).entries["t::x"].runs[0].profile == ()
