"""A worker's life bound to its parent's: it goes when the controlling pytest goes, however."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

__all__ = ["PARENT_ENV", "die_with_parent"]

PARENT_ENV = "PERFGUARD_AB_PARENT"
"""The controlling process's id, for the worker's check that it is still there."""
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when `parent` ends, even by SIGKILL (Linux's
    PR_SET_PDEATHSIG; elsewhere the worker notices the end of its command pipe instead).
    A parent that ended before this call is noticed at once: then this process exits."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no libc to ask: the pipe's end still tells
            pass
    if os.getppid() != parent:
        os._exit(1)
