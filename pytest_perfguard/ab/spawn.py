"""Starting A/B worker sessions: one process per worker, or one session that collects once and
forks its workers (plugin/ab_worker.py), and a handle on a forked worker's process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pytest_perfguard.ab.lifetime import PARENT_ENV
from pytest_perfguard.ab.protocol import FDS_ENV, Channel
from pytest_perfguard.ab.worktree import BaseTree

__all__ = [
    "HEAD_ROOT_ENV",
    "PASSES_ENV",
    "ForkedProcess",
    "WorkerProcess",
    "WorkerSpec",
    "fds_value",
    "parse_fds",
    "spawn",
]

HEAD_ROOT_ENV = "PERFGUARD_AB_HEAD_ROOT"
"""The head's rootdir, for the worker's check that it imported nothing from there."""
PASSES_ENV = "PERFGUARD_AB_PASSES"
"""How many of the session's workers (the first ones) also measure allocations, memory and
the profile. Nobody reads the others' (the controlling process measures head's, and one base
worker is enough): those only time."""
WORKER_PLUGIN = "pytest_perfguard.plugin.ab_worker"
_POLL_S = 0.01


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """How a worker session is started: its arguments, interpreter and import roots."""

    args: tuple[str, ...]
    python: str | None
    head_root: Path
    roots: tuple[Path, ...]


def fds_value(pairs: list[tuple[int, int]]) -> str:
    """FDS_ENV's value: each worker's "<read fd>,<write fd>", separated by ";"."""
    return ";".join(f"{r},{w}" for r, w in pairs)


def parse_fds(value: str) -> list[tuple[int, int]]:
    pairs = []
    for part in value.split(";"):
        read_fd, write_fd = (int(fd) for fd in part.split(","))
        pairs.append((read_fd, write_fd))
    return pairs


def spawn(
    tree: BaseTree, spec: WorkerSpec, log: Path, *, workers: int, passes: int
) -> tuple[subprocess.Popen[bytes], list[Channel]]:
    """Start a worker session in `tree` with a command channel for each of its `workers`
    (more than one: the session forks them once it has collected), writing to `log`."""
    ours: list[int] = []
    theirs: list[tuple[int, int]] = []
    try:
        for _ in range(workers):
            to_worker_r, to_worker_w = os.pipe()
            from_worker_r, from_worker_w = os.pipe()
            ours += [from_worker_r, to_worker_w]
            theirs.append((to_worker_r, from_worker_w))
        env = dict(os.environ)
        env[FDS_ENV] = fds_value(theirs)
        env[HEAD_ROOT_ENV] = str(spec.head_root)
        env[PARENT_ENV] = str(os.getpid())
        env[PASSES_ENV] = str(passes)
        # The tree's import roots first: given, or its rootdir and src/ where it exists.
        paths = [str(tree.rootdir / root) for root in spec.roots] or [str(tree.rootdir)]
        if not spec.roots and (tree.rootdir / "src").is_dir():
            paths.append(str(tree.rootdir / "src"))
        pythonpath = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env["PYTHONPATH"] = pythonpath
        command = [spec.python or sys.executable, "-m", "pytest", "-p", WORKER_PLUGIN, *spec.args]
        with open(log, "wb") as output:
            process = subprocess.Popen(
                command,
                cwd=tree.rootdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                pass_fds=[fd for pair in theirs for fd in pair],
            )
    except BaseException:
        for fd in (*ours, *(fd for pair in theirs for fd in pair)):
            os.close(fd)
        raise
    for pair in theirs:
        for fd in pair:
            os.close(fd)
    channels = [Channel.from_fds(ours[i], ours[i + 1]) for i in range(0, len(ours), 2)]
    return process, channels


class WorkerProcess(Protocol):
    """What the controller does with a worker's process (subprocess.Popen has all of it)."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int | None: ...

    def kill(self) -> None: ...


class ForkedProcess:
    """A worker forked by a session of the controller's (not its own child): known by the
    pid it gives once it has collected; until then, its session stands for it. Its exit
    status is the session's to see, which writes it to the log when it is not 0."""

    def __init__(self, session: subprocess.Popen[bytes]) -> None:
        self.session = session
        self._pid: int | None = None

    def adopt(self, pid: int) -> None:
        self._pid = pid

    @property
    def pid(self) -> int:
        return self.session.pid if self._pid is None else self._pid

    def poll(self) -> int | None:
        """None while it runs; -1 once it is gone (its status is not ours to read)."""
        if self._pid is None:
            return self.session.poll()
        try:
            os.kill(self._pid, 0)
        except ProcessLookupError:
            return -1
        except PermissionError:  # the pid went to someone else's process: ours is gone
            return -1
        return -1 if _zombie(self._pid) else None  # ended, not reaped yet (or never: a
        # container whose first process reaps nothing)

    def wait(self, timeout: float | None = None) -> int | None:
        """Until it is gone (None: its status is unknown here); TimeoutExpired after
        `timeout` seconds, as Popen.wait."""
        if self._pid is None:
            return self.session.wait(timeout)
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() >= end:
                raise subprocess.TimeoutExpired(f"worker {self._pid}", timeout or 0.0)
            time.sleep(_POLL_S)
        return None

    def kill(self) -> None:
        if self._pid is None:
            self.session.kill()
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self._pid, signal.SIGKILL)


def _zombie(pid: int) -> bool:
    """Whether `pid` has ended and waits to be reaped (Linux; elsewhere it reads False)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] == "Z"
