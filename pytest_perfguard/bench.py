"""The `perf` object a test uses: one measurement per test, in any of the three forms."""

from __future__ import annotations

import functools
import gc
import itertools
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from types import TracebackType
from typing import Any, final

from pytest_perfguard.model import BenchSettings, Measurement
from pytest_perfguard.reference import reference_unit
from pytest_perfguard.timing import (
    Clock,
    Kind,
    RoundResult,
    Schedule,
    active_tracers,
    bare_loop,
    calibrate_reference,
    drive,
    empty_loop_ns,
    gc_collections,
    loop_cost_note,
    schedule,
    setup_loop,
)

LOOP_COST_CHECK_NS = 2_000
"""Below this per-op time the loop's own cost is measured in the same run and compared."""


class PerfUsageError(Exception):
    """The perf fixture was used in a way that cannot give a measurement."""


@final
class Engine:
    """What every benchmark of a session shares: the clock, the reference, the random order."""

    def __init__(
        self,
        clock: Clock = time.perf_counter_ns,
        reference: Callable[[], object] = reference_unit,
        rng: random.Random | None = None,
    ) -> None:
        self.clock = clock
        self._reference = reference
        self._reference_loops: int | None = None
        self._rng = rng or random.Random()

    def reference_loops(self) -> int:
        """Calibrated once per session, on first use."""
        if self._reference_loops is None:
            self._reference_loops = calibrate_reference(self._reference, self.clock)
        return self._reference_loops

    def run_reference(self, n: int) -> int:
        return bare_loop(self._reference, self.clock)(n)

    def schedule(self, settings: BenchSettings) -> Schedule:
        gc.collect()
        return schedule(
            settings, clock=self.clock, reference_loops=self.reference_loops(), rng=self._rng
        )

    def measure(
        self, run_bench: Callable[[int], int], settings: BenchSettings, *, check_loop: bool
    ) -> Measurement:
        """The timing pass of a function-form benchmark."""
        measurement = drive(self.schedule(settings), run_bench, self.run_reference)
        loop_ns = None
        if check_loop and measurement.median_ns < LOOP_COST_CHECK_NS:
            loop_ns = empty_loop_ns(measurement.loops, self.clock)
        return self.finish(measurement, loop_ns)

    def finish(self, measurement: Measurement, loop_ns: float | None) -> Measurement:
        """Add the notes every measurement needs: tracers active, too fast for the clock."""
        notes = list(measurement.notes)
        tracers = active_tracers()
        if tracers:
            notes.append(f"a tracer/profiler is active ({', '.join(tracers)}): figures inflated")
        if loop_ns is not None:
            note = loop_cost_note(measurement.median_ns, loop_ns)
            if note:
                notes.append(note)
        return replace(measurement, notes=tuple(notes))


@final
class _Pause:
    """`with perf.paused():` excludes its body from the round's time."""

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
        "_in_loop",
        "_on_measured",
        "_paused_ns",
        "_settings",
        "_test",
        "_used",
        "measurement",
    )

    def __init__(
        self,
        engine: Engine,
        settings: BenchSettings,
        test: str,
        on_measured: Callable[[Measurement], None],
        *,
        enabled: bool = True,
    ) -> None:
        self._engine = engine
        self._clock = engine.clock
        self._settings = settings
        self._test = test
        self._on_measured = on_measured
        self._enabled = enabled
        self._used: str | None = None
        self._in_loop = False
        self._paused_ns = 0
        self.measurement: Measurement | None = None

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
        self.measurement = measurement
        self._on_measured(measurement)

    def __call__(
        self,
        fn: Callable[..., Any],
        /,
        *args: Any,
        setup: Callable[[], Any] | None = None,
        teardown: Callable[..., object] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call `fn(*args, **kwargs)` many times, timed; return one call's result.

        `setup()` runs before every call, untimed, and returns None (reuse the arguments) or
        `(args, kwargs)`; `teardown(*args, **kwargs)` runs after every call, untimed.
        """
        self._claim("perf()")
        for role, value in (("the function to measure", fn), ("setup", setup)):
            if value is not None and not callable(value):
                raise PerfUsageError(
                    f"{self._test}: perf() needs {role} to be callable, got {value!r}"
                )
        if teardown is not None and not callable(teardown):
            raise PerfUsageError(
                f"{self._test}: perf() needs teardown to be callable, got {teardown!r}"
            )

        if setup is None and teardown is None:
            call = functools.partial(fn, *args, **kwargs) if args or kwargs else fn
            result = call()  # the first warm-up call; its result is what perf() returns
            if self._enabled:
                runner = bare_loop(call, self._clock)
                self._measure(runner, check_loop=True)
            return result

        prepare = self._prepare(setup, args, kwargs)
        first_args, first_kwargs = prepare()
        result = fn(*first_args, **first_kwargs)
        if teardown is not None:
            teardown(*first_args, **first_kwargs)
        if self._enabled:
            self._measure(setup_loop(fn, prepare, teardown, self._clock), check_loop=False)
        return result

    def _prepare(
        self, setup: Callable[[], Any] | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Callable[[], tuple[tuple[object, ...], dict[str, object]]]:
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

    def _measure(self, runner: Callable[[int], int], *, check_loop: bool) -> None:
        # The first call already ran: it counts as one of the warm-up calls.
        settings = replace(self._settings, warmup=max(self._settings.warmup - 1, 0))
        self._record(self._engine.measure(runner, settings, check_loop=check_loop))

    def loop(self) -> Iterator[None]:
        """`for _ in perf.loop():` runs the body as many times as perfguard needs (Go's b.Loop)."""
        self._claim("perf.loop()")
        self._in_loop = True
        try:
            if not self._enabled:
                yield
                return
            yield from self._timed_loop()
        finally:
            self._in_loop = False

    def _timed_loop(self) -> Iterator[None]:
        sched = self._engine.schedule(self._settings)
        request = next(sched)
        clock = self._clock
        while True:
            if request.kind is Kind.REFERENCE:
                result = RoundResult(self._engine.run_reference(request.n))
            else:
                self._paused_ns = 0
                before = gc_collections()
                t0 = clock()
                for _ in itertools.repeat(None, request.n):
                    yield
                elapsed = clock() - t0 - self._paused_ns
                result = RoundResult(elapsed, gc_collections() - before)
            try:
                request = sched.send(result)
            except StopIteration as stop:
                measurement: Measurement = stop.value
                break
        self._record(self._engine.finish(measurement, None))

    def paused(self) -> _Pause:
        """`with perf.paused():` inside `perf.loop()`: the body is not timed (Go's StopTimer)."""
        if not self._in_loop:
            raise PerfUsageError(
                f"{self._test}: perf.paused() works only inside `for _ in perf.loop():`"
            )
        return _Pause(self)
