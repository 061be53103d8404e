"""The plugin from the user's side: pytester runs of real test files."""

from __future__ import annotations

import pytest

from pytest_perfguard.measure import sites
from tests.fakes import CONFTEST

FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider")


def test_all_three_forms_are_measured_and_summarized(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.perf
        def test_marker():
            sorted(range(100))

        @pytest.mark.perf(group="sort")
        def test_call(perf):
            result = perf(sorted, [3, 1, 2])
            assert result == [1, 2, 3]
            assert perf.measurement.median_ns > 0
            assert perf.measurement.rounds >= 5

        def test_loop(perf):
            for _ in perf.loop():
                with perf.paused():
                    data = list(range(50))
                data.reverse()
            assert perf.measurement.loops >= 1

        def test_plain():
            pass
        """
    )
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*- perfguard: 3 benchmarks -*",
            "benchmark*time/op*spread*rounds x loops*gc/op*allocs/op*B/op*peak mem",
            "test_all_three_forms_are_measured_and_summarized.py::test_marker * ?s *",
            "*::test_loop *",
            "group sort:",
            "  *::test_call *",
        ]
    )
    assert "test_plain" not in result.stdout.str().split("perfguard:")[1]


def test_marker_form_reuses_fixture_values_and_never_times_fixtures(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        import pytest
        from conftest import tick

        made = []
        bodies = []

        @pytest.fixture
        def resource():
            tick(10**9)          # a slow fixture: must never show in the figure
            made.append(1)
            yield object()
            tick(10**9)

        @pytest.mark.perf
        def test_body(resource):
            bodies.append(resource)
            tick(250)

        def test_check():
            assert len(made) == 1
            assert len(bodies) > 10
            assert all(b is bodies[0] for b in bodies)
        """
    )
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*::test_body *250 ns*"])


def test_setup_and_teardown_run_around_every_call_untimed(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        from conftest import tick

        log = []

        def test_sort(perf):
            def setup():
                tick(10**6)
                log.append("setup")
                return ([3, 2, 1],), {}

            def teardown(data):
                tick(10**6)
                assert data == [1, 2, 3]
                log.append("teardown")

            def work(data):
                tick(400)
                data.sort()
                log.append("call")

            perf(work, setup=setup, teardown=teardown)
            assert perf.measurement.median_ns == 400
            assert log[:6] == ["setup", "call", "teardown"] * 2
            assert log.count("setup") == log.count("call") == log.count("teardown") > 10
        """
    )
    pytester.runpytest(*FAST).assert_outcomes(passed=1)


def test_paused_time_is_excluded_from_the_loop(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        from conftest import tick

        def test_loop(perf):
            for _ in perf.loop():
                with perf.paused():
                    tick(10**5)
                tick(700)
            assert perf.measurement.median_ns == 700
        """
    )
    pytester.runpytest(*FAST).assert_outcomes(passed=1)


def test_perf_call_passes_arguments_and_returns_one_result(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_args(perf):
            assert perf(lambda a, b=0: a + b, 2, b=3) == 5
        """
    )
    pytester.runpytest(*FAST).assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "perf(len, 'a')\n    perf(len, 'b')",
            "*test_it: perf() after perf(): one measurement per test*parametrize*",
        ),
        (
            "with perf.paused():\n        pass",
            "*test_it: perf.paused() works only inside `for _ in perf.loop():`",
        ),
        ("perf(42)", "*test_it: perf() needs the function to measure to be callable, got 42"),
        (
            "perf(len, setup=lambda: 'x')",
            "*test_it: setup must return None or (args_tuple, kwargs_dict), got 'x'",
        ),
        (
            "for _ in perf.loop():\n        break",
            "*test_it: perf.loop() was left before the measurement finished*",
        ),
    ],
)
def test_misuse_fails_the_test_with_a_clear_message(
    pytester: pytest.Pytester, body: str, message: str
) -> None:
    pytester.makepyfile(f"def test_it(perf):\n    {body}\n")
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([message])
    assert "During handling of the above exception" not in result.stdout.str()


def test_bad_marker_keywords_are_collection_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.perf(max_tme=1)
        def test_typo():
            pass

        @pytest.mark.perf(limit_memory="lots")
        def test_bad_value():
            pass
        """
    )
    result = pytester.runpytest(*FAST)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.perf on *::test_typo: unknown keyword max_tme (known: group*",
        ]
    )


def test_bad_option_and_ini_values_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--perf-max-time=soon")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid max_time='soon' from option --perf-max-time*"])

    pytester.makeini("[pytest]\nperf_min_rounds = many\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid min_rounds='many' from ini key perf_min_rounds*"])


def test_ini_and_marker_settings_reach_the_measurement(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nperf_min_rounds = 40\nperf_max_time = 0.001\n")
    pytester.makepyfile(
        """
        import pytest

        def test_ini(perf):
            perf(len, "abc")
            assert perf.measurement.rounds >= 40

        @pytest.mark.perf(min_rounds=100)
        def test_marker(perf):
            perf(len, "abc")
            assert perf.measurement.rounds >= 100
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_perf_off_runs_bodies_once_unmeasured(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        calls = []

        @pytest.mark.perf
        def test_marker():
            calls.append("marker")

        def test_call(perf):
            assert perf(lambda: calls.append("call") or 7) == 7
            assert perf.measurement is None

        def test_loop(perf):
            for _ in perf.loop():
                with perf.paused():
                    pass
                calls.append("loop")

        def test_once():
            assert sorted(calls) == ["call", "loop", "marker"]
        """
    )
    result = pytester.runpytest("--perf-off")
    result.assert_outcomes(passed=4)
    # (the header may name an installed pytest-benchmark; the summary must be absent)
    assert "perfguard:" not in result.stdout.str().split("collected")[1]


def test_perf_only_deselects_other_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.perf
        def test_a():
            pass

        def test_b(perf):
            perf(len, "")

        def test_plain():
            pass
        """
    )
    result = pytester.runpytest("--perf-only", *FAST)
    result.assert_outcomes(passed=2, deselected=1)


def test_no_summary_without_perf_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=1)
    assert "perfguard:" not in result.stdout.str().split("collected")[1]


def test_plugin_can_be_disabled(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_uses_fixture(perf):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:perfguard")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'perf' not found*"])


def test_too_fast_functions_get_a_note(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_noop(perf):
            perf(lambda: None)
        """
    )
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["note: *::test_noop: too fast for the clock*"])


def test_help_lists_the_options(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "*--perf-off*",
            "*--perf-only*",
            "*--perf-max-time=VALUE*",
            "*--perf-alloc-tolerance=VALUE*",
            "*perf_min_rounds*",
        ]
    )


def test_max_time_bounds_a_benchmark_whose_one_call_exceeds_it(pytester: pytest.Pytester) -> None:
    # A call "taking" 3 s against max_time=0.5: min_rounds of it, the allocation pass's four
    # calls (exact counts need their warm-up), one for its sites (Python 3.11+), one for peak
    # memory and one profiled, the first included: 13 calls (12 on 3.10), and a note that says
    # why it took longer.
    expected = 13 if sites.SUPPORTED else 12
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        f"""
        import pytest
        from conftest import tick

        calls = []

        def slow():
            calls.append(1)
            tick(3 * 10**9)

        @pytest.mark.perf(max_time=0.5, min_rounds=5)
        def test_slow(perf):
            perf(slow)
            assert perf.measurement.rounds == 5

        def test_calls():
            assert len(calls) == {expected}
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    took = f"took {3 * expected} s (max_time=0.5 s)"
    result.stdout.fnmatch_lines([f"*slower than the time budget: {took}*"])
