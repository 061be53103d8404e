"""Whether a metric's values were recorded under the same environment as now's (see
MetricSpec.env_field), and if not, the caveat naming what differs: the Python build, valgrind
or the architecture of an instruction count, or the versions of the packages it imported."""

from __future__ import annotations

from collections.abc import Iterable

from pytest_perfguard.measure.packages import changed_packages, split_environment
from pytest_perfguard.metrics import MetricSpec
from pytest_perfguard.model import Caveat, CaveatKind

__all__ = ["PACKAGES_WHAT", "environment_caveats"]

PACKAGES_WHAT = "packages"
"""The caveat's "what" when only the imported packages' versions differ."""


def _caveat(what: str, old: str, new: str) -> Caveat:
    return Caveat(CaveatKind.ENVIRONMENT, texts={"what": what, "old": old, "new": new})


def environment_caveats(
    spec: MetricSpec, runs: Iterable[object], now: object
) -> tuple[Caveat, ...]:
    """Why `spec`'s values in `runs` cannot be compared exactly with `now`'s: recorded under
    another environment (a base that recorded none is unknown), or, the rest the same, with
    other versions of the packages the benchmarks imported (named, old -> new). Runs saved
    before package versions were recorded are compared on the rest."""
    if spec.env_field is None:
        return ()
    current = getattr(now, spec.env_field, None)
    seen = {
        getattr(r, spec.env_field, None) for r in runs if getattr(r, spec.field, None) is not None
    }
    if current is None or None in seen:
        if seen <= {current} and current is not None:
            return ()
        old = "; or ".join(sorted(env or "unknown" for env in seen))
        return (_caveat(spec.env_field, old, current or "unknown"),)
    rest, packages = split_environment(current)
    split = [split_environment(env) for env in sorted(e for e in seen if e is not None)]
    other = sorted({r for r, _ in split if r != rest})
    if other:
        return (_caveat(spec.env_field, "; or ".join(other), rest),)
    if packages is None:
        return ()
    for _, recorded in split:
        if recorded is not None and recorded != packages:
            return (_caveat(PACKAGES_WHAT, *changed_packages(recorded, packages)),)
    return ()
