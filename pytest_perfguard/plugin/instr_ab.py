"""--perf-instructions with --perf-compare-ref: both sides counted the same way, each in a
worker session under callgrind started as the A/B workers of its side are (its tree as the
working directory, its import roots on PYTHONPATH, its interpreter), and the base's counts
added to the base measurements the live comparison reads."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_perfguard.plugin.ab_head import base_interpreter, worker_arguments

if TYPE_CHECKING:
    from pytest_perfguard.ab.run import ABRun
    from pytest_perfguard.ab.worktree import BaseTree
    from pytest_perfguard.model import PairedRun
    from pytest_perfguard.run.instructions import InstructionCounts

__all__ = ["count_both", "with_base_counts"]


def _count_side(
    config: pytest.Config,
    tree: BaseTree,
    interpreter: tuple[str | None, Sequence[Path]],
    nodeids: Sequence[str],
    valgrind: str,
    drop: Sequence[str],
) -> InstructionCounts:
    from pytest_perfguard.ab.controller import tree_pythonpath
    from pytest_perfguard.run.instructions import count_instructions

    python, roots = interpreter
    args = [a for a in worker_arguments(config, tree.rootdir) if a not in drop]
    environ = dict(os.environ)
    environ["PYTHONPATH"] = tree_pythonpath(tree, roots, environ.get("PYTHONPATH", ""))
    return count_instructions(
        nodeids,
        args,
        cwd=tree.rootdir,
        valgrind=valgrind,
        python=python or sys.executable,
        environ=environ,
    )


def count_both(
    config: pytest.Config,
    ab: ABRun,
    nodeids: Sequence[str],
    valgrind: str,
    drop: Sequence[str],
    say: Callable[[str], None],
) -> tuple[InstructionCounts, InstructionCounts]:
    """(head's counts, the base's counts of the `nodeids` it has)."""
    from pytest_perfguard.ab.worktree import BaseTree

    here = BaseTree("the working tree", config.rootpath, None)
    head = _count_side(config, here, (None, ()), nodeids, valgrind, drop)
    _said(say, "", head)
    tree = ab.tree
    shared = [n for n in nodeids if n in ab.base_ids]
    say(f"perfguard: counting instructions of {len(shared)} benchmarks of {tree.label}")
    base = _count_side(config, tree, base_interpreter(config, tree), shared, valgrind, drop)
    _said(say, f" of {tree.label}", base)
    return head, base


def _said(say: Callable[[str], None], side: str, counts: InstructionCounts) -> None:
    failed = f", {len(counts.errors)} n/a" if counts.errors else ""
    say(
        f"perfguard: instructions{side} counted for {len(counts.per_op)} benchmarks{failed} "
        f"in {counts.seconds:.1f} s"
    )


def with_base_counts(counts: InstructionCounts) -> Callable[[str, PairedRun], PairedRun]:
    """PerfSession.amend_base: each paired base measurement with its count (or why none)."""
    from pytest_perfguard.run.instructions import with_instructions

    def amend(nodeid: str, paired: PairedRun) -> PairedRun:
        if paired.base is None:
            return paired
        return replace(paired, base=with_instructions(paired.base, counts, nodeid))

    return amend
