"""Which machine this process runs on: the name a user gave it, or the host's own identity.

A stored time verdict counts only on the machine that recorded the baseline, so the identity
must tell two machines apart even where they look alike. The CPU model string does not:
hosted CI runners report a handful of them across thousands of VMs. Neither do /etc/machine-id
and the hostname alone: VMs cloned from one image share both (this project's own VMs all say
"vm" with the same machine-id, written when the image was built). So the default identity also
mixes in a random stamp that perfguard writes into the user's state directory the first time a
baseline is saved there. A fresh VM has no stamp yet, so it is never the machine that recorded
a baseline; a rebooted machine keeps its stamp, so it stays the same machine.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "HOSTED_CI",
    "Machine",
    "current_machine",
    "host_identity",
    "hosted_ci",
    "stamp_path",
]

HOSTED_CI = (
    # (variable, value it has there or "" for any non-empty value, the service's name)
    ("GITHUB_ACTIONS", "true", "GitHub Actions"),
    ("GITLAB_CI", "true", "GitLab CI"),
    ("TF_BUILD", "true", "Azure Pipelines"),
    ("CIRCLECI", "true", "CircleCI"),
    ("BUILDKITE", "true", "Buildkite"),
    ("TRAVIS", "true", "Travis CI"),
    ("APPVEYOR", "true", "AppVeyor"),
    ("BITBUCKET_BUILD_NUMBER", "", "Bitbucket Pipelines"),
    ("CIRRUS_CI", "true", "Cirrus CI"),
    ("SEMAPHORE", "true", "Semaphore"),
    ("CODEBUILD_BUILD_ID", "", "AWS CodeBuild"),
    ("DRONE", "true", "Drone"),
    ("JENKINS_URL", "", "Jenkins"),
    ("TEAMCITY_VERSION", "", "TeamCity"),
)
"""CI services whose jobs usually run on a new VM or container each time, by the variables they
set. A runner a team keeps for itself is named (`--perf-machine`); GitHub's self-hosted runners
say so themselves (RUNNER_ENVIRONMENT=self-hosted) and are not counted as hosted."""


@dataclass(frozen=True, slots=True)
class Machine:
    """The machine a run is measured on."""

    name: str
    """What the baseline records: the name given, or "host-" and 12 hex digits (before this
    machine's first save, "unsaved-" and 12 hex digits, which no baseline records)."""
    source: str
    """Where the name came from: an option, the ini file, the environment, or "host"."""
    hosted: str = ""
    """The hosted CI service this run is a job of, when no machine was named: every job may be
    another VM, so time against stored runs cannot count ("" when not on one, or named)."""


def hosted_ci(env: Mapping[str, str]) -> str:
    """The hosted CI service `env` says this is a job of, or ""."""
    if env.get("GITHUB_ACTIONS") == "true" and env.get("RUNNER_ENVIRONMENT") == "self-hosted":
        return ""
    for variable, value, service in HOSTED_CI:
        given = env.get(variable, "")
        if given and (not value or given.lower() == value):
            return service
    return ""


def stamp_path(env: Mapping[str, str], home: Path, platform: str) -> Path:
    """Where this user's machine stamp lives: the platform's per-user state directory."""
    if platform == "win32":
        base = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_STATE_HOME") or home / ".local" / "state")
    return base / "perfguard" / "machine-id"


def host_identity(stamp: Path, *, create: bool, hostname: str, system_id: str) -> str:
    """The host's identity: "host-" and 12 hex digits of a hash over the stamp, the hostname
    and the system's id.

    A machine that has no stamp yet (it never saved a baseline) is "unsaved-" and a hash of
    its hostname and id: the same from run to run, and never a recorded machine, since a save
    always writes the stamp first. Where the stamp cannot be written, a save records a random
    identity that nothing will match: time is then advisory, never wrongly counted.
    """
    token = _read_stamp(stamp)
    if token is None and create:
        token = _write_stamp(stamp) or "unstamped " + uuid.uuid4().hex
    if token is None:
        return "unsaved-" + _digest(hostname, system_id)
    return "host-" + _digest(token, hostname, system_id)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def current_machine(
    named: tuple[str, str] | None, *, create: bool, env: Mapping[str, str] = os.environ
) -> Machine:
    """This run's machine: `named` as (name, source) when the user named it; otherwise the host,
    with the stamp written first when `create` (a run that saves)."""
    if named is not None:
        return Machine(named[0], named[1])
    name = host_identity(
        stamp_path(env, Path.home(), sys.platform),
        create=create,
        hostname=socket.gethostname(),
        system_id=_system_id(),
    )
    return Machine(name, "host", hosted_ci(env))


def _read_stamp(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def _write_stamp(path: Path) -> str | None:
    """Create the stamp; when another process created it first, theirs is the one."""
    token = uuid.uuid4().hex
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return _read_stamp(path)
    except OSError:
        return None
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(token + "\n")
    return token


def _system_id() -> str:
    """The OS's own machine id where it keeps one (Linux), else ""."""
    for candidate in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            text = Path(candidate).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text:
            return text
    return ""
