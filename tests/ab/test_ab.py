"""Same-job A/B (--perf-compare-ref) from the user's side: a git repository with a base
commit and changes on top, both sides on a fake clock so every ratio is exact."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from tests.fakes import CONFTEST

LIB = "from conftest import tick\n\ndef work():\n    tick({ns})\n"
TESTS = """
import pytest
import mylib

@pytest.mark.perf(max_time=0.05)
def test_work():
    mylib.work()

def test_call(perf):
    perf(mylib.work)
"""


def git(pytester: pytest.Pytester, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=pytester.path, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(pytester: pytest.Pytester) -> pytest.Pytester:
    """A committed base: work() takes 1000 ns."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(mylib=LIB.format(ns=1000), test_work=TESTS)
    git(pytester, "init", "-q")
    git(pytester, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git(pytester, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    return pytester


def run(pytester: pytest.Pytester, *args: str, processes: int | None = 2) -> pytest.RunResult:
    """pytest in a subprocess; A/B over 2 process pairs unless `processes` says otherwise
    (None: the default) so that the tests start fewer workers."""
    spread = () if processes is None else ("--perf-ab-processes", str(processes))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *spread, *args)


def test_a_slower_head_fails_against_the_base_measured_in_the_same_run(
    repo: pytest.Pytester,
) -> None:
    repo.makepyfile(mylib=LIB.format(ns=1100))  # uncommitted: the head side
    sha = git(repo, "rev-parse", "--short=12", "HEAD")
    result = run(repo, "--perf-compare-ref", "HEAD")
    result.assert_outcomes(passed=0, failed=2)
    result.stdout.fnmatch_lines(
        [
            f"*test_work: performance regression compared with HEAD ({sha}) in this run",
            "*time/op regressed: 1.00 us -> 1.10 us (+10.0%*",
            "*paired rounds with HEAD*",
            f"*perfguard: comparison with HEAD ({sha}), measured in this run*",
        ]
    )
    assert git(repo, "worktree", "list").count("\n") == 0  # the base worktree is gone


def test_over_one_process_pair_time_is_advisory_unless_strict(repo: pytest.Pytester) -> None:
    repo.makepyfile(mylib=LIB.format(ns=1100))
    result = run(repo, "--perf-compare-ref", "HEAD", processes=1)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_work.py::test_work*+10.0%*regressed (advisory)*"])


def test_unchanged_code_passes(repo: pytest.Pytester) -> None:
    result = run(repo, "--perf-compare-ref", "HEAD", "--perf-json", "out.json", processes=None)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_work.py::test_work*+0.0%*unchanged*"])
    document = json.loads((repo.path / "out.json").read_text())
    assert document["ab"]["processes"] == 16  # the default
    metric = next(
        m for m in document["benchmarks"][0]["comparison"]["metrics"] if m["metric"] == "time"
    )
    assert "over 16 process pairs" in metric["rule"]
    assert metric["decision"]["numbers"]["processes"] == 16


def test_rounds_are_spread_over_the_process_pairs(repo: pytest.Pytester) -> None:
    repo.makepyfile(mylib=LIB.format(ns=1100))
    result = run(repo, "--perf-compare-ref", "HEAD", "--perf-json", "out.json", processes=3)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*over 3 process pairs*t p < 0.05 over 2 time comparisons*"])
    document = json.loads((repo.path / "out.json").read_text())
    assert document["ab"]["processes"] == 3
    # each process pair ran its share before the stop rule could end the rounds
    assert document["ab"]["pairs"]["test_work.py::test_work"] >= 3 * 5


def test_one_process_pair_is_the_single_pair_rule(repo: pytest.Pytester) -> None:
    repo.makepyfile(mylib=LIB.format(ns=1100))
    result = run(repo, "--perf-compare-ref", "HEAD", "--perf-strict", processes=1)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*with a 2.0% sd between processes (A/A)*"])


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("option", "0", "*invalid ab_processes='0' from option --perf-ab-processes*"),
        ("ini", "many", "*invalid ab_processes='many' from ini key perf_ab_processes*"),
    ],
)
def test_a_bad_number_of_process_pairs_is_a_usage_error(
    repo: pytest.Pytester, where: str, value: str, message: str
) -> None:
    if where == "ini":
        repo.makeini(f"[pytest]\nperf_ab_processes = {value}\n")
        result = run(repo, "--perf-compare-ref", "HEAD", processes=None)
    else:
        result = run(repo, "--perf-compare-ref", "HEAD", processes=int(value))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert git(repo, "worktree", "list").count("\n") == 0


