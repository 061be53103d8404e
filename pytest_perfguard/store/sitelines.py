"""A saved run's allocation sites as the baseline file holds them: one reviewable line each."""

from __future__ import annotations

import math
import re

from pytest_perfguard.model import NO_FRAME, AllocSite
from pytest_perfguard.store.checks import Invalid, show
from pytest_perfguard.store.limits import MAX_STRING

__all__ = ["MAX_SITES", "parse_sites", "site_line"]

MAX_SITES = 100
"""Sites of a saved run (perfguard keeps SITES_KEPT): more is a hand edit gone wrong."""

_LINE = re.compile(r"^(\S+) allocs, (\S+) B: (?:(<no Python frame>)|(.+):(\d+)\((.*)\))$")


def site_line(s: AllocSite) -> str:
    """`<allocs> allocs, <bytes> B: file:line(function)`, 7 significant digits of each (counts
    below 10 million exact), never an exponent."""
    allocs = format(float(f"{s.allocs:.7g}"), ".15g")
    nbytes = format(float(f"{s.nbytes:.7g}"), ".15g")
    return f"{allocs} allocs, {nbytes} B: {s.where}"


def _numbers(allocs: str, nbytes: str) -> tuple[float, float] | None:
    try:
        values = float(allocs), float(nbytes)
    except ValueError:
        return None
    return values if all(math.isfinite(v) and v >= 0 for v in values) else None


def parse_sites(raw: object, where: str) -> tuple[AllocSite, ...]:
    """The sites of a run's `sites` array; Invalid naming the line that is not one."""
    if not isinstance(raw, list) or len(raw) > MAX_SITES:
        raise Invalid(where, f"expected an array of at most {MAX_SITES} strings, got {show(raw)}")
    out = []
    for i, line in enumerate(raw):
        match = _LINE.match(line) if isinstance(line, str) else None
        numbers = _numbers(match.group(1), match.group(2)) if match else None
        if match is None or numbers is None or len(line) > MAX_STRING:
            raise Invalid(
                f"{where}[{i}]",
                f"expected '<allocs> allocs, <bytes> B: file:line(function)', got {show(line)}",
            )
        if match.group(3):
            out.append(AllocSite("", 0, NO_FRAME, *numbers))
        else:
            out.append(AllocSite(match.group(4), int(match.group(5)), match.group(6), *numbers))
    return tuple(out)
