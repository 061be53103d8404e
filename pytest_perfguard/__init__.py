"""pytest-perfguard: benchmarks as tests, TOML baselines, a gate failing only real regressions."""

from __future__ import annotations

from pytest_perfguard._version import __version__
from pytest_perfguard.config.settings import SettingsError
from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.measure.perf import Perf, PerfUsageError
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
