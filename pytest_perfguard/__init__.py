"""pytest-perfguard: benchmarks as tests, TOML baselines, a gate failing only real regressions."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from pytest_perfguard.bench import Perf
from pytest_perfguard.model import Measurement

try:
    __version__ = version("pytest-perfguard")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["Measurement", "Perf", "__version__"]
