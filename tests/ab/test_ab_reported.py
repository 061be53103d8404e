"""Custom metrics in same-job A/B (--perf-compare-ref): the base worker sends its values and
they are judged by the same rule as against saved runs."""

from __future__ import annotations

import json

import pytest

from tests.fakes import CONFTEST

from .test_ab import git, run

LIB = "from conftest import tick\n\nMISSES = {misses}\n\ndef work():\n    tick(1000)\n"
TESTS = """
import mylib

def test_call(perf):
    perf(mylib.work)
    perf.report("misses", mylib.MISSES, unit="misses/op", exact=True)
"""


@pytest.fixture
def repo(pytester: pytest.Pytester) -> pytest.Pytester:
    """A committed base: 3 misses per op."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(mylib=LIB.format(misses=3), test_work=TESTS)
    git(pytester, "init", "-q")
    git(pytester, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git(pytester, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    return pytester


def test_a_custom_metric_raised_by_one_fails_against_the_base(repo: pytest.Pytester) -> None:
    repo.makepyfile(mylib=LIB.format(misses=4))
    sha = git(repo, "rev-parse", "--short=12", "HEAD")
    result = run(repo, "--perf-compare-ref", "HEAD", processes=1)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*misses regressed: 3 -> 4 (+33.3%)",
            f"*misses regressed: 3 -> 4 misses/op against HEAD ({sha}) measured in this run*",
        ]
    )


def test_an_unchanged_custom_metric_passes(repo: pytest.Pytester) -> None:
    result = run(repo, "--perf-compare-ref", "HEAD", "--perf-json=r.json", processes=1)
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*misses regressed*")
    (bench,) = json.loads((repo.path / "r.json").read_text())["benchmarks"]
    misses = next(m for m in bench["comparison"]["metrics"] if m["metric"] == "misses")
    assert (misses["baseline"], misses["current"], misses["verdict"]) == (3, 3, "unchanged")
