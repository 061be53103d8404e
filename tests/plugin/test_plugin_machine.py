"""Stored time verdicts count only on the machine that recorded them (pytester runs)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pytest_perfguard.measure.allocations import load_hooks
from pytest_perfguard.measure.machine import current_machine
from pytest_perfguard.model import Baseline
from pytest_perfguard.store import baseline as storage
from tests.fakes import CONFTEST

FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider")
SUITE = """
from conftest import tick

def helper():
    return object()

def test_time(perf):
    perf(tick, {ns})

def test_counts(perf):
    perf(lambda: (tick(1000), [helper() for _ in range({objects})]))
"""
STEADY = (990.0, 1000.0, 1010.0, 1005.0, 995.0)
NOTE = (
    "note: baseline recorded on machine box-a, this is box-b: time advisory; counts "
    "(allocs/op, B/op, calls/op) still gate; to gate time here, --perf-save on this machine; "
    "for time on changing machines use --perf-compare-ref"
)

needs_counter = pytest.mark.skipif(load_hooks() is None, reason="C extension not built here")


def on(monkeypatch: pytest.MonkeyPatch, machine: str | None) -> None:
    if machine is None:
        monkeypatch.delenv("PERFGUARD_MACHINE")
    else:
        monkeypatch.setenv("PERFGUARD_MACHINE", machine)


def recorded(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, machine: str | None
) -> Path:
    """The suite saved once on `machine` (its real counts), then given five steady saved runs
    of 1 us, as five saves on one machine would leave it."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE.format(ns=1000, objects=1))
    on(monkeypatch, machine)
    pytester.runpytest(*FAST, "--perf-save").assert_outcomes(passed=2)
    path = pytester.path / ".perfguard" / "baseline.toml"
    saved = storage.load(path)
    entries = {}
    for nodeid, entry in saved.entries.items():
        run = entry.runs[-1]
        runs = tuple(
            dataclasses.replace(
                run, timestamp=f"2026-01-0{i + 1}T00:00:00+00:00", median_ns=m, ref_ratio=m / 1000
            )
            for i, m in enumerate(STEADY)
        )
        entries[nodeid] = dataclasses.replace(entry, runs=runs)
    storage.save(path, Baseline(saved.fingerprint, entries))
    return path


def slower_and_allocating(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE.format(ns=2000, objects=2))


def test_a_save_records_the_machine_named_in_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = recorded(pytester, monkeypatch, "box-a")
    saved = storage.load(path)
    assert saved.fingerprint is not None and saved.fingerprint.machine == "box-a"
    assert {e.machine for e in saved.entries.values()} == {"box-a"}
    assert 'machine = "box-a"' in path.read_text()


