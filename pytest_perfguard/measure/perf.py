"""The `perf` object a test uses: one measurement per test, in any of the three forms."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from dataclasses import replace
from types import TracebackType
from typing import Any, final

from pytest_perfguard.measure import parallel
from pytest_perfguard.measure.context import MeasureContext
from pytest_perfguard.measure.reported import Reported, refuse_shadowed
from pytest_perfguard.measure.steps import NO_PAUSE, Pause
from pytest_perfguard.measure.usage import (
    PerfUsageError,
    check_call,
    checked_setup,
    refuse_lazy_result,
)
from pytest_perfguard.model import Measurement


@final
class _TimedPause:
    """`with perf.paused():` during timed rounds: its body's time is taken off the round."""

    __slots__ = ("_perf", "_start")

    def __init__(self, perf: Perf) -> None:
        self._perf = perf
        self._start = 0

    def __enter__(self) -> None:
        self._start = self._perf._clock()  # last thing: the clock read starts the pause

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._perf._paused_ns += self._perf._clock() - self._start


@final
class Perf:
    """The `perf` fixture: measure one call (`perf(fn, ...)`) or one loop (`perf.loop()`).

    `perf.measurement` holds the `Measurement` once measured (None with `--perf-off`).
    """

    __slots__ = (
        "_clock",
        "_enabled",
        "_engine",
        "_on_measured",
        "_pause",
        "_paused_ns",
        "_raw",
        "_reported",
        "_settings",
        "_test",
        "_timing",
        "_used",
        "measurement",
    )

    def __init__(self, context: MeasureContext) -> None:
        self._engine = context.engine
        self._timing = context.timing
        self._clock = context.engine.clock
        self._settings = context.settings
        self._test = context.test
        self._on_measured = context.record
        self._enabled = context.enabled
        self._used: str | None = None
        self._pause: Pause | None = None  # set while inside perf.loop()
        self._paused_ns = 0
        self.measurement: Measurement | None = None
        self._raw: Measurement | None = None  # as measured, before the reported figures
        self._reported = Reported(context.test, context.settings)

    @property
    def used(self) -> bool:
        """Whether the test started a measurement (perf() or perf.loop())."""
        return self._used is not None

    def _claim(self, how: str) -> None:
        if self._used is not None:
            raise PerfUsageError(
                f"{self._test}: {how} after {self._used}: one measurement per test "
                "(use @pytest.mark.parametrize for variants)"
            )
        self._used = how

    def _record(self, measurement: Measurement) -> None:
        self._raw = measurement
        self.measurement = self._reported.applied(measurement)
        self._on_measured(self.measurement)

    def set_bytes(self, n: int) -> None:
        """Bytes one op processes (Go's b.SetBytes): reports show MB/s beside time/op."""
        self._reported.set_amount("bytes", n)
        self._again()

    def set_items(self, n: int) -> None:
        """Items one op processes: reports show items/s beside time/op."""
        self._reported.set_amount("items", n)
        self._again()

    def _again(self) -> None:
        if self._raw is not None:  # reported after measuring: record it again with the figure
            self._record(self._raw)

    def report(
        self,
        name: str,
        value: float,
        *,
        unit: str = "",
        better: str = "lower",
        exact: bool = False,
        tolerance: str | float | None = None,
    ) -> None:
        """A number of this benchmark (Go's b.ReportMetric), saved, shown and compared under
        `name`: exact, any move against `better` fails; else one beyond `tolerance` ("5%")."""
        self._reported.add(name, value, unit, better, exact, tolerance)
        self._again()

    def __call__(
        self,
        fn: Callable[..., Any],
        /,
        *args: Any,
        setup: Callable[[], Any] | None = None,
        teardown: Callable[..., object] | None = None,
        bytes: int | None = None,
        items: int | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call `fn(*args, **kwargs)` many times, timed; return one call's result.

        `setup()` runs before every call, untimed, and returns None (reuse the arguments) or
        `(args, kwargs)`; `teardown(*args, **kwargs)` runs after every call, untimed.
        `bytes=`/`items=` (perfguard's, not fn's): the work one call processes, for throughput.
        """
        self._claim("perf()")
        for keyword, amount in (("bytes", bytes), ("items", items)):
            if amount is not None:
                refuse_shadowed(self._test, fn, keyword)
                self._reported.set_amount(keyword, amount)
        check_call(self._test, fn, setup, teardown)
        # The first call is one of the warm-up calls; its result is what perf() returns, and
        # max_time counts from its start.
        settings = replace(self._settings, warmup=max(self._settings.warmup - 1, 0))
        clock = self._clock
        started = clock()
        if setup is None and teardown is None:
            call = functools.partial(fn, *args, **kwargs) if args or kwargs else fn
            result = call()
            first = clock() - started
            refuse_lazy_result(self._test, fn, result)
            if self._enabled:
                measured = self._engine.measure_call(call, settings, started, first, self._timing)
                self._record(measured)
            return result

        prepare = checked_setup(self._test, setup, args, kwargs)
        first_args, first_kwargs = prepare()
        t0 = clock()
        result = fn(*first_args, **first_kwargs)
        first = clock() - t0
        if teardown is not None:
            teardown(*first_args, **first_kwargs)
        refuse_lazy_result(self._test, fn, result)
        if self._enabled:
            measured = self._engine.measure_prepared(
                fn, prepare, teardown, settings, started, first, self._timing
            )
            self._record(measured)
        return result

    def parallel(
        self,
        fn: Callable[..., Any],
        /,
        *args: Any,
        threads: int | list[int] | tuple[int, ...] | None = None,
        setup: Callable[[], Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call `fn(*args, **kwargs)` on `threads` threads at once (default: the CPUs this
        process may use), each in its own loop, all started together; return one call's result.

        `setup()` runs once in each thread before its calls, untimed, and returns None (reuse
        the arguments) or `(args, kwargs)`. A sweep (`threads=[1, 2, 4]`) measures each count
        in interleaved rounds, for speedup and efficiency against one thread.
        """
        self._claim("perf.parallel()")
        started = self._clock()
        try:
            counts, make = parallel.prepare(fn, args, kwargs, threads, setup)
            result = make()()  # setup's result checked too, on this thread
        except parallel.ParallelUsage as exc:
            raise PerfUsageError(f"{self._test}: perf.parallel(): {exc}") from None
        refuse_lazy_result(self._test, fn, result)
        if self._enabled:
            measured = parallel.measure_parallel(
                self._engine, self._settings, counts, make, started_ns=started, timing=self._timing
            )
            self._record(measured)
        return result

    def loop(self) -> Iterator[None]:
        """`for _ in perf.loop():` runs the body as many times as perfguard needs (Go's b.Loop)."""
        self._claim("perf.loop()")
        try:
            if self._enabled:
                yield from self._measured_loop()
            else:
                self._pause = NO_PAUSE
                yield
        finally:
            self._pause = None

    def _measured_loop(self) -> Iterator[None]:
        """Every step of the benchmark's plan, each running the loop body step.n times."""
        clock = self._clock
        timed_pause = _TimedPause(self)
        plan = self._engine.plan(self._settings, timing=self._timing)
        step = next(plan)
        while True:
            elapsed = None
            if step.timed:
                self._pause = timed_pause
                self._paused_ns = 0
                t0 = clock()
                for _ in itertools.repeat(None, step.n):
                    yield
                elapsed = clock() - t0 - self._paused_ns
            else:
                self._pause = step.pause  # the pass's own pause object, reused every time
                for _ in itertools.repeat(None, step.n):
                    yield
            try:
                step = plan.send(elapsed)
            except StopIteration as stop:
                self._record(stop.value)
                return

    def paused(self) -> Pause:
        """`with perf.paused():` inside `perf.loop()`: the body is not timed (Go's StopTimer)
        and its allocations are not counted."""
        if self._pause is None:
            raise PerfUsageError(
                f"{self._test}: perf.paused() works only inside `for _ in perf.loop():`"
            )
        return self._pause
