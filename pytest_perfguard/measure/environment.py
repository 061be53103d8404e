"""Fingerprint of the interpreter, OS, CPU and machine this process runs on."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

from pytest_perfguard._version import __version__
from pytest_perfguard.measure.machine import Machine
from pytest_perfguard.model import Fingerprint

__all__ = ["cpu_model_from_cpuinfo", "current_fingerprint"]

# Keys naming the CPU in /proc/cpuinfo, best first: x86 ("model name"), s390/Power ("cpu"),
# boards that only name themselves ("Hardware", "Model").
_CPUINFO_MODEL_KEYS = ("model name", "cpu model", "cpu", "hardware", "model")


def current_fingerprint(machine: Machine) -> Fingerprint:
    """Describe the environment this process runs in, on `machine` (see measure/machine.py)."""
    info = sys.version_info
    return Fingerprint(
        python_implementation=platform.python_implementation(),
        # From version_info rather than platform.python_version(): always major.minor.micro,
        # never "3.13.0rc1" or "3.12.1+".
        python_version=f"{info.major}.{info.minor}.{info.micro}",
        os=platform.system() or sys.platform,
        arch=platform.machine() or "unknown",
        cpu_model=_cpu_model(),
        cpu_count=_cpu_count(),
        perfguard_version=__version__,
        machine=machine.name,
        hosted=machine.hosted,
    )


def cpu_model_from_cpuinfo(text: str) -> str | None:
    """The CPU model named in the text of /proc/cpuinfo, or None when it names none."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        # The first processor's block is enough; keep the first value of each key.
        if sep and value.strip() and key not in fields:
            fields[key] = " ".join(value.split())  # some vendors pad with runs of spaces
    for key in _CPUINFO_MODEL_KEYS:
        # x86 also has "model : 1", a number that names nothing on its own.
        if key in fields and not fields[key].isdigit():
            return fields[key]
    # ARM Linux often names no model, only the implementer and part numbers.
    if "cpu implementer" in fields and "cpu part" in fields:
        return f"implementer {fields['cpu implementer']} part {fields['cpu part']}"
    return None


def _cpu_model() -> str:
    try:
        model = cpu_model_from_cpuinfo(Path("/proc/cpuinfo").read_text(errors="replace"))
    except OSError:
        model = None
    if model is None and sys.platform == "darwin":
        model = _sysctl("machdep.cpu.brand_string")
    if model is None:
        # Windows gives a usable family/model/stepping string here; elsewhere often just arch.
        model = " ".join(platform.processor().split()) or None
    return model or "unknown"


def _sysctl(name: str) -> str | None:
    try:
        result = subprocess.run(
            ["sysctl", "-n", name], capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return " ".join(result.stdout.split()) or None


def _cpu_count() -> int:
    # The CPUs this process may run on (containers, taskset), not those the host has.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
