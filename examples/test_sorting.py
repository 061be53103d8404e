"""Sorting at 100, 1,000 and 10,000 items, with the copy kept out of the timing.

`list.sort` sorts in place, so every call needs a fresh unsorted copy. Go stops the timer around
the copy (`b.StopTimer()`); here `perf(list.sort, setup=...)` makes the copy before each call,
untimed, and `test_sorted` is the honest contrast: `sorted(data)` pays for its copy. In the
summary, each group "sort N" has three rows: time grows faster than N from group to group (n log
n, plus cache misses at 10,000), `sort` of already-sorted data is 5x (at 100) to 20x (at 10,000)
cheaper (Timsort finds one run in a single pass), and `sorted` costs about the copy more than
`sort`. That last difference is small, and rows of different tests are measured seconds apart on
a machine whose speed drifts, so read differences under ~20% between rows as noise. B/op shows
the merge buffer `list.sort` needs for random data (0 B when already sorted) and the new list
`sorted` adds.
"""

from __future__ import annotations

import random

import pytest

SIZES = [100, 1_000, 10_000]


def shuffled(n: int) -> list[int]:
    data = list(range(n))
    random.Random(n).shuffle(data)
    return data


def by_size(n: int) -> object:
    return pytest.param(n, id=str(n), marks=pytest.mark.perf(group=f"sort {n}"))


@pytest.mark.parametrize("n", [by_size(n) for n in SIZES])
def test_sort(perf, n):
    data = shuffled(n)
    expected = list(range(n))

    def check(items: list[int]) -> None:
        # Runs after every call, untimed: each sorted copy is checked, not just one.
        assert items == expected

    perf(list.sort, setup=lambda: ((data.copy(),), {}), teardown=check)


@pytest.mark.parametrize("n", [by_size(n) for n in SIZES])
def test_sorted(perf, n):
    data = shuffled(n)
    assert perf(sorted, data) == list(range(n))


@pytest.mark.parametrize("n", [by_size(n) for n in SIZES])
def test_sort_presorted(perf, n):
    data = list(range(n))
    expected = data.copy()

    def check(items: list[int]) -> None:
        assert items == expected

    perf(list.sort, setup=lambda: ((data.copy(),), {}), teardown=check)
