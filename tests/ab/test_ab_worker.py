"""Same-job A/B workers from the user's side: a base test that hangs, cancellation as CI does
it (SIGINT, SIGTERM, SIGKILL of the pytest process), what a run leaves behind, and what it says
while its workers start. Real pytest subprocesses; both sides on the fake clock of test_ab."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from .test_ab import TESTS, git, repo, run  # noqa: F401  # repo: the A/B fixture

HANGS = textwrap.dedent(
    """
    import os, time

    CALLS = [0]

    @pytest.mark.perf(max_time=0.05)
    def test_hangs():
        CALLS[0] += 1
        if os.environ.get("PERFGUARD_AB_FDS") and CALLS[0] >= {at_call}:
            if os.environ.get("HANGING_FLAG"):  # tell the test: this worker hangs now
                open(os.environ["HANGING_FLAG"], "a").close()
            time.sleep(3600)  # a deadlock in the base revision's workers
        mylib.work()
    """
)
"""A test (placed first) whose base side stops answering at its `at_call`-th call."""
EXIT_WITHIN_S = 5.0
"""Generous: the goal is 2 s, on a machine that other test runs share."""


def commit_hanging_base(repo: pytest.Pytester, at_call: int) -> None:  # noqa: F811
    """Commit a base whose test_hangs hangs in its workers; head's (uncommitted) does not."""
    first = TESTS.replace("import mylib\n", "import mylib\n" + HANGS.format(at_call=at_call), 1)
    repo.makepyfile(test_work=first)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "hangs")
    repo.makepyfile(test_work=first.replace("time.sleep(3600)", "pass"))


@pytest.fixture
def temp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The runs' temporary directory (outside the repository), to see what they leave there."""
    path = tmp_path_factory.mktemp("ab-temp")
    monkeypatch.setenv("TMPDIR", str(path))
    return path


def leftovers(temp: Path) -> list[str]:
    return sorted(p.name for p in temp.iterdir() if p.name.startswith("perfguard-"))


def worktrees(repo: pytest.Pytester) -> int:  # noqa: F811
    """Worktrees registered besides the repository's own."""
    return git(repo, "worktree", "list").count("\n")


@pytest.mark.parametrize("at_call", [1, 2000], ids=["before-rounds", "in-rounds"])
def test_a_base_test_that_hangs_is_not_comparable_and_the_run_goes_on(
    repo: pytest.Pytester,  # noqa: F811
    temp: Path,
    at_call: int,
) -> None:
    commit_hanging_base(repo, at_call)
    # 5 s without an answer: the hung worker (asleep for an hour) only, never a healthy one
    # slowed by a loaded machine (1 s was within reach of a busy 2-core runner).
    result = repo.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:randomly", "--perf-ab-processes", "2",
        "--perf-compare-ref", "HEAD", "--perf-ab-timeout", "5", "--perf-json", "out.json",
        timeout=120,
    )  # fmt: skip
    result.assert_outcomes(passed=3)
    document = json.loads((repo.path / "out.json").read_text())
    verdicts = {b["nodeid"].split("::")[1]: b["comparison"] for b in document["benchmarks"]}
    hung = verdicts["test_hangs"]
    assert hung["verdict"] == "not comparable"
    assert "no answer in 5 s" in hung["reason"]["texts"]["error"]
    # the hung worker was replaced: the tests after it pair as before
    assert verdicts["test_work"]["verdict"] == "unchanged"
    assert verdicts["test_call"]["verdict"] == "unchanged"
    assert worktrees(repo) == 0
    logs = list(temp.glob("perfguard-ab-*/*.log"))
    assert len(logs) == 1  # the hung worker's log is kept, and named
    assert str(logs[0]) in hung["reason"]["texts"]["error"]


