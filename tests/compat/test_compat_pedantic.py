"""`benchmark.pedantic(...)`: pytest-benchmark's checks, exact call counts, setup and teardown."""

from __future__ import annotations

import pytest

from tests.fakes import CONFTEST

from .test_compat_fixture import FAST


@pytest.fixture
def faked(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    return pytester


@pytest.mark.parametrize(
    ("call", "error"),
    [
        ("rounds=0", "ValueError: Must have positive int for `rounds`."),
        ("iterations=0", "ValueError: Must have positive int for `iterations`."),
        ("rounds=2.5", "ValueError: Must have positive int for `rounds`."),
        ("warmup_rounds=-1", "ValueError: Must have positive int for `warmup_rounds`."),
        (
            "setup=lambda: None, iterations=2",
            "ValueError: Can't use more than 1 `iterations` with a `setup` function.",
        ),
        (
            "args=(1,), setup=lambda: ((2,), {}), rounds=1",
            "TypeError: Can't use `args` or `kwargs` if `setup` returns the arguments.",
        ),
    ],
)
def test_pytest_benchmarks_checks(faked: pytest.Pytester, call: str, error: str) -> None:
    faked.makepyfile(
        f"""
        def target(*args):
            pass

        def test_it(benchmark):
            benchmark.pedantic(target, {call})
        """
    )
    result = faked.runpytest(*FAST)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"E *{error}"])


def test_explicit_rounds_and_iterations_are_exact(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        from conftest import tick

        log = []

        def setup():
            log.append("setup")
            return (len(log),), {"scale": 2}

        def target(n, scale):
            tick(1000)
            log.append("call")
            return n * scale

        def teardown(n, scale):
            log.append("teardown")

        def test_rounds(benchmark):
            result = benchmark.pedantic(
                target, setup=setup, teardown=teardown, rounds=5, warmup_rounds=2
            )
            # 2 untimed and 5 timed rounds, each: setup, one call, teardown; nothing more
            assert log == ["setup", "call", "teardown"] * 7
            assert result == 19 * 2  # the last call's: setup ran when log held 18 entries
            stats = benchmark.stats
            assert stats.stats.rounds == 5 and stats.iterations == 1
            assert stats["median"] == 1e-6

        calls = []

        def test_iterations(benchmark):
            def work(x):
                tick(100)
                calls.append(x)
                return len(calls)

            assert benchmark.pedantic(work, args=(1,), iterations=4, rounds=3) == 12
            assert len(calls) == 12
            assert benchmark.stats.iterations == 4
            assert benchmark.stats.stats.data == [100e-9] * 3  # seconds per iteration
        """
    )
    result = faked.runpytest(*FAST)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*::test_rounds *1.00 us*5 x 1 * n/a * n/a *",
            "*::test_iterations *100 ns*3 x 4 * n/a * n/a *",
            "note: *::test_rounds: from 5 calls: pedantic(rounds=5, iterations=1) honoured "
            "exactly; allocs/op not counted*",
            "note: *::test_iterations: from 12 calls: pedantic(rounds=3, iterations=4)*",
        ]
    )


def test_kwargs_and_a_setup_returning_nothing(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        from conftest import tick

        seen = []

        def test_it(benchmark):
            def target(a, *, b):
                tick(10)
                seen.append((a, b))

            benchmark.pedantic(target, args=[1], kwargs={"b": 2}, setup=lambda: None, rounds=2)
            assert seen == [(1, 2), (1, 2)]
        """
    )
    faked.runpytest(*FAST).assert_outcomes(passed=1)


def test_without_rounds_perfguard_chooses_the_count(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        from conftest import tick

        log = []

        def test_it(benchmark):
            def setup():
                log.append("setup")
                return ([3, 2, 1],), {}

            def target(data):
                tick(400)
                data.sort()
                log.append("call")

            benchmark.pedantic(target, setup=setup, teardown=lambda data: log.append("td"))
            assert log[:6] == ["setup", "call", "td"] * 2
            assert log.count("call") > 10  # calibrated, setup and teardown around each call
            assert benchmark.stats["median"] == 400e-9

        def test_args_only(benchmark):
            benchmark.pedantic(tick, args=(300,))
            assert benchmark.stats.measurement.allocs_per_op is not None
        """
    )
    result = faked.runpytest(*FAST)
    result.assert_outcomes(passed=2)
    assert "honoured exactly" not in result.stdout.str()


def test_async_targets_are_refused(faked: pytest.Pytester) -> None:
    faked.makepyfile(
        """
        async def work():
            pass

        def test_it(benchmark):
            benchmark.pedantic(work, rounds=3)
        """
    )
    result = faked.runpytest(*FAST, "-W", "error")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pedantic() got an async function*"])
