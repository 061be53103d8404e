"""Resolve and validate settings: marker > command line > ini > default, in one place.

Every error names the bad value and where it came from, so a user can find it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.model import BenchSettings


class SettingsError(PerfguardError, ValueError):
    """A setting's value is not valid; the message names the value and its source."""


_DURATION_UNITS = {"ns": 1.0, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9}
_SIZE_UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}
_NUMBER_UNIT = re.compile(r"^\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Zµ%]*)\s*$")

MAX_DURATION_NS = 86_400e9
"""Budgets and deadlines above a day are typos (or overflow), not measurements."""
MAX_TIME_S = 3600.0
"""max_time is seconds of measuring ONE benchmark; above an hour is a typo (ms meant?)."""
MAX_SIZE_BYTES = 1024**5
"""1 PiB: a larger memory budget is a typo, or a float that no integer can hold."""
MAX_ROUNDS = 1_000_000
"""min_rounds run even past max_time, each ~200 us or more: a million take minutes."""
MAX_WARMUP = 10_000
"""Warm-up calls: a few make the 3rd call steady (README: "How time is measured"); thousands
are a typo."""


def _number_and_unit(value: object) -> tuple[float, str]:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a bool")
    if isinstance(value, int | float):
        return float(value), ""
    if isinstance(value, str):
        match = _NUMBER_UNIT.match(value)
        if match:
            return float(match.group(1)), match.group(2)
    raise ValueError(f"expected a number with a unit, got {value!r}")


def _duration_ns(value: object, maximum_ns: float, maximum: str) -> float:
    number, unit = _number_and_unit(value)
    if unit == "":
        number, unit = number, "s"
    if unit not in _DURATION_UNITS:
        raise ValueError(f"unknown time unit {unit!r} (use ns, us, ms or s)")
    ns = number * _DURATION_UNITS[unit]
    if not ns > 0:
        raise ValueError("expected a duration > 0")
    if not ns <= maximum_ns:  # also inf
        raise ValueError(f"expected at most {maximum}")
    return ns


def parse_duration_ns(value: object) -> float:
    """'2ms', '150 us', '1.5s' or a number of seconds -> nanoseconds (> 0, at most a day)."""
    return _duration_ns(value, MAX_DURATION_NS, "1 day")


def parse_size_bytes(value: object) -> int:
    """'50 MiB', '200kB', '1GB' or a number of bytes -> bytes (> 0)."""
    number, unit = _number_and_unit(value)
    key = unit.lower() or "b"
    if key not in _SIZE_UNITS:
        raise ValueError(f"unknown size unit {unit!r} (use B, kB, MB, GB, KiB, MiB or GiB)")
    size = number * _SIZE_UNITS[key]
    if not size > 0:
        raise ValueError("expected a size > 0")
    if not size <= MAX_SIZE_BYTES:  # also inf, which int() cannot convert
        raise ValueError("expected a size up to 1 PiB")
    if int(size) == 0:
        raise ValueError("expected a size of at least 1 byte")
    return int(size)


def parse_fraction(value: object) -> float:
    """'10%' or 0.1 -> 0.1: a percentage up to 1000%, or a bare fraction up to 1.

    A bare number above 1 is refused, not read as a fraction: `5` meant as 5% would silently
    become 500%, a gate that never fails.
    """
    number, unit = _number_and_unit(value)
    if unit == "%":
        number /= 100
    elif unit:
        raise ValueError(f"expected a percentage like '10%', got unit {unit!r}")
    elif number > 1:
        shown = f"{number:g}"
        raise ValueError(
            f"a bare number is a fraction ({shown} = {number * 100:g}%); "
            f"write {shown}% or {number / 100:g}"
        )
    if not 0 <= number <= 10:
        raise ValueError("expected a percentage between 0% and 1000%")
    return number


def parse_seconds(value: object) -> float:
    """'0.5', 0.5 or '500ms' -> seconds (> 0, at most MAX_TIME_S)."""
    return _duration_ns(value, MAX_TIME_S * 1e9, f"{MAX_TIME_S:.0f} s") / 1e9


