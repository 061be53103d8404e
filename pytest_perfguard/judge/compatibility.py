"""Whether runs from two environments may be compared: times, and deterministic counts."""

from __future__ import annotations

from pytest_perfguard.model import BaselineEntry, Caveat, CaveatKind, Fingerprint

__all__ = ["counts_comparable", "differences"]


def differences(
    baseline: Fingerprint | None, current: Fingerprint, entry: BaselineEntry | None = None
) -> tuple[Caveat, ...]:
    """What differs between two environments in ways that make stored times incomparable, as
    ENVIRONMENT caveats (texts: what, old, new; report/rules.py words them).

    Empty when times measured in `baseline` may be compared with times measured in `current`.
    Compared: implementation, Python major.minor, OS, architecture, CPU model. Patch releases,
    CPU count and perfguard version are not compared: they did not move single-threaded timings.
    When `entry` is given and records a Python version, that version (the one its newest run
    was measured with) is used instead of the file's, since untouched entries can be older than
    the file's fingerprint. A baseline without a fingerprint differs in "environment".
    """
    if baseline is None:
        return (_differs("environment", "", ""),)
    pairs = (
        ("python_implementation", baseline.python_implementation, current.python_implementation),
        ("python_version", _entry_python(baseline, entry), current.python_minor),
        ("os", baseline.os, current.os),
        ("arch", baseline.arch, current.arch),
        ("cpu_model", baseline.cpu_model, current.cpu_model),
    )
    return tuple(_differs(what, old, new) for what, old, new in pairs if old != new)


def _differs(what: str, old: str, new: str) -> Caveat:
    return Caveat(CaveatKind.ENVIRONMENT, texts={"what": what, "old": old, "new": new})


def counts_comparable(
    baseline: Fingerprint | None, current: Fingerprint, entry: BaselineEntry | None = None
) -> bool:
    """Whether deterministic counts (allocs/op, B/op) may be compared exactly.

    They depend on the interpreter, not the machine: same implementation and same Python
    major.minor (the entry's own version when it records one, as in `differences`).
    """
    if baseline is None:
        return False
    return (
        baseline.python_implementation == current.python_implementation
        and _entry_python(baseline, entry) == current.python_minor
    )


def _entry_python(baseline: Fingerprint, entry: BaselineEntry | None) -> str:
    if entry is not None and entry.python_version:
        return entry.python_version
    return baseline.python_minor
