"""The bounds of a perfguard file: its size, its nesting, and the range of every value."""

from __future__ import annotations

import os

MAX_FILE_BYTES = 20 * 1024 * 1024
"""A baseline of 52 benchmarks is 70 kB: 20 MiB is some 15,000 benchmarks. Larger files are
refused unread, so a wrong path or a runaway file cannot stall a test run."""
MAX_NESTING = 32
"""Brackets nested deeper are refused before parsing: tomllib recurses once per level (and
raises RecursionError); a baseline nests 3 deep."""
MAX_KEY_PARTS = 16
"""A dotted key with more parts is refused before parsing: tomllib's time grows with the
square of the parts (100,000 took over 2 minutes); a baseline's keys have 3."""
# What any real measurement stays within; beyond these a value is damage, not a measurement.
MAX_NS = 1e15  # 11.6 days per op
MIN_NS = 1e-6  # a millionth of a nanosecond: the file keeps 5 significant digits of ns
MAX_RATIO, MIN_RATIO = 1e15, 1e-9
MAX_ITERATIONS = 10**12  # rounds, loops
MAX_COUNT = 1e18  # allocations and bytes per op, peak memory bytes
MAX_CPUS = 1_000_000
MAX_THREADS = 1024
"""Threads of a parallel benchmark (perf.parallel refuses more)."""
MAX_BENCHMARKS = 100_000
MAX_RUNS = 10_000  # runs per benchmark (--perf-keep-runs keeps 5 by default)
MAX_SAMPLES = 100_000  # raw per-round values per run (the writer keeps 32)
MAX_STRING = 65_536  # characters of a node id or any other string


def read_limited(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a file, or OSError; a file over `limit` bytes is refused unread (ValueError
    saying so): whoever reads a file of unknown origin reads at most that much."""
    with open(path, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than the {limit // 1024 // 1024} MiB limit for a perfguard file")
    return data


MAX_PROFILE = 100
"""Functions of a saved profile (perfguard keeps PROFILE_KEPT): more is a hand edit gone wrong."""
