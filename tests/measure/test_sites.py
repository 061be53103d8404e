"""The sites pass: each allocation attributed to the function and line that made it."""

from __future__ import annotations

import inspect
import itertools
import sys
import threading
from pathlib import Path

import pytest

from pytest_perfguard.measure import sites as sites_module
from pytest_perfguard.measure.allocations import AllocationCounter
from pytest_perfguard.measure.profile import HARNESS
from pytest_perfguard.measure.sites import SUPPORTED, line_of, resolve, sites_pass
from pytest_perfguard.measure.steps import Step, drive
from pytest_perfguard.model import NO_FRAME, AllocSite

allocount = pytest.importorskip("_perfguard_allocount")
HERE = str(Path(__file__).resolve().parent)
needs_311 = pytest.mark.skipif(
    not SUPPORTED,
    reason="sites need Python 3.11+; before, the pass says so (test_before_3_11_the_pass_...)",
)


class Slot:
    __slots__ = ()  # not GC-tracked, no dict: exactly one allocator call per instance


def helper() -> object:
    return Slot()  # the site


def middle() -> object:
    return helper()


def top() -> object:
    middle()
    return bytearray(1000)  # two calls: the object and its 1001-byte buffer


def line_in(func: object, text: str) -> int:
    lines, first = inspect.getsourcelines(func)  # type: ignore[arg-type]
    return first + next(i for i, line in enumerate(lines) if text in line)


def run_top(step: Step) -> None:
    for _ in itertools.repeat(None, step.n):
        top()


def by_function(sites: tuple[AllocSite, ...]) -> dict[str, AllocSite]:
    return {s.function: s for s in sites}


@needs_311
def test_each_allocation_is_named_by_its_function_and_line_two_calls_below() -> None:
    result = drive(sites_pass(200, collect=lambda: None), run_top)
    sites = by_function(result.sites)
    assert result.note is None
    assert sites["helper"].allocs == 1.0
    assert sites["helper"].line == line_in(helper, "the site")
    assert sites["helper"].file.endswith("test_sites.py")
    assert sites["top"].allocs == 2.0
    assert sites["top"].line == line_in(top, "bytearray(1000)")
    assert sites["top"].nbytes >= 1001
    assert "middle" not in sites  # it allocates nothing itself
    assert result.sites[0].function == "top"  # by allocs/op, largest first


@needs_311
def test_qualified_names_tell_methods_apart() -> None:
    class Maker:
        def make(self) -> object:
            return Slot()

    maker = Maker()

    def run(step: Step) -> None:
        for _ in itertools.repeat(None, step.n):
            maker.make()

    sites = drive(sites_pass(50, collect=lambda: None), run).sites
    names = {s.function for s in sites}
    assert "test_qualified_names_tell_methods_apart.<locals>.Maker.make" in names, names


@needs_311
def test_allocations_of_c_code_the_harness_calls_directly_go_to_the_no_frame_bucket() -> None:
    # This file plays perfguard's own loop: bytearray() runs with no frame of the benchmark's.
    def run(step: Step) -> None:
        for _ in itertools.repeat(None, step.n):
            bytearray(1000)

    harness = (HERE, HARNESS)
    sites = drive(sites_pass(100, collect=lambda: None, harness=harness), run).sites
    assert [(s.function, s.allocs) for s in sites] == [(NO_FRAME, 2.0)]
    assert sites[0].where == NO_FRAME


@needs_311
def test_paused_work_is_not_attributed() -> None:
    def run(step: Step) -> None:
        for _ in itertools.repeat(None, step.n):
            with step.pause:
                bytearray(5000)  # setup: left out
            helper()

    sites = by_function(drive(sites_pass(100, collect=lambda: None), run).sites)
    assert sites["helper"].allocs == 1.0
    # The `with` line keeps the pause's own cost (its bound __enter__/__exit__), not the setup.
    assert all(s.nbytes < 5000 for s in sites.values())


