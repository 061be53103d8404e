"""The base worker of same-job A/B: a pytest session in the base tree that runs perf tests on
the controller's command, its rounds paired with head's (see `ab/`).

Loaded with `-p pytest_perfguard.plugin.ab_worker` by the controller, which passes the pipe
ends in the environment. The worker answers each RUN with CALIBRATED once its benchmark is
ready for rounds (or DONE at once when it has none), then ELAPSED for each ROUND, and DONE with
its measurement and outcome after FINISH (`ab.protocol.Verb`). A test's teardown waits for the
next command, so module and session fixtures live as long as they would in a plain run. The
worker dies with the controlling process (`ab.lifetime`), and ends its session when its
command pipe closes.
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

import pytest
from _pytest.runner import call_and_report

from pytest_perfguard.ab.controller import HEAD_ROOT_ENV, TIMING_ONLY_ENV
from pytest_perfguard.ab.lifetime import PARENT_ENV, die_with_parent
from pytest_perfguard.ab.protocol import FDS_ENV, Channel, ChannelClosed, Verb
from pytest_perfguard.ab.rounds import RemoteTiming
from pytest_perfguard.plugin.session import SESSION_KEY, SETTINGS_KEY, PerfSession
from pytest_perfguard.store import codec

CHANNEL_KEY = pytest.StashKey[Channel]()
ENDED_KEY = pytest.StashKey[bool]()
"""Set when the controller said QUIT or went away: the session's end is nobody's to read."""
PADDING_KEY = pytest.StashKey[list[object]]()
UNCOLLECTED_KEY = pytest.StashKey["_Uncollected"]()


def random_padding(rng: random.Random) -> list[object]:
    """Blocks of random sizes to keep for the worker's life, made before the tests are
    collected: everything allocated after them lands at other offsets in the heap's pages
    and pools in each worker. Without it every worker of one side lays its data out alike
    (same code, same allocations), so a layout that happens to be slow for one side can be
    shared by all its workers, which no number of process pairs averages away (the A/A
    figures before and after it are in the README)."""
    big = bytearray(rng.randrange(16, 1 << 16))  # from malloc's heap
    small = [bytes(rng.randrange(1, 513)) for _ in range(rng.randrange(256))]  # its pools
    return [big, *small]


def pytest_configure(config: pytest.Config) -> None:
    if PARENT_ENV in os.environ:
        die_with_parent(int(os.environ[PARENT_ENV]))
    read_fd, write_fd = (int(fd) for fd in os.environ[FDS_ENV].split(","))
    config.stash[CHANNEL_KEY] = Channel.from_fds(read_fd, write_fd)
    config.stash[PADDING_KEY] = random_padding(random.Random())
    config.stash[UNCOLLECTED_KEY] = _Uncollected()
    config.pluginmanager.register(config.stash[UNCOLLECTED_KEY], "perfguard-ab-uncollected")


class _Uncollected:
    """Notes what the worker's session could not collect, a line each."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = [line.strip() for line in report.longreprtext.splitlines() if line.strip()]
            last = text[-1].removeprefix("E ").strip() if text else "failed"
            self.lines.append(f"{report.nodeid or '.'}: {last}")


