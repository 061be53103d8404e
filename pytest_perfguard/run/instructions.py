"""--perf-instructions, the controller's side: check valgrind, run the perf tests in a worker
session under callgrind (again after a crash or a timeout, without the benchmark that caused
it), and read instructions per op from callgrind's dumps."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.measure.packages import join_environment
from pytest_perfguard.model import Measurement
from pytest_perfguard.run.instr_env import (
    WORKER_VARIABLES,
    counting_environment,
    valgrind_version,
)
from pytest_perfguard.worker.process import Deadlines, WorkerExit, run_worker

__all__ = [
    "DIR_ENV",
    "InstructionCounts",
    "ValgrindUnavailable",
    "count_instructions",
    "find_valgrind",
    "parse_dump",
    "per_op",
    "read_events",
    "with_instructions",
    "worker_command",
]

DIR_ENV = "PERFGUARD_INSTR_DIR"
"""Set for the worker: the directory holding its to-do list and its progress file."""
TODO = "todo.json"
PROGRESS = "progress.jsonl"
WORKER_PLUGIN = "pytest_perfguard.plugin.instr_worker"
INSTALL = "install it (Debian/Ubuntu: `apt-get install valgrind`; Fedora: `dnf install valgrind`)"
SUPPORTED = {
    ("linux", "x86_64"),
    ("linux", "aarch64"),
    ("linux", "arm64"),
    ("linux", "i686"),
    ("linux", "ppc64le"),
    ("linux", "s390x"),
    ("freebsd", "amd64"),
}
"""(sys.platform prefix, machine) pairs valgrind 3.19+ runs on."""
STEP_DEADLINE_S = 300.0
"""Seconds one benchmark may take under valgrind (its fixtures, warm-up and both windows)."""
TOTAL_DEADLINE_S = 3600.0
DEADLINES = Deadlines(STEP_DEADLINE_S, TOTAL_DEADLINE_S)

_LABEL = re.compile(r"^desc: Trigger: Client Request: perfguard (\d+) (\d+)\s*$")
_TOTALS = re.compile(r"^(?:totals|summary): (\d+)")


class ValgrindUnavailable(PerfguardError):
    """--perf-instructions asked for, but valgrind is missing or cannot run here."""


def find_valgrind(
    *,
    which: Callable[[str], str | None] = shutil.which,
    system: str = sys.platform,
    machine: str = platform.machine(),
) -> str:
    """valgrind's path; ValgrindUnavailable saying how to get it, or that this platform can't."""
    arch = machine.lower()
    if not any(system.startswith(s) and arch == m for s, m in SUPPORTED):
        raise ValgrindUnavailable(
            f"--perf-instructions counts instructions with valgrind, which does not run on "
            f"{system} {machine}; run the pass on Linux (x86_64 or arm64), e.g. a CI job"
        )
    path = which("valgrind")
    if path is None:
        raise ValgrindUnavailable(
            f"--perf-instructions needs valgrind on PATH, and there is none: {INSTALL}"
        )
    return path


def worker_command(valgrind: str, out_dir: Path, python: str, args: Sequence[str]) -> list[str]:
    """The worker: pytest under callgrind with collection off until a window opens."""
    return [
        valgrind,
        "--tool=callgrind",
        "--collect-atstart=no",
        "--instr-atstart=no",
        "--dump-line=no",
        "-q",
        f"--callgrind-out-file={out_dir / 'callgrind.out.%p'}",
        python,
        "-m",
        "pytest",
        "-p",
        WORKER_PLUGIN,
        *args,
    ]


def parse_dump(lines: Iterable[str]) -> tuple[tuple[int, int] | None, int | None]:
    """(index, calls) of a window's dump and its instructions (the first event, Ir)."""
    key = total = None
    for line in lines:
        if key is None and line.startswith("desc: Trigger"):
            m = _LABEL.match(line)
            if m is None:
                return None, None  # program termination, or someone else's dump
            key = (int(m.group(1)), int(m.group(2)))
        elif line.startswith(("totals:", "summary:")):
            t = _TOTALS.match(line)
            if t is not None:
                total = int(t.group(1))
    return key, total


def read_dumps(out_dir: Path) -> dict[tuple[int, int], int]:
    """Every window dumped in `out_dir`: (index, calls) -> instructions."""
    found: dict[tuple[int, int], int] = {}
    for path in sorted(out_dir.glob("callgrind.out.*")):
        with path.open(errors="replace") as f:
            key, total = parse_dump(f)
        if key is not None and total is not None:
            found[key] = total
    return found


@dataclass(frozen=True, slots=True)
class Events:
    """What the worker's progress file says: benchmarks started, finished, failed."""

    started: list[int] = field(default_factory=list)
    windows: dict[int, int] = field(default_factory=dict)
    """index -> calls in the first window"""
    errors: dict[int, str] = field(default_factory=dict)
    packages: dict[str, str] = field(default_factory=dict)
    """Versions of the packages the session imported (see measure/packages.py)."""
    finished: list[bool] = field(default_factory=list)
    """[True] once the session reported them (it ended normally)."""


