"""The plugin module pytest loads: options, the marker, configuration and the `perf` fixture.

Kept cheap to import: every pytest run of every user loads it. The measuring code is imported
by the first perf test, the verdict (and scipy) by the first comparison, the baseline file's
code when comparing or saving, and the renderers when there is something to report.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import pytest

from pytest_perfguard.config import options
from pytest_perfguard.config.settings import CONFIGURABLE, MARKER_KEYWORDS
from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.model import DEFAULT_KEEP
from pytest_perfguard.plugin.ab_head import add_options as add_ab_options
from pytest_perfguard.plugin.configure import open_session
from pytest_perfguard.plugin.rootdir import check_rootdir
from pytest_perfguard.plugin.session import SESSION_KEY, WITH_BENCHMARK, PerfSession

if TYPE_CHECKING:
    from pytest_perfguard.measure.perf import Perf


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("perfguard", "performance benchmarks (pytest-perfguard)")
    for name, text in options.SWITCHES.items():
        flag = "--perf-" + name.replace("_", "-")
        group.addoption(flag, dest=f"perf_{name}", action="store_true", default=None, help=text)
        parser.addini(f"perf_{name}", text, type="bool", default=False)
    for name in CONFIGURABLE:
        text = options.SETTING_HELP[name]
        flag = "--perf-" + name.replace("_", "-")
        group.addoption(flag, dest=f"perf_{name}", metavar="VALUE", help=text.replace("%", "%%"))
        parser.addini(f"perf_{name}", text, default=None)
    for name, text in options.PATHS.items():
        group.addoption(f"--perf-{name}", dest=f"perf_{name}", metavar="PATH", help=text)
    parser.addini("perf_baseline", options.PATHS["baseline"], default=None)
    parser.addini("perf_profile", options.PATHS["profile"], default=None)
    parser.addini("perf_html", options.PATHS["html"], default=None)
    group.addoption(
        "--perf-machine", dest="perf_machine", metavar="NAME", help=options.MACHINE_HELP
    )
    parser.addini("perf_machine", options.MACHINE_HELP, default=None)
    add_ab_options(parser, group)
    keep = f"runs kept per benchmark in the baseline file (default {DEFAULT_KEEP})"
    group.addoption("--perf-keep-runs", dest="perf_keep_runs", metavar="N", help=keep)
    parser.addini("perf_keep_runs", keep, default=None)


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> Generator[None, None, None]:
    # pytest-benchmark's names (plugin/benchmark.py) are taken only when no other plugin owns
    # them; that is known once -p plugins, entry points and the initial conftests are loaded.
    yield
    from pytest_perfguard.plugin import benchmark

    benchmark.register(early_config)


def pytest_report_header(config: pytest.Config) -> list[str]:
    from pytest_perfguard.plugin import benchmark

    return benchmark.rival_header(config)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "perf(**keywords): measure this test as a benchmark (pytest-perfguard); keywords: "
        + ", ".join(MARKER_KEYWORDS),
    )
    try:
        if not hasattr(config, "workerinput"):  # an xdist worker's rootdir is the controller's
            check_rootdir(config)
        session = open_session(config)
    except PerfguardError as exc:
        raise pytest.UsageError(f"pytest-perfguard: {exc}") from None
    if not hasattr(config, "workerinput"):
        _say_if_shadowed(config)
    if config.pluginmanager.has_plugin("perfguard-benchmark"):
        session.names = WITH_BENCHMARK
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "perfguard-session")


def _say_if_shadowed(config: pytest.Config) -> None:
    """One line at start-up when the other project with our import name is installed too."""
    from pytest_perfguard._version import DISTRIBUTION, __version__, same_import_name

    other = same_import_name()
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if other is not None and reporter is not None:
        reporter.write_line(
            f"perfguard: {other} is installed beside {DISTRIBUTION} {__version__}: another "
            "project that installs the same import package, pytest_perfguard, so their files "
            f"overwrite each other; pip uninstall {other.split()[0]}, then reinstall "
            f"{DISTRIBUTION}"
        )


@pytest.fixture
def perf(request: pytest.FixtureRequest) -> Perf:
    """Measure one call (`perf(fn, *args, setup=, teardown=)`) or a loop (`perf.loop()`)."""
    session: PerfSession = request.config.stash[SESSION_KEY]
    return session.make_perf(request.node)
