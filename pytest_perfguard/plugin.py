"""pytest hooks, options, marker and fixture: the only module that imports pytest."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Generator
from dataclasses import replace
from typing import Any

import pytest

from pytest_perfguard.bench import Perf, PerfUsageError
from pytest_perfguard.budgets import check_budgets
from pytest_perfguard.engine import Engine
from pytest_perfguard.model import BenchResult, BenchSettings, Measurement
from pytest_perfguard.report.terminal import render_results
from pytest_perfguard.settings import CONFIGURABLE, SettingsError, marker_settings, session_defaults

_HELP = {
    "max_time": "seconds of measuring per benchmark, warm-up included (default 0.5)",
    "min_rounds": "measured rounds per benchmark even past max_time (default 5)",
    "warmup": "calls before calibration (default 3)",
    "memory": "measure peak memory: true/false (default true)",
    "allocations": "count allocations: true/false (default true)",
    "min_effect": "smallest slowdown that may fail a comparison (default 10%)",
}
_SWITCHES = {
    "off": "run perf test bodies once, unmeasured (a fast functional run)",
    "only": "run only perf tests",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("perfguard", "performance benchmarks (pytest-perfguard)")
    for name, help_text in _SWITCHES.items():
        group.addoption(f"--perf-{name}", action="store_true", default=None, help=help_text)
        parser.addini(f"perf_{name}", help_text, type="bool", default=False)
    for name in CONFIGURABLE:
        flag = "--perf-" + name.replace("_", "-")
        group.addoption(
            flag, dest=f"perf_{name}", metavar="VALUE", help=_HELP[name].replace("%", "%%")
        )
        parser.addini(f"perf_{name}", _HELP[name], default=None)


def _switch(config: pytest.Config, name: str) -> bool:
    cli = config.getoption(f"perf_{name}")
    return bool(config.getini(f"perf_{name}") if cli is None else cli)


SESSION_KEY = pytest.StashKey["PerfSession"]()
SETTINGS_KEY = pytest.StashKey[BenchSettings]()
FIXTURE_KEY = pytest.StashKey[Perf]()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "perf(**keywords): measure this test as a benchmark (pytest-perfguard); keywords: "
        "group, max_time, min_rounds, warmup, memory, allocations, min_effect, "
        "limit_time, limit_memory, limit_allocs",
    )
    try:
        defaults = session_defaults(
            {name: config.getoption(f"perf_{name}") for name in CONFIGURABLE},
            {name: config.getini(f"perf_{name}") for name in CONFIGURABLE},
        )
    except SettingsError as exc:
        raise pytest.UsageError(f"pytest-perfguard: {exc}") from None
    session = PerfSession(config, defaults)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "perfguard-session")


def _is_perf(item: pytest.Item) -> bool:
    return item.get_closest_marker("perf") is not None or "perf" in getattr(
        item, "fixturenames", ()
    )


def _bind(function: Callable[..., object], funcargs: dict[str, object]) -> Callable[[], object]:
    """The test function with its fixture values bound once, positionally where possible:
    a partial with keywords would build a dict on every call and count it as the test's."""
    positional: list[object] = []
    keywords: dict[str, object] = {}
    for name, parameter in inspect.signature(function).parameters.items():
        if name not in funcargs:
            continue
        if parameter.kind is parameter.KEYWORD_ONLY or keywords:
            keywords[name] = funcargs[name]
        else:
            positional.append(funcargs[name])
    return functools.partial(function, *positional, **keywords)


class PerfSession:
    """Run state of one pytest session: settings, the engine, the results."""

    def __init__(self, config: pytest.Config, defaults: BenchSettings) -> None:
        self.config = config
        self.defaults = defaults
        self.enabled = not _switch(config, "off")
        self.only = _switch(config, "only")
        self.engine = Engine()
        self.results: dict[str, BenchResult] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_pycollect_makeitem(
        self, collector: pytest.Collector, name: str, obj: object
    ) -> Generator[None, Any, Any]:
        # Validated here so a bad marker keyword is a collection error of its module.
        made = yield
        for item in made if isinstance(made, list) else [made]:
            if isinstance(item, pytest.Function) and _is_perf(item):
                marker = item.get_closest_marker("perf")
                args, kwargs = (marker.args, marker.kwargs) if marker else ((), {})
                try:
                    settings = marker_settings(self.defaults, args, kwargs, item.nodeid)
                except SettingsError as exc:
                    raise collector.CollectError(str(exc)) from None
                item.stash[SETTINGS_KEY] = settings
        return made

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if not self.only:
            return
        kept = [item for item in items if SETTINGS_KEY in item.stash]
        deselected = [item for item in items if SETTINGS_KEY not in item.stash]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = kept

    def record(self, item: pytest.Item, measurement: Measurement) -> None:
        settings = item.stash[SETTINGS_KEY]
        path, line, _ = item.location
        self.results[item.nodeid] = BenchResult(
            nodeid=item.nodeid,
            group=settings.group,
            measurement=measurement,
            settings=settings,
            location=(path, (line or 0) + 1),
        )

    def make_perf(self, item: pytest.Item) -> Perf:
        return Perf(
            self.engine,
            item.stash[SETTINGS_KEY],
            item.nodeid,
            functools.partial(self.record, item),
            enabled=self.enabled,
        )

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        # The marker-only form: the test body itself is the benchmark.
        if not self.enabled or "perf" in pyfuncitem.fixturenames:
            return None
        if SETTINGS_KEY not in pyfuncitem.stash:
            return None
        perf = self.make_perf(pyfuncitem)
        pyfuncitem.stash[FIXTURE_KEY] = perf
        perf(_bind(pyfuncitem.obj, pyfuncitem.funcargs))
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        try:
            yield
        except PerfUsageError as exc:
            pytest.fail(str(exc), pytrace=False)
        perf = item.stash.get(FIXTURE_KEY, None)
        if not self.enabled or perf is None or not perf.used:
            return
        if perf.measurement is None:
            pytest.fail(
                f"{item.nodeid}: perf.loop() was left before the measurement finished "
                "(a `break` or `return` inside the loop); let the loop run to its end",
                pytrace=False,
            )
        result = self.results[item.nodeid]
        budgets = check_budgets(result.measurement, result.settings)
        if budgets.unchecked:
            notes = result.measurement.notes + budgets.unchecked
            self.results[item.nodeid] = replace(
                result, measurement=replace(result.measurement, notes=notes)
            )
        if budgets.failures:
            pytest.fail(f"{item.nodeid}: " + "; ".join(budgets.failures), pytrace=False)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        lines = render_results(list(self.results.values()))
        if not lines:
            return
        terminalreporter.write_sep("-", f"perfguard: {len(self.results)} benchmarks")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def perf(request: pytest.FixtureRequest) -> Perf:
    """Measure one call (`perf(fn, *args, setup=, teardown=)`) or a loop (`perf.loop()`)."""
    session = request.config.stash[SESSION_KEY]
    item = request.node
    made = session.make_perf(item)
    item.stash[FIXTURE_KEY] = made
    return made


__all__ = ["PerfUsageError", "perf"]
