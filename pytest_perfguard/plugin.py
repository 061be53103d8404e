"""pytest hooks, options, marker and fixture: the only module that imports pytest.

Each hook reads pytest objects, calls the core, and writes the result back. Results travel to
the summary on the test reports (`report.perfguard`), so a serial run and an xdist controller
collect them the same way.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Generator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pytest_perfguard import codec, options
from pytest_perfguard.bench import Perf, PerfUsageError, bind_fixtures
from pytest_perfguard.budgets import check_budgets
from pytest_perfguard.engine import Engine
from pytest_perfguard.environment import current_fingerprint
from pytest_perfguard.gate import Gate, GateOptions
from pytest_perfguard.model import BenchResult, BenchSettings, Comparison, Measurement
from pytest_perfguard.report import github, json, markdown, terminal
from pytest_perfguard.settings import CONFIGURABLE, SettingsError, marker_settings, session_defaults
from pytest_perfguard.storage import DEFAULT_KEEP, BaselineError
from pytest_perfguard.verdict import Policy

SESSION_KEY = pytest.StashKey["PerfSession"]()
SETTINGS_KEY = pytest.StashKey[BenchSettings]()
FIXTURE_KEY = pytest.StashKey[Perf]()
COMPARED_KEY = pytest.StashKey[Comparison]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("perfguard", "performance benchmarks (pytest-perfguard)")
    for name, text in options.SWITCHES.items():
        flag = "--perf-" + name.replace("_", "-")
        group.addoption(flag, dest=f"perf_{name}", action="store_true", default=None, help=text)
        parser.addini(f"perf_{name}", text, type="bool", default=False)
    for name in CONFIGURABLE:
        text = options.SETTING_HELP[name]
        flag = "--perf-" + name.replace("_", "-")
        group.addoption(flag, dest=f"perf_{name}", metavar="VALUE", help=text.replace("%", "%%"))
        parser.addini(f"perf_{name}", text, default=None)
    for name, text in options.PATHS.items():
        group.addoption(f"--perf-{name}", dest=f"perf_{name}", metavar="PATH", help=text)
    parser.addini("perf_baseline", options.PATHS["baseline"], default=None)
    keep = f"runs kept per benchmark in the baseline file (default {DEFAULT_KEEP})"
    group.addoption("--perf-keep-runs", dest="perf_keep_runs", metavar="N", help=keep)
    parser.addini("perf_keep_runs", keep, default=None)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "perf(**keywords): measure this test as a benchmark (pytest-perfguard); keywords: "
        "group, max_time, min_rounds, warmup, memory, allocations, min_effect, "
        "alloc_tolerance, limit_time, limit_memory, limit_allocs",
    )
    switches = options.resolve_switches(
        {name: config.getoption(f"perf_{name}") for name in options.SWITCHES},
        {name: config.getini(f"perf_{name}") for name in options.SWITCHES},
    )
    try:
        defaults = session_defaults(
            {name: config.getoption(f"perf_{name}") for name in CONFIGURABLE},
            {name: config.getini(f"perf_{name}") for name in CONFIGURABLE},
        )
        keep = options.resolve_keep(
            config.getoption("perf_keep_runs"), config.getini("perf_keep_runs")
        )
        path = options.resolve_baseline_path(
            config.getoption("perf_baseline"),
            config.getini("perf_baseline"),
            config.rootpath,
            config.invocation_params.dir,
        )
        policy = Policy(
            min_effect=defaults.min_effect, strict=switches.strict, warn_only=switches.warn_only
        )
        gate = Gate.open(
            GateOptions(path, switches.compare, switches.save, keep, policy),
            current_fingerprint(),
        )
    except (SettingsError, BaselineError) as exc:
        raise pytest.UsageError(f"pytest-perfguard: {exc}") from None
    session = PerfSession(config, defaults, gate, switches)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "perfguard-session")


def _is_perf(item: pytest.Item) -> bool:
    marked = item.get_closest_marker("perf") is not None
    return marked or "perf" in getattr(item, "fixturenames", ())


class PerfSession:
    """Run state of one pytest session (or one xdist worker): settings, engine, gate, results."""

    def __init__(
        self,
        config: pytest.Config,
        defaults: BenchSettings,
        gate: Gate,
        switches: options.Switches,
    ) -> None:
        self.config = config
        self.defaults = defaults
        self.gate = gate
        self.switches = switches
        self.is_worker = hasattr(config, "workerinput")
        self.engine = Engine()
        self.family = 0
        self.order: dict[str, int] = {}  # collection order, for a stable summary under xdist
        self.measured: dict[str, BenchResult] = {}  # in this process
        self.reported: dict[str, BenchResult] = {}  # from every process's reports
        self.comparisons: dict[str, Comparison] = {}
        self.failed: set[str] = set()
        self.workers = 0
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
        if self.switches.only:
            deselected = [item for item in items if SETTINGS_KEY not in item.stash]
            if deselected:
                config.hook.pytest_deselected(items=deselected)
                items[:] = [item for item in items if SETTINGS_KEY in item.stash]

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        perf_items = [item.nodeid for item in session.items if SETTINGS_KEY in item.stash]
        self.family = self.gate.family(perf_items)
        self.order = {item.nodeid: i for i, item in enumerate(session.items)}

    @pytest.hookimpl(optionalhook=True)  # an xdist hook: absent without xdist
    def pytest_xdist_node_collection_finished(self, node: object, ids: list[str]) -> None:
        self.workers += 1
        self.order = {nodeid: i for i, nodeid in enumerate(ids)}  # the controller collects none

    def record(self, item: pytest.Item, measurement: Measurement) -> None:
        settings = item.stash[SETTINGS_KEY]
        path, line, _ = item.location
        self.measured[item.nodeid] = BenchResult(
            item.nodeid, settings.group, measurement, settings, (path, (line or 0) + 1)
        )

    def make_perf(self, item: pytest.Item) -> Perf:
        record = functools.partial(self.record, item)
        enabled = not self.switches.off
        perf = Perf(self.engine, item.stash[SETTINGS_KEY], item.nodeid, record, enabled=enabled)
        item.stash[FIXTURE_KEY] = perf
        return perf

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        # The marker-only form: the test body itself is the benchmark.
        if self.switches.off or "perf" in pyfuncitem.fixturenames:
            return None
        if SETTINGS_KEY not in pyfuncitem.stash:
            return None
        self.make_perf(pyfuncitem)(bind_fixtures(pyfuncitem.obj, pyfuncitem.funcargs))
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        try:
            yield
        except PerfUsageError as exc:
            pytest.fail(str(exc), pytrace=False)
        perf = item.stash.get(FIXTURE_KEY, None)
        if self.switches.off or perf is None or not perf.used:
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
                failures.append(terminal.failure_message(comparison, str(self.gate.options.path)))
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
            "result": codec.result_to_dict(result),
            "comparison": None if comparison is None else codec.comparison_to_dict(comparison),
        }
        # JUnit XML takes properties from the item when its teardown is reported.
        item.user_properties.extend(codec.junit_properties(result.measurement, comparison))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "perfguard", None)
        if report.when != "call" or data is None:
            return
        result = codec.result_from_dict(data["result"])
        self.reported[result.nodeid] = result
        if data["comparison"] is not None:
            self.comparisons[result.nodeid] = codec.comparison_from_dict(data["comparison"])
        if not report.passed:
            self.failed.add(result.nodeid)

    def in_order(self) -> list[BenchResult]:
        last = len(self.order)
        return sorted(self.reported.values(), key=lambda r: self.order.get(r.nodeid, last))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            return
        results = self.in_order()
        comparisons = [self.comparisons[r.nodeid] for r in results if r.nodeid in self.comparisons]
        self.write_reports(results, comparisons)
        decision = self.gate.save_decision(comparisons, len(self.failed))
        saved = [r for r in results if r.nodeid not in self.failed]
        if decision.save and saved:
            self.gate.save(saved, datetime.now(timezone.utc))
            path = self.gate.options.path
            self.save_message = f"saved {len(saved)} benchmark(s) to {path}{decision.reason}"
        elif not decision.save:
            self.save_message = decision.reason

    def write_reports(self, results: list[BenchResult], comparisons: list[Comparison]) -> None:
        json_path = self.config.getoption("perf_json")
        if json_path:
            created = datetime.now(timezone.utc).isoformat(timespec="seconds")
            settings = json.gate_settings(self.gate.options)
            document = json.results_document(
                results, self.comparisons, self.gate.fingerprint, settings, created
            )
            Path(json_path).write_text(json.render_json(document), encoding="utf-8")
        if not results:
            return
        text = markdown.render_markdown(
            comparisons, results, baseline_path=str(self.gate.options.path)
        )
        markdown_path = self.config.getoption("perf_markdown")
        if markdown_path:
            Path(markdown_path).write_text(text, encoding="utf-8")
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if step_summary:
            with open(step_summary, "a", encoding="utf-8") as summary:
                summary.write(text + "\n")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        results = self.in_order()
        comparisons = [self.comparisons[r.nodeid] for r in results if r.nodeid in self.comparisons]
        in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
        summary = terminal.Summary(
            results=results,
            comparisons=comparisons,
            compare=self.gate.options.compare,
            baseline_path=str(self.gate.options.path),
            baseline_found=self.gate.baseline is not None,
            missing=self.gate.missing(r.nodeid for r in results),
            workers=self.workers,
            save_message=self.save_message,
            annotations=github.annotations(comparisons, results) if in_actions else (),
        )
        for title, lines in terminal.render_summary(summary):
            if title is not None:
                terminalreporter.write_sep("-", title)
            for line in lines:
                terminalreporter.write_line(line)


@pytest.fixture
def perf(request: pytest.FixtureRequest) -> Perf:
    """Measure one call (`perf(fn, *args, setup=, teardown=)`) or a loop (`perf.loop()`)."""
    session: PerfSession = request.config.stash[SESSION_KEY]
    return session.make_perf(request.node)


__all__ = ["PerfUsageError", "perf"]
