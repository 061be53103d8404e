"""The _allocount extension on its own: what it counts, what it excludes, how it refuses misuse."""

from __future__ import annotations

import itertools
import sys
import threading
import tracemalloc
from collections.abc import Callable

import pytest

allocount = pytest.importorskip("_perfguard_allocount")


class Slot:
    __slots__ = ()  # not GC-tracked, no dict: exactly one allocator call per instance


def make_slot() -> object:
    return Slot()


def make_bytearray_small() -> object:
    return bytearray(100)


def make_bytearray_large() -> object:
    return bytearray(100_000)


def grow_list() -> object:
    items: list[int] = []
    for i in range(5):
        items.append(i)
    return items


@pytest.fixture(autouse=True)
def _never_leave_hooks_installed() -> object:
    yield
    if allocount.is_counting():
        allocount.stop()


def count(fn: Callable[[], object], n: int) -> tuple[int, int]:
    """Totals for n calls less the totals of zero calls, after a warm-up."""

    def run(k: int) -> None:
        for _ in itertools.repeat(None, k):
            fn()

    run(2000)  # past 3.10's opcache threshold, so no one-time allocation lands in a window
    allocount.start()
    run(0)
    empty = allocount.stop()
    allocount.start()
    run(n)
    full = allocount.stop()
    return full[0] - empty[0], full[1] - empty[1]


def test_counts_one_allocation_per_object() -> None:
    allocs, nbytes = count(make_slot, 1000)
    assert allocs == 1000
    assert nbytes % 1000 == 0
    assert nbytes // 1000 >= 16


def test_large_blocks_are_not_counted_twice() -> None:
    # Over 512 B pymalloc hands the block to the RAW domain: that nested call must not count.
    small, small_bytes = count(make_bytearray_small, 100)
    large, large_bytes = count(make_bytearray_large, 100)
    assert small == large
    assert large_bytes - small_bytes == 100 * (100_000 - 100)


def test_realloc_counts_as_an_allocation() -> None:
    allocs, _ = count(grow_list, 100)
    baseline, _ = count(lambda: [], 100)
    assert allocs > baseline  # appends grow the item array with realloc


def test_pause_excludes_allocations_and_nests() -> None:
    allocount.start()
    allocount.pause()
    allocount.pause()
    kept = [Slot() for _ in range(1000)]
    allocount.resume()
    kept.append(Slot())  # still paused: the outer pause has not ended
    allocount.resume()
    allocs, _ = allocount.stop()
    assert allocs < 10
    assert len(kept) == 1001


def test_counts_reads_running_totals_without_counting_itself() -> None:
    allocount.start()
    first = allocount.counts()
    second = allocount.counts()
    allocount.stop()
    assert first == second


def test_other_threads_are_not_counted() -> None:
    go = threading.Event()
    done = threading.Event()

    def worker() -> None:
        go.wait()
        kept = [Slot() for _ in range(50_000)]
        assert len(kept) == 50_000
        done.set()

    thread = threading.Thread(target=worker)
    thread.start()
    allocount.start()
    go.set()
    done.wait()
    allocs, _ = allocount.stop()
    thread.join()
    assert allocs < 100


def test_start_twice_is_an_error() -> None:
    allocount.start()
    with pytest.raises(RuntimeError, match="already running"):
        allocount.start()
    allocount.stop()


@pytest.mark.parametrize("call", ["stop", "pause", "resume"])
def test_calls_without_start_are_errors(call: str) -> None:
    with pytest.raises(RuntimeError, match="not running"):
        getattr(allocount, call)()


def test_resume_without_pause_is_an_error() -> None:
    allocount.start()
    with pytest.raises(RuntimeError, match="without pause"):
        allocount.resume()
    allocount.stop()


def test_only_the_counting_thread_may_stop() -> None:
    allocount.start()
    errors: list[BaseException] = []

    def stop_elsewhere() -> None:
        try:
            allocount.stop()
        except RuntimeError as err:
            errors.append(err)

    thread = threading.Thread(target=stop_elsewhere)
    thread.start()
    thread.join()
    assert allocount.is_counting()
    allocount.stop()
    assert len(errors) == 1
    assert "another thread" in str(errors[0])


def test_hooks_are_removed_after_stop() -> None:
    allocount.start()
    allocount.stop()
    before = allocount.counts()
    kept = [Slot() for _ in range(100)]
    assert allocount.counts() == before
    assert len(kept) == 100


def test_tracemalloc_stacked_on_top_discards_counts_and_recovers() -> None:
    assert not tracemalloc.is_tracing()
    allocount.start()
    tracemalloc.start()
    try:
        with pytest.raises(RuntimeError, match="replaced while counting"):
            allocount.stop()
    finally:
        tracemalloc.stop()  # puts our (now pass-through) hooks back on top
    allocs, _ = count(make_slot, 100)  # reuses the hooks still in the chain, then removes them
    assert allocs == 100
    tracemalloc.start()  # the allocator chain is intact: tracemalloc still works
    tracemalloc.stop()


def test_objects_are_still_counted_after_tracemalloc_ran() -> None:
    # 3.13's tracemalloc leaves its reference tracer installed (idle) after stop(): ours goes
    # in front of it and puts it back, rather than giving up on objects/op for the process.
    def one_list() -> int | None:
        allocount.start()
        made = [[]]  # noqa: F841  (two objects: the outer and the inner list)
        allocount.stop()
        objects: int | None = allocount.objects()
        return objects

    before = one_list()
    tracemalloc.start()
    tracemalloc.stop()
    after = one_list()
    assert after == before
    if sys.version_info >= (3, 13):
        assert after is not None and after >= 2
    else:
        assert after is None
    tracemalloc.start()  # and tracemalloc still traces
    kept = [bytearray(1000) for _ in range(10)]
    assert tracemalloc.get_traced_memory()[0] > 10_000
    tracemalloc.stop()
    del kept
