"""--perf-instructions in the controlling session: after collection, count the benchmarks that
want it in a worker session under valgrind, then add the counts to their measurements."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from pytest_perfguard.model import Measurement
from pytest_perfguard.plugin.ab_head import in_worker, worker_arguments
from pytest_perfguard.plugin.session import SETTINGS_KEY, PerfSession

if TYPE_CHECKING:
    from pytest_perfguard.run.instructions import InstructionCounts

__all__ = ["InstructionPass", "check", "in_instruction_worker", "refuse_unusable", "start"]

WORKER_ENV = "PERFGUARD_INSTR_DIR"
"""As run.instructions.DIR_ENV (not imported here: that module is loaded only when needed)."""
_DROP = ("--perf-instructions",)


def in_instruction_worker() -> bool:
    """This process is the instruction pass's worker: it never compares, saves or counts."""
    return WORKER_ENV in os.environ


def check() -> str:
    """valgrind's path, after checking the extension can open callgrind windows; a
    PerfguardError saying how to get what is missing."""
    from pytest_perfguard.measure.instructions import load_callgrind
    from pytest_perfguard.run.instructions import INSTALL, ValgrindUnavailable, find_valgrind

    valgrind = find_valgrind()
    if load_callgrind() is None:
        raise ValgrindUnavailable(
            "--perf-instructions needs perfguard's C extension built with valgrind's header "
            f"(valgrind/callgrind.h): {INSTALL}, then reinstall perfguard from source"
        )
    return valgrind


class InstructionPass:
    """The pass's part in the controlling session's hooks."""

    def __init__(self, config: pytest.Config, session: PerfSession) -> None:
        self.config = config
        self.session = session
        self.counts: InstructionCounts | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.session.state.switches.off:
            return
        nodeids = [
            item.nodeid
            for item in session.items
            if SETTINGS_KEY in item.stash and item.stash[SETTINGS_KEY].instructions
        ]
        if not nodeids:
            return
        from pytest_perfguard.errors import PerfguardError
        from pytest_perfguard.run.instructions import count_instructions

        try:
            valgrind = check()
        except PerfguardError as exc:
            raise pytest.UsageError(f"pytest-perfguard: {exc}") from None
        config = self.config
        say = _writer(config)
        say(f"perfguard: counting instructions of {len(nodeids)} benchmarks under valgrind")
        ab = self.session.ab
        if ab is not None:  # A/B: the base side counted the same way, in its own tree
            from pytest_perfguard.plugin.instr_ab import count_both, with_base_counts

            self.counts, base = count_both(config, ab, nodeids, valgrind, _DROP, say)
            self.session.amend_base = with_base_counts(base)
        else:
            args = [a for a in worker_arguments(config, config.rootpath) if a not in _DROP]
            cwd = config.invocation_params.dir
            self.counts = count_instructions(nodeids, args, cwd=cwd, valgrind=valgrind)
            failed = f", {len(self.counts.errors)} n/a" if self.counts.errors else ""
            say(
                f"perfguard: instructions counted for {len(self.counts.per_op)} benchmarks"
                f"{failed} in {self.counts.seconds:.1f} s"
            )
        self.session.amend = self.amend

    def amend(self, nodeid: str, measurement: Measurement) -> Measurement:
        from pytest_perfguard.run.instructions import with_instructions

        if self.counts is None:
            return measurement
        return with_instructions(measurement, self.counts, nodeid)


def _writer(config: pytest.Config) -> Callable[[str], None]:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return lambda line: None
    return reporter.write_line  # type: ignore[no-any-return]


def _controlling(config: pytest.Config) -> bool:
    return not (in_instruction_worker() or in_worker() or hasattr(config, "workerinput"))


def refuse_unusable(config: pytest.Config) -> None:
    """--perf-instructions given where the pass cannot run: a usage error before anything
    runs (a PerfguardError, or pytest's UsageError)."""
    if not _controlling(config):
        return
    if getattr(config.option, "numprocesses", None):
        raise pytest.UsageError(
            "pytest-perfguard: --perf-instructions runs its own worker under valgrind; "
            "run it without -n"
        )
    check()


def start(config: pytest.Config, session: PerfSession) -> None:
    """Register the pass in a controlling session (not in a worker of any kind)."""
    if not _controlling(config):
        return
    config.pluginmanager.register(InstructionPass(config, session), "perfguard-instructions")
