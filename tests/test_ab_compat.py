"""Same-job A/B (--perf-compare-ref) with every form of perf test and the knobs a marker sets:
a git repository with a base commit and changes on top, both sides on a fake clock."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from .fakes import CONFTEST
from .test_ab import git, run

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
