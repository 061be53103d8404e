"""The handle on a forked A/B worker: a process that is not the controller's own child, known
by the pid it reports, whose session reaps it (or does not)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pytest_perfguard.ab.spawn import ForkedProcess, fds_value, parse_fds

pytestmark = pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")

SESSION = textwrap.dedent(
    """
    import os, sys, time
    pid = os.fork()
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    print(pid, flush=True)
    if sys.argv[1] == "reaps":
        os.waitpid(pid, 0)
    time.sleep(600)
    """
)


def start_session(reaps: bool) -> tuple[subprocess.Popen[bytes], int]:
    """A stand-in for a worker session: it forks one child and prints its pid."""
    session = subprocess.Popen(
        [sys.executable, "-c", SESSION, "reaps" if reaps else "keeps"], stdout=subprocess.PIPE
    )
    assert session.stdout is not None
    return session, int(session.stdout.readline())


@pytest.mark.parametrize("reaps", [True, False], ids=["reaped", "zombie"])
def test_a_killed_forked_worker_reads_as_gone(reaps: bool) -> None:
    session, pid = start_session(reaps)
    try:
        worker = ForkedProcess(session)
        assert worker.pid == session.pid  # until it says its own
        worker.adopt(pid)
        assert worker.pid == pid
        assert worker.poll() is None
        with pytest.raises(subprocess.TimeoutExpired):
            worker.wait(timeout=0.05)
        worker.kill()
        # Gone once its session reaped it, and also while nobody does (a zombie).
        assert worker.wait(timeout=30) is None
        assert worker.poll() == -1
        assert session.poll() is None  # the session itself goes on
    finally:
        session.kill()
        session.wait()


def test_before_it_reports_its_pid_its_session_stands_for_it() -> None:
    session, pid = start_session(reaps=True)
    try:
        worker = ForkedProcess(session)
        worker.kill()  # kills the session, as a hung collection must
        assert worker.wait(timeout=30) == session.returncode != 0
    finally:
        session.kill()
        session.wait()
        subprocess.run(["kill", "-9", str(pid)], capture_output=True)


def test_the_channels_of_a_session_round_trip_through_the_environment() -> None:
    pairs = [(3, 4), (10, 11), (12, 13)]
    assert fds_value(pairs) == "3,4;10,11;12,13"
    assert parse_fds(fds_value(pairs)) == pairs
    assert parse_fds("7,8") == [(7, 8)]
