"""Absolute budgets: the pure check, then from the user's side."""

from __future__ import annotations

import pytest

from pytest_perfguard.judge.budgets import Budget, check_budgets
from pytest_perfguard.model import BenchSettings, Measurement
from pytest_perfguard.report.rules import budget_text, unchecked_text

FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider")


def measured(**fields: object) -> Measurement:
    base: dict[str, object] = {
        "median_ns": 1000.0,
        "spread_ns": 1.0,
        "rounds": 10,
        "loops": 100,
        "samples_ns": (1000.0,),
        "ref_ratios": (),
        "reference_ns": 1.0,
        "gc_collections_per_op": 0.0,
    }
    base.update(fields)
    return Measurement(**base)  # type: ignore[arg-type]


def test_within_budgets_nothing_fails() -> None:
    check = check_budgets(
        measured(allocs_per_op=2.0, peak_memory_bytes=1000),
        BenchSettings(limit_time_ns=1000.0, limit_allocs=2, limit_memory_bytes=1000),
    )
    assert check.failures == () and check.unchecked == ()


def test_each_exceeded_budget_names_budget_value_and_pass() -> None:
    check = check_budgets(
        measured(
            median_ns=2.31e6,
            allocs_per_op=3.0,
            peak_memory_bytes=61 * 1024**2,
            peak_memory_exact=False,
        ),
        BenchSettings(limit_time_ns=2e6, limit_allocs=2, limit_memory_bytes=50 * 1024**2),
    )
    assert tuple(map(budget_text, check.failures)) == (
        "limit_time exceeded: median 2.31 ms per op > limit 2.00 ms "
        "(timing pass, 10 rounds x 100 calls)",
        "limit_memory exceeded: peak 61.0 MiB (a lower bound) > limit 50.0 MiB "
        "(peak-memory pass, one call)",
        "limit_allocs exceeded: 3 allocs/op > limit 2 (allocation pass, 100 calls)",
    )


def test_budgets_without_a_figure_are_reported_unchecked_not_failed() -> None:
    check = check_budgets(measured(), BenchSettings(limit_allocs=1, limit_memory_bytes=10))
    assert check.failures == ()
    assert check.unchecked == (Budget.MEMORY, Budget.ALLOCS)
    assert tuple(map(unchecked_text, check.unchecked)) == (
        "limit_memory not checked: peak memory was not measured",
        "limit_allocs not checked: allocs/op is n/a here",
    )


def test_budgets_fail_their_test_from_the_users_side(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.perf(limit_allocs=0)
        def test_allocates():
            [object() for _ in range(3)]

        @pytest.mark.perf(limit_memory="20 MiB")
        def test_spike(perf):
            perf(lambda: bytearray(50 * 1024 * 1024))

        @pytest.mark.perf(limit_time="1s", limit_allocs=10, limit_memory="1 GiB")
        def test_within(perf):
            perf(len, "abc")
        """
    )
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*::test_allocates: limit_allocs exceeded: * allocs/op > limit 0 "
            "(allocation pass, * calls)",
            "*::test_spike: limit_memory exceeded: peak [45]?.? MiB > limit 20.0 MiB*",
        ]
    )


def test_bad_budget_strings_are_collection_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.perf(limit_time="quick")
        def test_a():
            pass
        """
    )
    result = pytester.runpytest(*FAST)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*invalid limit_time='quick' from @pytest.mark.perf on *::test_a: *unit*"]
    )


def test_a_budget_for_a_switched_off_pass_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.perf(memory=False, limit_memory="1 MiB")
        def test_a():
            pass
        """
    )
    result = pytester.runpytest(*FAST)
    result.stdout.fnmatch_lines(["*limit_memory needs memory=True*"])
