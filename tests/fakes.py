"""Shared fakes: a clock for unit tests, and a conftest with a fake clock for pytester runs."""

from __future__ import annotations

from pytest_perfguard.measure.machine import Machine

MACHINE = Machine("test-machine", "environment variable PERFGUARD_MACHINE")
"""The machine tests run on: conftest.py names it in PERFGUARD_MACHINE for every test."""

CONFTEST = """
import pytest
from pytest_perfguard.measure.engine import Engine
from pytest_perfguard.plugin.session import SESSION_KEY

class Clock:
    now = 0
    def __call__(self):
        return Clock.now

def tick(ns):
    Clock.now += ns

@pytest.fixture(autouse=True)
def _fake_clock(request):
    # A fake clock: a benchmark "takes" exactly what it ticks, a reference unit 1000 ns.
    request.config.stash[SESSION_KEY].engine = Engine(clock=Clock(), reference=lambda: tick(1000))
"""


class FakeClock:
    """A clock that moves only when the code under test says so."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now

    def advance(self, ns: int) -> None:
        self.now += ns
