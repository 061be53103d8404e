"""The base side's tree: a temporary detached git worktree of REF, or a directory given as REF."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pytest_perfguard.errors import PerfguardError

__all__ = ["BaseTree", "RefError", "open_base", "repository_top"]


class RefError(PerfguardError):
    """REF cannot give a base tree; the message says why and what to do."""


@dataclass
class BaseTree:
    """Where the base side runs: `rootdir` corresponds to the head session's rootdir."""

    ref: str
    rootdir: Path
    sha: str | None
    """Short commit id, or None where REF is a directory."""
    _remove: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return f"{self.ref} ({self.sha})" if self.sha else self.ref

    def remove(self) -> None:
        """Remove a worktree made for this run (idempotent; a directory REF is left alone)."""
        remove, self._remove = self._remove, None
        if remove is not None:
            remove()


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False
    )


def repository_top(path: Path) -> Path | None:
    """The top of the git repository holding `path`; None outside one (or without git)."""
    try:
        found = _git(path, "rev-parse", "--show-toplevel")
    except OSError:
        return None
    return Path(found.stdout.strip()).resolve() if found.returncode == 0 else None


def open_base(ref: str, rootdir: Path, invocation_dir: Path, where: Path) -> BaseTree:
    """The base tree for REF: a directory holding the other version's checkout, or a git
    revision checked out as a detached worktree at `where` (a new path in the run's
    directory; removed by `BaseTree.remove`). Raises RefError naming REF and the problem."""
    rootdir = rootdir.resolve()
    top = repository_top(rootdir)
    inside = rootdir.relative_to(top) if top is not None else Path()

    as_dir = (invocation_dir / ref).resolve()
    if as_dir.is_dir():
        if as_dir in (rootdir, top):
            raise RefError(
                f"--perf-compare-ref {ref}: that directory is the tree under test itself; give "
                "the other version's checkout, or a git revision such as HEAD~1 or main"
            )
        base = as_dir / inside
        if not base.is_dir():
            raise RefError(f"--perf-compare-ref {ref}: {base} does not exist in that checkout")
        return BaseTree(ref, base, None)

    if top is None:
        raise RefError(
            f"--perf-compare-ref {ref}: not a directory, and {rootdir} is not in a git "
            "repository, so it cannot be a revision"
        )
    found = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0:
        shallow = _git(top, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
        hint = (
            "; this clone is shallow: fetch the history (actions/checkout with "
            "`fetch-depth: 0`, or `git fetch --unshallow`)"
            if shallow
            else "; name a branch, tag or commit of this repository, or a directory"
        )
        raise RefError(f"--perf-compare-ref {ref}: no such revision in {top}{hint}")
    sha = found.stdout.strip()
    tree = where
    made = _git(top, "worktree", "add", "--detach", "--quiet", str(tree), sha)
    if made.returncode != 0:
        shutil.rmtree(tree, ignore_errors=True)
        raise RefError(
            f"--perf-compare-ref {ref}: git could not check it out: {made.stderr.strip()}"
        )

    def remove() -> None:
        _git(top, "worktree", "remove", "--force", str(tree))
        shutil.rmtree(tree, ignore_errors=True)
        _git(top, "worktree", "prune")

    return BaseTree(ref, tree / inside, sha[:12], remove)
