"""GitHub-flavoured Markdown building blocks: code spans safe in table cells, and tables."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["code", "row", "table"]


def code(text: str) -> str:
    """`text` as an inline code span that is safe inside a table cell.

    A fence longer than any backtick run inside keeps backticks literal; pipes are escaped
    because GFM splits table cells on them even inside code spans.
    """
    text = text.replace("\r", " ").replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


def row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> list[str]:
    """A GFM table; `align` has one letter per column: l (text) or r (figures)."""
    rule = ["---:" if a == "r" else "---" for a in align]
    return [row(header), row(rule), *(row(r) for r in rows)]
