"""What an instruction count depends on besides the code: the interpreter's build, valgrind's
version and the architecture (the packages the benchmarks imported are added by the pass)."""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Callable

__all__ = ["WORKER_VARIABLES", "counting_environment", "valgrind_version"]

WORKER_VARIABLES = {"PYTHONHASHSEED": "0", "PYTHONMALLOC": "malloc"}
"""Set for the worker under valgrind. A fixed hash seed: dict and set layouts the same in
every run. The C library's malloc instead of pymalloc: pymalloc's pool bookkeeping made a
count depend on the heap's history, so the same code counted 0.05% apart in two checkouts of
other paths, and up to 0.2% apart after other tests (benchmarks/instructions_ab.py); with
malloc the counts were identical. Part of the recorded environment, since counts differ
(about 1.4% more for an int-heavy loop)."""


def valgrind_version(valgrind: str) -> str:
    """`valgrind --version`'s answer ("valgrind-3.19.0"), or that it gave none."""
    try:
        done = subprocess.run([valgrind, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "valgrind of unknown version"
    return done.stdout.strip() or "valgrind of unknown version"


def counting_environment(valgrind: str, version: Callable[[str], str] = valgrind_version) -> str:
    """What an instruction count depends on besides the code: this interpreter's build
    (version, build date, compiler), valgrind's version, the architecture and the allocator
    the worker ran with. Counts recorded under another are not compared exactly."""
    number, date = platform.python_build()
    return (
        f"{platform.python_implementation()} {platform.python_version()} ({number}, {date}, "
        f"{platform.python_compiler()}); {version(valgrind)}; {platform.machine()}; "
        f"PYTHONMALLOC={WORKER_VARIABLES['PYTHONMALLOC']}"
    )
