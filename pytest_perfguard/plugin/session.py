"""The session's hooks: collect perf tests, measure them, report and save; thin over RunState."""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Generator
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from pytest_perfguard.config.settings import SettingsError
from pytest_perfguard.model import BenchResult, BenchSettings, Comparison, Measurement
from pytest_perfguard.plugin import outputs
from pytest_perfguard.plugin.items import is_perf, scaling_members, settings_of
from pytest_perfguard.run.outputs import outputs_from
from pytest_perfguard.run.state import RunState

if TYPE_CHECKING:
    from pytest_perfguard.ab.run import ABRun
    from pytest_perfguard.measure.context import MeasureContext
    from pytest_perfguard.measure.engine import Engine, TimingPass
    from pytest_perfguard.measure.perf import Perf
    from pytest_perfguard.model import PairedRun

# The measuring code and the codec are imported by the first perf test, so that installing
# perfguard costs a run without perf tests next to nothing.


class Measurer(Protocol):
    """What a test measures with: the `perf` fixture, or pytest-benchmark's `benchmark`."""

    @property
    def used(self) -> bool: ...

    @property
    def measurement(self) -> Measurement | None: ...


SESSION_KEY = pytest.StashKey["PerfSession"]()
SETTINGS_KEY = pytest.StashKey[BenchSettings]()
NOTES_KEY = pytest.StashKey[tuple[str, ...]]()
"""Notes about a test's settings (e.g. marker keywords left unused), added to its measurement."""
FIXTURE_KEY = pytest.StashKey[Measurer]()
COMPARED_KEY = pytest.StashKey[Comparison]()
SCALE_KEY = pytest.StashKey[tuple[str, int]]()
"""A case of a scaling group (marker keyword `scale`): its group and input size."""

PERF: tuple[str, ...] = ("perf",)
WITH_BENCHMARK: tuple[str, ...] = ("perf", "benchmark")
"""Marker and fixture names that make a perf test: perfguard's, and pytest-benchmark's when
perfguard runs them (`plugin/benchmark.py`)."""


