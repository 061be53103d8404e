"""Async tests and lazy targets (coroutines, generators) are refused, never passed unmeasured."""

from __future__ import annotations

import pytest

FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider")

ASYNC_RUNNER = """
import asyncio
import functools
import inspect

import pytest

class AsyncRunner:
    # Like pytest-asyncio: the async test function is replaced by a sync wrapper while it runs.
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        original = item.obj
        if inspect.iscoroutinefunction(original):
            @functools.wraps(original)
            def run(**kwargs):
                asyncio.run(original(**kwargs))
            item.obj = run
        try:
            return (yield)
        finally:
            item.obj = original

def pytest_configure(config):
    config.pluginmanager.register(AsyncRunner(), "async-runner")
"""


def test_an_async_marker_only_test_fails_instead_of_passing_unrun(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.perf
        async def test_async():
            raise AssertionError("the body ran")
        """
    )
    result = pytester.runpytest(*FAST, "-W", "ignore::RuntimeWarning")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*test_async: @pytest.mark.perf cannot measure an async test body*"]
    )
    assert "perfguard: 1 benchmark" not in result.stdout.str()


def test_an_async_plugin_running_the_body_still_gets_a_clear_refusal(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(ASYNC_RUNNER)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.perf
        async def test_async():
            pass

        async def test_plain_async_still_runs():
            pass
        """
    )
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*test_async: @pytest.mark.perf cannot measure an async test body*"]
    )


def test_a_plugin_that_runs_the_body_itself_cannot_make_it_pass_unmeasured(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import pytest

        class Runner:  # like anyio's plugin: runs the test and says it did
            @pytest.hookimpl(tryfirst=True)
            def pytest_pyfunc_call(self, pyfuncitem):
                pyfuncitem.obj()
                return True

        def pytest_sessionstart(session):
            # Registered after perfguard's session, so its tryfirst hook is called first.
            session.config.pluginmanager.register(Runner(), "body-runner")
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.perf
        def test_marked():
            pass
        """
    )
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*test_marked: the test body ran but was not measured*"])


def test_awaiting_inside_perf_loop_in_an_async_test_is_measured(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(ASYNC_RUNNER)
    pytester.makepyfile(
        """
        import asyncio

        async def test_loop(perf):
            for _ in perf.loop():
                await asyncio.sleep(0)
            assert perf.measurement is not None and perf.measurement.rounds >= 5
        """
    )
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*::test_loop *"])


@pytest.mark.parametrize(
    ("definition", "call", "message"),
    [
        (
            "async def work():\n    raise AssertionError('ran')",
            "perf(work)",
            "*test_it: perf() got a coroutine function (work): calling it only creates a "
            "coroutine*",
        ),
        (
            "def work():\n    yield 1",
            "perf(work)",
            "*test_it: perf() got a generator function (work): calling it only creates a "
            "generator*list(work())*",
        ),
        (
            "async def coro():\n    pass\ndef work():\n    return coro()",
            "perf(work)",
            "*test_it: perf() got a function that returns a coroutine (work)*",
        ),
        (
            "def gen():\n    yield 1\ndef work():\n    return gen()",
            "perf(work, setup=lambda: None)",
            "*test_it: perf() got a function that returns a generator (work)*",
        ),
    ],
)
def test_lazy_targets_are_refused(
    pytester: pytest.Pytester, definition: str, call: str, message: str
) -> None:
    pytester.makepyfile(f"{definition}\n\ndef test_it(perf):\n    {call}\n")
    result = pytester.runpytest(*FAST, "-W", "error::RuntimeWarning")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([message])
    assert "never awaited" not in result.stdout.str()