def foreign_imports(head: Path, base: Path) -> list[str]:
    """Modules loaded from head's tree that the base tree has too: the base side would run
    head's code (asv shipped exactly this bug). perfguard itself is the tool, not the code."""
    found = []
    for name, module in sorted(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file or name.split(".")[0] in ("pytest_perfguard", "_perfguard_allocount"):
            continue
        path = Path(file).resolve()
        if head not in path.parents or base in path.parents:
            continue
        twin = base / path.relative_to(head)
        if twin.exists():
            found.append(f"{name} from {path}, not {twin}")
    return found


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool:
    config = session.config
    channel = config.stash[CHANNEL_KEY]
    head = Path(os.environ[HEAD_ROOT_ENV]).resolve()
    foreign = foreign_imports(head, config.rootpath.resolve())
    if foreign:
        channel.send(
            Verb.ERROR,
            text="imported the code under test from head's tree instead of its own: "
            + "; ".join(foreign[:3])
            + " (put the base tree first on the path: perf_ref_pythonpath, or install the "
            "base revision into another interpreter and pass --perf-ref-python)",
        )
        return True
    uncollected = config.stash[UNCOLLECTED_KEY].lines
    if uncollected:
        channel.send(Verb.ERROR, text="could not collect " + "; ".join(uncollected[:3]))
        return True
    # Nobody reads a worker's terminal report: without its reporter, plugins' end-of-session
    # summaries (hypothesis imports itself for one: 0.5 s a worker) are not made. A worker
    # that dies still leaves its error in its log: Python and pytest then write to stderr.
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:  # None under -p no:terminal
        config.pluginmanager.unregister(reporter)
    items = {item.nodeid: item for item in session.items if SETTINGS_KEY in item.stash}
    if os.environ.get(TIMING_ONLY_ENV):  # nobody reads this worker's other passes
        for each in items.values():
            each.stash[SETTINGS_KEY] = replace(
                each.stash[SETTINGS_KEY], allocations=False, memory=False, profile=False
            )
    channel.send(Verb.COLLECTED, nodeids=list(items))
    perf_session: PerfSession = config.stash[SESSION_KEY]
    loops: list[int | None] = [None]  # head's calls per round for the test being run
    perf_session.timing_for = lambda nodeid, settings: RemoteTiming(channel, loops[0])
    pending: pytest.Item | None = None
    try:
        while True:
            message = channel.receive()
            match message.verb:
                case Verb.QUIT:
                    break
                case Verb.RUN:
                    pending = _run(message.fields, items, pending, channel, perf_session, loops)
                case Verb.ROUND | Verb.FINISH:  # only while a test's rounds run
                    raise RuntimeError(f"worker: {message.verb.value!r} out of turn")
                case Verb.COLLECTED | Verb.CALIBRATED | Verb.ELAPSED | Verb.DONE | Verb.ERROR:
                    raise RuntimeError(f"worker: {message.verb.value!r} is a worker's word")
                case _:
                    _unreachable(message.verb)
    except (ChannelClosed, BrokenPipeError):  # the controller is gone: end the session
        pass
    if pending is not None:
        _teardown(pending, None)
    config.stash[ENDED_KEY] = True
    return True


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Once the session's fixtures are torn down (pytest's own sessionfinish, which runs
    before this one), a worker told to quit exits at once. What pytest would still do, other
    plugins' end of session and unconfigure, a final garbage collection (pytest 9 runs
    several) and Python's shutdown, cost up to 0.1 s of CPU a worker that 32 workers paid on
    two cores at the end of every run, and nobody reads a worker's end."""
    if session.config.stash.get(ENDED_KEY, False):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _run(
    fields: dict[str, object],
    items: dict[str, pytest.Item],
    pending: pytest.Item | None,
    channel: Channel,
    perf_session: PerfSession,
    loops: list[int | None],
) -> pytest.Item | None:
    """Run one test on RUN (after the previous one's teardown), answer DONE; the test to tear
    down at the next command."""
    nodeid = str(fields["nodeid"])
    given = fields.get("loops")
    loops[0] = given if isinstance(given, int) else None
    item = items.get(nodeid)
    if pending is not None:
        _teardown(pending, item)
    if item is None:
        error = f"{nodeid} is not a perf test of the base tree"
        channel.send(Verb.DONE, passed=False, error=error, measurement=None)
        return None
    reports = [call_and_report(item, "setup", log=False)]
    if reports[0].passed:
        reports.append(call_and_report(item, "call", log=False))
    failed = [r for r in reports if r.failed]
    measured = perf_session.state.measured.get(nodeid)
    channel.send(
        Verb.DONE,
        passed=not failed,
        error=_error_line(failed[0]) if failed else None,
        measurement=None if measured is None else codec.measurement_to_dict(measured.measurement),
    )
    return item


def _unreachable(verb: NoReturn) -> NoReturn:
    """mypy checks that the dispatch above names every Verb."""
    raise AssertionError(f"unhandled {verb!r}")


def _teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    call_and_report(item, "teardown", log=False, nextitem=nextitem)
    # As pytest's own protocol does: let the fixture values go.
    if hasattr(item, "_request"):
        item._request = False
        item.funcargs = None  # type: ignore[attr-defined]


def _error_line(report: pytest.TestReport) -> str:
    """The error of a failed base test in a line: its message, where pytest has one."""
    where = f"{report.when} of {report.nodeid}"
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if isinstance(message, str) and message.strip():
        return f"{where}: {message.strip().splitlines()[0]}"
    lines = [line.strip() for line in report.longreprtext.splitlines() if line.strip()]
    return f"{where}: {lines[-1]}" if lines else f"{where} failed"
