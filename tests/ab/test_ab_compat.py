"""Same-job A/B (--perf-compare-ref) with every form of perf test and the knobs a marker sets:
a git repository with a base commit and changes on top, both sides on a fake clock."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.model import BenchResult, BenchSettings, Measurement
from pytest_perfguard.run.paired import UNPAIRED, family, judge_paired
from tests.fakes import CONFTEST

from .test_ab import LIB, git, run

COMPAT = ("-p", "no:benchmark", "-p", "no:codspeed")

BENCHMARKS = """
import pytest
import mylib

def test_call(benchmark):
    benchmark(mylib.work)

@pytest.mark.benchmark(max_time=0.05, group="g")
def test_marked(benchmark):
    assert benchmark(mylib.work) == 7

def test_pedantic_chosen(benchmark):
    benchmark.pedantic(mylib.work, setup=lambda: None)
"""

PEDANTIC = """
import pytest
import mylib

def test_exact(benchmark):
    benchmark.pedantic(mylib.work, rounds=5, iterations=3)
"""

PERF = """
import pytest
import mylib

@pytest.mark.perf(max_time=0.05)
def test_perf(perf):
    perf(mylib.work)
"""


def repo_with(pytester: pytest.Pytester, lib: str, **files: str) -> pytest.Pytester:
    """A committed base with these test files and `lib` as mylib.py."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(mylib=lib, **files)
    git(pytester, "init", "-q")
    git(pytester, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git(pytester, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    return pytester


def comparisons(pytester: pytest.Pytester, path: str = "out.json") -> dict[str, Any]:
    document = json.loads((pytester.path / path).read_text())
    return {b["nodeid"].split("::")[-1]: b["comparison"] for b in document["benchmarks"]}


def time_metric(comparison: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in comparison["metrics"] if m["metric"] == "time")


RETURNS_7 = LIB.format(ns=1000) + "    return 7\n"


def test_the_benchmark_fixture_pairs_and_a_slower_head_fails(pytester: pytest.Pytester) -> None:
    repo = repo_with(pytester, RETURNS_7, test_bench=BENCHMARKS)
    repo.makepyfile(mylib=LIB.format(ns=1100) + "    return 7\n")  # head: 10% slower
    result = run(repo, "--perf-compare-ref", "HEAD", "--perf-json", "out.json", *COMPAT)
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        ["*test_call: performance regression compared with HEAD (*) in this run*"]
    )
    found = comparisons(repo)
    for name in ("test_call", "test_marked", "test_pedantic_chosen"):
        assert found[name]["verdict"] == "regressed", name
        assert time_metric(found[name])["decision"]["numbers"]["family"] == 3
    document = json.loads((repo.path / "out.json").read_text())
    assert all(pairs >= 10 for pairs in document["ab"]["pairs"].values())
    assert len(document["ab"]["pairs"]) == 3


def test_unchanged_benchmark_tests_pair_and_pass(pytester: pytest.Pytester) -> None:
    repo = repo_with(pytester, RETURNS_7, test_bench=BENCHMARKS)
    result = run(repo, "--perf-compare-ref", "HEAD", "--perf-json", "out.json", *COMPAT)
    result.assert_outcomes(passed=3)
    assert {c["verdict"] for c in comparisons(repo).values()} == {"unchanged"}


def test_exact_pedantic_is_not_paired_and_not_in_the_family(pytester: pytest.Pytester) -> None:
    repo = repo_with(pytester, LIB.format(ns=1000), test_exact=PEDANTIC, test_perf=PERF)
    result = run(repo, "--perf-compare-ref", "HEAD", "--perf-json", "out.json", *COMPAT)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*test_exact.py::test_exact*not comparable*",
            "not comparable:",
            "*test_exact: not paired with HEAD (*): benchmark.pedantic(rounds=, iterations=)*",
        ]
    )
    found = comparisons(repo)
    assert found["test_exact"]["verdict"] == "not comparable"
    assert found["test_exact"]["reason"]["kind"] == "not_paired"
    # the family of time comparisons is the benchmarks that paired: test_perf alone
    assert time_metric(found["test_perf"])["decision"]["numbers"]["family"] == 1


def test_a_run_where_nothing_paired_is_an_error(pytester: pytest.Pytester) -> None:
    repo = repo_with(pytester, LIB.format(ns=1000), test_exact=PEDANTIC)
    result = run(repo, "--perf-compare-ref", "HEAD", *COMPAT)
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["perfguard: error: --perf-compare-ref HEAD (*) paired none of the 1 benchmark(s)*"]
    )


ALLOCATING = textwrap.dedent(
    """
    from conftest import tick

    def work():
        tick(1000)
        return [[] for _ in range({n})]
    """
)

TOLERANT = """
import pytest
import mylib

@pytest.mark.perf(max_time=0.05{tolerance})
def test_allocs(perf):
    perf(mylib.work)
"""


@pytest.mark.parametrize(("tolerance", "verdict"), [("", "regressed"), ("50%", "unchanged")])
def test_a_markers_alloc_tolerance_holds_in_ab(
    pytester: pytest.Pytester, tolerance: str, verdict: str
) -> None:
    keyword = f", alloc_tolerance={tolerance!r}" if tolerance else ""
    repo = repo_with(
        pytester, ALLOCATING.format(n=40), test_allocs=TOLERANT.format(tolerance=keyword)
    )
    repo.makepyfile(mylib=ALLOCATING.format(n=42))  # head: a few more allocations per op
    result = run(repo, "--perf-compare-ref", "HEAD", "--perf-json", "out.json")
    allocs = next(m for m in comparisons(repo)["test_allocs"]["metrics"] if m["metric"] == "allocs")
    assert allocs["current"] > allocs["baseline"]
    assert allocs["verdict"] == verdict
    assert time_metric(comparisons(repo)["test_allocs"])["verdict"] == "unchanged"
    result.assert_outcomes(**({"failed": 1} if verdict == "regressed" else {"passed": 1}))


def test_the_family_counts_only_shared_benchmarks_that_pair() -> None:
    shared = frozenset({"a", "b", "c"})
    assert family(shared, {}) == 3
    assert family(shared, {"b": "exact", "head-only": "exact"}) == 2


def test_a_shared_benchmark_without_pairs_is_not_paired_and_a_head_only_one_new() -> None:
    measurement = Measurement(100.0, 1.0, 5, 10, (100.0,) * 5, (), 1000.0, 0.0)
    unpaired: dict[str, str] = {}

    def judge(nodeid: str) -> Any:
        result = BenchResult(nodeid, None, measurement, BenchSettings())
        return judge_paired(result, None, ref="v1", shared={"both"}, unpaired=unpaired,
                            policy=Policy(), min_effect=0.03)  # fmt: skip

    both = judge("both")
    assert both.verdict.value == "not comparable" and both.reason.texts["why"] == UNPAIRED
    assert unpaired == {"both": UNPAIRED}  # out of the family from now on
    assert judge("head-only").verdict.value == "new"
