"""pytest-perfguard: benchmarks as tests, TOML baselines, a gate failing only real regressions.

The public names are imported on first use (PEP 562): pytest imports this package for every
run of every user, and a run without perf tests should not pay for the measuring code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from pytest_perfguard._version import __version__
from pytest_perfguard.errors import PerfguardError

if TYPE_CHECKING:
    from pytest_perfguard.config.settings import SettingsError
    from pytest_perfguard.measure.perf import Perf
    from pytest_perfguard.measure.usage import PerfUsageError
    from pytest_perfguard.model import Measurement
    from pytest_perfguard.store.baseline import BaselineError

__all__ = [
    "BaselineError",
    "Measurement",
    "Perf",
    "PerfUsageError",
    "PerfguardError",
    "SettingsError",
    "__version__",
]

_LAZY = {
    "BaselineError": "pytest_perfguard.store.baseline",
    "Measurement": "pytest_perfguard.model",
    "Perf": "pytest_perfguard.measure.perf",
    "PerfUsageError": "pytest_perfguard.measure.usage",
    "SettingsError": "pytest_perfguard.config.settings",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pytest_perfguard' has no attribute {name!r}")
