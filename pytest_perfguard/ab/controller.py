"""The head side of same-job A/B: start the base worker, drive it, and notice when it dies."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_perfguard.ab.protocol import FDS_ENV, Channel, ChannelClosed, Message
from pytest_perfguard.ab.worktree import BaseTree
from pytest_perfguard.errors import PerfguardError

__all__ = ["HEAD_ROOT_ENV", "TIMING_ONLY_ENV", "BaseWorker", "WorkerError", "WorkerLost"]

HEAD_ROOT_ENV = "PERFGUARD_AB_HEAD_ROOT"
"""The head's rootdir, for the worker's check that it imported nothing from there."""
TIMING_ONLY_ENV = "PERFGUARD_AB_TIMING_ONLY"
"""Set for a worker whose allocation, memory and profile passes nobody reads: the head
workers (the controlling process measures those) and every base worker but the first."""
WORKER_PLUGIN = "pytest_perfguard.plugin.ab_worker"


class WorkerError(PerfguardError):
    """The base side cannot run at all (it did not collect, or imported head's code)."""


class WorkerLost(PerfguardError):
    """The base worker died or stopped answering mid-run."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the base side said when a test ended."""

    passed: bool
    error: str | None
    measurement: Mapping[str, Any] | None


class BaseWorker:
    """A pytest session in the base tree that runs perf tests on command (plugin/ab_worker.py).

    One side runs at a time: while head measures, the worker waits on its pipe.
    """

    def __init__(
        self,
        tree: BaseTree,
        args: Sequence[str],
        python: str | None,
        head_root: Path,
        roots: Sequence[Path] = (),
        *,
        passes: bool = True,
    ) -> None:
        self.tree = tree
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept for the whole session
            prefix="perfguard-base-", suffix=".log", delete=False
        )
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        env = dict(os.environ)
        env[FDS_ENV] = f"{to_worker_r},{from_worker_w}"
        env[HEAD_ROOT_ENV] = str(head_root)
        if not passes:
            env[TIMING_ONLY_ENV] = "1"
        # The base tree's import roots first: given, or its rootdir and src/ where it exists.
        paths = [str(tree.rootdir / root) for root in roots] or [str(tree.rootdir)]
        if not roots and (tree.rootdir / "src").is_dir():
            paths.append(str(tree.rootdir / "src"))
        env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        command = [python or sys.executable, "-m", "pytest", "-p", WORKER_PLUGIN, *args]
        self.process = subprocess.Popen(
            command,
            cwd=tree.rootdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            pass_fds=(to_worker_r, from_worker_w),
        )
        os.close(to_worker_r)
        os.close(from_worker_w)
        self.channel = Channel.from_fds(from_worker_r, to_worker_w)
        self.collected: tuple[str, ...] = ()
        self.lost: str | None = None
        """Why the worker is gone, once it is: its remaining benchmarks are not comparable."""

    def expect(self, *names: str) -> Message:
        """The worker's next message, which must be one of `names`."""
        try:
            message = self.channel.receive()
        except (ChannelClosed, OSError, ValueError) as exc:
            raise WorkerLost(self._death(str(exc))) from None
        if message.name == "error":
            raise WorkerError(f"{self.tree.label}: {message.fields.get('text')}")
        if message.name not in names:
            raise WorkerLost(f"base worker said {message.name!r}, expected {' or '.join(names)}")
        return message

    def send(self, name: str, **fields: Any) -> None:
        try:
            self.channel.send(name, **fields)
        except OSError as exc:
            raise WorkerLost(self._death(str(exc))) from None

    def wait_collected(self) -> tuple[str, ...]:
        """The perf tests the base session collected (in its order)."""
        self.collected = tuple(self.expect("collected").fields["nodeids"])
        return self.collected

    def _death(self, why: str) -> str:
        try:  # a closed pipe usually means it exited: give it a moment to be reaped
            code: int | None = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        status = "is not answering" if code is None else f"exited with status {code}"
        return f"the base worker ({self.tree.label}) {status} ({why}); {self.log_tail()}"

    def log_tail(self, lines: int = 6) -> str:
        try:
            text = Path(self._log.name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "its output is lost"
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        return "its output ended: " + " | ".join(tail) if tail else "it printed nothing"

    def quit(self) -> None:
        """Ask the worker to end its session (close() waits for it)."""
        with contextlib.suppress(PerfguardError):
            if self.process.poll() is None:
                self.send("quit")

    def close(self) -> None:
        """Stop the worker (politely, then not) and remove what it left."""
        self.quit()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.channel.close()
        self._log.close()
        with contextlib.suppress(OSError):
            os.unlink(self._log.name)


class BaseTest:
    """One benchmark's base side (rounds.BaseSide): the worker runs the test on `start`."""

    def __init__(self, worker: BaseWorker, nodeid: str) -> None:
        self.worker = worker
        self.nodeid = nodeid
        self.state = "new"  # new -> rounds -> done
        self.outcome: Outcome | None = None

    def start(self, loops: int) -> int | None:
        if self.worker.lost is not None:
            self.outcome = Outcome(False, self.worker.lost, None)
            return None
        try:
            self.worker.send("run", nodeid=self.nodeid, loops=loops)
            message = self.worker.expect("calibrated", "done")
        except WorkerLost as exc:
            self._lost(exc)
            return None
        if message.name == "done":
            self._done(message)
            return None
        self.state = "rounds"
        return int(message.fields["loops"])

    def round(self) -> int | None:
        try:
            self.worker.send("round")
            return int(self.worker.expect("elapsed").fields["ns"])
        except WorkerLost as exc:
            self._lost(exc)
            return None

    def finish(self) -> None:
        """End the rounds; the worker's passes and its verdict on the test follow."""
        if self.state != "rounds":
            return
        try:
            self.worker.send("finish")
            self._done(self.worker.expect("done"))
        except WorkerLost as exc:
            self._lost(exc)

    def _done(self, message: Message) -> None:
        self.state = "done"
        fields = message.fields
        self.outcome = Outcome(
            bool(fields["passed"]), fields.get("error"), fields.get("measurement")
        )

    def _lost(self, exc: WorkerLost) -> None:
        self.state = "done"
        self.worker.lost = str(exc)
        self.outcome = Outcome(False, str(exc), None)
