"""Custom metrics: a number the benchmark computes, saved, shown and gated (Go's
b.ReportMetric, asv's track_ benchmarks).

An LRU cache's worth is its hit rate, which time per op hides on a fast backing store. Each
benchmark looks up the same 2,000 keys (skewed: a few keys are hot, as real traffic is) through
`functools.lru_cache` of some size, and reports the hit rate of one pass from a cold cache with
`perf.report("hit_rate", ..., better="higher", exact=True)`. The rate is deterministic (same
keys, same order, same eviction), so it is exact: a change that lowers it at all fails
`--perf-compare`, as an extra allocation does. In the summary, the cache of 32 entries hits
0.525 of the lookups and the one of 512 hits 0.7225 (554 distinct keys); a cache that shrank
shows as a lower hit_rate and fails, whatever the time per op did.

`perf.report` takes `tolerance="5%"` instead of `exact=True` for a number that varies a
little between runs; with neither, the number is shown and compared but never fails.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable

import pytest

LOOKUPS = 2_000
_RNG = random.Random(7)
KEYS = [int(_RNG.paretovariate(0.3)) for _ in range(LOOKUPS)]  # 554 distinct, skewed


def backing_store(key: int) -> str:
    return f"value-{key}"


def cached(maxsize: int) -> Callable[[int], str]:
    return functools.lru_cache(maxsize=maxsize)(backing_store)


def look_up_all(fetch: Callable[[int], str]) -> int:
    return sum(len(fetch(key)) for key in KEYS)


def cold_hit_rate(maxsize: int) -> float:
    """Hits per lookup of one pass from an empty cache: the same every run."""
    fetch = cached(maxsize)
    look_up_all(fetch)
    info = fetch.cache_info()  # type: ignore[attr-defined]
    return info.hits / (info.hits + info.misses)


@pytest.mark.parametrize("maxsize", [32, 512])
def test_lru_hit_rate(perf, maxsize):
    fetch = cached(maxsize)
    perf(look_up_all, fetch)
    rate = cold_hit_rate(maxsize)
    perf.report("hit_rate", rate, unit="hits/lookup", better="higher", exact=True)
    assert 0 < rate < 1
