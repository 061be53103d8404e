"""Allocation sites from the user's side: an allocation regression's "where" names the function
and line that allocates more, against saved runs and against a base measured in the same run
(A/B); --perf-profile writes each benchmark's site table (pytester runs)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from pytest_perfguard.measure.sites import SUPPORTED

pytestmark = pytest.mark.skipif(
    not SUPPORTED, reason="sites need Python 3.11+ (tests/measure/test_sites.py: the note)"
)

FAST = ("--perf-max-time=0.02", "-p", "no:cacheprovider")

LIB = """\
def helper(n):
    out = [n, n]
{extra}    return out


def middle(n):
    return helper(n)


def work():
    return middle(1)
"""
EXTRA = "    kept = [n, n, n]  # the extra list\n"
BLOB = "    blob = bytearray(65536)  # the extra bytes\n"
TESTS = """
import pytest
import mylib

@pytest.mark.perf(max_time=0.05)
def test_work():
    mylib.work()
"""
NODE = "test_work.py::test_work"


def lib(extra: str = "") -> str:
    return LIB.format(extra=extra)


def git(pytester: pytest.Pytester, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=pytester.path,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture(autouse=True)
def _needs_the_extension() -> None:
    pytest.importorskip("_perfguard_allocount")


def test_one_more_list_two_calls_below_is_named_by_function_and_line(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(mylib=lib(), test_work=TESTS)
    pytester.runpytest(*FAST, "--perf-save").assert_outcomes(passed=1)
    saved = (pytester.path / ".perfguard" / "baseline.toml").read_text(encoding="utf-8")
    assert re.search(r"allocs, \S+ B(, \S+ objects)?: mylib\.py:2\(helper\)", saved)  # kept
    pytester.makepyfile(mylib=lib(EXTRA))
    result = pytester.runpytest(*FAST, "--perf-compare", "--perf-json=out.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*allocs/op regressed: * -> *",
            "*where (per op, profiled; base: the saved run of *",
            "*allocation sites, by allocs/op:",
            "*+1 allocs (0 -> 1) mylib.py:3(helper)",
        ]
    )
    doc = json.loads((pytester.path / "out.json").read_text(encoding="utf-8"))
    where = doc["benchmarks"][0]["comparison"]["where"]
    top = where["sites_by_allocs"][0]
    assert (top["file"], top["line"], top["function"]) == ("mylib.py", 3, "helper")
    assert (top["base_allocs"], top["head_allocs"]) == (0.0, 1.0)


def test_64_kib_more_per_call_is_the_top_bytes_change(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(mylib=lib(), test_work=TESTS)
    pytester.runpytest(*FAST, "--perf-save").assert_outcomes(passed=1)
    pytester.makepyfile(mylib=lib(BLOB))
    result = pytester.runpytest(*FAST, "--perf-compare", "--perf-markdown=out.md")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*allocation sites, by B/op:", "*+64.* KiB (0 B -> 64.* KiB) mylib.py:3(helper)"]
    )
    markdown = (pytester.path / "out.md").read_text(encoding="utf-8")
    assert "mylib.py:3(helper)" in markdown


def test_a_baseline_saved_before_sites_still_gates_and_says_nothing_of_sites(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(mylib=lib(), test_work=TESTS)
    pytester.runpytest(*FAST, "--perf-save").assert_outcomes(passed=1)
    path = pytester.path / ".perfguard" / "baseline.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("sites = [")
    path.write_text(text[:start] + text[text.index("]\n", start) + 2 :], encoding="utf-8")
    pytester.makepyfile(mylib=lib(EXTRA))
    result = pytester.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(failed=1)  # still caught by allocs/op
    result.stdout.fnmatch_lines(["*allocs/op regressed: * -> *"])
    result.stdout.no_fnmatch_line("*allocation sites*")


def test_ab_the_base_sends_its_sites_and_the_failure_names_the_new_one(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(mylib=lib(), test_work=TESTS)  # the real clock: counts are exact anyway
    git(pytester, "init", "-q")
    git(pytester, "add", ".")
    git(pytester, "commit", "-qm", "base")
    pytester.makepyfile(mylib=lib(EXTRA))  # uncommitted: the head side
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--perf-ab-processes", "2", "--perf-compare-ref", "HEAD"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*allocs/op regressed: * -> *",
            "*where (per op, profiled; base: HEAD (*), measured in this run):",
            "*allocation sites, by allocs/op:",
            "*+1 allocs (0 -> 1) mylib.py:3(helper)",
        ]
    )


def test_perf_profile_writes_each_benchmarks_site_table(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(mylib=lib(BLOB), test_work=TESTS)
    pytester.runpytest(*FAST, "--perf-profile=prof").assert_outcomes(passed=1)
    tables = list((pytester.path / "prof").glob("*.sites.txt"))
    assert len(tables) == 1
    text = tables[0].read_text(encoding="utf-8")
    assert text.startswith(f"allocation sites of {NODE}, per op")
    rows = [line.split() for line in text.splitlines() if "mylib.py:3(helper)" in line]
    assert len(rows) == 1 and rows[0][0] == "2"  # the bytearray and its buffer, per op
    assert float(rows[0][1]) >= 65536  # bytes per op


TAG = "    tag = []  # a free-list object: no allocator call, one more object\n"


@pytest.mark.skipif(sys.version_info < (3, 13), reason="objects are counted on Python 3.13+")
def test_one_more_free_list_object_two_calls_below_is_the_top_objects_site(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(mylib=lib(), test_work=TESTS)
    pytester.runpytest(*FAST, "--perf-save").assert_outcomes(passed=1)
    saved = (pytester.path / ".perfguard" / "baseline.toml").read_text(encoding="utf-8")
    assert " objects: mylib.py:2(helper)" in saved  # the site's objects, kept
    pytester.makepyfile(mylib=lib(TAG))
    result = pytester.runpytest(*FAST, "--perf-compare", "--perf-json=out.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*objects/op regressed: * -> *",
            "*allocation sites, by objects/op:",
            "*+1 objects (0 -> 1) mylib.py:3(helper)",
        ]
    )
    result.stdout.no_fnmatch_line("*allocation sites, by allocs/op:")  # allocs unchanged
    doc = json.loads((pytester.path / "out.json").read_text(encoding="utf-8"))
    top = doc["benchmarks"][0]["comparison"]["where"]["sites_by_objects"][0]
    assert (top["file"], top["line"], top["function"]) == ("mylib.py", 3, "helper")
    assert (top["base_objects"], top["head_objects"]) == (0.0, 1.0)
