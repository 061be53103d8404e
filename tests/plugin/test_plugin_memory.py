"""Allocation and peak-memory passes from the user's side, in every form of perf test."""

from __future__ import annotations

import re
import sys

import pytest

from pytest_perfguard.measure.allocations import load_hooks

FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider")
needs_cext = pytest.mark.skipif(load_hooks() is None, reason="C extension not built here")

FORMS = """
import pytest

counts = {}

class Thing:
    __slots__ = ()  # one allocation per instance (no __dict__)

def one():
    return Thing()

def two():
    return Thing(), Thing()

@pytest.mark.perf
def test_marker_one():
    one()

@pytest.mark.perf
def test_marker_two():
    two()

@pytest.mark.parametrize("fn", [one, two])
def test_call(perf, fn):
    perf(fn)
    counts["call", fn.__name__] = perf.measurement.allocs_per_op

@pytest.mark.parametrize("fn", [one, two])
def test_setup(perf, fn):
    big = lambda: ((list(range(1000)),), {})
    perf(lambda big: fn(), setup=big, teardown=lambda big: big.clear())
    counts["setup", fn.__name__] = perf.measurement.allocs_per_op

@pytest.mark.parametrize("fn", [one, two])
def test_loop(perf, fn):
    for _ in perf.loop():
        with perf.paused():
            junk = [object() for _ in range(20)]
        fn()
    counts["loop", fn.__name__] = perf.measurement.allocs_per_op

def test_counts():
    for form in ("call", "setup", "loop"):
        assert counts[form, "two"] - counts[form, "one"] == 1, (form, counts)
    # setup's list and the paused objects are excluded: a Thing is one allocation.
    assert counts["setup", "one"] == counts["call", "one"]
    assert counts["loop", "one"] == counts["call", "one"]
"""


@needs_cext
def test_one_more_object_is_exactly_one_more_alloc_in_every_form(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(FORMS)
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=9)
    cells = [re.split(r"\s{2,}", line.strip()) for line in result.outlines]
    column = next(row for row in cells if row[0] == "benchmark").index("allocs/op")
    allocs = {
        row[0].rsplit("_", 1)[1]: float(row[column])
        for row in cells
        if row[0].startswith("test_") and "::test_marker_" in row[0]
    }
    assert allocs["two"] - allocs["one"] == 1


def test_without_the_extension_allocs_are_na_and_the_summary_says_why(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERFGUARD_NO_CEXT", "1")
    pytester.makepyfile(
        """
        def test_a(perf):
            perf(lambda: [object()])
            m = perf.measurement
            assert m.allocs_per_op is None and m.bytes_per_op is None
            assert m.retained_blocks_per_op is not None
        """
    )
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*::test_a * n/a * n/a *", "note: *::test_a: allocs/op n/a: PERFGUARD_NO_CEXT=1 is set"]
    )


def test_switched_off_passes_leave_their_figures_empty(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.perf(memory=False, allocations=False)
        def test_a(perf):
            perf(len, "abc")
            m = perf.measurement
            assert m.allocs_per_op is None and m.peak_memory_bytes is None
        """
    )
    pytester.runpytest(*FAST).assert_outcomes(passed=1)


def test_a_freed_50_mb_spike_shows_as_peak_memory(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def spike():
            buffer = bytearray(50 * 1024 * 1024)
            del buffer

        def test_spike(perf):
            perf(spike)
            m = perf.measurement
            assert 45 * 2**20 <= m.peak_memory_bytes <= 60 * 2**20, m.peak_memory_bytes
            assert m.peak_memory_exact
        """
    )
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*::test_spike * [45]?.? MiB"])


FREE_LISTS = """
import sys
import pytest

counts = {}

def nothing(x):
    return x

def a_list(x):
    tag = []
    return x

def a_dict(x):
    tag = {}
    return x

def a_tuple(x):
    tag = (x, x)
    return x

def a_float(x):
    tag = x * 1.5
    return x

def an_object(x):
    tag = object()
    return x

@pytest.mark.parametrize("fn", [nothing, a_list, a_dict, a_tuple, a_float, an_object])
def test_kind(perf, fn):
    perf(fn, 7)
    counts[fn.__name__] = (perf.measurement.allocs_per_op, perf.measurement.objects_per_op)

def test_counts():
    if sys.version_info < (3, 13):
        assert all(objects is None for _, objects in counts.values()), counts
        return
    base = counts["nothing"][1]
    for name in ("a_list", "a_dict", "a_tuple", "a_float", "an_object"):
        assert counts[name][1] - base == 1, (name, counts)
    # the allocator sees a new object() but not a list taken from its free list
    assert counts["an_object"][0] - counts["nothing"][0] == 1, counts
"""


@needs_cext
def test_objects_from_free_lists_are_counted_on_313_and_named_before(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(FREE_LISTS)
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=7)
    header = next(line for line in result.outlines if line.startswith("benchmark "))
    if sys.version_info >= (3, 13):
        assert "objects/op" in header
        assert not any("free lists" in line for line in result.outlines)
    else:
        assert "objects/op" not in header
        result.stdout.fnmatch_lines(["note: allocs/op counts allocator calls: *free lists*"])


ONE_LIST = """
def work(x, extra={extra}):
    if extra:
        tag = []
    return x + 1

def test_work(perf):
    perf(work, 7)
"""


@needs_cext
def test_a_list_added_per_call_fails_the_stored_gate_on_313(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one=ONE_LIST.format(extra=False))
    pytester.runpytest(*FAST, "--perf-save").assert_outcomes(passed=1)
    pytester.makepyfile(test_one=ONE_LIST.format(extra=True))
    result = pytester.runpytest(*FAST, "--perf-compare")
    if sys.version_info >= (3, 13):
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*objects/op regressed*"])
        assert not any("allocs/op regressed" in line for line in result.outlines)
    else:  # the allocator never sees the list: nothing to gate, and the summary says so
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["note: allocs/op counts allocator calls: *free lists*"])