@needs_311
def test_a_thread_without_the_gil_is_counted_in_the_no_frame_bucket_or_its_site() -> None:
    # Allocations are counted for the counting thread only; another thread's are not seen.
    def other() -> None:
        bytearray(1000)

    def run(step: Step) -> None:
        for _ in itertools.repeat(None, step.n):
            thread = threading.Thread(target=other)
            thread.start()
            thread.join()

    sites = drive(sites_pass(5, collect=lambda: None), run).sites
    assert "other" not in {s.function for s in sites}
    total = sum(s.allocs for s in sites)
    assert total > 0  # starting a thread allocates in the counting thread


def test_resolve_names_code_lines_and_puts_the_rest_in_the_no_frame_bucket() -> None:
    code = top.__code__
    offset = next(start for start, _, line in code.co_lines() if line == line_in(top, "bytearray"))
    harness_code = compile("x = 1", "/perfguard/engine.py", "exec")
    window = [
        (code, offset, 30, 300, None),
        (harness_code, 0, 7, 70, None),
        (None, -1, 3, 30, None),
    ]
    empty = [(harness_code, 0, 2, 20, None)]
    # Totals: the window's 40 less the empty window's 2, less 1 for pauses' own cost.
    sites = resolve(window, empty, (37, 370), 10, harness=("/perfguard/",), roots=(HERE,))
    assert sites == (
        AllocSite("test_sites.py", line_in(top, "bytearray"), "top", 3.0, 30.0),
        AllocSite("", 0, NO_FRAME, 0.7, 7.0),
    )


def test_line_of_an_offset_before_the_first_instruction_is_the_first_line() -> None:
    assert line_of(top.__code__, -1) == top.__code__.co_firstlineno


def test_before_3_11_the_pass_says_sites_are_unavailable_and_makes_no_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sites_module, "SUPPORTED", False)
    with pytest.raises(StopIteration) as stop:
        next(sites_pass(10))  # no step at all
    result = stop.value.value
    assert result.sites == ()
    assert result.note is not None and "need Python 3.11 or later" in result.note


def test_no_extension_means_no_sites_and_no_extra_calls() -> None:
    counter = AllocationCounter(None, "C extension not built")
    with pytest.raises(StopIteration) as stop:
        next(sites_pass(10, counter=counter))  # no step at all
    assert stop.value.value.sites == ()


def test_the_extension_refuses_to_switch_recording_while_counting() -> None:
    allocount.start()
    try:
        with pytest.raises(RuntimeError, match="while counting"):
            allocount.record_sites(True)
        with pytest.raises(RuntimeError, match="while counting"):
            allocount.sites()
    finally:
        allocount.stop()


def make_tag() -> object:
    return []  # the list


def run_tags(step: Step) -> None:
    for _ in itertools.repeat(None, step.n):
        make_tag()


@pytest.mark.skipif(sys.version_info < (3, 13), reason="objects are counted on Python 3.13+")
def test_an_empty_list_per_call_is_one_object_per_op_at_its_line() -> None:
    result = drive(sites_pass(200, collect=lambda: None), run_tags)
    sites = by_function(result.sites)
    assert sites["make_tag"].objects == 1.0  # from the free list: no allocator call needed
    assert sites["make_tag"].line == line_in(make_tag, "the list")
    assert all(s.objects is not None for s in result.sites)


@needs_311
@pytest.mark.skipif(sys.version_info >= (3, 13), reason="before 3.13 objects are not counted")
def test_before_3_13_sites_have_no_objects() -> None:
    result = drive(sites_pass(50, collect=lambda: None), run_top)
    assert result.sites and all(s.objects is None for s in result.sites)


def test_resolve_counts_objects_per_op_and_puts_unnamed_ones_in_the_no_frame_bucket() -> None:
    code = make_tag.__code__
    line = line_in(make_tag, "the list")
    offset = next(start for start, _, at in code.co_lines() if at == line)
    harness_code = compile("x = 1", "/perfguard/engine.py", "exec")
    window = [(code, offset, 0, 0, 10), (harness_code, 0, 0, 0, 4), (None, -1, 0, 0, 3)]
    empty = [(harness_code, 0, 0, 0, 2)]
    sites = resolve(window, empty, (0, 0), 10, harness=("/perfguard/",), roots=(HERE,))
    assert sites == (
        AllocSite("test_sites.py", line, "make_tag", 0.0, 0.0, 1.0),
        AllocSite("", 0, NO_FRAME, 0.0, 0.0, 0.5),
    )
