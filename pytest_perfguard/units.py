"""Numbers with units for people: times and sizes scaled to three significant digits."""

from __future__ import annotations

import math

_TIME_UNITS = ((1e9, "s"), (1e6, "ms"), (1e3, "us"), (1.0, "ns"))
_SIZE_UNITS = ((1024.0**3, "GiB"), (1024.0**2, "MiB"), (1024.0, "KiB"), (1.0, "B"))


def _scaled(value: float, units: tuple[tuple[float, str], ...]) -> str:
    """Three significant digits in the largest unit that keeps the number >= 1."""
    rounded = float(f"{value:.3g}")  # round first, so 999.96 ns becomes 1.00 us, not 1000 ns
    for scale, unit in units:
        if abs(rounded) >= scale or scale == units[-1][0]:
            number = rounded / scale
            decimals = 2 - math.floor(math.log10(abs(number))) if number else 0
            return f"{number:.{max(decimals, 0)}f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def format_time(ns: float) -> str:
    """Nanoseconds scaled to ns/us/ms/s: '57.1 ns', '20.0 us', '1.23 ms'."""
    return _scaled(ns, _TIME_UNITS)


def format_bytes(size: float) -> str:
    """Bytes scaled to B/KiB/MiB/GiB: '100 B', '1.50 KiB', '50.0 MiB'."""
    return _scaled(size, _SIZE_UNITS)


def plural(n: int, word: str) -> str:
    """ "1 benchmark", "2 benchmarks"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
