"""Whether runs from two environments may be compared: times, and deterministic counts."""

from __future__ import annotations

from pytest_perfguard.model import BaselineEntry, Fingerprint

__all__ = ["counts_comparable", "differences"]


def differences(
    baseline: Fingerprint | None, current: Fingerprint, entry: BaselineEntry | None = None
) -> tuple[str, ...]:
    """What differs between two environments in ways that make stored times incomparable.

    Empty when times measured in `baseline` may be compared with times measured in `current`.
    Compared: implementation, Python major.minor, OS, architecture, CPU model. Patch releases,
    CPU count and perfguard version are not compared: they did not move single-threaded timings.
    When `entry` is given and records a Python version, that version (the one its newest run
    was measured with) is used instead of the file's, since untouched entries can be older than
    the file's fingerprint.
    """
    if baseline is None:
        return ("the baseline records no environment",)
    found = []
    if baseline.python_implementation != current.python_implementation:
        found.append(
            "Python implementation: "
            f"{baseline.python_implementation} -> {current.python_implementation}"
        )
    old_python = _entry_python(baseline, entry)
    if old_python != current.python_minor:
        found.append(f"Python version: {old_python} -> {current.python_minor}")
    if baseline.os != current.os:
        found.append(f"OS: {baseline.os} -> {current.os}")
    if baseline.arch != current.arch:
        found.append(f"architecture: {baseline.arch} -> {current.arch}")
    if baseline.cpu_model != current.cpu_model:
        found.append(f"CPU: {baseline.cpu_model} -> {current.cpu_model}")
    return tuple(found)


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
