"""The profile diff ("where"), the calls gate in both modes, and the saved profile's file form."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pytest_perfguard.judge.ab import compare_paired
from pytest_perfguard.judge.policy import Observation, Policy
from pytest_perfguard.judge.verdict import compare_benchmark
from pytest_perfguard.judge.where import diff_profiles
from pytest_perfguard.model import (
    BaselineEntry,
    BenchResult,
    Fingerprint,
    FunctionCost,
    Measurement,
    PairedRun,
    RunSummary,
    Verdict,
)
from pytest_perfguard.report.where import where_lines
from pytest_perfguard.store import baseline as storage
from pytest_perfguard.store import history

FP = Fingerprint("CPython", "3.11.7", "Linux", "x86_64", "Test CPU", 2, "0.1", "test-machine")


def cost(name: str, calls: float, own: float, line: int = 1) -> FunctionCost:
    return FunctionCost("app/mod.py", line, name, calls, own, own * 2)


BASE = (cost("slow", 1, 500, 10), cost("twice", 1, 100, 20), cost("steady", 3, 300, 30))
HEAD = (cost("slow", 1, 900, 10), cost("twice", 2, 200, 20), cost("steady", 3, 301, 30))


def test_the_top_entries_name_the_changed_functions() -> None:
    where = diff_profiles(BASE, HEAD, "base")
    assert where is not None
    assert [c.function for c in where.by_time] == ["slow", "twice", "steady"]
    assert [c.function for c in where.by_calls] == ["twice"]  # unchanged calls are not listed
    twice = where.by_calls[0]
    assert (twice.base_calls, twice.head_calls, twice.where) == (1, 2, "app/mod.py:20(twice)")


def test_a_function_on_one_side_only_counts_as_zero_on_the_other() -> None:
    where = diff_profiles(BASE[:1], (*HEAD[:1], cost("new", 4, 50, 40)), "base")
    assert where is not None
    new = next(c for c in where.by_calls if c.function == "new")
    assert (new.base_calls, new.head_calls, new.base_own_ns) == (0, 4, 0)


def test_top_limits_each_list_and_no_profile_gives_none() -> None:
    many = tuple(cost(f"f{i}", i + 1, 10.0 * i, i) for i in range(15))
    where = diff_profiles((), many, "base")
    assert where is None
    where = diff_profiles(many[:1], many, "base", top=10)
    assert where is not None and len(where.by_time) == 10 and len(where.by_calls) == 10
    assert where.by_time[0].function == "f14"


def measurement(calls: float | None, profile: tuple[FunctionCost, ...] = ()) -> Measurement:
    samples = (1000.0,) * 8
    return Measurement(1000.0, 1.0, 8, 10, samples, (1.0,) * 8, 1000.0, 0.0,
                       calls_per_op=calls, profile=profile)  # fmt: skip


def entry(calls: float | None, profile: tuple[FunctionCost, ...] | None = None) -> BaselineEntry:
    runs = tuple(
        RunSummary(f"2026-01-0{i + 1}T00:00:00+00:00", 1000.0, 1.0, 1000.0, 8, 10,
                   calls_per_op=calls, profile=profile if i == 4 else None)
        for i in range(5)
    )  # fmt: skip
    return BaselineEntry("t", None, runs, "3.11", "test-machine")


def calls_metric(metrics: object) -> object:
    assert isinstance(metrics, tuple)
    return next((m for m in metrics if m.metric == "calls"), None)


@pytest.mark.parametrize(
    ("now", "tolerance", "verdict"),
    [
        (7.0, 0.0, Verdict.UNCHANGED),
        (8.0, 0.0, Verdict.REGRESSED),
        (8.0, 0.2, Verdict.UNCHANGED),
        (6.0, 0.0, Verdict.IMPROVED),
    ],
)
def test_calls_gate_exactly_against_saved_runs(
    now: float, tolerance: float, verdict: Verdict
) -> None:
    obs = Observation.from_measurement(measurement(now))
    c = compare_benchmark(entry(7.0), obs, Policy(), calls_tolerance=tolerance)
    m = calls_metric(c.metrics)
    assert m is not None and m.verdict is verdict  # type: ignore[attr-defined]


def test_an_older_baseline_without_calls_gates_none() -> None:
    c = compare_benchmark(entry(None), Observation.from_measurement(measurement(9.0)), Policy())
    assert calls_metric(c.metrics) is None


def test_ab_counts_calls_on_both_sides_and_says_where() -> None:
    paired = PairedRun("main (abc)", (1.0,) * 8, measurement(7.0, BASE))
    c = compare_paired("t", None, measurement(8.0, HEAD), paired, Policy(), family=1,
                       min_effect=0.5)  # fmt: skip
    m = calls_metric(c.metrics)
    assert m is not None and m.verdict is Verdict.REGRESSED  # type: ignore[attr-defined]
    assert c.verdict is Verdict.REGRESSED and c.where is not None
    assert c.where.by_calls[0].function == "twice"
    assert (c.where.base, c.where.live) == ("main (abc)", True)
    assert (
        where_lines(c.where)[0]
        == "where (per op, profiled; base: main (abc), measured in this run):"
    )
    same = compare_paired("t", None, measurement(7.0, BASE), paired, Policy(), family=1,
                          min_effect=0.5)  # fmt: skip
    assert same.where is None and calls_metric(same.metrics).verdict is Verdict.UNCHANGED  # type: ignore[attr-defined]


def test_the_newest_run_keeps_a_compact_profile_that_round_trips() -> None:
    profile = tuple(cost(f"f{i}", i + 0.5, 1000.0 - i, i) for i in range(20))
    result = BenchResult("t.py::test", None, measurement(3.0, profile))
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    saved = history.merge(None, [result], FP, now=t0)
    saved = history.merge(saved, [result], FP, now=t0.replace(day=2))
    text = storage.dumps(saved)
    assert text.count(" calls, ") == history.PROFILE_KEPT  # the newest run's only
    assert '"0.5 calls, 1000 ns: app/mod.py:0(f0)",' in text
    loaded = storage.loads(text).entries["t.py::test"]
    assert loaded.runs[0].profile is None
    newest = loaded.runs[-1]
    assert newest.calls_per_op == 3.0
    assert newest.profile == tuple(
        FunctionCost(f.file, f.line, f.function, f.calls_per_op, f.own_ns)
        for f in profile[: history.PROFILE_KEPT]
    )


def test_a_bad_profile_line_names_its_key() -> None:
    saved = history.merge(None, [BenchResult("t", None, measurement(1.0, BASE))], FP,
                          now=datetime(2026, 1, 1, tzinfo=timezone.utc))  # fmt: skip
    text = storage.dumps(saved).replace("1 calls, 500 ns", "one call")
    with pytest.raises(storage.BaselineError, match=r"profile\[0\].*expected '<calls> calls"):
        storage.loads(text)


def moved(profile: tuple[FunctionCost, ...], by: int) -> tuple[FunctionCost, ...]:
    return tuple(FunctionCost(f.file, f.line + by, f.function, f.calls_per_op, f.own_ns)
                 for f in profile)  # fmt: skip


def test_a_function_moved_by_an_edit_above_it_is_the_same_function() -> None:
    where = diff_profiles(BASE, moved(BASE, 1), "base")
    assert where is not None and where.by_calls == ()
    assert all(c.head_own_ns == c.base_own_ns for c in where.by_time)
    assert where.by_time[0].where == "app/mod.py:11(slow)"  # named by head's line
    assert len(where.by_time) == len(BASE)


def test_a_renamed_function_is_removed_and_added() -> None:
    head = (cost("slower", 1, 500, 10), *BASE[1:])
    where = diff_profiles(BASE, head, "base")
    assert where is not None
    calls = {(c.function, c.base_calls, c.head_calls) for c in where.by_calls}
    assert calls == {("slow", 1, 0), ("slower", 0, 1)}


def test_functions_sharing_a_name_in_one_file_pair_by_their_order() -> None:
    base = (cost("<lambda>", 1, 100, 10), cost("<lambda>", 5, 300, 40))
    where = diff_profiles(base, moved(base, 7), "base")
    assert where is not None and where.by_calls == ()
    assert {c.line for c in where.by_time} == {17, 47}
    # A saved profile keeps only its top functions: the closest line pairs.
    where = diff_profiles(base[1:], moved(base, 2), "base")
    assert where is not None
    assert [(c.line, c.base_calls, c.head_calls) for c in where.by_calls] == [(12, 0, 1)]


def test_a_saved_profile_with_line_numbers_diffs_against_a_moved_head() -> None:
    saved = history.merge(None, [BenchResult("t", None, measurement(5.0, BASE))], FP,
                          now=datetime(2026, 1, 1, tzinfo=timezone.utc))  # fmt: skip
    text = storage.dumps(saved)
    assert '"1 calls, 500 ns: app/mod.py:10(slow)",' in text
    newest = storage.loads(text).entries["t"].runs[-1]
    assert newest.profile is not None
    where = diff_profiles(newest.profile, moved(BASE, 3), "base")
    assert where is not None and where.by_calls == ()
    assert all(c.head_own_ns == c.base_own_ns for c in where.by_time)
