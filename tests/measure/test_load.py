"""The other processes' share of the machine while a benchmark is timed."""

from __future__ import annotations

import time

import pytest

from pytest_perfguard.measure import load
from pytest_perfguard.measure.load import CpuTimes


def test_share_is_the_others_busy_time_over_the_interval_capacity() -> None:
    before = CpuTimes(10.0, 100.0, 5.0, 2)
    # 1 s on 2 CPUs: 1.6 CPU-s busy, 0.9 of them ours, so others took 0.7 of 2.0.
    after = CpuTimes(11.0, 101.6, 5.9, 2)
    assert load.others_share(before, after) == pytest.approx(0.35)


def test_share_is_clipped_and_absent_where_it_cannot_be_told() -> None:
    before = CpuTimes(0.0, 0.0, 0.0, 2)
    # Tick rounding can make our own time exceed the machine's busy time: no negative share.
    assert load.others_share(before, CpuTimes(1.0, 0.5, 0.6, 2)) == 0.0
    assert load.others_share(before, CpuTimes(1.0, 5.0, 0.0, 2)) == 1.0
    assert load.others_share(before, CpuTimes(0.05, 0.1, 0.0, 2)) is None  # under 10 ticks
    assert load.others_share(None, CpuTimes(1.0, 1.0, 0.0, 2)) is None
    assert load.others_share(before, None) is None


def test_reading_counts_this_process_in_its_own_time() -> None:
    before = load.read()
    # Spin until this process has used 0.2 s of CPU (however busy the machine is), not for a
    # wall-clock time: on a loaded machine 0.3 s of wall time can be far less CPU time.
    start, deadline = time.process_time(), time.monotonic() + 30
    while time.process_time() - start < 0.2 and time.monotonic() < deadline:
        pass
    after = load.read()
    assert before is not None and after is not None and after.cpus >= 1
    assert after.own_s - before.own_s >= 0.1  # the busy loop is ours...
    assert after.busy_s - before.busy_s >= 0.1  # ...and the machine saw it busy
