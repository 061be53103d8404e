"""pytest-benchmark's `benchmark` fixture, from a suite's side: calls, attributes, stats, misuse."""

from __future__ import annotations

import json

import pytest

from tests.fakes import CONFTEST

# pytest-benchmark or pytest-codspeed, where installed, own the names unless turned off.
COMPAT = ("-p", "no:benchmark", "-p", "no:codspeed")
FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider", *COMPAT)


@pytest.fixture
def faked(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    return pytester


def test_a_call_returns_the_result_and_passes_every_argument(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        from conftest import tick

        def work(a, b=0, *, setup=None, teardown=None):
            tick(300)
            return (a, b, setup, teardown)

        def test_args(benchmark):
            # keywords named like perf()'s own reach the function untouched
            result = benchmark(work, 1, b=2, setup="s", teardown="t")
            assert result == (1, 2, "s", "t")
            assert benchmark.stats.stats.median == 300e-9

        def test_no_args(benchmark):
            assert benchmark(lambda: tick(500) or 7) == 7
        """
    )
    result = faked.runpytest(*FAST)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*- perfguard: 2 benchmarks -*", "*::test_args *300 ns*", "*::test_no_args *500 ns*"]
    )


def test_the_decorator_form_measures_the_local_function(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        from conftest import tick

        calls = []

        def test_decorated(benchmark):
            @benchmark
            def run():
                tick(250)
                calls.append(1)

            assert run is None  # the decorator returns the call's result
            assert len(calls) > 10
        """
    )
    result = faked.runpytest(*FAST)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*::test_decorated *250 ns*"])


def test_stats_as_pytest_benchmark_gives_them(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        import pytest
        from conftest import tick

        def test_stats(benchmark):
            assert benchmark.stats is None  # not measured yet
            benchmark(tick, 2000)
            stats = benchmark.stats
            assert stats["median"] == stats.get("median") == stats.stats.median == 2e-6
            assert stats.stats.min == stats.stats.max == stats.stats.mean == 2e-6
            assert stats.stats.stddev == 0 and stats.stats.iqr == 0
            assert stats.stats.q1 == stats.stats.q3 == 2e-6
            assert stats.stats.rounds == len(stats.stats.data) >= 5
            assert all(value == 2e-6 for value in stats.stats.data)  # seconds per iteration
            assert stats.stats.ops == pytest.approx(5e5)
            assert stats.stats.total == pytest.approx(2e-6 * stats.stats.rounds)
            assert stats.iterations == benchmark.stats.measurement.loops >= 1
            assert stats.get("no such thing", "default") == "default"
            assert stats.name == "test_stats" and stats.fullname.endswith("::test_stats")
            assert set(stats.stats.as_dict()) >= {"min", "max", "mean", "stddev", "rounds",
                "median", "iqr", "q1", "q3", "ops", "total", "outliers"}
        """
    )
    faked.runpytest(*FAST).assert_outcomes(passed=1)


def test_identity_and_switches(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        import pytest
        from conftest import tick

        @pytest.mark.parametrize("size", [10, 20], ids=["small", "big"])
        def test_param(benchmark, size):
            assert benchmark.name == f"test_param[{'small' if size == 10 else 'big'}]"
            assert benchmark.fullname.endswith("::" + benchmark.name)
            assert benchmark.param == ("small" if size == 10 else "big")
            assert benchmark.params == {"size": size}
            assert benchmark.enabled and not benchmark.disabled
            benchmark(tick, size)

        def test_plain(benchmark):
            assert benchmark.param is None and benchmark.params is None
            benchmark(tick, 10)
        """
    )
    faked.runpytest(*FAST).assert_outcomes(passed=3)


def test_group_set_at_run_time_and_extra_info_set_after_the_call(
    faked: pytest.Pytester,
) -> None:
    faked.makepyfile(
        """
        import pytest
        from conftest import tick

        @pytest.mark.benchmark(group="from marker")
        def test_runtime_group(benchmark):
            benchmark.group = "serialization"
            benchmark.extra_info["lib"] = "orjson"
            benchmark(tick, 100)
            benchmark.extra_info["correct"] = True  # after the call: still kept

        @pytest.mark.benchmark(group="from marker")
        def test_marker_group(benchmark):
            benchmark(tick, 100)
        """
    )
    result = faked.runpytest(*FAST, "--benchmark-json=out.json")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "group from marker:",
            "  *::test_marker_group *",
            "group serialization:",
            "  *::test_runtime_group *",
        ]
    )
    entries = {
        b["name"]: b for b in json.loads((faked.path / "out.json").read_text())["benchmarks"]
    }
    assert entries["test_runtime_group"]["group"] == "serialization"
    assert entries["test_runtime_group"]["extra_info"] == {"lib": "orjson", "correct": True}
    assert entries["test_marker_group"]["group"] == "from marker"
    assert entries["test_marker_group"]["extra_info"] == {}