def test_a_base_worker_that_dies_mid_run_leaves_no_process_or_worktree(
    repo: pytest.Pytester,
) -> None:
    # The base revision's work() ends its process on its 30th call in a worker.
    dying = LIB.format(ns=1000) + textwrap.dedent(
        """
        import os
        CALLS = [0]
        def work():
            CALLS[0] += 1
            if os.environ.get("PERFGUARD_AB_FDS") and CALLS[0] == 30:
                os._exit(3)
            tick(1000)
        """
    )
    repo.makepyfile(mylib=dying)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "dies mid-run")
    repo.makepyfile(mylib=LIB.format(ns=1000))
    result = run(repo, "--perf-compare-ref", "HEAD", "--perf-json", "out.json")
    result.assert_outcomes(passed=2)  # head's tests stand on their own
    document = json.loads((repo.path / "out.json").read_text())
    for bench in document["benchmarks"]:
        comparison = bench["comparison"]
        assert comparison["verdict"] == "not comparable"
        assert "exited with status 3" in comparison["reason"]["texts"]["error"]
    assert git(repo, "worktree", "list").count("\n") == 0
    assert workers_left(repo) == []


def workers_left(repo: pytest.Pytester) -> list[str]:
    """Working directories of A/B workers still running in this test's trees (head's, or a
    base worktree since removed)."""
    found = subprocess.run(["pgrep", "-f", "pytest_perfguard.plugin.ab_worker"],
                           capture_output=True, text=True).stdout.split()  # fmt: skip
    left = []
    for pid in found:
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:  # it ended meanwhile
            continue
        if cwd.startswith(str(repo.path)) or cwd.endswith("(deleted)"):
            left.append(cwd)
    return left


def test_a_faster_head_is_reported_improved_and_passes(repo: pytest.Pytester) -> None:
    repo.makepyfile(mylib=LIB.format(ns=800))
    result = run(
        repo, "--perf-compare-ref", "HEAD", "--perf-json", "out.json", "--perf-markdown", "r.md"
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_work.py::test_work*-20.0%*improved*"])
    document = json.loads((repo.path / "out.json").read_text())
    assert document["ab"]["ref"].startswith("HEAD (")
    assert document["ab"]["pairs"]["test_work.py::test_work"] >= 10
    markdown = (repo.path / "r.md").read_text()
    assert "measured in this run in paired rounds" in markdown


def test_new_and_removed_tests_are_reported_never_failing(repo: pytest.Pytester) -> None:
    repo.makepyfile(
        test_work=TESTS.replace("def test_call(perf):", "def test_new(perf):"),
    )
    result = run(repo, "--perf-compare-ref", "HEAD", "--perf-json", "r.json")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*test_work.py::test_new*new*",
            "removed: 1 perf test(s) of HEAD (*) not in this tree, e.g. test_work.py::test_call",
        ]
    )
    doc = json.loads((repo.path / "r.json").read_text())
    [new] = [b["comparison"] for b in doc["benchmarks"] if b["nodeid"].endswith("test_new")]
    assert new["verdict"] == "new" and new["reason"]["kind"] == "no_baseline_entry"
    assert re.fullmatch(r"not in HEAD \([0-9a-f]+\): a new benchmark", new["notes"][0])


def test_a_base_test_that_errors_is_not_comparable_with_its_error(
    repo: pytest.Pytester,
) -> None:
    # The base's test_broken raises; head's does not.
    broken = TESTS + "\n@pytest.mark.perf\ndef test_broken():\n    raise ValueError('bad')\n"
    repo.makepyfile(test_work=broken)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "break")
    fixed = TESTS + "\n@pytest.mark.perf(max_time=0.05)\ndef test_broken():\n    mylib.work()\n"
    repo.makepyfile(test_work=fixed)
    result = run(repo, "--perf-compare-ref", "HEAD")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_broken*not comparable*"])
    json_run = run(repo, "--perf-compare-ref", "HEAD", "--perf-json", "out.json")
    json_run.assert_outcomes(passed=3)
    text = (repo.path / "out.json").read_text()
    assert "ValueError: bad" in text


