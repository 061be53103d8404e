"""What an instruction count depends on besides the code: the interpreter's build, valgrind's
version and the architecture (the packages the benchmarks imported are added by the pass)."""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Callable

__all__ = ["WORKER_VARIABLES", "counting_environment", "valgrind_version"]

WORKER_VARIABLES = {"PYTHONHASHSEED": "0"}
"""Set for the worker under valgrind: dict and set layouts the same in every run. Not
PYTHONMALLOC=malloc: it made one allocation-light loop count the same in two checkouts of
other paths (pymalloc: 0.05% apart), but the four benchmarks of instructions_gate.py up to
11.6% apart, against 0.39% with pymalloc (benchmarks/instructions_ab.py)."""


def valgrind_version(valgrind: str) -> str:
    """`valgrind --version`'s answer ("valgrind-3.19.0"), or that it gave none."""
    try:
        done = subprocess.run([valgrind, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "valgrind of unknown version"
    return done.stdout.strip() or "valgrind of unknown version"


def counting_environment(valgrind: str, version: Callable[[str], str] = valgrind_version) -> str:
    """What an instruction count depends on besides the code: this interpreter's build
    (version, build date, compiler), valgrind's version and the architecture. Counts recorded
    under another are not compared exactly."""
    number, date = platform.python_build()
    return (
        f"{platform.python_implementation()} {platform.python_version()} ({number}, {date}, "
        f"{platform.python_compiler()}); {version(valgrind)}; {platform.machine()}"
    )