def read_events(lines: Iterable[str]) -> Events:
    events = Events()
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:  # the last line of a killed worker may be cut short
            continue
        index = int(event["index"])
        if event["event"] == "packages":
            events.packages.update(event["packages"])
            events.finished.append(True)
        elif event["event"] == "start":
            events.started.append(index)
        elif event["event"] == "windows":
            events.windows[index] = int(event["calls"])
        elif event["event"] == "error":
            events.errors[index] = str(event["error"])
    return events


def per_op(dumps: Mapping[tuple[int, int], int], index: int, calls: int) -> float | None:
    """Instructions per op: (window of 2*calls - window of calls) / calls."""
    one, two = dumps.get((index, calls)), dumps.get((index, 2 * calls))
    if one is None or two is None or calls <= 0:
        return None
    return (two - one) / calls


@dataclass(frozen=True, slots=True)
class InstructionCounts:
    """The pass's results by node id: instructions per op, or why there are none."""

    per_op: dict[str, float]
    errors: dict[str, str]
    seconds: float
    workers: int
    environment: str = ""
    """What the counts depend on (counting_environment), stored with each of them."""


def _ended(exit: WorkerExit, deadlines: Deadlines) -> str:
    if exit.timed_out == "step":
        return f"timed out after {deadlines.step_s:g} s under valgrind"
    if exit.timed_out == "total":
        return f"the instruction pass ran out of its {deadlines.total_s:g} s"
    last = exit.log.strip().splitlines()[-3:]
    return f"the worker under valgrind ended (exit {exit.returncode}): " + " | ".join(last)


def count_instructions(
    nodeids: Sequence[str],
    args: Sequence[str],
    *,
    cwd: Path,
    valgrind: str,
    python: str = sys.executable,
    deadlines: Deadlines = DEADLINES,
    environ: Mapping[str, str] = os.environ,
    run: Callable[..., WorkerExit] = run_worker,
    version: Callable[[str], str] = valgrind_version,
) -> InstructionCounts:
    """Count `nodeids` in worker sessions of `args` under callgrind: one session, and one
    more after each benchmark that crashed or timed out (that one is n/a with its error)."""
    index_of = {nodeid: i for i, nodeid in enumerate(nodeids)}
    errors: dict[str, str] = {}
    windows: dict[int, int] = {}
    seconds = 0.0
    workers = 0
    packages: dict[str, str] | None = None
    with tempfile.TemporaryDirectory(prefix="perfguard-instr-") as tmp:
        work = Path(tmp)
        todo = dict(index_of)
        while todo:
            workers += 1
            (work / TODO).write_text(json.dumps(todo))
            progress = work / PROGRESS
            progress.write_text("")
            env = {**environ, DIR_ENV: str(work), **WORKER_VARIABLES}
            exit = run(
                worker_command(valgrind, work, python, args),
                env=env,
                cwd=cwd,
                progress=progress,
                log=work / f"worker{workers}.log",
                deadlines=Deadlines(deadlines.step_s, deadlines.total_s - seconds),
            )
            seconds += exit.seconds
            events = read_events(progress.read_text().splitlines())
            windows.update(events.windows)
            if events.finished:
                packages = {**(packages or {}), **events.packages}
            by_index = {i: n for n, i in todo.items()}
            for i, message in events.errors.items():
                errors[by_index[i]] = message
            unfinished = [i for i in events.started if i not in events.windows]
            unfinished = [i for i in unfinished if i not in events.errors]
            for i in unfinished:  # the one it was on when it crashed or was killed
                errors[by_index[i]] = _ended(exit, deadlines)
            done = set(events.started)
            if not unfinished or exit.timed_out == "total":  # nothing to start again after
                normal = exit.timed_out is None and exit.returncode in (0, 1, 5)
                reason = "not run by the worker session" if normal else _ended(exit, deadlines)
                for i in by_index:
                    if i not in done:
                        errors.setdefault(by_index[i], reason)
                break
            todo = {n: i for n, i in todo.items() if i not in done}
        dumps = read_dumps(work)
    counts: dict[str, float] = {}
    for nodeid, i in index_of.items():
        if nodeid in errors:
            continue
        calls = windows.get(i)
        value = None if calls is None else per_op(dumps, i, calls)
        if value is None:
            errors[nodeid] = "not counted: the worker did not measure it (not a perf test there?)"
        else:
            counts[nodeid] = value
    environment = join_environment(counting_environment(valgrind, version), packages)
    return InstructionCounts(counts, errors, seconds, workers, environment)


def with_instructions(
    measurement: Measurement, counts: InstructionCounts, nodeid: str
) -> Measurement:
    """The measurement with its instructions per op, or a note saying why it has none."""
    value = counts.per_op.get(nodeid)
    if value is not None:
        return replace(
            measurement, instructions_per_op=value, instructions_env=counts.environment or None
        )
    error = counts.errors.get(nodeid)
    if error is None:
        return measurement
    return replace(measurement, notes=(*measurement.notes, f"instructions/op n/a: {error}"))