def test_a_worker_that_dies_leaves_its_benchmarks_not_comparable(
    repo: pytest.Pytester,
) -> None:
    dying = (
        LIB.format(ns=1000) + "\nimport os\nos.environ.get('PERFGUARD_AB_FDS') and os._exit(3)\n"
    )
    repo.makepyfile(mylib=dying)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "dies on import")
    repo.makepyfile(mylib=LIB.format(ns=1000))
    result = run(repo, "--perf-compare-ref", "HEAD")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--perf-compare-ref: the base worker*exited with status 3*"])
    assert git(repo, "worktree", "list").count("\n") == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--perf-compare-ref", "nosuchref"), "*--perf-compare-ref nosuchref: no such revision*"),
        (("--perf-compare-ref", "."), "*that directory is the tree under test itself*"),
        (("--perf-compare-ref", "HEAD", "--perf-compare"), "*use one of them*"),
        (("--perf-compare-ref", "HEAD", "-n", "2"), "*run it serially (without -n)*"),
    ],
)
def test_bad_references_and_combinations_are_usage_errors(
    repo: pytest.Pytester, args: tuple[str, ...], message: str
) -> None:
    result = run(repo, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_outside_a_git_repository_a_revision_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = run(pytester, "--perf-compare-ref", "main")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*not in a git repository, so it cannot be a revision*"])


def test_a_base_that_imports_heads_code_is_refused(repo: pytest.Pytester) -> None:
    sneaky = textwrap.dedent(
        """
        import os, sys
        head = os.environ.get("PERFGUARD_AB_HEAD_ROOT")
        if head:  # a stale path entry that puts head's module first
            sys.path.insert(0, head)
            import mylib
            sys.path.remove(head)
        """
    )
    repo.makeconftest(CONFTEST + sneaky)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "sneaky")
    result = run(repo, "--perf-compare-ref", "HEAD")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*imported the code under test from head's tree*mylib*"])


def test_a_base_that_cannot_collect_is_an_error_naming_ref_and_the_file(
    repo: pytest.Pytester,
) -> None:
    repo.makepyfile(test_work=TESTS + "\ndef broken(:\n")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "syntax error")
    repo.makepyfile(test_work=TESTS)  # head fixed it: the base must not pass as "all new"
    sha = git(repo, "rev-parse", "--short=12", "HEAD")
    result = run(repo, "--perf-compare-ref", "HEAD")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*--perf-compare-ref: HEAD ({sha}): could not collect test_work.py: SyntaxError*"]
    )
    assert git(repo, "worktree", "list").count("\n") == 0


def test_workers_make_no_end_of_session_summary(repo: pytest.Pytester) -> None:
    # A plugin's terminal summary (hypothesis imports itself for one) runs once, in the
    # controlling session; the two head workers, which run in this directory too, make none.
    summary = (
        "\n\ndef pytest_terminal_summary(terminalreporter):\n"
        "    with open('summaries.txt', 'a') as out:\n"
        "        out.write('summary\\n')\n"
    )
    repo.makeconftest(CONFTEST + summary)
    run(repo, "--perf-compare-ref", "HEAD").assert_outcomes(passed=2)
    assert (repo.path / "summaries.txt").read_text() == "summary\n"


def test_sigterm_stops_the_workers_and_removes_the_worktree(repo: pytest.Pytester) -> None:
    # The controlling session's test waits (the workers are running and pinned meanwhile)
    # until the test below has sent SIGTERM, as a cancelled CI job does.
    waiting = TESTS + textwrap.dedent(
        """
        import os, pathlib, time

        @pytest.mark.perf(max_time=0.05)
        def test_waits():
            if not os.environ.get("PERFGUARD_AB_FDS"):
                pathlib.Path("started").touch()
                time.sleep(60)
            mylib.work()
        """
    )
    repo.makepyfile(test_work=waiting)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "a waiting test")
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--perf-compare-ref",
               "HEAD", "--perf-ab-processes", "2"]  # fmt: skip
    started = repo.path / "started"
    pytest_run = subprocess.Popen(command, cwd=repo.path, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = psutil.Process(pytest_run.pid).children()
        assert started.exists() and len(workers) == 4
        pytest_run.send_signal(signal.SIGTERM)
        output, _ = pytest_run.communicate(timeout=60)
    finally:
        pytest_run.kill()
        pytest_run.wait()
    assert pytest_run.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "KeyboardInterrupt: SIGTERM" in output
    assert git(repo, "worktree", "list").count("\n") == 0
    assert not [worker for worker in workers if worker.is_running()]


def test_counts_of_data_dependent_allocations_average_over_calls_in_ab(
    repo: pytest.Pytester,
) -> None:
    # work() makes an object on every other call and takes 1 ms: a round is one call. With
    # one call a counting window, each side alone would read 1 or 2 allocs/op (the clock's
    # int is one more), by the window's parity; over several calls both read 1.5.
    lib = textwrap.dedent(
        """
        from conftest import tick
        ODD = [False]  # a bool: a counter past 256 would allocate its ints too
        def work():
            ODD[0] = not ODD[0]
            if ODD[0]:
                x = object()
            tick(1_000_000)
        """
    )
    repo.makepyfile(mylib=lib)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "every other call")
    result = run(repo, "--perf-compare-ref", "HEAD", "--perf-json", "out.json", "-k", "not call")
    result.assert_outcomes(passed=1)
    (bench,) = json.loads((repo.path / "out.json").read_text())["benchmarks"]
    assert bench["measurement"]["loops"] == 1
    (allocs,) = [m for m in bench["comparison"]["metrics"] if m["metric"] == "allocs"]
    assert (allocs["baseline"], allocs["current"], allocs["verdict"]) == (1.5, 1.5, "unchanged")
