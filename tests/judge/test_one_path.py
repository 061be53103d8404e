"""One comparison path: saved runs, a base measured in this run (A/B) and `perfguard compare`
judge counts and memory by the same rules over the metric registry, and say "where" alike."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from pytest_perfguard import metrics
from pytest_perfguard.judge import evidence
from pytest_perfguard.judge.ab import compare_paired
from pytest_perfguard.judge.policy import Observation, Policy
from pytest_perfguard.judge.verdict import compare_benchmark
from pytest_perfguard.model import (
    BaselineEntry,
    BenchResult,
    FunctionCost,
    Measurement,
    PairedRun,
    RunSummary,
    Verdict,
)
from pytest_perfguard.store import baseline as storage
from pytest_perfguard.store.history import merge
from tests.cli.test_cli import DAY0, ENV, NAMES, WOBBLE, measured, results_json, run


def cost(name: str, calls: float, own: float, line: int) -> FunctionCost:
    return FunctionCost("app/mod.py", line, name, calls, own)


BASE_PROFILE = (cost("parse", 1, 600, 10), cost("helper", 2, 200, 20))
HEAD_PROFILE = (cost("parse", 1, 600, 10), cost("helper", 5, 500, 20))


def profiled(nodeid: str, median: float, profile: tuple[FunctionCost, ...]) -> BenchResult:
    # A profile is kept with the calls pass that made it.
    m = dataclasses.replace(measured(median), calls_per_op=3.0, profile=profile)
    return BenchResult(nodeid, None, m, location=("t.py", 10))


def saved(tmp_path: Path) -> Path:
    """Five saved runs of each benchmark, the newest keeping its profile."""
    baseline = None
    for day, wobble in enumerate(WOBBLE):
        runs = [profiled(n, 1000.0 * (i + 1) * wobble, BASE_PROFILE) for i, n in enumerate(NAMES)]
        baseline = merge(baseline, runs, ENV, now=DAY0 + timedelta(days=day))
    assert baseline is not None
    path = tmp_path / "old.toml"
    storage.save(path, baseline)
    return path


def now_results(profile: tuple[FunctionCost, ...]) -> list[BenchResult]:
    """test_a twice as slow, with head's profile; the others unchanged."""
    return [
        profiled(n, 1000.0 * (i + 1) * (2 if i == 0 else 1), profile) for i, n in enumerate(NAMES)
    ]


def test_compare_with_results_prints_where_a_regression_happened(tmp_path: Path) -> None:
    old = saved(tmp_path)
    new = results_json(tmp_path / "now.json", now_results(HEAD_PROFILE))
    proc = run("compare", old, new)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert "    where (per op, profiled; base: the saved run of 2024-05-05" in out
    assert "+3 app/mod.py:20(helper): 2 -> 5 calls" in out
    assert out.count("where (per op") == 1  # the regressed benchmark only


def test_compare_of_two_baselines_says_where_from_their_saved_profiles(tmp_path: Path) -> None:
    old = saved(tmp_path)
    later = merge(storage.load(old), now_results(HEAD_PROFILE), ENV, now=DAY0 + timedelta(30))
    storage.save(tmp_path / "new.toml", later)
    proc = run("compare", old, tmp_path / "new.toml", "--markdown", tmp_path / "report.md")
    assert proc.returncode == 1, proc.stderr
    assert "helper): 2 -> 5 calls" in proc.stdout
    assert "helper): 2 -> 5 calls" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_compare_without_profiles_says_no_where(tmp_path: Path) -> None:
    old = saved(tmp_path)
    new = results_json(tmp_path / "now.json", now_results(()))
    proc = run("compare", old, new)
    assert proc.returncode == 1, proc.stderr
    assert "where (per op" not in proc.stdout


# Both evidence kinds, one benchmark: 7 calls/op on the base side, `now` on the head.


