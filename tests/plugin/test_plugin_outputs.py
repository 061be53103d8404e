"""Output paths (--perf-json, --perf-markdown, the baseline): checked before anything runs, and
a failure to write one at the end never loses the others, the save or the summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_perfguard.store import baseline as storage
from tests.fakes import CONFTEST

FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider")

SUITE = """
from conftest import tick

def test_one(perf):
    perf(tick, 1000)
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    return pytester


@pytest.mark.parametrize("flag", ["--perf-json", "--perf-markdown"])
def test_a_directory_as_output_is_a_usage_error_before_anything_runs(
    suite: pytest.Pytester, flag: str
) -> None:
    (suite.path / "out").mkdir()
    result = suite.runpytest(*FAST, f"{flag}=out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*pytest-perfguard: {flag} *out: is a directory; give a file*"])
    assert "test_one" not in result.stdout.str()


def test_an_output_under_a_file_is_a_usage_error(suite: pytest.Pytester) -> None:
    (suite.path / "blocker").write_text("")
    result = suite.runpytest(*FAST, "--perf-json=blocker/x.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*pytest-perfguard: --perf-json *blocker/x.json: *blocker is a file, not a directory*"]
    )


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs procfs")
def test_a_baseline_directory_that_cannot_be_created_is_a_usage_error(
    suite: pytest.Pytester,
) -> None:
    # procfs refuses new directories even to root, which file permissions would not.
    result = suite.runpytest(*FAST, "--perf-save", "--perf-baseline=/proc/perfguard/b.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*pytest-perfguard: --perf-baseline /proc/perfguard/b.toml: cannot create the "
            "directory /proc/perfguard: *"
        ]
    )
    assert "test_one" not in result.stdout.str()


def test_missing_parent_directories_are_created_as_for_junitxml(suite: pytest.Pytester) -> None:
    result = suite.runpytest(
        *FAST, "--perf-json=missing/dir/r.json", "--perf-markdown=other/dir/r.md"
    )
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    document = json.loads((suite.path / "missing" / "dir" / "r.json").read_text())
    assert [b["nodeid"] for b in document["benchmarks"]] == ["test_suite.py::test_one"]
    assert "test_suite.py::test_one" in (suite.path / "other" / "dir" / "r.md").read_text()


def test_an_output_that_fails_at_the_end_loses_nothing_else_and_fails_the_run(
    suite: pytest.Pytester,
) -> None:
    # The JSON's directory is checked at configure time, then turned into a file by a test.
    suite.makepyfile(
        test_spoil="""
        import shutil

        def test_spoil():
            shutil.rmtree("out")
            open("out", "w").close()
        """
    )
    result = suite.runpytest(
        *FAST, "--perf-save", "--perf-json=out/r.json", "--perf-markdown=md/r.md"
    )
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*- perfguard: 1 benchmark -*",
            "perfguard: error: could not write the JSON results to *out/r.json: *",
            "perfguard: saved 1 benchmark(s) to *",
        ]
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert "test_suite.py::test_one" in (suite.path / "md" / "r.md").read_text()
    saved = storage.load(suite.path / ".perfguard" / "baseline.toml")
    assert list(saved.entries) == ["test_suite.py::test_one"]
