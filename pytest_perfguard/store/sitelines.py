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

_LINE = re.compile(
    r"^(\S+) allocs, (\S+) B(?:, (\S+) objects)?: (?:(<no Python frame>)|(.+):(\d+)\((.*)\))$"
)


def _plain(value: float) -> str:
    """7 significant digits (counts below 10 million exact), never an exponent."""
    return format(float(f"{value:.7g}"), ".15g")


def site_line(s: AllocSite) -> str:
    """`<allocs> allocs, <bytes> B: file:line(function)`, with `, <objects> objects` after the
    bytes where objects were counted (3.13+)."""
    objects = "" if s.objects is None else f", {_plain(s.objects)} objects"
    return f"{_plain(s.allocs)} allocs, {_plain(s.nbytes)} B{objects}: {s.where}"


def _numbers(*texts: str | None) -> tuple[float, ...] | None:
    try:
        values = tuple(float(t) for t in texts if t is not None)
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
        numbers = _numbers(*match.group(1, 2, 3)) if match else None
        if match is None or numbers is None or len(line) > MAX_STRING:
            raise Invalid(
                f"{where}[{i}]",
                "expected '<allocs> allocs, <bytes> B[, <objects> objects]: "
                f"file:line(function)', got {show(line)}",
            )
        allocs, nbytes, *objects = numbers
        counts = (allocs, nbytes, objects[0] if objects else None)
        if match.group(4):
            out.append(AllocSite("", 0, NO_FRAME, *counts))
        else:
            out.append(AllocSite(match.group(5), int(match.group(6)), match.group(7), *counts))
    return tuple(out)
