"""How the `perf` object refuses a use that cannot give a measurement, with the advice to fix it.

Kept apart from measure/perf.py and light to import: the pytest layer checks a marker-only
test body (lazy_kind, async_body_error) and catches PerfUsageError without the engine.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pytest_perfguard.errors import PerfguardError

if TYPE_CHECKING:
    from pytest_perfguard.measure.engine import Prepare


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


def check_call(
    test: str,
    fn: object,
    setup: object | None,
    teardown: object | None,
) -> None:
    """perf()'s arguments: callables, and `fn` one whose call runs its body."""
    for role, value in (
        ("the function to measure", fn),
        ("setup", setup),
        ("teardown", teardown),
    ):
        if value is not None and not callable(value):
            raise PerfUsageError(f"{test}: perf() needs {role} to be callable, got {value!r}")
    kind = lazy_kind(fn)
    if kind is not None:
        name = _name(fn)
        raise PerfUsageError(
            f"{test}: perf() got a {kind} function ({name}): calling it only creates "
            f"a {kind}, so its work would never be measured; " + _advice(kind, name)
        )


def refuse_lazy_result(test: str, fn: object, result: object) -> None:
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


def checked_setup(
    test: str, setup: Callable[[], Any] | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Prepare:
    """The arguments of each call: `setup()`'s `(args, kwargs)`, or the given ones when it
    returns None (or there is no setup); anything else is refused, naming the test."""

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
            f"{test}: setup must return None or (args_tuple, kwargs_dict), got {got!r}"
        )

    return prepare
