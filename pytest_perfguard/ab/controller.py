"""The head side of same-job A/B: start the workers, drive them with a deadline on every
answer, and notice when one dies or hangs."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_perfguard.ab.lifetime import PARENT_ENV
from pytest_perfguard.ab.protocol import FDS_ENV, Channel, ChannelClosed, Message, NoAnswer, Verb
from pytest_perfguard.ab.worktree import BaseTree
from pytest_perfguard.errors import PerfguardError

__all__ = [
    "ANSWER_BUDGETS",
    "ANSWER_FLOOR_S",
    "COLLECT_DEADLINE_S",
    "HEAD_ROOT_ENV",
    "TIMING_ONLY_ENV",
    "Worker",
    "WorkerError",
    "WorkerLost",
    "answer_deadline",
]

HEAD_ROOT_ENV = "PERFGUARD_AB_HEAD_ROOT"
"""The head's rootdir, for the worker's check that it imported nothing from there."""
TIMING_ONLY_ENV = "PERFGUARD_AB_TIMING_ONLY"
"""Set for a worker whose allocation, memory and profile passes nobody reads: the head
workers (the controlling process measures those) and every base worker but the first."""
WORKER_PLUGIN = "pytest_perfguard.plugin.ab_worker"

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


def tree_pythonpath(tree: BaseTree, roots: Sequence[Path], inherited: str) -> str:
    """PYTHONPATH for a session in `tree`: its import roots first (given, or its rootdir and
    src/ where it exists), then `inherited`."""
    paths = [str(tree.rootdir / root) for root in roots] or [str(tree.rootdir)]
    if not roots and (tree.rootdir / "src").is_dir():
        paths.append(str(tree.rootdir / "src"))
    return os.pathsep.join([*paths, inherited]).rstrip(os.pathsep)


class Worker:
    """A pytest session in a tree (the base's, or head's own for a head worker) that runs perf
    tests on command (plugin/ab_worker.py). One side runs at a time: while the other measures,
    the worker waits on its pipe."""

    def __init__(
        self,
        tree: BaseTree,
        args: Sequence[str],
        python: str | None,
        head_root: Path,
        roots: Sequence[Path] = (),
        *,
        log: Path,
        passes: bool = True,
        side: str = "base",
    ) -> None:
        self.tree = tree
        self.side = side
        self.log = log
        self._spec = (args, python, head_root, tuple(roots), passes)
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        env = dict(os.environ)
        env[FDS_ENV] = f"{to_worker_r},{from_worker_w}"
        env[HEAD_ROOT_ENV] = str(head_root)
        env[PARENT_ENV] = str(os.getpid())
        if not passes:
            env[TIMING_ONLY_ENV] = "1"
        env["PYTHONPATH"] = tree_pythonpath(tree, roots, env.get("PYTHONPATH", ""))
        command = [python or sys.executable, "-m", "pytest", "-p", WORKER_PLUGIN, *args]
        try:
            with open(log, "wb") as output:
                self.process = subprocess.Popen(
                    command,
                    cwd=tree.rootdir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    pass_fds=(to_worker_r, from_worker_w),
                )
        except BaseException:
            for fd in (to_worker_r, to_worker_w, from_worker_r, from_worker_w):
                os.close(fd)
            raise
        os.close(to_worker_r)
        os.close(from_worker_w)
        self.channel = Channel.from_fds(from_worker_r, to_worker_w)
        self.collected: tuple[str, ...] = ()
        self.lost: str | None = None
        """Why the worker is gone, once it is: its remaining benchmarks are not comparable."""
        self.hung = False
        """It stopped answering and was killed: a new worker can take its place."""

    @property
    def name(self) -> str:
        return f"the {self.side} worker ({self.tree.label})"

    def restart(self, log: Path) -> Worker:
        """A new worker like this one (this one is dead): same tree, arguments and role."""
        args, python, head_root, roots, passes = self._spec
        return Worker(
            self.tree, args, python, head_root, roots, log=log, passes=passes, side=self.side
        )

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
        return self.collected

    def _death(self, why: str) -> str:
        try:  # a closed pipe usually means it exited: give it a moment to be reaped
            code: int | None = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        status = "is not answering" if code is None else f"exited with status {code}"
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
