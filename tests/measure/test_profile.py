"""The profiling pass: exact calls per op, the harness and paused work left out, refusal."""

from __future__ import annotations

import marshal
import pstats
from pathlib import Path

import pytest

from pytest_perfguard.measure.engine import Engine
from pytest_perfguard.measure.profile import profile_pass, short_file, summarize
from pytest_perfguard.measure.steps import Kind, Step, drive
from pytest_perfguard.model import BenchSettings

QUICK = BenchSettings(max_time=0.005, min_rounds=3, warmup=0, memory=False, allocations=False)


def helper(x: int) -> int:
    return x + 1


def setup_helper() -> int:
    return 0


def calls_helper(k: int) -> None:
    for i in range(k):
        helper(i)


def engine() -> Engine:
    # The real clock (calls must take time for calibration to end); nothing asserts on it.
    return Engine(reference=lambda: None, load_probe=lambda: None)


def by_name(profile: object) -> dict[str, float]:
    assert isinstance(profile, tuple)
    return {f.function: f.calls_per_op for f in profile}


@pytest.mark.parametrize("k", [0, 1, 3, 7])
def test_a_function_calling_a_helper_k_times_makes_k_plus_1_calls_per_op(k: int) -> None:
    m = engine().measure_call(lambda: calls_helper(k), QUICK)
    # The lambda, calls_helper, and k helper calls; range() is a class, not a function call.
    assert m.calls_per_op == k + 2
    calls = by_name(m.profile)
    assert calls["calls_helper"] == 1
    assert calls.get("helper", 0) == k


def test_setup_teardown_and_the_harness_are_not_counted() -> None:
    def target(x: int) -> None:
        helper(x)

    m = engine().measure_prepared(
        target, lambda: ((setup_helper(),), {}), lambda x: setup_helper(), QUICK
    )
    assert by_name(m.profile) == {"target": 1, "helper": 1}
    assert m.calls_per_op == 2
    assert all("pytest_perfguard" not in f.file for f in m.profile)


def test_paused_work_in_a_loop_is_not_counted() -> None:
    seen: list[Step] = []

    def run(step: Step) -> None:  # as perf.loop() runs a body (called once per window)
        seen.append(step)
        for i in range(step.n):
            with step.pause:
                setup_helper()
            calls_helper(2)
            helper(i)

    result = drive(profile_pass(10, tracers=lambda: (), roots=()), run)
    assert [(s.kind, s.n, s.timed) for s in seen] == [
        (Kind.PROFILE, 0, False),
        (Kind.PROFILE, 10, False),
        (Kind.PROFILE, 10, False),
    ]
    assert by_name(result.functions) == {"calls_helper": 1, "helper": 3}
    assert result.calls_per_op == 4


def test_the_same_code_gives_the_same_counts_every_time() -> None:
    eng = engine()
    counts = {eng.measure_call(lambda: calls_helper(5), QUICK).calls_per_op for _ in range(5)}
    assert counts == {7}


def test_profile_false_runs_no_pass() -> None:
    kinds: list[Kind] = []
    eng = engine()

    def run(step: Step) -> int | None:
        kinds.append(step.kind)
        return 1000 * step.n if step.timed else None

    m = drive(eng.plan(QUICK), run)
    assert Kind.PROFILE in kinds and m.calls_per_op is not None
    kinds.clear()
    m = drive(eng.plan(BenchSettings(**{**_fields(QUICK), "profile": False})), run)
    assert Kind.PROFILE not in kinds
    assert m.calls_per_op is None and m.profile == () and m.profile_data is None


def _fields(s: BenchSettings) -> dict[str, object]:
    return {name: getattr(s, name) for name in s.__slots__}


def test_a_count_that_varies_between_windows_is_not_given() -> None:
    windows = iter([0, 2, 3])

    def run(step: Step) -> None:  # a thread pool waking the caller a varying number of times
        for _ in range(next(windows)):
            helper(0)

    result = drive(profile_pass(1, tracers=lambda: (), roots=()), run)
    assert result.calls_per_op is None
    assert result.note == (
        "calls/op n/a: two profiled rounds counted 2 and 3 per op (threads?), so they are not gated"
    )
    assert by_name(result.functions) == {"helper": 3}


def test_an_active_tracer_skips_the_pass_with_a_note() -> None:
    steps = profile_pass(10, tracers=lambda: ("sys.setprofile",))
    with pytest.raises(StopIteration) as stop:
        next(steps)
    result = stop.value.value
    assert result.calls_per_op is None
    assert result.note == "calls/op n/a: profile skipped, sys.setprofile already active"


def test_summarize_subtracts_the_empty_window_and_drops_the_harness() -> None:
    user = ("/src/app/mod.py", 3, "work")
    harness = ("/site/pytest_perfguard/measure/engine.py", 10, "run")
    step = ("<string>", 2, "__init__")
    raw = {
        user: (20, 20, 0.002, 0.003, {harness: (20, 20, 0.002, 0.003)}),
        harness: (1, 1, 0.001, 0.004, {}),
        step: (2, 2, 0.0001, 0.0001, {harness: (2, 2, 0.0001, 0.0001)}),
    }
    empty = {step: (2, 2, 0.0001, 0.0001, {})}
    result = summarize(raw, 10, empty=empty, harness=("/site/pytest_perfguard/",), roots=["/src"])
    assert result.calls_per_op == 2
    [only] = result.functions
    assert (only.file, only.line, only.function) == ("app/mod.py", 3, "work")
    assert only.own_ns == pytest.approx(200_000)
    assert only.cumulative_ns == pytest.approx(300_000)
    kept = marshal.loads(result.data)  # pstats' own format, harness callers dropped
    assert kept == {user: (20, 20, 0.002, 0.003, {})}


def test_the_data_loads_in_pstats(tmp_path: Path) -> None:
    m = engine().measure_call(lambda: calls_helper(3), QUICK)
    assert m.profile_data is not None
    path = tmp_path / "b.pstats"
    path.write_bytes(m.profile_data)
    stats = pstats.Stats(str(path))
    assert stats.total_calls == m.calls_per_op * m.loops  # type: ignore[attr-defined]


def test_summarize_needs_ops() -> None:
    with pytest.raises(ValueError, match="ops must be positive, got 0"):
        summarize({}, 0)


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("/a/b/c.py", "b/c.py"),
        ("/a/b/x/c.py", "c.py"),
        ("/elsewhere/c.py", "/elsewhere/c.py"),
        ("~", "~"),
        ("<string>", "<string>"),
    ],
)
def test_files_are_named_from_the_longest_root(file: str, expected: str) -> None:
    assert short_file(file, ["/a", "/a/b/x", ""]) == expected


def test_other_threads_running_leave_calls_ungated_with_a_note() -> None:
    def run(step: Step) -> None:
        for _ in range(step.n):
            helper(0)

    result = drive(profile_pass(4, tracers=lambda: (), roots=(), threads=lambda: 3), run)
    assert result.calls_per_op is None
    assert result.note is not None and "other threads are running" in result.note
    assert by_name(result.functions) == {"helper": 1}
    alone = drive(profile_pass(4, tracers=lambda: (), roots=(), threads=lambda: 1), run)
    assert alone.calls_per_op == 1
