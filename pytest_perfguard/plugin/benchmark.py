"""pytest-benchmark's names on perfguard: the `benchmark` fixture and marker, the `--benchmark-*`
options and pytest-benchmark's JSON file, so existing suites run unchanged.

Registered by `hooks.py` as the plugin "perfguard-benchmark" once every initial plugin and
conftest is loaded, and only when neither pytest-benchmark nor pytest-codspeed is active: those
own these names, and perfguard never takes them over (`-p no:benchmark` hands them to
perfguard; `-p no:perfguard-benchmark` keeps perfguard off them). The pure part is
`pytest_perfguard.compat`; its measuring code is imported by the first benchmark test.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest

from pytest_perfguard.compat.options import OPTIONS, flag
from pytest_perfguard.compat.translate import Translation, translate
from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.plugin.benchmark_hookspec import NAMES as HOOK_NAMES
from pytest_perfguard.plugin.session import FIXTURE_KEY, SESSION_KEY, SETTINGS_KEY, PerfSession

if TYPE_CHECKING:
    from pytest_perfguard.compat.fixture import BenchmarkFixture
    from pytest_perfguard.compat.stats import NodeInfo

PLUGIN_NAME = "perfguard-benchmark"
RIVALS = {"benchmark": "pytest_benchmark", "codspeed": "pytest_codspeed"}
"""Plugins that own the `benchmark` names (plugin name: package)."""

RIVAL_KEY = pytest.StashKey[str]()
COMPAT_KEY = pytest.StashKey["CompatSession"]()

PERF_DESTS = (
    "perf_off",
    "perf_max_time",
    "perf_min_rounds",
    "perf_save",
    "perf_compare",
    "perf_warn_only",
    "perf_allow_new",
    "perf_baseline",
    "perf_min_effect",
)
"""perfguard options a pytest-benchmark option can set (when not given themselves)."""


def rival(pluginmanager: pytest.PytestPluginManager) -> str | None:
    """The name of an active plugin that owns the `benchmark` fixture, or None."""
    for name, plugin in pluginmanager.list_name_plugin():
        if plugin is None:  # a name blocked with -p no:NAME
            continue
        module = getattr(plugin, "__name__", "") or ""
        for rival_name, package in RIVALS.items():
            if name == rival_name or module == package or module.startswith(package + "."):
                return rival_name
    return None


def register(config: pytest.Config) -> None:
    """Take pytest-benchmark's names unless another plugin owns them (then remember which)."""
    manager = config.pluginmanager
    if manager.is_blocked(PLUGIN_NAME) or manager.has_plugin(PLUGIN_NAME):
        return
    owner = rival(manager)
    if owner is not None:
        config.stash[RIVAL_KEY] = owner
        return
    manager.register(sys.modules[__name__], PLUGIN_NAME)


def rival_header(config: pytest.Config) -> list[str]:
    owner = config.stash.get(RIVAL_KEY, None)
    if owner is None:
        return []
    package = RIVALS[owner].replace("_", "-")
    return [
        f"perfguard: {package} is active and runs the `benchmark` tests; to measure them with "
        f"perfguard (its engine, baseline and gate), run with -p no:{owner}"
    ]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("benchmark", "pytest-benchmark's options, read by pytest-perfguard")
    for name, keywords in OPTIONS.items():
        text = keywords.get("help", "").replace("%", "%%")
        group.addoption(flag(name), dest=f"benchmark_{name}", **{**keywords, "help": text})


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_perfguard.plugin import benchmark_hookspec

    pluginmanager.add_hookspecs(benchmark_hookspec)


def pytest_configure(config: pytest.Config) -> None:
    # Before hooks.py's pytest_configure (trylast), which reads the perfguard options set here.
    config.addinivalue_line(
        "markers",
        "benchmark(**keywords): pytest-benchmark's marker, measured by pytest-perfguard; "
        "keywords: group, max_time, min_rounds (others accepted, unused)",
    )
    values = {name: config.getoption(f"benchmark_{name}") for name in OPTIONS}
    given = {dest: config.getoption(dest) is not None for dest in PERF_DESTS}
    translation = translate(values, given)
    for dest, value in translation.perf.items():
        setattr(config.option, dest, value)
    if translation.json is not None and not hasattr(config, "workerinput"):
        from pytest_perfguard.run.outputs import prepare_output

        try:
            prepare_output(config.invocation_params.dir / translation.json, "--benchmark-json")
        except PerfguardError as exc:
            raise pytest.UsageError(f"pytest-perfguard: {exc}") from None
    compat = CompatSession(config, translation)
    config.stash[COMPAT_KEY] = compat
    config.pluginmanager.register(compat, PLUGIN_NAME + "-session")


def _hook_users(config: pytest.Config) -> dict[str, str]:
    """pytest-benchmark hooks implemented by conftests or plugins: {"where: hook": hook}."""
    found = {}
    for name in HOOK_NAMES:
        for impl in getattr(config.pluginmanager.hook, name).get_hookimpls():
            where = getattr(impl.plugin, "__file__", None) or impl.plugin_name
            found[f"{where}: {name}"] = name
    return found


