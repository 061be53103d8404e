"""The save lock and temporary files of `.perfguard-save/`: lock, clear stale, replace."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

SAVE_DIR = ".perfguard-save"
"""Beside the baseline: the save lock and temporary files, in a directory that git-ignores
itself (a `.gitignore` of `*`, as `.pytest_cache` has), so `git add` never picks them up and no
file of the user's is touched, wherever the baseline lives."""
LOCK_TIMEOUT = 60.0
"""Seconds a save waits for another process's save of the same file (one takes milliseconds)."""


class LockTimeout(Exception):
    """Another process held the save lock for longer than the timeout; the message says so."""


@contextlib.contextmanager
def locked(target: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the OS lock on `target`'s lock file, and clear the temporary files of saves that
    were killed (under the lock, every one left is stale). LockTimeout after `timeout` s.

    The lock file (`.perfguard-save/<name>.lock`) is created once and never removed: removing
    it would let two processes lock two different files of the same name. `fcntl.flock` on
    POSIX, `msvcrt.locking` on Windows; either is released by the OS when its holder dies.
    """
    private = save_dir(target)
    fd = os.open(private / f"{target.name}.lock", os.O_RDWR | os.O_CREAT | _O_BINARY, 0o666)
    try:
        _lock(fd, timeout, target)
        try:
            _remove_stale_temps(target, private)
            yield
        finally:
            unlock(fd)
    finally:
        os.close(fd)


_O_BINARY = getattr(os, "O_BINARY", 0)
_IGNORE_ALL = "# Created by pytest-perfguard: lock and temporary files of baseline saves.\n*\n"


def save_dir(target: Path) -> Path:
    """The directory of `target`'s lock and temporary files, created (with its `.gitignore`)
    if missing."""
    private = target.parent / SAVE_DIR
    private.mkdir(parents=True, exist_ok=True)
    ignore = private / ".gitignore"
    try:
        present = ignore.read_text(encoding="utf-8") == _IGNORE_ALL
    except (OSError, UnicodeDecodeError):
        present = False
    if not present:  # missing, or cut short by a kill: renamed into place whole
        temp = private / f".gitignore.{secrets.token_hex(4)}.tmp"
        temp.write_text(_IGNORE_ALL, encoding="utf-8")
        os.replace(temp, ignore)
    return private


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the current position
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _lock(fd: int, timeout: float, target: Path) -> None:
    deadline = time.monotonic() + timeout
    pause = 0.001
    while not try_lock(fd):
        if time.monotonic() > deadline:
            raise LockTimeout(
                f"another process has been saving it for over {timeout:g} s "
                f"(lock file {target.parent / SAVE_DIR / (target.name + '.lock')}); "
                "nothing was saved",
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _remove_stale_temps(target: Path, private: Path) -> None:
    """Temporary files of earlier saves of `target` that were killed: only perfguard's own
    names. Ours (in `private`) are all stale under the lock; those of perfguard versions that
    wrote them beside the baseline without a lock only once a minute old."""
    own = re.compile(rf"{re.escape(target.name)}\.[0-9a-f]{{8}}\.tmp")
    old = re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{8}}\.tmp")
    now = time.time()
    for folder, pattern, age in ((private, own, 0.0), (target.parent, old, 60.0)):
        for name in os.listdir(folder):
            if pattern.fullmatch(name):
                with contextlib.suppress(OSError):
                    if now - os.stat(folder / name).st_mtime >= age:
                        os.unlink(folder / name)


def replace(target: Path, data: bytes) -> None:
    """Write `data` to a temporary file in the save directory, then rename it over `target`
    (the same filesystem, so the rename is atomic). Call with the save lock held."""
    temp = target.parent / SAVE_DIR / f"{target.name}.{secrets.token_hex(4)}.tmp"
    # O_EXCL never reuses someone else's file; mode 0o666 lets the umask decide, as for any
    # file the user creates.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # else a crash after the rename can leave an empty file
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, stat.S_IMODE(target.stat().st_mode))
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
