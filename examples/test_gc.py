"""Garbage collection: allocation-heavy and cyclic code with the cyclic GC on, frozen and off.

Go tunes its collector with GOGC; CPython frees most objects at once by reference counting, and
its cyclic GC runs after every 700 net container allocations. Young collections are cheap; full
ones walk every tracked object in the process, so a large long-lived heap (caches, loaded data:
here a 100,000-object fixture) makes allocation-heavy code pay for it. In the summary, group
"records": with GC on, gc/op shows ~80 collections per op and the time is ~7x that of GC off
(about 48 ms vs 7 ms here); `gc.freeze()`, which moves the long-lived heap to a permanent
generation the collector never scans, brings it to ~2x while still collecting. That cost comes
in lumps (a full collection every few ops), and a median of rounds hides a lump that lands in
one op of ten: each op here builds enough records to trigger full collections itself. Group
"cycles": parent/child cycles are freed only by the collector. GC off is not reliably faster
here (from equal to ~30% faster over our runs: fresh memory for the leaked trees costs about
what the collections did) and keeps every tree alive until someone collects: the test checks
retained blocks/op. Turning GC off defers the cost; it does not remove it, which is why
perfguard measures with GC on.

Time of "cycles[off]" depends on the host more than on the code: every op leaks its trees, so
it is mostly the cost of fresh pages from the OS (page faults, the VM's memory), which differs
between machines of one kind: on another VM it read 223 us -> 492 us for the same code. Its
time verdict is a lesson in why stored time counts only on the machine that recorded it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

RECORDS = 30_000
HEAP = 100_000


@pytest.fixture(scope="module")
def long_lived_heap() -> Iterator[list[list[int]]]:
    # Built once per module, outside any measurement: the application's long-lived objects.
    heap = [[i] for i in range(HEAP)]
    yield heap
    del heap


@pytest.fixture(params=["on", "frozen", "off"])
def gc_mode(request: pytest.FixtureRequest, long_lived_heap: list[list[int]]) -> Iterator[str]:
    was_enabled = gc.isenabled()
    gc.collect()
    if request.param == "frozen":
        gc.freeze()  # everything alive now, the heap included, is never scanned again
    elif request.param == "off":
        gc.disable()
    yield request.param
    # Restore the state for the tests that follow, whatever happened in the test.
    gc.unfreeze()
    if was_enabled:
        gc.enable()
    gc.collect()


def build_records(n: int) -> list[tuple[int, list[int]]]:
    # Every record is a container that survives the call's young collections.
    return [(i, [i]) for i in range(n)]


@pytest.mark.perf(group="records")
def test_records(perf, gc_mode, long_lived_heap):
    records = perf(build_records, RECORDS)
    assert len(records) == RECORDS
    assert records[-1] == (RECORDS - 1, [RECORDS - 1])
    assert len(long_lived_heap) == HEAP
    if gc_mode == "off" and perf.measurement is not None:  # None under --perf-off
        assert perf.measurement.gc_collections_per_op == 0


class Node:
    __slots__ = ("children", "parent")

    def __init__(self, parent: Node | None) -> None:
        self.parent = parent  # child -> parent and parent -> child: a reference cycle
        self.children: list[Node] = []
        if parent is not None:
            parent.children.append(self)


def build_tree(size: int) -> int:
    root = Node(None)
    nodes = [root]
    for i in range(1, size):
        nodes.append(Node(nodes[(i - 1) // 4]))
    return len(root.children)  # the whole tree becomes garbage on return, but only the GC sees it


@pytest.fixture(params=["on", "off"])
def gc_switch(request: pytest.FixtureRequest) -> Iterator[str]:
    was_enabled = gc.isenabled()
    if request.param == "off":
        gc.disable()
    yield request.param
    if was_enabled:
        gc.enable()
    gc.collect()  # free the cycles left behind while the collector was off


@pytest.mark.perf(group="cycles")
def test_cycles(perf, gc_switch):
    assert perf(build_tree, 1_000) == 4
    measured = perf.measurement  # None under --perf-off
    retained = None if measured is None else measured.retained_blocks_per_op
    if gc_switch == "off" and retained is not None:
        # Without the collector every tree stays in memory: ~2,000 blocks per op.
        assert retained > 1_000