def stored(now: float, policy: Policy) -> dict[str, Verdict]:
    runs = tuple(
        RunSummary(f"2026-01-0{i + 1}T00:00:00+00:00", 1000.0, 1.0, 1000.0, 8, 10,
                   allocs_per_op=3.0, bytes_per_op=64.0, calls_per_op=7.0, objects_per_op=4.0,
                   instructions_per_op=900.0)
        for i in range(5)
    )  # fmt: skip
    entry = BaselineEntry("t", None, runs, "3.11", "test-machine")
    head = Observation.from_measurement(head_measurement(now))
    c = compare_benchmark(entry, head, policy)
    return {m.metric: m.verdict for m in c.metrics if m.metric != "time"}


def head_measurement(calls: float) -> Measurement:
    samples = (1000.0,) * 8
    return Measurement(1000.0, 1.0, 8, 10, samples, (1.0,) * 8, 1000.0, 0.0, 3.0, 64.0,
                       calls_per_op=calls, objects_per_op=4.0,
                       instructions_per_op=900.0)  # fmt: skip


def live(now: float, policy: Policy) -> dict[str, Verdict]:
    paired = PairedRun("main (abc)", (1.0,) * 8, head_measurement(7.0))
    c = compare_paired("t", None, head_measurement(now), paired, policy, family=1, min_effect=0.5)
    return {m.metric: m.verdict for m in c.metrics if m.metric != "time"}


@pytest.mark.parametrize("judge", [stored, live])
def test_both_evidence_kinds_judge_the_registrys_counts(judge: object) -> None:
    assert callable(judge)
    verdicts = judge(8.0, Policy())
    assert list(verdicts) == [m.name for m in metrics.COUNT_METRICS]
    assert verdicts["calls"] is Verdict.REGRESSED