@needs_counter
def test_on_another_machine_time_is_advisory_and_counts_still_fail(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded(pytester, monkeypatch, "box-a")
    slower_and_allocating(pytester)
    on(monkeypatch, "box-b")
    result = pytester.runpytest(*FAST, "--perf-compare", "--perf-markdown=report.md")
    result.assert_outcomes(passed=1, failed=1)
    assert f"- {NOTE.removeprefix('note: ')}" in (pytester.path / "report.md").read_text()
    result.stdout.fnmatch_lines(
        [
            "*- perfguard: comparison with *baseline.toml -*",
            NOTE,
            "benchmark*baseline*now*",
            "test_suite.py::test_time *1.00 us*2.00 us*+100.0%*regressed (advisory)*",
        ]
    )
    result.stdout.fnmatch_lines(["  allocs/op regressed: *", "  calls/op regressed: *"])
    assert "FAILED test_suite.py::test_counts" in result.stdout.str()


@needs_counter
def test_on_the_recording_machine_time_fails_too(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded(pytester, monkeypatch, "box-a")
    slower_and_allocating(pytester)
    result = pytester.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(failed=2)
    assert "note: baseline recorded" not in result.stdout.str()
    result.stdout.fnmatch_lines(["  time/op regressed: 1.00 us -> 2.00 us*"])


def test_strict_counts_time_from_another_machine_and_says_so(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded(pytester, monkeypatch, "box-a")
    pytester.makepyfile(test_suite=SUITE.format(ns=2000, objects=1))
    on(monkeypatch, "box-b")
    result = pytester.runpytest(*FAST, "--perf-compare", "--perf-strict")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["note: baseline recorded on machine box-a, this is box-b: time counts anyway *"]
    )


def test_the_option_wins_over_the_environment_and_the_ini_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded(pytester, monkeypatch, "box-a")
    pytester.makepyfile(test_suite=SUITE.format(ns=2000, objects=1))
    pytester.makeini("[pytest]\nperf_machine = box-a\n")
    on(monkeypatch, "box-b")  # the environment names this machine: the ini key does not count
    pytester.runpytest(*FAST, "--perf-compare").assert_outcomes(passed=2)
    # The option names the recording machine: time counts again.
    pytester.runpytest(*FAST, "--perf-compare", "--perf-machine", "box-a").assert_outcomes(
        passed=1, failed=1
    )
    on(monkeypatch, None)  # no variable: the ini key names it
    pytester.runpytest(*FAST, "--perf-compare").assert_outcomes(passed=1, failed=1)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("option", "*invalid machine name 'a b' from option --perf-machine: use 1-64 letters*"),
        ("env", "*invalid machine name 'a b' from environment variable PERFGUARD_MACHINE*"),
    ],
)
def test_a_bad_machine_name_is_a_usage_error_naming_its_source(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, source: str, message: str
) -> None:
    pytester.makepyfile(test_x="def test_x(perf):\n    perf(len, 'x')\n")
    if source == "env":
        on(monkeypatch, "a b")
        result = pytester.runpytest(*FAST)
    else:
        result = pytester.runpytest(*FAST, "--perf-machine", "a b")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_on_hosted_ci_with_no_machine_named_stored_time_is_advisory(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded(pytester, monkeypatch, None)  # this host's own identity: the same machine
    pytester.makepyfile(test_suite=SUITE.format(ns=2000, objects=1))
    assert pytester.runpytest(*FAST, "--perf-compare").ret == 1  # same host: time counts
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = pytester.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "note: this is a GitHub Actions job with no machine named, and the next job may run "
            "on another VM: time advisory; counts (allocs/op, B/op, calls/op) still gate; name a "
            "runner you keep with --perf-machine, or compare time with --perf-compare-ref"
        ]
    )
    # A self-hosted runner is a machine the team keeps: its own identity counts.
    monkeypatch.setenv("RUNNER_ENVIRONMENT", "self-hosted")
    assert pytester.runpytest(*FAST, "--perf-compare").ret == 1


def test_the_default_identity_is_this_host_and_a_fresh_one_is_another_machine(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = recorded(pytester, monkeypatch, None)
    saved = storage.load(path)
    assert saved.fingerprint is not None
    assert saved.fingerprint.machine == current_machine(None, create=False).name
    assert saved.fingerprint.machine.startswith("host-")
    # A fresh VM of the same image: same hostname and machine-id, but no stamp yet.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "fresh"))
    pytester.makepyfile(test_suite=SUITE.format(ns=2000, objects=1))
    result = pytester.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(passed=2)
    recorder = saved.fingerprint.machine
    note = f"note: baseline recorded on machine {recorder}, this is unsaved-*"
    result.stdout.fnmatch_lines([note])


def test_a_baseline_without_a_machine_is_from_an_unknown_machine(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = recorded(pytester, monkeypatch, "box-a")
    text = path.read_text()
    path.write_text(text.replace('machine = "box-a"\n', ""))  # as an older perfguard wrote it
    pytester.makepyfile(test_suite=SUITE.format(ns=2000, objects=1))
    result = pytester.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "note: baseline recorded on an unknown machine (the file predates machine names), "
            "this is box-a: time advisory; *"
        ]
    )


def test_saving_on_another_machine_starts_the_runs_again_and_says_so(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = recorded(pytester, monkeypatch, "box-a")
    on(monkeypatch, "box-b")
    result = pytester.runpytest(*FAST, "--perf-save")
    result.stdout.fnmatch_lines(
        [
            "perfguard: saved 2 benchmark(s) to *; 2 benchmarks started their saved runs again, "
            "since runs from another environment never pool (machine: box-a -> box-b), "
            "e.g. test_suite.py::test_counts"
        ]
    )
    saved = storage.load(path)
    assert all(len(e.runs) == 1 and e.machine == "box-b" for e in saved.entries.values())


def test_the_other_project_with_our_import_name_is_named_at_start_up(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    assert "installed beside" not in pytester.runpytest("-q").stdout.str()
    site = pytester.mkdir("site")
    info = site / "pytest_perfguard-0.1.2.dist-info"
    info.mkdir()
    metadata = "Metadata-Version: 2.1\nName: pytest-perfguard\nVersion: 0.1.2\n"
    (info / "METADATA").write_text(metadata)
    monkeypatch.syspath_prepend(str(site))
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "perfguard: pytest-perfguard 0.1.2 is installed beside perfguard *: another project "
            "that installs the same import package, pytest_perfguard, so their files overwrite "
            "each other; pip uninstall pytest-perfguard, then reinstall perfguard"
        ]
    )
