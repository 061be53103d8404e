"""Shared setup of the test process."""

from __future__ import annotations

# pytester's in-process runs restore sys.modules when they end, unloading what they imported;
# numpy (under scipy, imported by the first verdict) cannot be loaded twice in one process.
import scipy.stats  # noqa: F401
