"""Membership lookup: a linear scan (`x in list`) vs `bisect` on a sorted list vs `set`/`dict`.

Go's lesson is "choose the data structure": O(n) scan, O(log n) binary search, O(1) map. Each
benchmark looks up the same 100 keys (half present, half absent) in a collection of N ints. In
the summary, group "lookup 100" already shows the scan 15-25x slower than the hashed set/dict,
with `bisect` in between; in group "lookup 10000" the scan is about 100x slower than its
size-100 row (milliseconds per op), `set`/`dict` stay flat and `bisect` grows only by log n.
allocs/op stays a handful (the generator expression), except `bisect` at 10,000: each index
above 256 is a new int object, one per probe.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Container

import pytest

SIZES = [100, 10_000]
PROBES = 100


def make_case(n: int) -> tuple[list[int], list[int], int]:
    """Even numbers 0..2n (sorted) and PROBES keys, half of them present (even)."""
    items = list(range(0, 2 * n, 2))
    rng = random.Random(n)
    keys = [rng.randrange(0, 2 * n) for _ in range(PROBES)]
    return items, keys, sum(1 for k in keys if k % 2 == 0)


def count_in(items: Container[int], keys: list[int]) -> int:
    # The same code for list, set and dict: only the structure behind `in` differs.
    return sum(1 for k in keys if k in items)


def binary_search(items: list[int], keys: list[int]) -> int:
    found = 0
    size = len(items)
    for k in keys:
        i = bisect_left(items, k)
        if i != size and items[i] == k:
            found += 1
    return found


STRUCTURES = {
    "list_scan": (count_in, list),
    "bisect": (binary_search, list),
    "set": (count_in, set),
    "dict": (count_in, dict.fromkeys),
}


def by_size(n: int, name: str) -> object:
    return pytest.param(n, name, id=f"{name}-{n}", marks=pytest.mark.perf(group=f"lookup {n}"))


@pytest.mark.parametrize("n, name", [by_size(n, name) for n in SIZES for name in STRUCTURES])
def test_lookup(perf, n, name):
    items, keys, present = make_case(n)
    find, build = STRUCTURES[name]
    collection = build(items)  # building the set/dict is setup, outside the measured call
    assert perf(find, collection, keys) == present
