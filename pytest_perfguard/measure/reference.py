"""Built-in reference workloads: a yardstick for how fast the machine is right now.

Benchmark rounds are interleaved with rounds of these workloads, and each benchmark round is
divided by the reference round next to it. On a shared machine whose speed drifts by up to 2x
within seconds, that ratio moves far less between runs than raw time does (README: "How time
is measured").
"""

from __future__ import annotations

from collections.abc import Callable

_WORDS = tuple(f"w{i % 37}" for i in range(64))


def _arithmetic_and_calls() -> int:
    """Pure-Python integer arithmetic and function calls (the interpreter's core loop)."""

    def step(a: int, b: int) -> int:
        return (a * 31 + b) % 1_000_003

    acc = 7
    for i in range(60):
        acc = step(acc, i)
    return acc


def _containers_and_strings() -> int:
    """Dict, list and str work: hashing, allocation, small-object churn."""
    counts: dict[str, int] = {}
    for word in _WORDS:
        counts[word] = counts.get(word, 0) + 1
    keys = sorted(counts)
    return len("-".join(keys)) + len([k.upper() for k in keys])


def reference_unit() -> int:
    """One reference unit: both workloads, alternating, so neither kind of code dominates."""
    return _arithmetic_and_calls() + _containers_and_strings()


REFERENCE: Callable[[], object] = reference_unit
