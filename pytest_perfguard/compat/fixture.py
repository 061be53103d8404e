"""The `benchmark` object of pytest-benchmark's API, measuring with perfguard's engine.

`benchmark(fn, *args, **kwargs)` measures as `perf(fn, *args, **kwargs)` does, through the
same engine calls (`Engine.measure_call`, `Engine.measure_prepared`): calibrated rounds
interleaved with the reference, then the allocation and peak-memory passes.
`benchmark.pedantic(...)` with `rounds` or `iterations` given makes exactly those calls
(`compat.pedantic`); without them, perfguard chooses the count as for `perf(fn, setup=,
teardown=)`. Unlike `perf()`, a call returning a generator is measured (its creation, as
pytest-benchmark measures it, with a note): suites do that on purpose.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import replace
from typing import Any, final

from pytest_perfguard.compat.pedantic import Exact, measure_exact
from pytest_perfguard.compat.stats import Metadata, NodeInfo
from pytest_perfguard.measure.context import MeasureContext
from pytest_perfguard.measure.engine import Prepare
from pytest_perfguard.measure.timing import MIN_ROUND_NS
from pytest_perfguard.measure.usage import PerfUsageError, lazy_kind
from pytest_perfguard.model import BenchSettings, Measurement

__all__ = ["BenchmarkFixture", "FixtureAlreadyUsed", "options_of"]


EXACT_UNPAIRED = (
    "benchmark.pedantic(rounds=, iterations=) makes exactly the calls asked for, and rounds "
    "paired with the base revision need calls of their own in every process; without rounds "
    "and iterations perfguard chooses the count and the benchmark pairs"
)
"""Why an exact pedantic schedule is measured alone in same-job A/B."""


class FixtureAlreadyUsed(PerfUsageError):
    """The `benchmark` fixture was called a second time in one test (as in pytest-benchmark)."""


def options_of(settings: BenchSettings) -> dict[str, Any]:
    """pytest-benchmark's `options` of a benchmark, with the values perfguard measured with."""
    return {
        "disable_gc": False,
        "timer": "perf_counter_ns",
        "min_rounds": settings.min_rounds,
        "max_time": settings.max_time,
        "min_time": MIN_ROUND_NS / 1e9,
        "precision": None,
        "confidence": None,
        "warmup": settings.warmup,
    }


