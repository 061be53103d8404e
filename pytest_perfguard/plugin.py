"""pytest hooks, options, marker and fixture: the only module that imports pytest."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Generator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pytest_perfguard.bench import Perf, PerfUsageError
from pytest_perfguard.budgets import check_budgets
from pytest_perfguard.codec import (
    comparison_from_dict,
    comparison_to_dict,
    result_from_dict,
    result_to_dict,
)
from pytest_perfguard.engine import Engine
from pytest_perfguard.environment import current_fingerprint
from pytest_perfguard.gate import DEFAULT_BASELINE, Gate, GateOptions
from pytest_perfguard.model import BenchResult, BenchSettings, Comparison, Measurement
from pytest_perfguard.report.json import render_json, results_document
from pytest_perfguard.report.terminal import failure_message, render_comparisons, render_results
from pytest_perfguard.settings import (
    CONFIGURABLE,
    SettingsError,
    marker_settings,
    parse_count,
    session_defaults,
)
from pytest_perfguard.storage import DEFAULT_KEEP, BaselineError
from pytest_perfguard.verdict import Policy

_HELP = {
    "max_time": "seconds of measuring per benchmark, warm-up included (default 0.5)",
    "min_rounds": "measured rounds per benchmark even past max_time (default 5)",
    "warmup": "calls before calibration (default 3)",
    "memory": "run the peak-memory pass: true/false (default true)",
    "allocations": "run the allocation pass: true/false (default true)",
    "min_effect": "smallest slowdown that may fail a comparison (default 10%)",
}
_SWITCHES = {
    "off": "run perf test bodies once, unmeasured (a fast functional run)",
    "only": "run only perf tests",
    "save": "record the measured benchmarks in the baseline file (merged with what it holds)",
    "compare": "compare with the baseline file; a real regression fails its test",
    "strict": "time verdicts count even on another CPU model or Python version",
    "warn_only": "report regressions without failing",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("perfguard", "performance benchmarks (pytest-perfguard)")
    for name, help_text in _SWITCHES.items():
        flag = "--perf-" + name.replace("_", "-")
        group.addoption(
            flag, dest=f"perf_{name}", action="store_true", default=None, help=help_text
        )
        parser.addini(f"perf_{name}", help_text, type="bool", default=False)
    for name in CONFIGURABLE:
        flag = "--perf-" + name.replace("_", "-")
        group.addoption(
            flag, dest=f"perf_{name}", metavar="VALUE", help=_HELP[name].replace("%", "%%")
        )
        parser.addini(f"perf_{name}", _HELP[name], default=None)
    path_help = f"the baseline file (default: {DEFAULT_BASELINE} under the rootdir)"
    group.addoption("--perf-baseline", dest="perf_baseline", metavar="PATH", help=path_help)
    parser.addini("perf_baseline", path_help, default=None)
    group.addoption(
        "--perf-json", dest="perf_json", metavar="PATH", help="write every result as JSON to PATH"
    )
    keep_help = f"runs kept per benchmark in the baseline file (default {DEFAULT_KEEP})"
    group.addoption("--perf-keep-runs", dest="perf_keep_runs", metavar="N", help=keep_help)
    parser.addini("perf_keep_runs", keep_help, default=None)


def _switch(config: pytest.Config, name: str) -> bool:
    cli = config.getoption(f"perf_{name}")
    return bool(config.getini(f"perf_{name}") if cli is None else cli)


def _gate_options(config: pytest.Config, defaults: BenchSettings) -> GateOptions:
    cli_path = config.getoption("perf_baseline")
    ini_path = config.getini("perf_baseline")
    if cli_path:
        path = Path(cli_path).absolute()  # relative to where pytest was started
    elif ini_path:
        path = config.rootpath / ini_path
    else:
        path = config.rootpath / DEFAULT_BASELINE
    keep_cli = config.getoption("perf_keep_runs")
    keep_ini = config.getini("perf_keep_runs")
    keep, source = DEFAULT_KEEP, ""
    try:
        if keep_cli is not None:
            source, keep = "option --perf-keep-runs", parse_count(keep_cli, 1)
        elif keep_ini:
            source, keep = "ini key perf_keep_runs", parse_count(keep_ini, 1)
    except ValueError as exc:
        raise pytest.UsageError(
            f"pytest-perfguard: invalid keep_runs from {source}: {exc}"
        ) from None
    policy = Policy(
        min_effect=defaults.min_effect,
        strict=_switch(config, "strict"),
        warn_only=_switch(config, "warn_only"),
    )
    return GateOptions(path, _switch(config, "compare"), _switch(config, "save"), keep, policy)


SESSION_KEY = pytest.StashKey["PerfSession"]()
SETTINGS_KEY = pytest.StashKey[BenchSettings]()
FIXTURE_KEY = pytest.StashKey[Perf]()
COMPARED_KEY = pytest.StashKey[Comparison]()


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
    options = _gate_options(config, defaults)
    try:
        gate = Gate.open(options, current_fingerprint())
    except BaselineError as exc:
        raise pytest.UsageError(f"pytest-perfguard: {exc}") from None
    session = PerfSession(config, defaults, gate)
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
    """Run state of one pytest session (or one xdist worker): settings, engine, gate, results.

    Results travel to the summary on the test reports (`report.perfguard`), so a serial run and
    an xdist controller collect them the same way.
    """

    def __init__(self, config: pytest.Config, defaults: BenchSettings, gate: Gate) -> None:
        self.config = config
        self.defaults = defaults
        self.gate = gate
        self.enabled = not _switch(config, "off")
        self.only = _switch(config, "only")
        self.is_worker = hasattr(config, "workerinput")
        self.engine = Engine()
        self.family = 0
        self.measured: dict[str, BenchResult] = {}  # in this process
        self.reported: dict[str, BenchResult] = {}  # from every process's reports
        self.comparisons: dict[str, Comparison] = {}
        self.failed: set[str] = set()
        self.workers = 0
        self.order: dict[str, int] = {}  # collection order, for a stable summary under xdist
        self.save_message = ""

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

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        perf_items = [item.nodeid for item in session.items if SETTINGS_KEY in item.stash]
        self.family = self.gate.family(perf_items)
        self.order = {item.nodeid: i for i, item in enumerate(session.items)}

    def record(self, item: pytest.Item, measurement: Measurement) -> None:
        settings = item.stash[SETTINGS_KEY]
        path, line, _ = item.location
        self.measured[item.nodeid] = BenchResult(
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
        self.judge(item)

    def judge(self, item: pytest.Item) -> None:
        """Budgets, then the baseline comparison; either fails the test."""
        result = self.measured[item.nodeid]
        budgets = check_budgets(result.measurement, result.settings)
        if budgets.unchecked:
            notes = result.measurement.notes + budgets.unchecked
            result = replace(result, measurement=replace(result.measurement, notes=notes))
            self.measured[item.nodeid] = result
        failures = [f"{item.nodeid}: " + "; ".join(budgets.failures)] if budgets.failures else []
        if self.gate.options.compare:
            comparison = self.gate.judge(result, self.family)
            item.stash[COMPARED_KEY] = comparison
            if comparison.failing:
                failures.append(failure_message(comparison, str(self.gate.options.path)))
        if failures:
            pytest.fail("\n".join(failures), pytrace=False)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        result = self.measured.get(item.nodeid)
        if call.when != "call" or result is None:
            return report
        comparison = item.stash.get(COMPARED_KEY, None)
        # Plain JSON types: pytest serializes report attributes for xdist.
        report.perfguard = {  # type: ignore[attr-defined]
            "result": result_to_dict(result),
            "comparison": None if comparison is None else comparison_to_dict(comparison),
        }
        m = result.measurement
        # JUnit XML takes properties from the item when its teardown is reported.
        item.user_properties.extend(
            [
                ("perf_median_ns", f"{m.median_ns:.6g}"),
                ("perf_rounds_x_loops", f"{m.rounds}x{m.loops}"),
                (
                    "perf_allocs_per_op",
                    "n/a" if m.allocs_per_op is None else f"{m.allocs_per_op:g}",
                ),
                ("perf_bytes_per_op", "n/a" if m.bytes_per_op is None else f"{m.bytes_per_op:g}"),
                ("perf_peak_memory_bytes", str(m.peak_memory_bytes)),
            ]
        )
        if comparison is not None:
            item.user_properties.append(("perf_verdict", comparison.verdict.value))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "perfguard", None)
        if report.when != "call" or data is None:
            return
        result = result_from_dict(data["result"])
        self.reported[result.nodeid] = result
        if data["comparison"] is not None:
            self.comparisons[result.nodeid] = comparison_from_dict(data["comparison"])
        if not report.passed:
            self.failed.add(result.nodeid)

    @pytest.hookimpl(optionalhook=True)  # an xdist hook: absent without xdist
    def pytest_xdist_node_collection_finished(self, node: object, ids: list[str]) -> None:
        self.workers += 1
        self.order = {nodeid: i for i, nodeid in enumerate(ids)}  # the controller collects none

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            return
        self.write_outputs()
        decision = self.gate.save_decision(list(self.comparisons.values()), len(self.failed))
        if decision.save:
            passed = [r for r in self.reported.values() if r.nodeid not in self.failed]
            if passed:
                self.gate.save(passed, datetime.now(timezone.utc))
                self.save_message = (
                    f"saved {len(passed)} benchmark(s) to {self.gate.options.path}"
                    + decision.reason
                )
        else:
            self.save_message = decision.reason

    def write_outputs(self) -> None:
        json_path = self.config.getoption("perf_json")
        if json_path:
            options = self.gate.options
            settings = {
                "baseline": str(options.path),
                "compare": options.compare,
                "save": options.save,
                "strict": options.policy.strict,
                "warn_only": options.policy.warn_only,
                "alpha": options.policy.alpha,
                "keep_runs": options.keep,
            }
            document = results_document(
                self.in_order(),
                self.comparisons,
                self.gate.fingerprint,
                settings,
                datetime.now(timezone.utc).isoformat(timespec="seconds"),
            )
            Path(json_path).write_text(render_json(document), encoding="utf-8")

    def in_order(self) -> list[BenchResult]:
        last = len(self.order)
        return sorted(self.reported.values(), key=lambda r: self.order.get(r.nodeid, last))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        results = self.in_order()
        lines = render_results(results)
        if not lines and not self.save_message:
            return
        terminalreporter.write_sep("-", f"perfguard: {len(results)} benchmarks")
        for line in lines:
            terminalreporter.write_line(line)
        if self.workers > 1:
            terminalreporter.write_line(
                f"warning: measured in {self.workers} parallel workers that share this "
                "machine's cores: figures are slower and noisier; for baselines, run perf tests "
                "serially (-p no:xdist, or -n 0 with --perf-only)"
            )
        if self.gate.options.compare:
            self._summarize_comparison(terminalreporter, results)
        if self.save_message:
            terminalreporter.write_line(f"perfguard: {self.save_message}")

    def _summarize_comparison(
        self, terminalreporter: pytest.TerminalReporter, results: list[BenchResult]
    ) -> None:
        path = self.gate.options.path
        if self.gate.baseline is None:
            terminalreporter.write_line(
                f"perfguard: no baseline at {path}: every benchmark is new. "
                "Record one with --perf-save."
            )
            return
        terminalreporter.write_sep("-", f"perfguard: comparison with {path}")
        compared = [self.comparisons[r.nodeid] for r in results if r.nodeid in self.comparisons]
        for line in render_comparisons(compared):
            terminalreporter.write_line(line)
        missing = self.gate.missing(r.nodeid for r in results)
        if missing:
            terminalreporter.write_line(
                f"missing: {len(missing)} baseline benchmark(s) not measured in this run, "
                f"e.g. {missing[0]}"
            )


@pytest.fixture
def perf(request: pytest.FixtureRequest) -> Perf:
    """Measure one call (`perf(fn, *args, setup=, teardown=)`) or a loop (`perf.loop()`)."""
    session = request.config.stash[SESSION_KEY]
    item = request.node
    made = session.make_perf(item)
    item.stash[FIXTURE_KEY] = made
    return made


__all__ = ["PerfUsageError", "perf"]
