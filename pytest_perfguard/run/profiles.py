"""--perf-profile DIR: each benchmark's profile as a .pstats file, named safely from its node id."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from pytest_perfguard.model import BenchResult, Comparison, PairedRun, Verdict
from pytest_perfguard.report.sitetable import site_table
from pytest_perfguard.run.outputs import OutputError, make_directory

__all__ = ["prepare_profile_dir", "pstats_name", "write_profiles"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
SLUG_CHARS = 80
"""Of the node id kept readable in the name: with the hash, far below any file name limit."""


def pstats_name(nodeid: str, *, base: bool = False) -> str:
    """A file name for `nodeid`'s profile: its readable part (no separator, no leading dot, so
    never outside the directory nor hidden) and a hash of the whole node id, so two node ids
    never share a file and a node id always gets the same one."""
    slug = _UNSAFE.sub("_", nodeid).strip("._-")[:SLUG_CHARS] or "benchmark"
    digest = hashlib.sha256(nodeid.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{slug}-{digest}{'.base' if base else ''}.pstats"


def prepare_profile_dir(path: Path, source: str) -> None:
    """Check (and create) the directory before anything runs; OutputError naming `source`."""
    if path.exists() and not path.is_dir():
        raise OutputError(f"{source} {path}: is a file; give a directory")
    make_directory(path, f"{source} {path}: cannot create the directory")
    if not os.access(path, os.W_OK):
        raise OutputError(f"{source} {path}: not writable")


def write_profiles(
    directory: Path,
    result: BenchResult,
    comparison: Comparison | None = None,
    paired: PairedRun | None = None,
) -> list[Path]:
    """Write the result's profile and its allocation sites (a text table), and for an A/B
    regression the base side's beside them; return the files written (none when neither the
    profiling pass nor the sites pass ran)."""
    written = []
    regressed = comparison is not None and comparison.verdict is Verdict.REGRESSED
    base = paired.base if paired is not None else None
    sides = [(result.measurement, False), *([(base, True)] if regressed and base else [])]
    for measurement, is_base in sides:
        name = pstats_name(result.nodeid, base=is_base)
        if measurement.profile_data is not None:
            written.append(directory / name)
            written[-1].write_bytes(measurement.profile_data)
        if measurement.sites:
            written.append(directory / (name.removesuffix(".pstats") + ".sites.txt"))
            side = " (base side)" if is_base else ""
            text = site_table(result.nodeid, measurement.sites, side)
            written[-1].write_text(text, encoding="utf-8")
    return written
