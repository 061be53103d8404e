"""The base of every error perfguard raises on purpose; each layer subclasses it."""

from __future__ import annotations

__all__ = ["PerfguardError"]


class PerfguardError(Exception):
    """A problem perfguard reports in one line: bad settings, a bad file, misuse of `perf`."""
