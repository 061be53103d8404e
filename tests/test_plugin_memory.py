"""Allocation and peak-memory passes from the user's side, in every form of perf test."""

from __future__ import annotations

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
    marker_rows = [
        line.split()
        for line in result.outlines
        if line.startswith("test_") and "::test_marker_" in line
    ]
    # allocs/op is the 6th field from the end: "64.0 B", calls/op and "0 B" follow it.
    allocs = {row[0].rsplit("_", 1)[1]: float(row[-6]) for row in marker_rows}
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
