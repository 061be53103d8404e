"""The versions of the installed packages a test session imported, recorded with instruction
counts (a changed dependency changes them), and the compact text they are kept as: the last
part of an environment string, "...; packages: attrs 23.2.0, cattrs 23.2.3"."""

from __future__ import annotations

import importlib.metadata
import re
import sys
import sysconfig
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path

__all__ = [
    "PACKAGES",
    "changed_packages",
    "imported_packages",
    "join_environment",
    "packages_text",
    "split_environment",
]

PACKAGES = "packages: "
"""The prefix of the packages' part of an environment string."""
NONE = "none"
"""The packages' part when the session imported no installed package."""
_OWN_MODULE = "pytest_perfguard"
"""The measuring tool's own distribution (whatever it is named) and what it requires (psutil,
which its load probe imports) are not the benchmarks' dependencies."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _tool(owners: Mapping[str, list[str]], requires: Callable[[str], list[str] | None]) -> set[str]:
    """Normalized names of perfguard's distribution and of the ones it requires."""
    own = set(owners.get(_OWN_MODULE, ()))
    names = {_normal(d) for d in own}
    for dist in own:
        try:
            needs = requires(dist) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        names.update(_normal(m.group()) for r in needs if (m := _NAME.match(r)))
    return names


def _site_dirs() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    return tuple(Path(paths[k]).resolve() for k in ("purelib", "platlib") if k in paths)


def _in_project(module: object, root: Path | None, site: tuple[Path, ...]) -> bool:
    """The project's own code (under its root, not in an environment's site-packages): its
    version is the code under test, not a dependency (an editable install of it included)."""
    file = getattr(module, "__file__", None)
    if root is None or not file:
        return False
    path = Path(file).resolve()
    return path.is_relative_to(root) and not any(path.is_relative_to(s) for s in site)


def imported_packages(
    before: Collection[str],
    *,
    modules: Mapping[str, object] | None = None,
    root: Path | None = None,
    distributions: Callable[
        [], Mapping[str, list[str]]
    ] = importlib.metadata.packages_distributions,
    version: Callable[[str], str] = importlib.metadata.version,
    requires: Callable[[str], list[str] | None] = importlib.metadata.requires,
) -> dict[str, str]:
    """Distribution name -> version of every installed package whose top-level module was
    imported after `before` (top-level names loaded before the session's conftests and test
    files: pytest and its plugins), leaving out the project's own code under `root`, perfguard
    and what it requires. Standard-library modules belong to no distribution."""
    modules = sys.modules if modules is None else modules
    site = _site_dirs()
    owners = distributions()
    tool = _tool(owners, requires)
    found: dict[str, str] = {}
    for name in sorted({m.partition(".")[0] for m in modules} - set(before)):
        module = modules.get(name)
        if _in_project(module, root, site):
            continue
        for dist in owners.get(name, ()):
            if _normal(dist) in tool or dist in found:
                continue
            try:
                found[dist] = version(dist)
            except importlib.metadata.PackageNotFoundError:
                continue
    return dict(sorted(found.items(), key=lambda kv: kv[0].lower()))


def packages_text(packages: Mapping[str, str]) -> str:
    """The packages' part of an environment string: "packages: attrs 23.2.0, cattrs 23.2.3"."""
    return PACKAGES + (", ".join(f"{d} {v}" for d, v in packages.items()) or NONE)


def join_environment(environment: str, packages: Mapping[str, str] | None) -> str:
    """`environment` with the packages' part appended (unchanged when none were recorded)."""
    if packages is None:
        return environment
    return f"{environment}; {packages_text(packages)}"


def split_environment(environment: str) -> tuple[str, dict[str, str] | None]:
    """(the rest, the packages by name) of an environment string; None: none recorded."""
    rest, sep, tail = environment.rpartition("; " + PACKAGES)
    if not sep:
        return environment, None
    if tail == NONE:
        return rest, {}
    pairs = (item.strip().rpartition(" ") for item in tail.split(","))
    return rest, {d: v for d, _, v in pairs if d}


def _listed(names: Iterable[str], packages: Mapping[str, str]) -> str:
    return ", ".join(f"{n} {packages.get(n, '(not imported)')}" for n in names)


def changed_packages(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[str, str]:
    """The packages whose versions differ, as (old, new) texts: "attrs 23.1.0" and
    "attrs 23.2.0"; a package only one side imported reads "(not imported)" on the other."""
    names = sorted((n for n in old.keys() | new.keys() if old.get(n) != new.get(n)), key=str.lower)
    return _listed(names, old), _listed(names, new)