class PerfSession:
    """The hooks of one pytest session (or one xdist worker) over its RunState."""

    def __init__(
        self,
        config: pytest.Config,
        state: RunState,
        paths: outputs.ReportPaths,
    ) -> None:
        self.config = config
        self.state = state
        self._engine: Engine | None = None
        self.timing_for: Callable[[str, BenchSettings], TimingPass | None] | None = None
        """Replaces a benchmark's measured rounds (same-job A/B); None: the engine's own."""
        self.paths = paths
        self.ab: ABRun | None = None
        self.names = PERF
        """Marker and fixture names that make a perf test."""
        self.amend: Callable[[str, Measurement], Measurement] | None = None
        """Adds what another process counted for a test (--perf-instructions) to its
        measurement."""
        self.amend_base: Callable[[str, PairedRun], PairedRun] = lambda nodeid, paired: paired
        """The same for the base side's measurement in A/B (--perf-compare-ref)."""

    def marker_only(self, item: pytest.Item) -> bool:
        """A perf test whose body is the benchmark (no `perf` or `benchmark` fixture)."""
        fixtures = getattr(item, "fixturenames", ())
        return SETTINGS_KEY in item.stash and not any(n in fixtures for n in self.names)

    @property
    def engine(self) -> Engine:
        """The session's engine, made for the first perf test (tests may set their own)."""
        if self._engine is None:
            from pytest_perfguard.measure import load
            from pytest_perfguard.measure.engine import Engine
            from pytest_perfguard.measure.warm import warm_opcache

            ab = self.ab  # its workers' ids now: one that hung is replaced
            probe = load.read if ab is None else (lambda: load.read(ab.pids))
            self._engine = Engine(load_probe=probe)
            warm_opcache(self._engine)
        return self._engine

    @engine.setter
    def engine(self, engine: Engine) -> None:
        self._engine = engine

    def start_ab(self, ab: ABRun) -> None:
        """Pair rounds with the base workers: their timing pass for every benchmark it has."""
        paired = self.state.ab
        assert paired is not None, "the run state is made for A/B first"
        self.ab = ab

        def timing(nodeid: str, settings: BenchSettings) -> TimingPass | None:
            effect = paired.min_effect_of(nodeid)
            return ab.timing_for(nodeid, effect, family=paired.family)

        self.timing_for = timing

    @pytest.hookimpl(wrapper=True)
    def pytest_pycollect_makeitem(
        self, collector: pytest.Collector, name: str, obj: object
    ) -> Generator[None, Any, Any]:
        # Validated here so a bad marker keyword is a collection error of its module.
        made = yield
        for item in made if isinstance(made, list) else [made]:
            if isinstance(item, pytest.Function) and is_perf(item, self.names):
                try:
                    settings, notes = settings_of(item, self.names, self.state.defaults)
                except SettingsError as exc:
                    raise collector.CollectError(str(exc)) from None
                item.stash[SETTINGS_KEY] = settings
                if notes:
                    item.stash[NOTES_KEY] = notes
                perf = item.get_closest_marker("perf")
                if self.state.ab is not None and perf is not None and "min_effect" in perf.kwargs:
                    self.state.ab.effects[item.nodeid] = settings.min_effect
        self._scaling_groups(collector, made)
        return made

    @staticmethod
    def _scaling_groups(collector: pytest.Collector, made: object) -> None:
        """Every case of one test function is made here at once: its `scale` groups are
        checked whole, as a collection error of the module."""
        made = made if isinstance(made, list) else []
        cases = [(i, i.stash[SETTINGS_KEY]) for i in made if SETTINGS_KEY in i.stash]
        found = scaling_members(cases)
        if isinstance(found, str):
            raise collector.CollectError(found)
        for item in made:
            if item.nodeid in found:
                item.stash[SCALE_KEY] = (found[item.nodeid].group, found[item.nodeid].size)

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if self.state.switches.only:
            deselected = [item for item in items if SETTINGS_KEY not in item.stash]
            if deselected:
                config.hook.pytest_deselected(items=deselected)
                items[:] = [item for item in items if SETTINGS_KEY in item.stash]

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        perf_items = [item.nodeid for item in session.items if SETTINGS_KEY in item.stash]
        self.state.collected((item.nodeid for item in session.items), perf_items)
        if self.ab is not None and self.state.ab is not None:
            from pytest_perfguard.ab.controller import WorkerError, WorkerLost

            try:
                self.ab.collected(perf_items)
            except (WorkerError, WorkerLost) as exc:
                raise pytest.UsageError(f"pytest-perfguard: --perf-compare-ref: {exc}") from None
            self.state.ab.shared = frozenset(self.ab.shared)
            self.state.ab.removed = self.ab.removed
        if perf_items and not self.state.switches.off:
            self.state.gate.load()  # saving and comparing runs then measure alike

    @pytest.hookimpl(optionalhook=True)  # an xdist hook: absent without xdist
    def pytest_xdist_node_collection_finished(self, node: object, ids: list[str]) -> None:
        self.state.workers += 1
        self.state.order = {
            nodeid: i for i, nodeid in enumerate(ids)
        }  # the controller collects none

    def record(self, item: pytest.Item, measurement: Measurement) -> None:
        settings = item.stash[SETTINGS_KEY]
        notes = item.stash.get(NOTES_KEY, ())
        if self.amend is not None:
            measurement = self.amend(item.nodeid, measurement)
        if notes:
            measurement = replace(measurement, notes=measurement.notes + notes)
        path, line, _ = item.location
        location = (path, (line or 0) + 1)
        self.state.record(BenchResult(item.nodeid, settings.group, measurement, settings, location))

    def context(self, item: pytest.Item) -> MeasureContext:
        """What this test measures with, the same whichever fixture (or the marker alone)
        it uses: the engine, its settings and record, and in A/B the paired timing pass."""
        from pytest_perfguard.measure.context import MeasureContext

        settings = item.stash[SETTINGS_KEY]
        timing = None if self.timing_for is None else self.timing_for(item.nodeid, settings)
        return MeasureContext(
            self.engine,
            settings,
            item.nodeid,
            functools.partial(self.record, item),
            enabled=not self.state.switches.off,
            timing=timing,
            unpaired=functools.partial(self.state.unpaired, item.nodeid),
        )

    def make_perf(self, item: pytest.Item) -> Perf:
        from pytest_perfguard.measure.perf import Perf

        perf = Perf(self.context(item))
        item.stash[FIXTURE_KEY] = perf
        return perf

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        # The marker-only form: the test body itself is the benchmark.
        if self.state.switches.off or not self.marker_only(pyfuncitem):
            return None
        from pytest_perfguard.measure.usage import async_body_error, bind_fixtures, lazy_kind

        # An async plugin may have put a sync wrapper in place (pytest-asyncio does): unwrap.
        if lazy_kind(inspect.unwrap(pyfuncitem.obj)) in ("coroutine", "async generator"):
            marker = "perf" if pyfuncitem.get_closest_marker("perf") else "benchmark"
            raise async_body_error(pyfuncitem.nodeid, marker)
        self.make_perf(pyfuncitem)(bind_fixtures(pyfuncitem.obj, pyfuncitem.funcargs))
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        if SETTINGS_KEY not in item.stash:
            return (yield)
        from pytest_perfguard.measure.usage import PerfUsageError

        usage = None
        try:
            yield
        except PerfUsageError as exc:
            usage = str(exc)
        finally:
            if self.ab is not None and self.state.ab is not None:
                paired = self.ab.finished(item.nodeid)
                if paired is not None:
                    self.state.ab.runs[item.nodeid] = self.amend_base(item.nodeid, paired)
        if usage is not None:  # outside the except: else the message is printed twice, chained
            pytest.fail(usage, pytrace=False)
        perf = item.stash.get(FIXTURE_KEY, None)
        if self.state.switches.off:
            return
        if self.marker_only(item) and (perf is None or not perf.used):
            pytest.fail(
                f"{item.nodeid}: the test body ran but was not measured: another plugin's "
                "pytest_pyfunc_call ran it before perfguard could; @pytest.mark.perf never "
                "passes a test it did not measure",
                pytrace=False,
            )
        if perf is None or not perf.used:
            return
        if perf.measurement is None:
            pytest.fail(
                f"{item.nodeid}: perf.loop() was left before the measurement finished "
                "(a `break` or `return` inside the loop); let the loop run to its end",
                pytrace=False,
            )
        judged = self.state.judge(item.nodeid)
        if judged.comparison is not None:
            item.stash[COMPARED_KEY] = judged.comparison
        if self.paths.profile_dir is not None:
            from pytest_perfguard.run.profiles import write_profiles

            paired = None if self.state.ab is None else self.state.ab.runs.get(item.nodeid)
            try:
                write_profiles(self.paths.profile_dir, judged.result, judged.comparison, paired)
            except OSError as exc:  # like the other outputs: one line at the end, run failed
                self.state.errors.append(
                    f"could not write the profile of {item.nodeid} to {self.paths.profile_dir}: "
                    f"{exc.strerror or exc}"
                )
        if judged.failures:
            pytest.fail("\n".join(judged.failures), pytrace=False)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        result = self.state.measured.get(item.nodeid)
        if call.when != "call" or result is None:
            return report
        from pytest_perfguard.store import codec
        from pytest_perfguard.store.verdictcodec import comparison_to_dict

        comparison = item.stash.get(COMPARED_KEY, None)
        # Plain JSON types: pytest serializes report attributes for xdist.
        member = item.stash.get(SCALE_KEY, None)
        report.perfguard = {  # type: ignore[attr-defined]
            "result": codec.result_to_dict(result),
            "comparison": None if comparison is None else comparison_to_dict(comparison),
            "scaling": None if member is None else list(member),
        }
        # JUnit XML takes properties from the item when its teardown is reported.
        item.user_properties.extend(codec.junit_properties(result.measurement, comparison))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "perfguard", None)
        if report.when != "call" or data is None:
            return
        from pytest_perfguard.store import codec, verdictcodec

        comparison = data["comparison"]
        self.state.receive(
            codec.result_from_dict(data["result"]),
            None if comparison is None else verdictcodec.comparison_from_dict(comparison),
            report.passed,
        )
        scaling = data.get("scaling")
        if scaling is not None:
            from pytest_perfguard.judge.scaling_groups import Member

            self.state.scale_members[report.nodeid] = Member(scaling[0], scaling[1])

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.state.is_worker:
            return
        roots = (self.config.rootpath, self.config.invocation_params.dir)
        outputs = outputs_from(self.paths.json, self.paths.markdown, self.paths.html, roots)
        self.state.finish(outputs, datetime.now(timezone.utc))
        failed = self.state.errors or self.state.scaling_failures
        if failed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
        for title, lines in self.state.summary_sections(in_actions):
            if title is not None:
                terminalreporter.write_sep("-", title)
            for line in lines:
                terminalreporter.write_line(line)
