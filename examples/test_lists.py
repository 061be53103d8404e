"""List building and filtering: append, preallocation and comprehensions; in place vs a new list.

Go's lesson is "preallocate": `make([]int, n)` then assign beats growing with `append`. In
CPython the interpreter loop dominates instead. In the summary, group "build list" shows the
comprehension and the `append` loop close together and fastest (3.11 specialises both), while
`[None] * n` plus index assignment is the slowest: it requests less memory in total (B/op about
half: no regrowth of an overallocated list) but pays for `enumerate` and the index store, and
every index above 256 is a new int object (allocs/op in the hundreds). Group "filter": the Go
two-pointer loop filters in place with the fewest bytes but is usually the slowest (it runs the
loop in Python; 10-20% behind, within drift in some runs); `data[:] = [...]` keeps the caller's
list object but builds the new list first (same allocs/op as the comprehension, plus the copy
back).
"""

from __future__ import annotations

import pytest

N = 1_000
# Small values: ints from -5 to 256 are cached, so the items themselves never allocate and
# allocs/op shows the lists (and loop counters: an index above 256 is a new int object).
SOURCE = [i % 100 for i in range(N)]
DOUBLED = [x * 2 for x in SOURCE]


def append_loop(data: list[int]) -> list[int]:
    out = []
    for x in data:
        out.append(x * 2)
    return out


def preallocated(data: list[int]) -> list[int]:
    out: list[int | None] = [None] * len(data)
    for i, x in enumerate(data):
        out[i] = x * 2
    return out  # type: ignore[return-value]


def comprehension(data: list[int]) -> list[int]:
    return [x * 2 for x in data]


def map_builtin(data: list[int]) -> list[int]:
    return list(map((2).__mul__, data))


@pytest.mark.perf(group="build list")
@pytest.mark.parametrize(
    "build",
    [append_loop, preallocated, comprehension, map_builtin],
    ids=lambda f: f.__name__,
)
def test_build(perf, build):
    assert perf(build, SOURCE) == DOUBLED


def keep(x: int) -> bool:
    return x % 3 != 0


EXPECTED = [x for x in SOURCE if keep(x)]


def new_list(data: list[int]) -> list[int]:
    return [x for x in data if keep(x)]


def slice_assign(data: list[int]) -> list[int]:
    data[:] = [x for x in data if keep(x)]
    return data


def two_pointer(data: list[int]) -> list[int]:
    # Go's FilterInPlace: move kept items forward, then cut the tail. No new list.
    n = 0
    for x in data:
        if keep(x):
            data[n] = x
            n += 1
    del data[n:]
    return data


@pytest.mark.perf(group="filter")
@pytest.mark.parametrize("filter_", [new_list, slice_assign, two_pointer], ids=lambda f: f.__name__)
def test_filter(perf, filter_):
    # In-place variants mutate their input: each call gets a fresh copy, made untimed in setup.
    result = perf(filter_, setup=lambda: ((SOURCE.copy(),), {}))
    assert result == EXPECTED
