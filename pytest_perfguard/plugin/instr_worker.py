"""--perf-instructions, the worker's side: a pytest session under valgrind that counts the perf
tests it was given in callgrind windows, and says what it did in its progress file."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Generator
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

import pytest

from pytest_perfguard.measure.instructions import (
    CallgrindHooks,
    Windows,
    instruction_pass,
    load_callgrind,
)
from pytest_perfguard.measure.packages import imported_packages
from pytest_perfguard.model import BenchSettings, Measurement
from pytest_perfguard.plugin.session import SESSION_KEY, SETTINGS_KEY
from pytest_perfguard.run.instructions import DIR_ENV, PROGRESS, TODO

if TYPE_CHECKING:
    from pytest_perfguard.measure.engine import Engine, TimingPass, Warmth
    from pytest_perfguard.measure.steps import Pass

__all__ = ["InstructionWorker"]

LOADED_KEY = pytest.StashKey[frozenset[str]]()
"""Top-level modules loaded before the conftests: pytest, its plugins, perfguard."""


def _placeholder(windows: Windows | None) -> Measurement:
    """What the worker's own session records: nobody reads its figures."""
    loops = 1 if windows is None else windows.calls
    return Measurement(math.inf, 0.0, 1, loops, (), (), math.nan, 0.0)


class _Marked:
    """The extension's hooks, saying in the progress file when counting starts (after the
    warm-up): benchmarks/instructions_cost.py reads where the pass's time goes."""

    def __init__(self, hooks: CallgrindHooks, mark: Callable[[], None]) -> None:
        self._hooks, self._mark = hooks, mark

    def callgrind_instrument(self, on: bool, /) -> None:
        if on:
            self._mark()
        self._hooks.callgrind_instrument(on)

    def __getattr__(self, name: str) -> object:
        return getattr(self._hooks, name)


class _Counted:
    """The timing pass the worker's session runs instead of timed rounds: the instruction pass
    (see `measure.instructions`), for every form of perf test."""

    sides = 1

    def __init__(self, worker: InstructionWorker, index: int) -> None:
        self._worker = worker
        self._index = index

    def __call__(
        self,
        engine: Engine,
        settings: BenchSettings,
        deadline: int,
        first_ns: int | None,
        warmth: Warmth,
    ) -> Pass[Measurement]:
        return self._run()

    def _run(self) -> Pass[Measurement]:
        worker, hooks = self._worker, self._worker.hooks
        if hooks is None or worker.state != "ready":
            worker.emit(
                "error", self._index, error=f"callgrind windows unavailable: {worker.state}"
            )
            return _placeholder(None)
        marked = cast(CallgrindHooks, _Marked(hooks, lambda: worker.emit("counting", self._index)))
        windows = yield from instruction_pass(marked, self._index)
        if windows.threads > 1:  # as calls/op: not a count that holds from run to run
            worker.emit(
                "error",
                self._index,
                error=f"other threads ran while counting ({windows.threads} in all), so the "
                "count depends on how they were scheduled",
            )
        else:
            worker.emit("windows", self._index, calls=windows.calls, warmup=windows.warmup)
        return _placeholder(windows)


class InstructionWorker:
    """Runs only the perf tests of the to-do list, each through the instruction pass."""

    def __init__(
        self, work: Path, hooks: CallgrindHooks | None, loaded: frozenset[str], root: Path
    ) -> None:
        self.loaded, self.root = loaded, root
        self.todo: dict[str, int] = json.loads((work / TODO).read_text())
        self.hooks = hooks
        self.state = "the C extension was not built" if hooks is None else hooks.callgrind_state()
        self._progress: IO[str] = (work / PROGRESS).open("a", buffering=1)
        self._reported: set[str] = set()

    def emit(self, event: str, index: int, **values: object) -> None:
        line = {"event": event, "index": index, "t": round(time.monotonic(), 3), **values}
        self._progress.write(json.dumps(line) + "\n")
        self._progress.flush()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        deselected = [item for item in items if item.nodeid not in self.todo]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if item.nodeid in self.todo]
        for item in items:
            settings = item.stash.get(SETTINGS_KEY, None)
            if settings is not None:  # the other passes would only slow the worker down
                item.stash[SETTINGS_KEY] = replace(
                    settings, allocations=False, memory=False, profile=False
                )

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        session.config.stash[SESSION_KEY].timing_for = self.timing_for

    def timing_for(self, nodeid: str, settings: BenchSettings) -> TimingPass | None:
        index = self.todo.get(nodeid)
        return None if index is None else _Counted(self, index)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if item.nodeid in self.todo:  # first: a fixture that hangs is this benchmark's
            self.emit("start", self.todo[item.nodeid], nodeid=item.nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        index = self.todo.get(report.nodeid)
        if index is None or not report.failed or report.nodeid in self._reported:
            return
        self._reported.add(report.nodeid)
        lines = [line for line in report.longreprtext.strip().splitlines() if line.strip()]
        last = lines[-1].strip() if lines else "no details"
        self.emit("error", index, error=f"failed under valgrind ({report.when}): {last}")

    def pytest_sessionfinish(self) -> None:
        """The versions of the packages the conftests, test files and benchmarks imported."""
        packages = imported_packages(self.loaded, root=self.root)
        self.emit("packages", -1, packages=packages)

    def pytest_unconfigure(self) -> None:
        self._progress.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> Generator[None]:
    if os.environ.get(DIR_ENV):
        early_config.stash[LOADED_KEY] = frozenset(m.partition(".")[0] for m in sys.modules)
    yield


def pytest_configure(config: pytest.Config) -> None:
    work = os.environ.get(DIR_ENV)
    if work:
        loaded = config.stash.get(LOADED_KEY, frozenset())
        worker = InstructionWorker(Path(work), load_callgrind(), loaded, config.rootpath)
        config.pluginmanager.register(worker, "perfguard-instr-worker")