def _hooks_line(users: list[str]) -> str:
    return "perfguard: pytest-benchmark's hooks are not supported and never called: " + ", ".join(
        users
    )


def _info(item: pytest.Item) -> NodeInfo:
    from pytest_perfguard.compat.stats import NodeInfo

    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return NodeInfo(item.name, item.nodeid)
    return NodeInfo(item.name, item.nodeid, callspec.id, dict(callspec.params))


def _set_group(item: pytest.Item, group: str | None) -> None:
    item.stash[SETTINGS_KEY] = replace(item.stash[SETTINGS_KEY], group=group)


@pytest.fixture
def benchmark(request: pytest.FixtureRequest) -> BenchmarkFixture:
    """pytest-benchmark's `benchmark` fixture, measured by perfguard: `benchmark(fn, *args,
    **kwargs)`, `benchmark.pedantic(...)`, `group`, `extra_info`, `stats`."""
    from pytest_perfguard.compat.fixture import BenchmarkFixture

    session: PerfSession = request.config.stash[SESSION_KEY]
    item = request.node
    if "perf" in getattr(item, "fixturenames", ()):
        pytest.fail(
            f"{item.nodeid}: uses both the perf and the benchmark fixture; one measurement per "
            "test, so use one of them",
            pytrace=False,
        )
    if SETTINGS_KEY not in item.stash:  # requested by request.getfixturevalue()
        item.stash[SETTINGS_KEY] = session.state.defaults
    fixture = BenchmarkFixture(
        session.context(item), _info(item), functools.partial(_set_group, item)
    )
    item.stash[FIXTURE_KEY] = fixture
    return fixture


@pytest.fixture
def benchmark_weave(benchmark: BenchmarkFixture) -> Any:
    """pytest-benchmark's aspectlib patching: not supported (using it fails with a message)."""
    return benchmark.weave


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if call.when != "call":
        return report
    session: PerfSession = item.config.stash[SESSION_KEY]
    if item.nodeid not in session.state.measured:
        return report
    from pytest_perfguard.compat.document import node_extras

    fixture = item.stash.get(FIXTURE_KEY, None)
    extra_info = getattr(fixture, "extra_info", None) or {}
    # Plain JSON types: pytest serializes report attributes for xdist.
    report.perfguard_benchmark = node_extras(_info(item), extra_info)
    return report


class CompatSession:
    """The session's hooks for pytest-benchmark's names: header, skips, pytest-benchmark's file."""

    def __init__(self, config: pytest.Config, translation: Translation) -> None:
        self.config = config
        self.translation = translation
        self.extras: dict[str, dict[str, Any]] = {}
        """Per node id: name, fullname, param, params, extra_info (plain JSON values)."""
        self.told_hooks: set[str] = set()
        self.written: list[str] = []

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        lines = list(self.translation.header)
        users = sorted(_hook_users(config))
        if users:
            self.told_hooks.update(users)
            lines.append(_hooks_line(users))
        return lines

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if self.translation.only:
            skip = pytest.mark.skip(reason="Skipping non-benchmark (--benchmark-only active).")
            for item in items:
                if SETTINGS_KEY not in item.stash:
                    item.add_marker(skip)
        elif self.translation.skip:
            skip = pytest.mark.skip(reason="Skipping benchmark (--benchmark-skip active).")
            for item in items:
                if SETTINGS_KEY in item.stash:
                    item.add_marker(skip)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        extras = getattr(report, "perfguard_benchmark", None)
        if report.when == "call" and extras is not None:
            self.extras[report.nodeid] = extras

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        translation = self.translation
        saving = translation.save is not None and translation.storage is not None
        if hasattr(self.config, "workerinput") or (translation.json is None and not saving):
            return
        from pytest_perfguard.compat import document

        perf: PerfSession = self.config.stash[SESSION_KEY]
        cwd = self.config.invocation_params.dir
        now = datetime.now(timezone.utc)
        commit = document.commit_info(cwd)
        machine = document.machine_info(perf.state.gate.fingerprint)
        results = perf.state.in_order()
        created = now.isoformat()
        files = []
        if translation.json is not None:
            doc = document.document(results, self.extras, machine, commit, created)
            files.append((cwd / translation.json, doc, "--benchmark-json"))
        if translation.save is not None and translation.storage is not None and results:
            name = translation.save or document.autosave_name(commit, now)
            doc = document.document(
                results, self.extras, machine, commit, created, translation.save_data
            )
            path = document.storage_file(cwd / translation.storage, name)
            files.append((path, doc, "pytest-benchmark's saved run"))
        for path, doc, what in files:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(document.render(doc), encoding="utf-8")
            except OSError as exc:
                perf.state.errors.append(f"could not write {what} {path}: {exc.strerror or exc}")
                if session.exitstatus == pytest.ExitCode.OK:
                    session.exitstatus = pytest.ExitCode.TESTS_FAILED
            else:
                self.written.append(f"perfguard: wrote {what} to {path}")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        late = sorted(set(_hook_users(self.config)) - self.told_hooks)
        if late:
            terminalreporter.write_line(_hooks_line(late))
        for line in self.written:
            terminalreporter.write_line(line)
