"""An A/B run's temporary directory (the base worktree, the workers' logs), and the removal of
those that runs killed before their cleanup left behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pytest_perfguard.store.locking import try_lock, unlock

__all__ = ["PREFIX", "RunDir", "remove_stale"]

PREFIX = "perfguard-ab-"
OWNER = "owner.lock"
"""Locked by the run for its whole life. The OS lets go of the lock when the process ends,
however it ends: a directory whose lock can be taken belongs to no live run. A directory of
someone else's never has one, so a name alone never gets anything removed."""


class RunDir:
    """This run's directory in the temporary directory: `tree` (the base worktree of a git
    REF) and one log per worker, kept only for workers that failed."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=PREFIX))
        self._fd: int | None = os.open(self.path / OWNER, os.O_RDWR | os.O_CREAT, 0o600)
        try_lock(self._fd)  # a new file: nobody else holds it
        self._logs = 0

    @property
    def tree(self) -> Path:
        return self.path / "tree"

    def new_log(self, name: str) -> Path:
        self._logs += 1
        return self.path / f"{name}-{self._logs}.log"

    def close(self, keep: Iterable[Path] = ()) -> None:
        """Remove the directory, but for the logs in `keep` (and then the lock goes first,
        so that no later run takes them for a killed run's). Idempotent."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        kept = {Path(p) for p in keep}
        with contextlib.suppress(OSError):
            unlock(fd)
            os.close(fd)
        if not kept:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        for entry in self.path.iterdir():
            if entry not in kept:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        entry.unlink()


def _stale(folder: Path) -> bool:
    """Perfguard's, and no live run holds it."""
    if not folder.name.startswith(PREFIX) or folder.is_symlink():
        return False
    try:
        fd = os.open(folder / OWNER, os.O_RDWR)
    except OSError:
        return False
    try:
        if not try_lock(fd):
            return False
        unlock(fd)
        return True
    finally:
        os.close(fd)


def _ours(folder: Path) -> bool:
    """Made by this user (the temporary directory may be shared)."""
    getuid = getattr(os, "getuid", None)
    return getuid is None or folder.stat().st_uid == getuid()


def _git(top: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(top), *args], capture_output=True, text=True, check=False
    )


def remove_stale(top: Path | None) -> list[Path]:
    """Remove what killed A/B runs left: their directories in the temporary directory, and
    their worktrees registered in the git repository at `top` (wherever the temporary
    directory was then), then `git worktree prune`. Returns the directories removed."""
    found: set[Path] = set()
    if top is not None:
        listed = _git(top, "worktree", "list", "--porcelain").stdout
        for line in listed.splitlines():
            if line.startswith("worktree "):
                tree = Path(line.removeprefix("worktree "))
                if tree.name == "tree" and _stale(tree.parent):
                    found.add(tree.parent)
    with contextlib.suppress(OSError):
        temp = Path(tempfile.gettempdir())
        found.update(
            entry
            for entry in temp.iterdir()
            if entry.name.startswith(PREFIX) and entry.is_dir() and _ours(entry) and _stale(entry)
        )
    for folder in sorted(found):
        if top is not None and (folder / "tree").exists():
            _git(top, "worktree", "remove", "--force", str(folder / "tree"))
        shutil.rmtree(folder, ignore_errors=True)
    if top is not None and found:
        _git(top, "worktree", "prune")
    return sorted(found)
