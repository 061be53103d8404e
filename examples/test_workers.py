"""Worker pools and pipelines: throughput of a batch of small tasks on threads.

Go's lesson: a fixed pool of workers fed through a channel, in chunks rather than one job per
send, keeps all cores busy. CPython adds the GIL: threads run Python bytecode one at a time, so
only work that releases the GIL (I/O waits, hashing or compressing large buffers) overlaps.
The executor and the pipeline threads are created by fixtures, outside the measured call; each
op processes one batch of 64 tasks with 2 workers. In the summary, group "python tasks"
(GIL-bound) shows the serial loop fastest and one future per task the slowest (submission and
hand-off per task). Group "wait tasks" (a 0.2 ms sleep standing in for I/O) shows every pooled
version about 2x faster than serial. Group "sha256 tasks" (64 KiB blocks, GIL released) can
gain only with a free core: during our runs other jobs kept this 2-core machine busy and
chunked matched serial. Allocation counting is switched off here (`allocations=False`): it
covers the calling thread only, and how often that thread wakes to collect results depends on
scheduling, so its count changes from run to run and would gate on noise.

Their time depends on the host more than on the code: how soon the OS wakes a sleeping thread
and hands it a core differs between machines of one kind (the "wait" group read 58-184% slower
on another VM, for the same code), so only the machine that recorded the baseline can judge it.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

WORKERS = 2
BATCH = 64


def python_task(seed: int) -> int:
    # Pure Python: holds the GIL the whole time.
    total = 0
    for i in range(200):
        total += (seed * i) % 7
    return total


BLOCK = bytes(range(256)) * 256  # 64 KiB


def sha256_task(seed: int) -> int:
    # hashlib releases the GIL while hashing buffers over 2 KiB.
    return hashlib.sha256(BLOCK).digest()[seed % 32]


def wait_task(seed: int) -> int:
    # Stands in for I/O (a socket, a disk read): the thread sleeps without the GIL.
    time.sleep(0.0002)
    return seed * 2


TASKS = {"python": python_task, "sha256": sha256_task, "wait": wait_task}

# Time on threads follows the host's scheduler, which the saved runs cannot fully show. Hashing
# on threads is as fast as the number of cores other jobs leave free: on a shared 2-core runner
# the parallel versions lose their whole speed-up (2x) when the other core is taken, whatever
# the code. An A/A session failed sha256 benchmarks once in 10 compare runs and a CI run beside
# another job saw +104%, so only a tripling counts for that group. Hand-offs and wake-ups take
# as long as the host takes to run a waiting thread: one future per task measured 22% faster
# in A/A compare runs than in the five saved runs before them, which agreed within 2.4%. So
# the other groups gate on +50%.
MIN_EFFECT = {"python": "50%", "wait": "50%", "sha256": "200%"}
SEEDS = list(range(BATCH))


def serial(task: Callable[[int], int], _pool: object, _pipe: object) -> list[int]:
    return [task(s) for s in SEEDS]


def future_per_task(task: Callable[[int], int], pool: ThreadPoolExecutor, _pipe: object):
    return list(pool.map(task, SEEDS))


def chunked(task: Callable[[int], int], pool: ThreadPoolExecutor, _pipe: object) -> list[int]:
    # Go's chunkSize := len(data) / numWorkers: one future per worker, not per task.
    def run(chunk: list[int]) -> list[int]:
        return [task(s) for s in chunk]

    size = len(SEEDS) // WORKERS
    chunks = [SEEDS[i : i + size] for i in range(0, len(SEEDS), size)]
    return [r for part in pool.map(run, chunks) for r in part]


class Pipeline:
    """Long-lived worker threads reading (index, seed) jobs from a queue, like Go's channel."""

    def __init__(self, task: Callable[[int], int], workers: int) -> None:
        self._task = task
        self._jobs: queue.SimpleQueue[tuple[int, int] | None] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            index, seed = job
            self._results.put((index, self._task(seed)))

    def run(self, seeds: list[int]) -> list[int]:
        for job in enumerate(seeds):
            self._jobs.put(job)
        out = [0] * len(seeds)
        for _ in seeds:
            index, result = self._results.get()
            out[index] = result
        return out

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()


def queue_pipeline(task: Callable[[int], int], _pool: object, pipe: Pipeline) -> list[int]:
    return pipe.run(SEEDS)


STRATEGIES = [serial, future_per_task, chunked, queue_pipeline]


@pytest.fixture(scope="module")
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=WORKERS) as executor:
        yield executor


@pytest.fixture(params=list(TASKS))
def task_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def pipe(task_name: str) -> Iterator[Pipeline]:
    pipeline = Pipeline(TASKS[task_name], WORKERS)
    yield pipeline
    pipeline.close()


def cases() -> list[object]:
    return [
        pytest.param(
            name,
            strategy,
            id=f"{name}-{strategy.__name__}",
            marks=pytest.mark.perf(
                group=f"{name} tasks", allocations=False, min_effect=MIN_EFFECT[name]
            ),
        )
        for name in TASKS
        for strategy in STRATEGIES
    ]


@pytest.mark.parametrize("task_name, strategy", cases(), indirect=["task_name"])
def test_batch(perf, task_name, strategy, pool, pipe):
    task = TASKS[task_name]
    expected = [task(s) for s in SEEDS]
    assert perf(strategy, task, pool, pipe) == expected
