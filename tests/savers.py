"""Real processes saving to one baseline file at once, and saves killed mid-write: for
tests/store/test_storage.py and the benchmarks/concurrent_save.py and kill_save.py figures.

    python -m tests.savers save PATH PREFIX COUNT GO   # wait for file GO, then COUNT saves
    python -m tests.savers loop PATH                   # save PATH's entries again, forever
    python -m tests.savers hold PATH AT READY          # one save, stopped at AT; READY is
                                                       # written there, then it waits for a kill

AT is `locked` (the lock held, the file read and merged, no temporary file yet) or `written`
(the temporary file written and synced, not yet renamed over PATH).

With PERFGUARD_FIGURE_UNLOCKED=1 in the environment the savers skip the lock (and so the
clearing of stale temporary files): the "before" of the figures.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pytest_perfguard.model import BenchResult, Fingerprint, Measurement
from pytest_perfguard.store import baseline as storage
from pytest_perfguard.store import locking

ROOT = Path(__file__).resolve().parent.parent
FP = Fingerprint("CPython", "3.11.7", "Linux", "x86_64", "Test CPU", 2, "0.1", "test-machine")
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def result(nodeid: str, median: float = 1000.0) -> BenchResult:
    samples = tuple(median * (1 + i / 1000) for i in range(32))
    m = Measurement(median, 1.0, 32, 100, samples, tuple(s / 50 for s in samples), 50.0, 0.0,
                    12.0, 640.0, None, 4096)  # fmt: skip
    return BenchResult(nodeid, None, m)


def start_savers(
    path: Path, processes: int, saves: int, go: Path, unlocked: bool = False
) -> list[subprocess.Popen[str]]:
    """Start `processes` savers of `saves` disjoint node ids each; they wait for `go`."""
    command = [sys.executable, "-m", "tests.savers", "save", str(path)]
    env = dict(os.environ, PERFGUARD_FIGURE_UNLOCKED="1" if unlocked else "")
    return [
        subprocess.Popen(
            [*command, f"p{i}", str(saves), str(go)],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for i in range(processes)
    ]


def concurrent_round(
    path: Path, processes: int = 4, saves: int = 5, unlocked: bool = False
) -> tuple[int, int, str]:
    """(entries expected, entries found, output of failed savers) after one round of
    `processes` savers saving at once into `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    go = path.with_name(path.name + ".go")
    go.unlink(missing_ok=True)
    before = set(storage.load(path).entries) if path.exists() else set()
    savers = start_savers(path, processes, saves, go, unlocked)
    ready = [go.with_name(f"{go.name}.p{i}") for i in range(processes)]
    output = ""
    try:
        deadline = time.monotonic() + 60
        while not all(r.exists() for r in ready) and time.monotonic() < deadline:
            time.sleep(0.005)  # every saver imported and waiting at the line
        go.touch()
        for saver in savers:
            out, _ = saver.communicate(timeout=120)
            if saver.returncode != 0:
                output += out
    finally:
        for saver in savers:
            if saver.poll() is None:
                saver.kill()
                saver.wait()
    go.unlink()
    for r in ready:
        r.unlink(missing_ok=True)
    expected = before | {f"p{i}::t{j}" for i in range(processes) for j in range(saves)}
    found = set(storage.load(path).entries)
    return len(expected), len(expected & found), output


def _save(path: Path, prefix: str, count: int, go: Path) -> None:
    go.with_name(f"{go.name}.{prefix}").touch()
    deadline = time.monotonic() + 120  # never linger if the starter died
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"{prefix}: no go after 120 s")
        time.sleep(0.001)
    for j in range(count):
        stamp = T0 + timedelta(seconds=j)
        storage.save_results(path, [result(f"{prefix}::t{j}")], FP, now=stamp)


def _loop(path: Path) -> None:
    """Re-save every entry of `path` until killed: a large file rewritten again and again."""
    baseline = storage.load(path)
    results = [result(nodeid) for nodeid in baseline.entries]
    j = 0
    while True:
        j += 1
        storage.save_results(path, results, FP, now=T0 + timedelta(seconds=j))


def _hold(path: Path, at: str, ready: Path) -> None:
    """Save PATH's entries again, stopping at `at` for good: `ready` says it got there."""

    def wait_for_the_kill() -> None:
        ready.write_text(at)
        time.sleep(120)  # the test kills it long before; never linger if the starter died
        raise SystemExit(f"hold {at}: not killed after 120 s")

    replace = locking.replace
    if at == "locked":
        locking.replace = lambda target, data: wait_for_the_kill()
    elif at == "written":
        sync = os.fsync

        def fsync_then_wait(fd: int) -> None:
            sync(fd)
            wait_for_the_kill()

        def replace_and_wait(target: Path, data: bytes) -> None:
            os.fsync = fsync_then_wait  # type: ignore[assignment]  # only the temporary file's sync, inside replace
            replace(target, data)

        locking.replace = replace_and_wait
    else:
        raise SystemExit(f"hold: unknown point {at!r}")
    baseline = storage.load(path)
    storage.save_results(path, [result(n) for n in baseline.entries], FP, now=T0)
    raise SystemExit(f"hold {at}: the save finished without reaching it")


@contextlib.contextmanager
def _unlocked(path: str | os.PathLike[str], timeout: float = 0.0) -> Iterator[None]:
    locking.save_dir(Path(path))  # where the temporary files go; no lock, no clearing
    yield


if __name__ == "__main__":
    if os.environ.get("PERFGUARD_FIGURE_UNLOCKED"):
        storage.saving = _unlocked  # type: ignore[assignment]
    if sys.argv[1] == "save":
        _save(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), Path(sys.argv[5]))
    elif sys.argv[1] == "hold":
        _hold(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
    else:
        _loop(Path(sys.argv[2]))
