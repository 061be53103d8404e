"""Same-job A/B on the head side: options, the usage rules, and starting the base worker."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import pytest

from pytest_perfguard.ab.protocol import FDS_ENV

if TYPE_CHECKING:
    from pytest_perfguard.ab.run import ABRun
    from pytest_perfguard.ab.worktree import BaseTree
    from pytest_perfguard.judge.policy import Policy

__all__ = ["add_options", "base_interpreter", "start"]

REF_HELP = (
    "compare with REF measured in this run: a git revision (main, origin/main, a tag, a sha, "
    "HEAD~1) or a directory holding the other version's checkout; rounds of both are paired"
)
PYTHON_HELP = "the interpreter for the base side (one where the base revision is installed)"
PYTHONPATH_HELP = "the base side's import roots, relative to its rootdir (default: ., src)"
PROCESSES = 16
"""Process pairs by default: chosen from benchmarks/ab_figures.py (README, "Same-job A/B")."""
MAX_PROCESSES = 64
TIMEOUT_HELP = (
    "seconds a worker may take to answer one command (run a test up to its rounds, one round, "
    "the passes after them) before it counts as hung: its benchmark is not comparable and the "
    "worker is replaced (default: 20x the benchmark's max_time, at least 60)"
)
PROCESSES_HELP = (
    f"pairs of worker processes (head, base) the rounds of each benchmark are spread over, to "
    f"measure how much processes of the same code differ (default {PROCESSES})"
)

# Head's options that the base session must not see: A/B itself, outputs, saving, comparing.
_DROP_VALUES = frozenset(
    {
        "--perf-compare-ref",
        "--perf-ref-python",
        "--perf-ab-processes",
        "--perf-ab-timeout",
        "--perf-json",
        "--perf-markdown",
        "--perf-html",
        "--perf-baseline",
        "--perf-keep-runs",
        "-n",
        "--numprocesses",
        "--dist",
        "--rootdir",
        "--basetemp",
        "--junitxml",
        "--junit-xml",
    }
)
_DROP_FLAGS = frozenset(
    {"--perf-compare", "--perf-save", "--perf-strict", "--perf-warn-only", "--perf-allow-new"}
)


def add_options(parser: pytest.Parser, group: pytest.OptionGroup) -> None:
    group.addoption("--perf-compare-ref", dest="perf_compare_ref", metavar="REF", help=REF_HELP)
    parser.addini("perf_compare_ref", REF_HELP, default=None)
    group.addoption("--perf-ref-python", dest="perf_ref_python", metavar="PATH", help=PYTHON_HELP)
    parser.addini("perf_ref_python", PYTHON_HELP, default=None)
    parser.addini("perf_ref_pythonpath", PYTHONPATH_HELP, type="paths", default=[])
    group.addoption(
        "--perf-ab-processes", dest="perf_ab_processes", metavar="N", help=PROCESSES_HELP
    )
    parser.addini("perf_ab_processes", PROCESSES_HELP, default=None)
    group.addoption(
        "--perf-ab-timeout", dest="perf_ab_timeout", metavar="SECONDS", help=TIMEOUT_HELP
    )
    parser.addini("perf_ab_timeout", TIMEOUT_HELP, default=None)


def in_worker() -> bool:
    """This process is a base worker: it never starts A/B, compares or saves itself."""
    return FDS_ENV in os.environ


def worker_arguments(config: pytest.Config, base_root: Path) -> list[str]:
    """Head's arguments for the base session: the same selection and settings; absolute paths
    into head's tree moved into the base tree; then the worker's own."""
    head_root = config.rootpath.resolve()
    out: list[str] = []
    skip = False
    for arg in config.invocation_params.args:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in _DROP_VALUES:
            skip = "=" not in arg
            continue
        if name in _DROP_FLAGS:
            continue
        path = Path(arg)
        if path.is_absolute() and head_root in (path, *path.parents):
            arg = str(base_root / path.relative_to(head_root))
        out.append(arg)
    return [*out, "-p", "no:cacheprovider", "-p", "no:xdist", "--perf-only", "-q"]


def start(config: pytest.Config, policy: Policy) -> ABRun | None:
    """The A/B run of this session, or None when REF is not given (or this is a worker)."""
    ref = config.getoption("perf_compare_ref") or config.getini("perf_compare_ref")
    if not ref or in_worker():
        return None
    if config.getoption("perf_compare", None) or config.getini("perf_compare"):
        raise pytest.UsageError(
            "pytest-perfguard: --perf-compare-ref measures REF in this run; --perf-compare "
            "compares with a saved baseline: use one of them"
        )
    if getattr(config.option, "numprocesses", None) or hasattr(config, "workerinput"):
        raise pytest.UsageError(
            "pytest-perfguard: --perf-compare-ref pairs rounds of two processes on one CPU; "
            "run it serially (without -n)"
        )
    from pytest_perfguard.ab.controller import Worker
    from pytest_perfguard.ab.run import ABRun
    from pytest_perfguard.ab.rundir import RunDir, remove_stale
    from pytest_perfguard.ab.worktree import BaseTree, open_base, repository_top
    from pytest_perfguard.config.options import resolve_count
    from pytest_perfguard.config.settings import SettingsError

    try:
        processes = resolve_count(
            config.getoption("perf_ab_processes"),
            config.getini("perf_ab_processes"),
            "ab_processes",
            MAX_PROCESSES,
            PROCESSES,
        )
        within = _resolve_timeout(config)
    except SettingsError as exc:
        raise pytest.UsageError(f"pytest-perfguard: {exc}") from None
    say = _writer(config)
    for stale in remove_stale(repository_top(config.rootpath)):
        say(f"perfguard: removed {stale}, left by an A/B run that was killed")
    _interrupt_on_sigterm(config)  # first: a cancel while workers start must stop them too
    started = time.monotonic()
    run_dir = RunDir()
    try:
        tree = open_base(str(ref), config.rootpath, config.invocation_params.dir, run_dir.tree)
    except BaseException:
        run_dir.close()
        raise
    python, roots = base_interpreter(config, tree)
    # The head side runs in workers too, started the same way: the controlling process
    # differs from a worker (its heap, its plugins), and that showed as a steady bias.
    here = BaseTree("the working tree", config.rootpath, None)
    base_args = worker_arguments(config, tree.rootdir)
    head_args = worker_arguments(config, here.rootdir)
    say(
        f"perfguard: A/B with {tree.label}: starting {2 * processes} workers "
        f"({processes} process pairs)"
    )
    bases: list[Worker] = []
    heads: list[Worker] = []
    head_root = config.rootpath
    try:
        for i in range(processes):  # only the first base worker's other passes are read
            base_log, head_log = run_dir.new_log("base"), run_dir.new_log("head")
            bases.append(
                Worker(tree, base_args, python, head_root, roots, log=base_log, passes=i == 0)
            )
            heads.append(
                Worker(here, head_args, None, head_root, log=head_log, passes=False, side="head")
            )
    except BaseException:
        for worker in (*bases, *heads):
            worker.kill()
        tree.remove()
        run_dir.close()
        raise
    run = ABRun(tree, bases, heads, policy, run_dir, answer_within=within, started=started)
    config.add_cleanup(run.close)  # cleanups run last-in first: before the handler goes
    config.pluginmanager.register(_Lifecycle(run), "perfguard-ab-lifecycle")
    return run


def base_interpreter(config: pytest.Config, tree: BaseTree) -> tuple[str | None, list[Path]]:
    """The base side's interpreter (None: this one) and import roots (--perf-ref-python,
    perf_ref_pythonpath), roots given under head's rootdir moved into the base tree."""
    python = config.getoption("perf_ref_python") or config.getini("perf_ref_python") or None
    roots = [Path(p) for p in config.getini("perf_ref_pythonpath")]
    roots = [tree.rootdir / p.relative_to(config.rootpath) if p.is_absolute() else p for p in roots]
    return python, roots


