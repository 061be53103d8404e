"""The scaling groups in the Markdown report and the step summary: the summary's rows, the
failures, each size's figures (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_perfguard.judge.scaling_groups import GroupResult
from pytest_perfguard.report.gfm import code, table
from pytest_perfguard.report.scaling import HEADER as SCALING_HEADER
from pytest_perfguard.report.scaling import metric_failures, per_size_text, scaling_row

__all__ = ["scaling_markdown"]


def scaling_markdown(groups: Sequence[GroupResult]) -> list[str]:
    """The scaling table (the summary's rows), its failures, then each size's figures."""
    rows = []
    for g in groups:
        for name in g.fits:
            row = scaling_row(g, name)
            row[0] = code(row[0])
            if metric_failures(g, name):
                row[-1] = f"❌ {row[-1]}"
            elif row[-1] == "improved":
                row[-1] = f"✅ {row[-1]}"
            rows.append(row)
    lines = ["#### Scaling: how each group's cost grows with n", ""]
    lines += table(SCALING_HEADER, rows, "lllrlrrl")
    failures = [
        f"- ❌ {code(g.group)}: {f.removeprefix(g.group + ': ')}"
        for g in groups
        for f in g.failures
    ]
    if failures:
        lines += ["", *failures]
    sizes = [f"- {code(g.group)}: {per_size_text(g)}" for g in groups]
    return [*lines, "", "<details><summary>Each size</summary>", "", *sizes, "", "</details>"]