@pytest.mark.parametrize("judge", [stored, live])
def test_a_count_rule_change_applies_to_every_evidence_kind(
    judge: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Calls judged under alloc_tolerance instead of calls_tolerance: one change to the
    # registry, seen by saved runs and a live base alike.
    assert callable(judge)
    assert judge(8.0, Policy(alloc_tolerance=0.5))["calls"] is Verdict.REGRESSED
    table = tuple(
        dataclasses.replace(m, tolerance="alloc_tolerance") if m.name == "calls" else m
        for m in metrics.METRICS
    )
    monkeypatch.setattr(evidence, "METRICS", table)
    assert judge(8.0, Policy(alloc_tolerance=0.5))["calls"] is Verdict.UNCHANGED
    # A metric the registry drops is judged by neither.
    monkeypatch.setattr(evidence, "METRICS", tuple(m for m in table if m.name != "calls"))
    assert "calls" not in judge(8.0, Policy())


def test_warn_only_makes_counts_advisory_for_every_evidence_kind() -> None:
    entry_runs = (RunSummary("2026-01-01T00:00:00+00:00", 1000.0, 1.0, 1000.0, 8, 10,
                             calls_per_op=7.0),)  # fmt: skip
    c = compare_benchmark(
        BaselineEntry("t", None, entry_runs, "3.11", "m"),
        Observation.from_measurement(head_measurement(8.0)),
        Policy(warn_only=True),
    )
    paired = PairedRun("main (abc)", (1.0,) * 8, head_measurement(7.0))
    ab = compare_paired("t", None, head_measurement(8.0), paired, Policy(warn_only=True),
                        family=1, min_effect=0.5)  # fmt: skip
    for comparison in (c, ab):
        calls = next(m for m in comparison.metrics if m.metric == "calls")
        assert calls.verdict is Verdict.REGRESSED and calls.advisory
        assert not comparison.failing


@pytest.mark.parametrize(
    ("saved", "saved_loops", "now", "now_loops", "verdict"),
    [
        # one allocation in each whole window, at 1355 and 887 calls a window: the same code
        (1 / 1355, 1355, 1 / 887, 887, Verdict.UNCHANGED),
        (1 / 887, 887, 1 / 1355, 1355, Verdict.UNCHANGED),
        # windows of 7 and 6 calls (another machine's speed), one allocation more in the
        # second: jsonpickle's simple_set_decode read 46.14286 -> 46.16667 as a regression
        (323 / 7, 7, 277 / 6, 6, Verdict.UNCHANGED),
        (277 / 6, 6, 323 / 7, 7, Verdict.UNCHANGED),
        # one call a window: one more allocation is one more per call
        (1.0, 1, 2.0, 1, Verdict.REGRESSED),
        # a tenth of an allocation more per call over 1000 calls: 100 more in the window
        (3.0, 1000, 3.1, 1000, Verdict.REGRESSED),
    ],
)
def test_a_one_time_allocation_in_one_window_is_not_a_change_per_call(
    saved: float, saved_loops: int, now: float, now_loops: int, verdict: Verdict
) -> None:
    runs = (
        RunSummary("2026-01-01T00:00:00+00:00", 1000.0, 1.0, 1000.0, 8, saved_loops,
                   allocs_per_op=saved, bytes_per_op=64.0 * saved),
    )  # fmt: skip
    entry = BaselineEntry("t", None, runs, "3.12", "test-machine")
    head = Measurement(1000.0, 1.0, 8, now_loops, (1000.0,) * 8, (1.0,) * 8, 1000.0, 0.0,
                       now, 64.0 * now)  # fmt: skip
    c = compare_benchmark(entry, Observation.from_measurement(head), Policy())
    assert {m.metric: m.verdict for m in c.metrics}["allocs"] is verdict


def test_the_bytes_of_a_one_time_allocation_are_not_a_change_per_call() -> None:
    # One 64 B allocation more in a window of 400 calls of 1 allocation of 32 B each: allocs/op
    # 1 -> 1.0025 and B/op 32 -> 32.16, one time; 8 B more per call is a change.
    runs = (
        RunSummary("2026-01-01T00:00:00+00:00", 1000.0, 1.0, 1000.0, 8, 400,
                   allocs_per_op=1.0, bytes_per_op=32.0),
    )  # fmt: skip
    entry = BaselineEntry("t", None, runs, "3.11", "test-machine")

    def verdicts(allocs: float, nbytes: float) -> dict[str, Verdict]:
        head = Measurement(1000.0, 1.0, 8, 400, (1000.0,) * 8, (1.0,) * 8, 1000.0, 0.0,
                           allocs, nbytes)  # fmt: skip
        c = compare_benchmark(entry, Observation.from_measurement(head), Policy())
        return {m.metric: m.verdict for m in c.metrics if m.metric in ("allocs", "bytes")}

    unchanged = {"allocs": Verdict.UNCHANGED, "bytes": Verdict.UNCHANGED}
    assert verdicts(1.0 + 1 / 400, 32.0 + 64 / 400) == unchanged
    assert verdicts(1.0, 40.0)["bytes"] is Verdict.REGRESSED


def test_a_large_one_time_allocation_is_not_a_change_per_call() -> None:
    # jsonpickle's complex_heterogenous_tuple_encode, windows of 3 calls: one allocation of
    # 11 KiB more in the window read as B/op 9910.667 -> 13654.67 (+37.8%).
    runs = (
        RunSummary("2026-01-01T00:00:00+00:00", 1000.0, 1.0, 1000.0, 8, 3,
                   allocs_per_op=334 / 3, bytes_per_op=29732 / 3),
    )  # fmt: skip
    entry = BaselineEntry("t", None, runs, "3.11", "test-machine")
    head = Measurement(1000.0, 1.0, 8, 3, (1000.0,) * 8, (1.0,) * 8, 1000.0, 0.0,
                       335 / 3, 40964 / 3)  # fmt: skip
    c = compare_benchmark(entry, Observation.from_measurement(head), Policy())
    verdicts = {m.metric: m.verdict for m in c.metrics if m.metric in ("allocs", "bytes")}
    assert verdicts == {"allocs": Verdict.UNCHANGED, "bytes": Verdict.UNCHANGED}