def parse_count(value: object, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a whole number, got a bool")
    try:
        number = int(value) if isinstance(value, int | str) else None
    except ValueError:
        number = None
    if number is None:
        raise ValueError(f"expected a whole number, got {value!r}")
    if number < minimum:
        raise ValueError(f"expected a whole number >= {minimum}")
    if maximum is not None and number > maximum:
        raise ValueError(f"expected a whole number <= {maximum}")
    return number


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "0", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def parse_allocs(value: object) -> float:
    number, unit = _number_and_unit(value)
    if unit:
        raise ValueError(f"expected a number of allocations per op, got {value!r}")
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    if number < 0:
        raise ValueError("expected a number of allocations >= 0")
    return number


def parse_group(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def parse_scale(value: object) -> str:
    if not isinstance(value, str) or not value.isidentifier():
        raise ValueError(f"expected the name of a parametrize argument, got {value!r}")
    return value


def parse_complexity(value: object) -> str:
    from pytest_perfguard.complexity import class_named

    if not isinstance(value, str):
        raise ValueError(f"expected a complexity class like 'n log n', got {value!r}")
    return class_named(value).name


def parse_exponent(value: object) -> float:
    number, unit = _number_and_unit(value)
    if unit or not 0 < number <= 3:
        raise ValueError(f"expected a rise of the exponent between 0 and 3, got {value!r}")
    return number


@dataclass(frozen=True, slots=True)
class _Key:
    field: str
    parse: Callable[[object], Any]
    configurable: bool = True
    """Also a --perf-X flag and perf_X ini key (not just a marker keyword)."""


_KEYS: dict[str, _Key] = {
    "group": _Key("group", parse_group, configurable=False),
    "max_time": _Key("max_time", parse_seconds),
    "min_rounds": _Key("min_rounds", lambda v: parse_count(v, 1, MAX_ROUNDS)),
    "warmup": _Key("warmup", lambda v: parse_count(v, 0, MAX_WARMUP)),
    "memory": _Key("memory", parse_bool),
    "allocations": _Key("allocations", parse_bool),
    "min_effect": _Key("min_effect", parse_fraction),
    "alloc_tolerance": _Key("alloc_tolerance", parse_fraction),
    # `profile` on the marker; `--perf-profiling` / `perf_profiling` on the command line and in
    # ini files, since `--perf-profile DIR` writes the profiles (config/options.py PATHS).
    "profile": _Key("profile", parse_bool, configurable=False),
    "profiling": _Key("profile", parse_bool),
    "calls_tolerance": _Key("calls_tolerance", parse_fraction),
    # The flag is the session switch --perf-instructions (config/options.py SWITCHES).
    "instructions": _Key("instructions", parse_bool, configurable=False),
    "instructions_tolerance": _Key("instructions_tolerance", parse_fraction),
    "limit_time": _Key("limit_time_ns", parse_duration_ns, configurable=False),
    "limit_memory": _Key("limit_memory_bytes", parse_size_bytes, configurable=False),
    "limit_allocs": _Key("limit_allocs", parse_allocs, configurable=False),
    "scale": _Key("scale", parse_scale, configurable=False),
    "limit_scaling": _Key("limit_scaling", parse_complexity, configurable=False),
    "scale_tolerance": _Key("scale_tolerance", parse_exponent),
    "bytes": _Key("bytes_processed", lambda v: parse_count(v, 1), configurable=False),
    "items": _Key("items_processed", lambda v: parse_count(v, 1), configurable=False),
}

MARKER_KEYWORDS = tuple(name for name in _KEYS if name != "profiling")
CONFIGURABLE = tuple(name for name, key in _KEYS.items() if key.configurable)
assert {key.field for key in _KEYS.values()} == {f.name for f in fields(BenchSettings)}


def _apply(base: BenchSettings, values: Mapping[str, object], source: str) -> BenchSettings:
    changes: dict[str, Any] = {}
    for name, value in values.items():
        key = _KEYS[name]
        try:
            changes[key.field] = key.parse(value)
        except ValueError as exc:
            raise SettingsError(f"invalid {name}={value!r} from {source}: {exc}") from None
    return replace(base, **changes)


def session_defaults(
    cli: Mapping[str, object | None], ini: Mapping[str, object | None]
) -> BenchSettings:
    """Defaults for every benchmark of the run: command line over ini over built-in defaults.

    `cli` and `ini` map configurable names (e.g. "max_time") to the raw value or None (unset).
    """
    settings = BenchSettings()
    for values, source_of in ((ini, "ini key perf_{}"), (cli, "option --perf-{}")):
        for name in CONFIGURABLE:
            value = values.get(name)
            if value is not None and value != "":
                source = source_of.format(name if "ini" in source_of else name.replace("_", "-"))
                settings = _apply(settings, {name: value}, source)
    return settings


def check_marker_arguments(
    source: str, args: tuple[object, ...], kwargs: Mapping[str, object], known: Sequence[str]
) -> None:
    """A marker takes keywords only, each one it knows; SettingsError naming `source`."""
    if args:
        raise SettingsError(
            f"{source}: takes keyword arguments only, got positional {list(args)!r}"
        )
    unknown = sorted(set(kwargs) - set(known))
    if unknown:
        raise SettingsError(
            f"{source}: unknown keyword {', '.join(unknown)} (known: {', '.join(known)})"
        )


def marker_settings(
    defaults: BenchSettings,
    args: tuple[object, ...],
    kwargs: Mapping[str, object],
    test: str,
    *,
    marker: str = "perf",
) -> BenchSettings:
    """Apply a test's `@pytest.mark.perf(...)` keywords over the session defaults (`marker`
    names the marker they came from in errors)."""
    source = f"@pytest.mark.{marker} on {test}"
    check_marker_arguments(source, args, kwargs, MARKER_KEYWORDS)
    settings = _apply(defaults, kwargs, source)
    for limit, switch in (("limit_memory", "memory"), ("limit_allocs", "allocations")):
        if limit in kwargs and not getattr(settings, switch):
            raise SettingsError(
                f"{source}: {limit} needs {switch}=True (the pass that measures it)"
            )
    return settings
