"""The `perf` object a test uses: one measurement per test, in any of the three forms."""

from __future__ import annotations

import functools
import inspect
import itertools
from collections.abc import Callable, Iterator
from dataclasses import replace
from types import TracebackType
from typing import Any, final

from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.measure import parallel
from pytest_perfguard.measure.context import MeasureContext
from pytest_perfguard.measure.engine import Prepare
from pytest_perfguard.measure.reported import Reported, refuse_shadowed
from pytest_perfguard.measure.steps import NO_PAUSE, Pause
from pytest_perfguard.model import Measurement


def bind_fixtures(
    function: Callable[..., object], values: dict[str, object]
) -> Callable[[], object]:
    """A test function with its fixture values bound once, positionally where possible:
    a partial with keywords would build a dict on every call and count it as the test's."""
    positional: list[object] = []
    keywords: dict[str, object] = {}
    for name, parameter in inspect.signature(function).parameters.items():
        if name not in values:
            continue
        if parameter.kind is parameter.KEYWORD_ONLY or keywords:
            keywords[name] = values[name]
        else:
            positional.append(values[name])
    return functools.partial(function, *positional, **keywords)


class PerfUsageError(PerfguardError):
    """The perf fixture was used in a way that cannot give a measurement."""


def lazy_kind(fn: object) -> str | None:
    """What calling `fn` makes instead of running its body ("coroutine", ...), or None."""
    if inspect.iscoroutinefunction(fn):
        return "coroutine"
    if inspect.isasyncgenfunction(fn):
        return "async generator"
    if inspect.isgeneratorfunction(fn):
        return "generator"
    return None


_CONSUME = {
    "coroutine": "run it to completion in a sync call, e.g. perf(lambda: "
    "loop.run_until_complete({name}())) with loop = asyncio.new_event_loop() (the loop's cost "
    "is then part of every op), or await it inside `for _ in perf.loop():` in an async test",
    "async generator": "consume it in a sync call that runs an event loop, or inside "
    "`for _ in perf.loop():` in an async test",
    "generator": "consume it in the call, e.g. perf(lambda: list({name}()))",
    "awaitable": "await it inside `for _ in perf.loop():` in an async test",
}


def async_body_error(test: str, marker: str) -> PerfUsageError:
    """The marker-only form given an async test body."""
    return PerfUsageError(
        f"{test}: @pytest.mark.{marker} cannot measure an async test body "
        "(calling it only creates a coroutine); measure from a sync test, e.g. "
        "perf(lambda: loop.run_until_complete(work())) with "
        "loop = asyncio.new_event_loop() (the loop's cost is then part of every op), "
        "or await inside `for _ in perf.loop():` in a test your async plugin runs"
    )


def _name(fn: object) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def _advice(kind: str, name: str) -> str:
    return _CONSUME[kind].format(name=name if name.isidentifier() else "work")


def _refuse_lazy_result(test: str, fn: object, result: object) -> None:
    """A call that returned a coroutine or generator measured its creation, not its work."""
    kind = (
        "coroutine"
        if inspect.iscoroutine(result)
        else "async generator"
        if inspect.isasyncgen(result)
        else "generator"
        if inspect.isgenerator(result)
        else "awaitable"
        if inspect.isawaitable(result)
        else None
    )
    if kind is None:
        return
    close = getattr(result, "close", None)  # no "coroutine was never awaited" warning
    if kind != "async generator" and callable(close):
        close()
    name = _name(fn)
    raise PerfUsageError(
        f"{test}: perf() got a function that returns a {kind} ({name}): each call only creates "
        f"it, so its work would never be measured; {_advice(kind, name)}"
    )


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
        for role, value in (
            ("the function to measure", fn),
            ("setup", setup),
            ("teardown", teardown),
        ):
            if value is not None and not callable(value):
                raise PerfUsageError(
                    f"{self._test}: perf() needs {role} to be callable, got {value!r}"
                )
        kind = lazy_kind(fn)
        if kind is not None:
            name = _name(fn)
            raise PerfUsageError(
                f"{self._test}: perf() got a {kind} function ({name}): calling it only creates "
                f"a {kind}, so its work would never be measured; " + _advice(kind, name)
            )
        # The first call is one of the warm-up calls; its result is what perf() returns, and
        # max_time counts from its start.
        settings = replace(self._settings, warmup=max(self._settings.warmup - 1, 0))
        clock = self._clock
        started = clock()
        if setup is None and teardown is None:
            call = functools.partial(fn, *args, **kwargs) if args or kwargs else fn
            result = call()
            first = clock() - started
            _refuse_lazy_result(self._test, fn, result)
            if self._enabled:
                measured = self._engine.measure_call(call, settings, started, first, self._timing)
                self._record(measured)
            return result

        prepare = self._prepare(setup, args, kwargs)
        first_args, first_kwargs = prepare()
        t0 = clock()
        result = fn(*first_args, **first_kwargs)
        first = clock() - t0
        if teardown is not None:
            teardown(*first_args, **first_kwargs)
        _refuse_lazy_result(self._test, fn, result)
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
        _refuse_lazy_result(self._test, fn, result)
        if self._enabled:
            measured = parallel.measure_parallel(
                self._engine, self._settings, counts, make, started_ns=started, timing=self._timing
            )
            self._record(measured)
        return result

    def _prepare(
        self, setup: Callable[[], Any] | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Prepare:
        def prepare() -> tuple[tuple[object, ...], dict[str, object]]:
            got = setup() if setup is not None else None
            if got is None:
                return args, kwargs
            if (
                isinstance(got, tuple)
                and len(got) == 2
                and isinstance(got[0], tuple)
                and isinstance(got[1], dict)
            ):
                return got
            raise PerfUsageError(
                f"{self._test}: setup must return None or (args_tuple, kwargs_dict), got {got!r}"
            )

        return prepare

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
