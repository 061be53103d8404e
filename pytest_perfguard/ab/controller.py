"""The head side of same-job A/B: start the workers, drive them with a deadline on every
answer, and notice when one dies or hangs."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_perfguard.ab.protocol import Channel, ChannelClosed, Message, NoAnswer, Verb
from pytest_perfguard.ab.spawn import ForkedProcess, WorkerProcess, WorkerSpec, spawn
from pytest_perfguard.ab.worktree import BaseTree
from pytest_perfguard.errors import PerfguardError

__all__ = [
    "ANSWER_BUDGETS",
    "ANSWER_FLOOR_S",
    "COLLECT_DEADLINE_S",
    "BaseWorker",
    "WorkerError",
    "WorkerLost",
    "answer_deadline",
]

ANSWER_BUDGETS = 20
"""A worker has this many times a benchmark's `max_time` to answer one command about it. One
command can take the previous test's teardown, the test's setup, its warm-up and calibration
(within `max_time`), or its passes after the rounds (the profiler slows calls up to ~10x)."""
ANSWER_FLOOR_S = 60.0
"""...and never less than this: fixtures are not bound by `max_time`, and 32 workers sharing
two cores answer late."""
COLLECT_DEADLINE_S = 600.0
"""A worker that has not collected in ten minutes is taken as hung (all start at once, and a
large suite's collection is repeated by each of them on the same cores)."""


def answer_deadline(max_time: float, fixed: float | None = None) -> float:
    """Seconds a worker has to answer one command about a benchmark of `max_time` seconds:
    `fixed` where the user gave one (--perf-ab-timeout), else ANSWER_BUDGETS budgets, at
    least ANSWER_FLOOR_S."""
    if fixed is not None:
        return fixed
    return max(ANSWER_FLOOR_S, ANSWER_BUDGETS * max_time)


class WorkerError(PerfguardError):
    """The base side cannot run at all (it did not collect, or imported head's code)."""


class WorkerLost(PerfguardError):
    """A worker died or stopped answering mid-run."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a worker said when a test ended."""

    passed: bool
    error: str | None
    measurement: Mapping[str, Any] | None


class BaseWorker:
    """A pytest session in a tree (the base's, or head's own for a head worker) that runs perf
    tests on command (plugin/ab_worker.py). One side runs at a time: while the other measures,
    the worker waits on its pipe. A worker is either a process of its own (`start`) or one of
    several forked from one session that collected the tests once (`fork`)."""

    def __init__(
        self,
        tree: BaseTree,
        process: WorkerProcess,
        channel: Channel,
        spec: WorkerSpec,
        *,
        log: Path,
        passes: bool,
        side: str,
    ) -> None:
        self.tree = tree
        self.process = process
        self.channel = channel
        self.side = side
        self.log = log
        self._spec = spec
        self._passes = passes
        self.collected: tuple[str, ...] = ()
        self.lost: str | None = None
        """Why the worker is gone, once it is: its remaining benchmarks are not comparable."""
        self.hung = False
        """It stopped answering and was killed: a new worker can take its place."""

    @classmethod
    def start(
        cls,
        tree: BaseTree,
        args: Sequence[str],
        python: str | None,
        head_root: Path,
        roots: Sequence[Path] = (),
        *,
        log: Path,
        passes: bool = True,
        side: str = "base",
    ) -> BaseWorker:
        """One worker, a process of its own."""
        spec = WorkerSpec(tuple(args), python, head_root, tuple(roots))
        process, (channel,) = spawn(tree, spec, log, workers=1, passes=int(passes))
        return cls(tree, process, channel, spec, log=log, passes=passes, side=side)

    @classmethod
    def fork(
        cls,
        tree: BaseTree,
        args: Sequence[str],
        python: str | None,
        head_root: Path,
        roots: Sequence[Path] = (),
        *,
        log: Path,
        workers: int,
        passes: int = 0,
        side: str = "base",
    ) -> tuple[subprocess.Popen[bytes], list[BaseWorker]]:
        """`workers` workers forked from one session once it has collected (see
        plugin/ab_worker.py), the first `passes` of them also measuring allocations, memory
        and the profile; and that session's process, which the caller ends after them."""
        spec = WorkerSpec(tuple(args), python, head_root, tuple(roots))
        session, channels = spawn(tree, spec, log, workers=workers, passes=passes)
        return session, [
            cls(tree, ForkedProcess(session), channel, spec, log=log, passes=i < passes, side=side)
            for i, channel in enumerate(channels)
        ]

    @property
    def name(self) -> str:
        return f"the {self.side} worker ({self.tree.label})"

    def restart(self, log: Path) -> BaseWorker:
        """A new worker like this one (this one is dead): same tree, arguments and role, in
        a process of its own."""
        spec = self._spec
        return BaseWorker.start(self.tree, spec.args, spec.python, spec.head_root, spec.roots,
                                log=log, passes=self._passes, side=self.side)  # fmt: skip

    def expect(self, *verbs: Verb, within: float | None, doing: str) -> Message:
        """The worker's next message, which must be one of `verbs`, within `within` seconds;
        past that, the worker is killed (`doing` says what it was asked) and WorkerLost."""
        try:
            message = self.channel.receive(within)
        except NoAnswer:
            self.kill()
            self.hung = True
            self.lost = (
                f"no answer in {within:g} s from {self.name} {doing}: it was stopped; "
                f"{self.log_tail()}; its log: {self.log}"
            )
            raise WorkerLost(self.lost) from None
        except (ChannelClosed, OSError, ValueError) as exc:
            self.lost = self._death(str(exc))
            raise WorkerLost(self.lost) from None
        if message.verb is Verb.ERROR:
            raise WorkerError(f"{self.tree.label}: {message.fields.get('text')}")
        if message.verb not in verbs:
            expected = " or ".join(v.value for v in verbs)
            raise WorkerLost(f"{self.name} said {message.verb.value!r}, expected {expected}")
        return message

    def send(self, verb: Verb, **fields: Any) -> None:
        try:
            self.channel.send(verb, **fields)
        except OSError as exc:
            self.lost = self._death(str(exc))
            raise WorkerLost(self.lost) from None

    def wait_collected(self, within: float = COLLECT_DEADLINE_S) -> tuple[str, ...]:
        """The perf tests the worker's session collected (in its order)."""
        message = self.expect(Verb.COLLECTED, within=within, doing="collecting its tests")
        self.collected = tuple(message.fields["nodeids"])
        if isinstance(self.process, ForkedProcess):
            self.process.adopt(int(message.fields["pid"]))
        return self.collected

    def _death(self, why: str) -> str:
        try:  # a closed pipe usually means it exited: give it a moment to be reaped
            code = self.process.wait(timeout=5)
            status = "exited" if code is None else f"exited with status {code}"
        except subprocess.TimeoutExpired:
            status = "is not answering"
        return f"{self.name} {status} ({why}); {self.log_tail()}; its log: {self.log}"

    def log_tail(self, lines: int = 6) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "its output is lost"
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        return "its output ended: " + " | ".join(tail) if tail else "it printed nothing"

    def quit(self) -> None:
        """Ask the worker to end its session, and close the command pipe (its end is the
        worker's cue too); `wait` then waits for it."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError, ValueError):  # ValueError: closed already
                self.channel.send(Verb.QUIT)
        self.channel.close()

    def wait(self, seconds: float) -> None:
        """Until the worker has exited, for at most `seconds`; then it is killed."""
        try:
            self.process.wait(timeout=max(seconds, 0.0))
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """End the worker now (SIGKILL: it may be stuck where no signal handler runs)."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.process.kill()
        self.process.wait()
        self.channel.close()
