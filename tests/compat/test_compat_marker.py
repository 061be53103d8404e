"""`@pytest.mark.benchmark(...)`: keywords, where it may stand, and marker-only tests."""

from __future__ import annotations

import pytest

from tests.fakes import CONFTEST

from .test_compat_fixture import COMPAT, FAST


@pytest.fixture
def faked(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    return pytester


def test_mapped_keywords_reach_the_measurement(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        import pytest
        from conftest import tick

        @pytest.mark.benchmark(group="parse", min_rounds=40, max_time=0.001)
        def test_keywords(benchmark):
            benchmark(tick, 100)
            assert benchmark.stats.stats.rounds >= 40
            assert benchmark.stats.options["max_time"] == 0.001
            assert benchmark.group == "parse"
        """
    )
    result = faked.runpytest("-p", "no:cacheprovider", *COMPAT)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["group parse:", "  *::test_keywords *"])


def test_unused_keywords_are_accepted_and_noted_once(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        import time
        import pytest
        from conftest import tick

        @pytest.mark.benchmark(
            min_time=0.1, timer=time.process_time, disable_gc=True, warmup=True,
            warmup_iterations=1000, calibration_precision=100, cprofile=False,
            precision=0.01, confidence=0.9,
        )
        def test_all(benchmark):
            benchmark(tick, 100)

        @pytest.mark.benchmark(disable_gc=True)
        def test_gc(benchmark):
            benchmark(tick, 100)
        """
    )
    result = faked.runpytest(*FAST, "-W", "error")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "note: *::test_all: @pytest.mark.benchmark keywords unused: min_time (rounds are "
            "calibrated to ~200 us); timer (the clock is time.perf_counter_ns); disable_gc *",
            "note: *::test_gc: @pytest.mark.benchmark keywords unused: disable_gc (GC stays on, "
            "turning it off hides real cost)",
        ]
    )


def test_unknown_keywords_and_positional_arguments_are_errors(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        test_typo="import pytest\n\n@pytest.mark.benchmark(rounds=3)\ndef test_typo(): pass\n",
        test_positional=(
            "import pytest\n\n@pytest.mark.benchmark('fast')\ndef test_positional(): pass\n"
        ),
        test_bad_value=(
            "import pytest\n\n@pytest.mark.benchmark(max_time='soon')\ndef test_bad_value(): pass\n"
        ),
    )
    result = faked.runpytest(*FAST)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    output = result.stdout.str()
    assert "@pytest.mark.benchmark on test_typo.py::test_typo: unknown keyword rounds (known: " in (
        output
    )
    assert (
        "@pytest.mark.benchmark on test_positional.py::test_positional: takes keyword "
        "arguments only, got positional ['fast']" in output
    )
    assert (
        "invalid max_time='soon' from @pytest.mark.benchmark on test_bad_value.py::test_bad_value"
        in output
    )


def test_on_classes_and_modules_and_without_the_fixture(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        test_a_marked="""
        import pytest
        from conftest import tick

        pytestmark = pytest.mark.benchmark(group="module")

        calls = []

        def test_whole_body():          # marker only: the body is the benchmark
            tick(700)
            calls.append(1)

        @pytest.mark.benchmark(group="class")
        class TestGroup:
            def test_method(self, benchmark):
                benchmark(tick, 300)
        """,
        test_b_check="""
        from test_a_marked import calls

        def test_was_called_many_times():
            assert len(calls) > 10
        """,
    )
    result = faked.runpytest(*FAST, "-p", "no:randomly")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*- perfguard: 2 benchmarks -*",
            "group class:",
            "  *::TestGroup::test_method *300 ns*",
            "group module:",
            "  *::test_whole_body *700 ns*",
        ]
    )


def test_marker_only_tests_run_once_with_benchmark_disable(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        import pytest

        calls = []

        @pytest.mark.benchmark
        def test_body():
            calls.append(1)

        def test_once():
            assert calls == [1]
        """
    )
    result = faked.runpytest(*FAST, "--benchmark-disable")
    result.assert_outcomes(passed=2)


def test_perf_keywords_win_over_benchmark_keywords(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        import pytest
        from conftest import tick

        @pytest.mark.perf(group="perf", limit_allocs=1000)
        @pytest.mark.benchmark(group="benchmark", min_rounds=30)
        def test_both(benchmark):
            benchmark(tick, 100)
            assert benchmark.stats.stats.rounds >= 30
        """
    )
    result = faked.runpytest(*FAST)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["group perf:"])