def test_a_second_call_fails_and_an_unused_fixture_is_fine(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        from conftest import tick

        def test_twice(benchmark):
            benchmark(tick, 10)
            benchmark(tick, 10)

        def test_pedantic_after_call(benchmark):
            benchmark(tick, 10)
            benchmark.pedantic(tick, args=(10,), rounds=1)

        def test_unused(benchmark):
            assert benchmark.stats is None
        """
    )
    result = faked.runpytest(*FAST, "-W", "error")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*::test_twice: Fixture can only be used once. Previously it was used in "
            "benchmark(...) mode.*",
            "*::test_pedantic_after_call: Fixture can only be used once.*",
        ]
    )
    assert "warnings summary" not in result.stdout.str()


def test_disabled_runs_each_once_unmeasured_and_enable_overrides(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        calls = []

        def test_once(benchmark):
            assert benchmark(calls.append, 1) is None
            assert benchmark.disabled and not benchmark.enabled
            assert benchmark.stats is None
            assert calls == [1]

        def test_pedantic_once(benchmark):
            got = []
            benchmark.pedantic(got.append, args=(1,), rounds=10, iterations=10)
            assert got == [1]
        """
    )
    result = faked.runpytest(*FAST, "--benchmark-disable")
    result.assert_outcomes(passed=2)
    assert "perfguard: 2 benchmarks" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*--benchmark-disable -> --perf-off*"])

    faked.makepyfile(
        test_enabled="""
        from conftest import tick

        def test_measured(benchmark):
            benchmark(tick, 10)
            assert benchmark.enabled and benchmark.stats is not None
        """
    )
    result = faked.runpytest(*FAST, "--benchmark-disable", "--benchmark-enable", "test_enabled.py")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*- perfguard: 1 benchmark*"])


def test_weave_is_unsupported_with_a_message(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        import os

        def test_weave(benchmark):
            benchmark.weave(os.getcwd)

        def test_weave_fixture(benchmark_weave):
            benchmark_weave(os.getcwd)
        """
    )
    result = faked.runpytest(*FAST)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*::test_weave: benchmark.weave() / benchmark_weave (pytest-benchmark's aspectlib "
            "patching) is not supported by perfguard; call benchmark(function, *args) instead*"
        ]
    )


def test_perf_and_benchmark_in_one_test_is_an_error(faked: pytest.Pytester) -> None:
    faked.makepyfile("def test_both(perf, benchmark):\n    pass\n")
    result = faked.runpytest(*FAST)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*uses both the perf and the benchmark fixture*"])


def test_everything_perfguard_has_applies(faked: pytest.Pytester) -> None:
    # Budgets, allocations and the gate work on benchmark tests as on perf tests.
    faked.makepyfile(
        """
        import pytest
        from conftest import tick

        @pytest.mark.perf(limit_time="1us")
        def test_budget(benchmark):
            benchmark(tick, 5000)

        def test_allocs(benchmark):
            benchmark(lambda: tick(100) or [None] * 3)
            assert benchmark.stats.measurement.allocs_per_op is not None
        """
    )
    result = faked.runpytest(*FAST)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*::test_budget: limit_time exceeded: median 5.00 us per op > limit 1.00 us*"]
    )


def test_a_call_returning_a_generator_is_measured_as_pytest_benchmark_does(
    faked: pytest.Pytester,
) -> None:
    # pydantic-core measures validators that return generators: the creation is the op.
    faked.makepyfile(
        """
        from conftest import tick

        def numbers(n):
            yield from range(n)

        def make(n):
            tick(150)
            return numbers(n)

        def test_generator(benchmark):
            assert sum(benchmark(make, 5)) == 10  # the result is returned unconsumed

        async def work():
            pass

        def test_coroutine(benchmark):
            benchmark(work)

        def test_returns_coroutine(benchmark):
            benchmark(lambda: tick(10) or work())
        """
    )
    result = faked.runpytest(*FAST, "-W", "error")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*::test_coroutine: benchmark() got an async function*",
            "*::test_returns_coroutine: the call returns a coroutine*",
            "*::test_generator *150 ns*",
            "note: *::test_generator: the call returns a generator: only its creation is "
            "measured, not its iteration (as pytest-benchmark measures it)",
        ]
    )