def _resolve_timeout(config: pytest.Config) -> float | None:
    from pytest_perfguard.config.settings import SettingsError, parse_seconds

    cli, ini = config.getoption("perf_ab_timeout"), config.getini("perf_ab_timeout")
    for value, source in ((cli, "option --perf-ab-timeout"), (ini, "ini key perf_ab_timeout")):
        if value is not None and value != "":
            try:
                return parse_seconds(value)
            except ValueError as exc:
                raise SettingsError(f"invalid ab_timeout={value!r} from {source}: {exc}") from None
    return None


def _writer(config: pytest.Config) -> Callable[[str], None]:
    """A line to the terminal, as pytest writes its own (nothing under -p no:terminal)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return lambda line: None
    return reporter.write_line  # type: ignore[no-any-return]


class _Lifecycle:
    """The A/B run's part in the session's hooks: say when the workers are ready, ask them to
    end as soon as the tests have run, and kill them at once on a cancel."""

    def __init__(self, run: ABRun) -> None:
        self.run = run

    def pytest_report_collectionfinish(self, config: pytest.Config) -> list[str]:
        run = self.run
        if run.ready_s is None:
            return []
        workers = 2 * run.processes
        return [
            f"perfguard: {workers} A/B workers ready in {run.ready_s:.1f} s; "
            f"{len(run.shared)} benchmarks pair with {run.tree.label}"
        ]

    def pytest_keyboard_interrupt(self) -> None:
        self.run.cancel()

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        self.run.quit()


def _interrupt_on_sigterm(config: pytest.Config) -> None:
    """Let SIGTERM (a CI job cancelled or timed out) end the session as Ctrl-C does, so the
    workers stop and the worktree is removed; by default it ends Python at once, leaving both.
    A handler the user or another plugin installed is left alone."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt("SIGTERM")

    def restore() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, interrupt)
    config.add_cleanup(restore)
