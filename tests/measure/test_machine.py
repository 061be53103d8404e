"""The machine identity: hosted CI detection, the host's stamp, names and where they come from."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from pytest_perfguard.config.options import resolve_machine
from pytest_perfguard.config.settings import SettingsError
from pytest_perfguard.judge.compatibility import differences, machine_caveat
from pytest_perfguard.measure.machine import (
    HOSTED_CI,
    current_machine,
    host_identity,
    hosted_ci,
    stamp_path,
)
from pytest_perfguard.model import BaselineEntry, CaveatKind, RunSummary
from tests.measure.test_environment import FP


@pytest.mark.parametrize(("variable", "value", "service"), HOSTED_CI)
def test_each_hosted_ci_service_is_recognised(variable: str, value: str, service: str) -> None:
    assert hosted_ci({variable: value or "1234"}) == service
    assert hosted_ci({variable: (value or "x").upper()}) == service  # Azure says "True"


def test_not_hosted_ci() -> None:
    assert hosted_ci({}) == ""
    assert hosted_ci({"CI": "true"}) == ""  # any tool may set CI: it names no service
    assert hosted_ci({"GITHUB_ACTIONS": "false"}) == ""
    assert hosted_ci({"GITHUB_ACTIONS": "true", "RUNNER_ENVIRONMENT": "self-hosted"}) == ""
    assert hosted_ci({"GITHUB_ACTIONS": "true", "RUNNER_ENVIRONMENT": "github-hosted"})


def test_stamp_path_per_platform(tmp_path: Path) -> None:
    home = tmp_path
    assert stamp_path({}, home, "linux") == home / ".local/state/perfguard/machine-id"
    assert stamp_path({"XDG_STATE_HOME": "/s"}, home, "linux") == Path("/s/perfguard/machine-id")
    mac = home / "Library/Application Support/perfguard/machine-id"
    assert stamp_path({}, home, "darwin") == mac
    assert stamp_path({"LOCALAPPDATA": "C:/L"}, home, "win32") == Path("C:/L/perfguard/machine-id")


def test_the_host_identity_is_stable_once_stamped_and_never_shared_before(tmp_path: Path) -> None:
    stamp = tmp_path / "state" / "perfguard" / "machine-id"
    same = {"hostname": "vm", "system_id": "3d12"}
    # No stamp, not creating one: a machine that never saved, shown the same each run, and
    # unlike any identity a save records.
    unsaved = host_identity(stamp, create=False, **same)
    assert unsaved.startswith("unsaved-") and unsaved == host_identity(stamp, create=False, **same)
    assert not stamp.exists()
    first = host_identity(stamp, create=True, **same)
    assert stamp.exists() and first.startswith("host-") and len(first) == len("host-") + 12
    assert host_identity(stamp, create=False, **same) == first  # after a reboot: the same
    assert host_identity(stamp, create=True, **same) == first  # the stamp is not rewritten
    # A home shared by two hosts, or copied to another: the host's own names still differ.
    assert host_identity(stamp, create=False, hostname="vm2", system_id="3d12") != first
    assert host_identity(stamp, create=False, hostname="vm", system_id="77aa") != first
    # A clone of the image (same hostname and machine-id) without the stamp: another machine.
    other = tmp_path / "clone" / "machine-id"
    assert host_identity(other, create=True, **same) != first


def test_a_stamp_that_cannot_be_written_gives_an_identity_that_matches_nothing(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    stamp = blocked / "perfguard" / "machine-id"
    one = host_identity(stamp, create=True, hostname="vm", system_id="")
    assert one.startswith("host-")
    assert one != host_identity(stamp, create=True, hostname="vm", system_id="")


def test_current_machine_named_or_hosted(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path), "GITLAB_CI": "true"}
    named = current_machine(("box", "option --perf-machine"), create=True, env=env)
    assert (named.name, named.hosted) == ("box", "")  # named: the team vouches for it
    assert not (tmp_path / "perfguard").exists()  # and no stamp is written for it
    host = current_machine(None, create=True, env=env)
    assert host.name.startswith("host-") and host.hosted == "GitLab CI"
    assert (tmp_path / "perfguard" / "machine-id").exists()
    assert os.stat(tmp_path / "perfguard" / "machine-id").st_size == 33


def test_resolve_machine_precedence_and_errors() -> None:
    assert resolve_machine(None, None, None) is None
    assert resolve_machine("", "", "") is None
    assert resolve_machine("cli", "ini", "env") == ("cli", "option --perf-machine")
    assert resolve_machine(None, "ini", "env") == ("env", "environment variable PERFGUARD_MACHINE")
    assert resolve_machine(None, "bench-1", None) == ("bench-1", "ini key perf_machine")
    assert resolve_machine("runner:gpu@rack-2/a+b_c.d", None, None) is not None
    for bad in ("a b", "-x", "x" * 65, "é", "a\n"):
        with pytest.raises(SettingsError, match=r"invalid machine name .* from option --perf-m"):
            resolve_machine(bad, None, None)


def entry(machine: str) -> BaselineEntry:
    run = RunSummary("2026-01-01T00:00:00+00:00", 1000.0, 1.0, 1000.0, 5, 10)
    return BaselineEntry("t.py::t", None, (run,), "3.12", machine)


def test_differences_compare_the_machine_of_the_entry_over_the_file() -> None:
    there = dataclasses.replace(FP, machine="box-a")
    here = dataclasses.replace(FP, machine="box-b")
    assert differences(there, there) == ()
    (caveat,) = differences(there, here)
    assert caveat.texts == {"what": "machine", "old": "box-a", "new": "box-b"}
    assert differences(there, here, entry("box-b")) == ()  # the entry was saved on box-b
    assert differences(here, here, entry("box-a"))  # ... or on box-a, whatever the file says
    # An entry without a machine (saved before machines) is from an unknown one, even after a
    # partial save on this machine wrote this machine into the file's environment.
    (unknown_entry,) = differences(here, here, entry(""))
    assert unknown_entry.texts == {"what": "machine", "old": "", "new": "box-b"}
    unknown = dataclasses.replace(FP, machine="")
    assert differences(unknown, unknown)  # two unknown machines are not the same machine
    hosted = dataclasses.replace(there, hosted="GitHub Actions")
    kinds = [c.kind for c in differences(there, hosted)]
    assert kinds == [CaveatKind.HOSTED_CI]
    assert machine_caveat(there, hosted) == differences(there, hosted)[0]
    assert machine_caveat(there, there) is None
    assert machine_caveat(there, dataclasses.replace(here, cpu_model="x")) == caveat
