"""Measuring: the engine, the `perf` object, the passes (timing, allocations, peak memory)."""