@final
class BenchmarkFixture:
    """pytest-benchmark's `benchmark` fixture on perfguard's engine and gate.

    `benchmark(fn, *args, **kwargs)` and `benchmark.pedantic(...)` measure and return the
    target's result; `group`, `extra_info`, `name`, `fullname`, `param`, `params`, `enabled`,
    `disabled` and, once measured, `stats` are as in pytest-benchmark.
    """

    def __init__(
        self,
        context: MeasureContext,
        info: NodeInfo,
        set_group: Callable[[str | None], None],
    ) -> None:
        self._context = context
        self._engine = context.engine
        self._settings = context.settings
        self._set_group = set_group
        self._mode: str | None = None
        self._measurement: Measurement | None = None
        self._stats: Metadata | None = None
        self.name = info.name
        self.fullname = info.fullname
        self.param = info.param
        self.params = None if info.params is None else dict(info.params)
        self._info = info
        self.group: str | None = context.settings.group
        self.extra_info: dict[str, Any] = {}
        self.disabled = not context.enabled
        self.has_error = False
        self.skipped = False
        self.cprofile = False

    @property
    def enabled(self) -> bool:
        return not self.disabled

    @property
    def used(self) -> bool:
        """Whether the test called the fixture (for the plugin's checks)."""
        return self._mode is not None

    @property
    def measurement(self) -> Measurement | None:
        """perfguard's measurement of this benchmark (None until measured, or when disabled)."""
        return self._measurement

    def _measured(self, measurement: Measurement, note: str | None) -> None:
        if note is not None:
            measurement = replace(measurement, notes=(*measurement.notes, note))
        self._measurement = measurement
        self._context.record(measurement)

    def _settings_after_first_call(self) -> BenchSettings:
        # The first call, whose result is returned, is one of the warm-up calls (as in perf()).
        return replace(self._settings, warmup=max(self._settings.warmup - 1, 0))

    @property
    def stats(self) -> Metadata | None:
        """pytest-benchmark's statistics (seconds per iteration); None when not measured."""
        measurement = self.measurement
        if measurement is None:
            return None
        if self._stats is None:
            self._stats = Metadata(
                self._info, self.group, self.extra_info, measurement, options_of(self._settings)
            )
        return self._stats

    def _claim(self, mode: str) -> None:
        if self._mode is not None:
            self.has_error = True
            raise FixtureAlreadyUsed(
                f"{self.fullname}: Fixture can only be used once. Previously it was used in "
                f"{self._mode} mode. (perfguard: one measurement per test; use "
                "@pytest.mark.parametrize for variants)"
            )
        self._mode = mode
        group = self.group
        self._set_group(None if group is None or group == "" else str(group))

    def __call__(self, function_to_benchmark: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Measure `function_to_benchmark(*args, **kwargs)`; return one call's result.

        Also a decorator: `@benchmark` over a local function measures it at once.
        """
        self._claim("benchmark(...)")
        self._check(function_to_benchmark, "benchmark()")
        call = function_to_benchmark
        if args or kwargs:  # bound once, as perf() binds them
            call = functools.partial(function_to_benchmark, *args, **kwargs)
        try:
            return self._measure_call(call)
        except Exception:
            self.has_error = True
            raise

    def _measure_call(self, call: Callable[[], Any]) -> Any:
        """One call for the result, then every pass over `call()` in timeit's bare loop, as
        perf() measures (max_time counts from the first call's start)."""
        clock = self._engine.clock
        started = clock()
        result = call()
        first = clock() - started
        if self.disabled:
            return result
        note = _lazy_note(self.fullname, result)
        settings = self._settings_after_first_call()
        timing = self._context.timing
        self._measured(self._engine.measure_call(call, settings, started, first, timing), note)
        return result

    def _check(self, target: object, how: str) -> None:
        if not callable(target):
            raise PerfUsageError(f"{self.fullname}: {how} needs a callable, got {target!r}")
        if lazy_kind(target) == "coroutine":
            raise PerfUsageError(
                f"{self.fullname}: {how} got an async function: calling it only creates a "
                "coroutine, so its work would never be measured; run it to completion in a "
                "sync call, e.g. lambda: loop.run_until_complete(work())"
            )

    def pedantic(
        self,
        target: Callable[..., Any],
        args: tuple[Any, ...] | list[Any] = (),
        kwargs: dict[str, Any] | None = None,
        setup: Callable[[], Any] | None = None,
        teardown: Callable[..., object] | None = None,
        rounds: int | None = None,
        warmup_rounds: int | None = None,
        iterations: int | None = None,
    ) -> Any:
        """Measure `target` with explicit arguments, setup and teardown; return its result.

        `setup()` runs before every round and may return `(args, kwargs)`; `teardown(*args,
        **kwargs)` runs after every round. With `rounds` or `iterations` given (defaults 1),
        exactly `warmup_rounds` untimed and `rounds` timed rounds of `iterations` calls run;
        with neither, perfguard chooses the count (setup and teardown around every call).
        """
        self._claim("benchmark.pedantic(...)")
        given = rounds is not None or iterations is not None
        rounds = 1 if rounds is None else rounds
        iterations = 1 if iterations is None else iterations
        warmup_rounds = 0 if warmup_rounds is None else warmup_rounds
        # pytest-benchmark's checks and messages.
        if not isinstance(iterations, int) or iterations < 1:
            raise ValueError("Must have positive int for `iterations`.")
        if not isinstance(rounds, int) or rounds < 1:
            raise ValueError("Must have positive int for `rounds`.")
        if not isinstance(warmup_rounds, int) or warmup_rounds < 0:
            raise ValueError("Must have positive int for `warmup_rounds`.")
        if iterations > 1 and setup:
            raise ValueError("Can't use more than 1 `iterations` with a `setup` function.")
        self._check(target, "pedantic()")
        fixed_args = tuple(args)
        fixed_kwargs = {} if kwargs is None else dict(kwargs)
        has_args = bool(fixed_args or fixed_kwargs)

        def arguments() -> tuple[tuple[Any, ...], dict[str, Any]]:
            if setup is not None:
                made = setup()
                if made:
                    if has_args:
                        raise TypeError(
                            "Can't use `args` or `kwargs` if `setup` returns the arguments."
                        )
                    made_args, made_kwargs = made
                    return tuple(made_args), dict(made_kwargs)
            return fixed_args, fixed_kwargs

        try:
            if self.disabled:
                call_args, call_kwargs = arguments()
                result = target(*call_args, **call_kwargs)
                if teardown is not None:
                    teardown(*call_args, **call_kwargs)
                return result
            if given:
                self._context.decline_timing(EXACT_UNPAIRED)
                exact = Exact(rounds, iterations, warmup_rounds, memory=self._settings.memory)
                result, measurement = measure_exact(
                    self._engine, target, arguments, teardown, exact
                )
                self._measured(measurement, _lazy_note(self.fullname, result))
                return result
            if setup is None and teardown is None:
                call = functools.partial(target, *fixed_args, **fixed_kwargs)
                return self._measure_call(call if has_args else target)
            prepare: Prepare = arguments
            clock = self._engine.clock
            started = clock()
            call_args, call_kwargs = prepare()
            t0 = clock()
            result = target(*call_args, **call_kwargs)
            first = clock() - t0
            if teardown is not None:
                teardown(*call_args, **call_kwargs)
            note = _lazy_note(self.fullname, result)
            settings = self._settings_after_first_call()
            measurement = self._engine.measure_prepared(
                target, prepare, teardown, settings, started, first, self._context.timing
            )
            self._measured(measurement, note)
            return result
        except Exception:
            self.has_error = True
            raise

    def weave(self, target: object, **kwargs: Any) -> None:
        """Not supported: pytest-benchmark patches `target` with aspectlib here."""
        raise PerfUsageError(
            f"{self.fullname}: benchmark.weave() / benchmark_weave (pytest-benchmark's aspectlib "
            "patching) is not supported by perfguard; call benchmark(function, *args) instead"
        )

    patch = weave


def _lazy_note(test: str, result: object) -> str | None:
    """A note for a call that returned a generator (only its creation is timed, as in
    pytest-benchmark); an error for one that returned a coroutine or awaitable, which would
    also warn that it was never awaited."""
    if inspect.isgenerator(result) or inspect.isasyncgen(result):
        kind = "generator" if inspect.isgenerator(result) else "async generator"
        return (
            f"the call returns a {kind}: only its creation is measured, not its iteration "
            "(as pytest-benchmark measures it)"
        )
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if callable(close):
            close()  # no "never awaited" warning
        raise PerfUsageError(
            f"{test}: the call returns a {type(result).__name__}: each call only creates it, "
            "so its work would never be measured; run it to completion in the call"
        )
    return None
