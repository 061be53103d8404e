"""How fast a cancelled same-job A/B run goes away, and what it leaves behind.

A git repository of a few benchmarks; `pytest --perf-compare-ref HEAD -v` on it. Once the first
test has passed (the workers are up and the rounds of the next benchmark are under way), the
pytest process alone is sent SIGINT, SIGTERM or SIGKILL, as a cancelled CI job's runner does.
Printed per signal: the seconds until pytest and every worker it started are gone (median and
range over the runs), whether a traceback was printed, and what was left: worker logs and
perfguard directories in the run's temporary directory, registered worktrees. Then the tail:
seconds from pytest's last line to its exit in a run that is not cancelled.

    python benchmarks/ab_cancel.py [--runs 3] [--processes 16] [--benchmarks 4]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

TESTS = """
import pytest

@pytest.mark.perf(max_time=1.0)
@pytest.mark.parametrize("n", range({count}))
def test_sum(n):
    sum(range(1000 + n))
"""
GONE_WITHIN_S = 120.0
"""A tree not gone after this long is reported as such, not waited for."""


def make_repo(where: Path, benchmarks: int) -> None:
    (where / "test_bench.py").write_text(TESTS.format(count=benchmarks))
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "base"]):
        subprocess.run(
            ["git", "-c", "user.name=b", "-c", "user.email=b@b", *args], cwd=where, check=True
        )


class Run:
    """One A/B pytest run whose output is read line by line, with the time of each line."""

    def __init__(self, repo: Path, temp: Path, processes: int) -> None:
        env = dict(os.environ, TMPDIR=str(temp), PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider",
                   "-p", "no:randomly", "--perf-compare-ref", "HEAD",
                   "--perf-ab-processes", str(processes)]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        self.lines: list[tuple[float, str]] = []
        self.passed = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.monotonic(), line))
            if " PASSED" in line or " FAILED" in line:
                self.passed.set()
        self.passed.set()

    def output(self) -> str:
        self._reader.join(timeout=5)
        return "".join(line for _, line in self.lines)


def tree_of(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def gone_after(processes: list[psutil.Process], since: float) -> float | None:
    """Seconds from `since` until none of `processes` runs; None past GONE_WITHIN_S."""
    while time.monotonic() - since < GONE_WITHIN_S:
        if not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes):
            return time.monotonic() - since
        time.sleep(0.01)
    return None


def leftovers(repo: Path, temp: Path) -> str:
    logs = list(temp.glob("perfguard-*.log")) + list(temp.glob("perfguard-*/**/*.log"))
    dirs = list(temp.glob("perfguard-*/"))
    listed = subprocess.run(
        ["git", "worktree", "list"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    return f"{len(logs)} logs, {len(dirs)} dirs, {listed.count(chr(10)) - 1} worktrees"


def cancel_once(sig: signal.Signals, processes: int, benchmarks: int) -> tuple[float | None, str]:
    with tempfile.TemporaryDirectory() as tmp:
        repo, temp = Path(tmp, "repo"), Path(tmp, "temp")
        repo.mkdir()
        temp.mkdir()
        make_repo(repo, benchmarks)
        run = Run(repo, temp, processes)
        run.passed.wait(timeout=300)
        processes_now = tree_of(run.process.pid)
        sent = time.monotonic()
        run.process.send_signal(sig)
        gone = gone_after(processes_now, sent)
        run.process.wait()
        output = run.output()
        traceback = "Traceback (most recent call last)" in output
        time.sleep(0.2)  # let the kernel reap; then see what is left
        left = leftovers(repo, temp)
        for process in tree_of(run.process.pid) + processes_now:  # nothing may outlive us
            if process.is_running():
                process.kill()
        return gone, f"traceback: {'yes' if traceback else 'no'}; left: {left}"


def tail_once(processes: int, benchmarks: int) -> tuple[float, float]:
    """Seconds from pytest's last line to its exit, and the whole run's."""
    with tempfile.TemporaryDirectory() as tmp:
        repo, temp = Path(tmp, "repo"), Path(tmp, "temp")
        repo.mkdir()
        temp.mkdir()
        make_repo(repo, benchmarks)
        start = time.monotonic()
        run = Run(repo, temp, processes)
        run.process.wait()
        end = time.monotonic()
        run.output()
        return end - run.lines[-1][0], end - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--processes", type=int, default=16, help="--perf-ab-processes")
    parser.add_argument("--benchmarks", type=int, default=4)
    args = parser.parse_args()
    print(
        f"A/B runs of {args.benchmarks} benchmarks over {args.processes} process pairs "
        f"({2 * args.processes} workers); {args.runs} runs each"
    )
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        times: list[float] = []
        notes: list[str] = []
        for _ in range(args.runs):
            gone, note = cancel_once(sig, args.processes, args.benchmarks)
            times.append(float("inf") if gone is None else gone)
            notes.append(note)
        shown = [f"{t:.2f}" if t != float("inf") else f">{GONE_WITHIN_S:.0f}" for t in times]
        print(
            f"{sig.name:8} tree gone after median {statistics.median(times):.2f} s "
            f"(runs: {', '.join(shown)} s)"
        )
        for note in sorted(set(notes)):
            print(f"         {notes.count(note)}x {note}")
    tails = [tail_once(args.processes, args.benchmarks) for _ in range(args.runs)]
    print(
        f"tail     last line to exit: median {statistics.median(t for t, _ in tails):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t, _ in tails)} s); whole run "
        f"{statistics.median(w for _, w in tails):.1f} s"
    )


if __name__ == "__main__":
    main()
