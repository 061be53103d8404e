"""Shared setup of the test process."""

from __future__ import annotations

import pytest

# pytester's in-process runs restore sys.modules when they end, unloading what they imported;
# numpy (under scipy, imported by the first verdict) cannot be loaded twice in one process.
import scipy.stats  # noqa: F401

from tests.fakes import MACHINE


@pytest.fixture(autouse=True)
def _one_machine(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test, and every pytest it runs, is on one named machine, not on a hosted CI job,
    and keeps its machine stamp out of the user's home."""
    from pytest_perfguard.measure.machine import HOSTED_CI

    monkeypatch.setenv("PERFGUARD_MACHINE", MACHINE.name)
    for variable, _, _ in HOSTED_CI:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes over 20 s (a real pass under valgrind)")
