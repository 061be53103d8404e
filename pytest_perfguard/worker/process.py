"""Run one worker pytest session as a subprocess with an overall deadline and a deadline per
step: the worker appends a line to its progress file as each step starts, and a step that
takes longer than its deadline gets the whole process group killed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Deadlines", "WorkerExit", "run_worker"]

POLL_S = 0.2


@dataclass(frozen=True, slots=True)
class Deadlines:
    step_s: float
    """Seconds from one progress line to the next (or to the end)."""
    total_s: float
    """Seconds for the whole session."""


@dataclass(frozen=True, slots=True)
class WorkerExit:
    """How the worker ended."""

    returncode: int | None
    """None when it was killed at a deadline."""
    timed_out: str | None = None
    """"step" or "total" when killed at that deadline."""
    seconds: float = 0.0
    log: str = ""
    """The tail of its combined output, for an error message."""


def _lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _tail(path: Path, chars: int = 2000) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return text[-chars:]


def run_worker(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    progress: Path,
    log: Path,
    deadlines: Deadlines,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> WorkerExit:
    """Start `argv` in its own process group, its output to `log`, and wait for it; kill it
    when the progress file gains no line within `deadlines.step_s`, or at `total_s`."""
    start = clock()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # valgrind and anything the test started go together
        )
    seen, step_start = _lines(progress), start
    try:
        while True:
            code = proc.poll()
            now = clock()
            if code is not None:
                return WorkerExit(code, None, now - start, _tail(log))
            lines = _lines(progress)
            if lines != seen:
                seen, step_start = lines, now
            for kind, since, limit in (
                ("total", start, deadlines.total_s),
                ("step", step_start, deadlines.step_s),
            ):
                if now - since > limit:
                    _kill(proc)
                    return WorkerExit(None, kind, clock() - start, _tail(log))
            sleep(POLL_S)
    except BaseException:  # Ctrl-C, a cancelled job: never leave the worker running
        _kill(proc)
        raise
