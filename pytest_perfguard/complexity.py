"""The complexity classes a scaling fit chooses from, by the names users write them with."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CLASSES", "Complexity", "class_named"]


@dataclass(frozen=True, slots=True)
class Complexity:
    name: str
    """As written in reports and in `limit_scaling`: "1", "log n", "n", "n log n", "n^2", "n^3"."""
    f: Callable[[float], float]
    power: int
    """The polynomial degree: a full step up is a higher power (n -> n log n is not one)."""


CLASSES: tuple[Complexity, ...] = (
    Complexity("1", lambda n: 1.0, 0),
    Complexity("log n", lambda n: math.log2(n), 0),
    Complexity("n", lambda n: n, 1),
    Complexity("n log n", lambda n: n * math.log2(n), 1),
    Complexity("n^2", lambda n: n * n, 2),
    Complexity("n^3", lambda n: n * n * n, 3),
)

_ALIASES = {
    "o(1)": "1",
    "logn": "log n",
    "nlogn": "n log n",
    "n**2": "n^2",
    "n**3": "n^3",
    "n2": "n^2",
    "n3": "n^3",
    "n²": "n^2",
    "n³": "n^3",
}


def class_named(name: str) -> Complexity:
    """The class `name` names ("n log n", "O(n^2)", "n**2", ...); ValueError otherwise."""
    key = " ".join(name.strip().lower().split())
    if key.startswith("o(") and key.endswith(")"):
        key = key[2:-1].strip()
    key = _ALIASES.get(key, _ALIASES.get(key.replace(" ", ""), key))
    for c in CLASSES:
        if c.name == key:
            return c
    names = ", ".join(repr(c.name) for c in CLASSES)
    raise ValueError(f"unknown complexity class {name!r}: use one of {names}")
