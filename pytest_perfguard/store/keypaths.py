"""Key paths in messages: written as TOML keys, clipped, split into parts, found as a line."""

from __future__ import annotations

import json
import re

import tomli_w


def key(where: str, name: str) -> str:
    """The key path of `name` in the table at `where`, quoted where TOML needs it."""
    part = name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else quote(name)
    return f"{where}.{part}" if where else part


def quote(name: str) -> str:
    """A name as a TOML basic string, control characters escaped and clipped: for messages,
    which stay on one line."""
    return clip(json.dumps(name, ensure_ascii=False), 200)


def clip(text: str, most: int = 200) -> str:
    """`text`, cut to at most `most` characters with "..." where it was cut."""
    return text if len(text) <= most else text[: most - 3] + "..."


def path_of(suffix: str) -> tuple[str | int, ...]:
    """`.runs[2].median_ns` -> ("runs", 2, "median_ns"): a key path's parts after a table."""
    return tuple(
        int(index) if index else name
        for name, index in re.findall(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]", suffix)
    )


def locate(text: str, path: tuple[str | int, ...]) -> int | None:
    """Best effort: the line of a key path in a file laid out as `dumps` writes it (a table
    per benchmark, one per run, a key per line); None where the layout differs."""
    if path[:1] == ("environment",) and len(path) >= 2:
        header, nth, field = "[environment]", 0, path[1]
    elif path[:1] == ("benchmarks",) and len(path) >= 2:
        table = "benchmarks." + _toml_key(str(path[1]))
        if len(path) >= 4 and path[2] == "runs" and isinstance(path[3], int):
            header, nth, field = f"[[{table}.runs]]", path[3], (path[4:5] or ("",))[0]
        else:
            header, nth, field = f"[{table}]", 0, (path[2:3] or ("",))[0]
    else:
        return None
    item = path[-1] if isinstance(path[-1], int) and path[-2] == field else -1
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == header]
    if len(starts) <= nth:
        return None
    start = starts[nth]
    if isinstance(field, str) and field:
        assignment = re.compile(rf"\s*{re.escape(_toml_key(field))}\s*=")
        for i in range(start + 1, len(lines)):
            if lines[i].lstrip().startswith("["):
                break
            if assignment.match(lines[i]):
                # An array is written one item per line: point at the item.
                multiline = lines[i].rstrip().endswith("[") and item >= 0
                return i + 2 + item if multiline and i + 1 + item < len(lines) else i + 1
    return start + 1


def _toml_key(name: str) -> str:
    """A key part as tomli_w writes it (bare where it can be)."""
    if re.fullmatch(r"[A-Za-z0-9_-]+", name):
        return name
    return str(tomli_w.dumps({name: 0}).rsplit(" = ", 1)[0])