class Run:
    """`pytest --perf-compare-ref HEAD -v` in a subprocess; its output read as it comes."""

    def __init__(self, repo: pytest.Pytester, *args: str) -> None:  # noqa: F811
        self.hanging = repo.path.parent / f"{repo.path.name}-hanging"
        command = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider",
                   "-p", "no:randomly", "--perf-compare-ref", "HEAD",
                   "--perf-ab-processes", "2", *args]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=repo.path,
            env=dict(os.environ, PYTHONUNBUFFERED="1", HANGING_FLAG=str(self.hanging)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_hanging(self, timeout: float = 120) -> bool:
        """Until a base worker hangs (it says so in a file): the run waits on it."""
        end = time.monotonic() + timeout
        while not self.hanging.exists():
            if time.monotonic() > end or self.process.poll() is not None:
                return False
            time.sleep(0.05)
        return True

    def processes(self) -> list[psutil.Process]:
        """pytest and every process under it, now."""
        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def output(self) -> str:
        self._reader.join(timeout=10)
        return "".join(self.lines)

    def kill(self) -> None:
        for process in self.processes() if self.process.poll() is None else []:
            process.kill()
        self.process.wait()


def gone_within(processes: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    """Those of `processes` still running after `seconds` (polled)."""
    end = time.monotonic() + seconds
    while True:
        left = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.02)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_cancelled_run_ends_at_once_and_leaves_nothing(
    repo: pytest.Pytester,  # noqa: F811
    temp: Path,
    sig: signal.Signals,
) -> None:
    # A base worker hangs: the run is waiting on it when it is cancelled.
    commit_hanging_base(repo, at_call=1)
    ab = Run(repo)
    try:
        assert ab.wait_hanging(), ab.output()
        processes = ab.processes()
        assert len(processes) == 5  # pytest and its 2 x 2 workers
        sent = time.monotonic()
        ab.process.send_signal(sig)
        ab.process.wait(timeout=60)
        took = time.monotonic() - sent
        left = gone_within(processes, EXIT_WITHIN_S)  # the workers too, by the same deadline
    finally:
        ab.kill()
    output = ab.output()
    assert ab.process.returncode == pytest.ExitCode.INTERRUPTED, output
    assert took < EXIT_WITHIN_S, output
    assert "Traceback" not in output
    assert left == []
    assert worktrees(repo) == 0
    assert leftovers(temp) == []


def test_workers_die_with_a_killed_run_and_the_next_run_removes_its_worktree(
    repo: pytest.Pytester,  # noqa: F811
    temp: Path,
) -> None:
    commit_hanging_base(repo, at_call=1)
    # A worktree of the user's own, in a directory named like perfguard's: never removed.
    mine = temp / "perfguard-ab-mine"
    git(repo, "worktree", "add", "--detach", "-q", str(mine), "HEAD")
    ab = Run(repo)
    try:
        assert ab.wait_hanging(), ab.output()
        processes = ab.processes()
        ab.process.send_signal(signal.SIGKILL)
        left = gone_within(processes, EXIT_WITHIN_S)
    finally:
        ab.kill()
    assert left == []
    assert worktrees(repo) == 2  # the killed run's, and the user's
    repo.makepyfile(test_work=TESTS)  # the next run: nothing hangs
    result = run(repo, "--perf-compare-ref", "HEAD", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert worktrees(repo) == 1
    assert str(mine) in git(repo, "worktree", "list")
    assert leftovers(temp) == ["perfguard-ab-mine"]


def test_the_run_says_when_its_workers_start_and_are_ready(
    repo: pytest.Pytester,  # noqa: F811
    temp: Path,
) -> None:
    result = run(repo, "--perf-compare-ref", "HEAD")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "perfguard: A/B with HEAD (*): starting 4 workers (2 process pairs)*",
            "*",
            "perfguard: 4 A/B workers ready in * s; 2 benchmarks pair with HEAD (*)",
        ]
    )
    assert leftovers(temp) == []  # no log, no directory


def test_a_worker_leaves_with_its_parent_even_when_its_pipe_stays_open() -> None:
    """The parent-death signal (Linux): a worker whose parent dies mid-test goes at once."""
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux's")
    child = textwrap.dedent(
        """
        import os, subprocess, sys, time
        code = (
            "import os, sys, time\\n"
            "from pytest_perfguard.ab.lifetime import die_with_parent\\n"
            "die_with_parent(int(sys.argv[1]))\\n"
            "print(os.getpid(), flush=True)\\n"
            "time.sleep(60)\\n"
        )
        worker = subprocess.Popen([sys.executable, "-c", code, str(os.getpid())],
                                  stdout=subprocess.PIPE, text=True)
        print(worker.stdout.readline().strip(), flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        worker = psutil.Process(int(parent.stdout.readline()))
        parent.kill()
        parent.wait()
        assert gone_within([worker], EXIT_WITHIN_S) == []
    finally:
        parent.kill()
        parent.wait()
