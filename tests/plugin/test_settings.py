"""Parsing, validation and precedence of settings."""

from __future__ import annotations

import pytest

from pytest_perfguard.config.settings import (
    SettingsError,
    marker_settings,
    parse_duration_ns,
    parse_fraction,
    parse_size_bytes,
    session_defaults,
)
from pytest_perfguard.model import BenchSettings


@pytest.mark.parametrize(
    ("text", "ns"),
    [("2ms", 2e6), ("150 us", 150e3), ("1.5s", 1.5e9), ("40ns", 40.0), (0.25, 0.25e9)],
)
def test_durations(text: object, ns: float) -> None:
    assert parse_duration_ns(text) == pytest.approx(ns)


@pytest.mark.parametrize(
    ("text", "size"),
    [("50 MiB", 50 * 1024**2), ("200kB", 200_000), ("1GB", 10**9), (4096, 4096)],
)
def test_sizes(text: object, size: int) -> None:
    assert parse_size_bytes(text) == size


@pytest.mark.parametrize(("text", "fraction"), [("10%", 0.10), ("2.5%", 0.025), (0.3, 0.3)])
def test_fractions(text: object, fraction: float) -> None:
    assert parse_fraction(text) == pytest.approx(fraction)


@pytest.mark.parametrize("bad", [5, "5", "1.5", "-1%", "2000%", "5 pct"])
def test_bad_fractions_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_fraction(bad)


def test_a_bare_number_above_one_shows_both_readings() -> None:
    with pytest.raises(ValueError, match=r"fraction \(1.5 = 150%\); write 1.5% or 0.015"):
        parse_fraction("1.5")


@pytest.mark.parametrize("bad", ["fast", "2 parsecs", "-1s", "0ms", "1e300s", True, None])
def test_bad_durations_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration_ns(bad)


def test_precedence_cli_over_ini_over_default() -> None:
    defaults = session_defaults(
        cli={"max_time": "0.2", "min_rounds": None},
        ini={"max_time": "3", "min_rounds": "9", "warmup": ""},
    )
    assert defaults.max_time == pytest.approx(0.2)  # CLI wins over ini
    assert defaults.min_rounds == 9  # ini wins over default
    assert defaults.warmup == BenchSettings().warmup  # empty ini value: default


def test_marker_wins_over_session_defaults() -> None:
    defaults = BenchSettings(max_time=2.0, min_rounds=9)
    settings = marker_settings(
        defaults, (), {"max_time": 0.1, "group": "sort", "limit_memory": "1 MiB"}, "t.py::t"
    )
    assert settings.max_time == pytest.approx(0.1)
    assert settings.min_rounds == 9
    assert settings.group == "sort"
    assert settings.limit_memory_bytes == 1024**2


def test_alloc_tolerance_is_a_fraction_from_marker_cli_or_ini() -> None:
    assert BenchSettings().alloc_tolerance == 0.0
    defaults = session_defaults(cli={"alloc_tolerance": "5%"}, ini={"alloc_tolerance": "1%"})
    assert defaults.alloc_tolerance == pytest.approx(0.05)
    assert session_defaults(cli={}, ini={"alloc_tolerance": "0.01"}).alloc_tolerance == 0.01
    marked = marker_settings(defaults, (), {"alloc_tolerance": 0.2}, "t.py::t")
    assert marked.alloc_tolerance == pytest.approx(0.2)
    with pytest.raises(SettingsError, match=r"alloc_tolerance='-5%' from option --perf-alloc"):
        session_defaults(cli={"alloc_tolerance": "-5%"}, ini={})
    with pytest.raises(SettingsError, match=r"alloc_tolerance='2 allocs' from @pytest.mark"):
        marker_settings(defaults, (), {"alloc_tolerance": "2 allocs"}, "t.py::t")


def test_errors_name_the_value_and_where_it_came_from() -> None:
    with pytest.raises(SettingsError, match=r"max_time='soon' from option --perf-max-time"):
        session_defaults(cli={"max_time": "soon"}, ini={})
    with pytest.raises(SettingsError, match=r"min_rounds='x' from ini key perf_min_rounds"):
        session_defaults(cli={}, ini={"min_rounds": "x"})
    with pytest.raises(SettingsError, match=r"limit_time='fast' from @pytest.mark.perf on t.py::t"):
        marker_settings(BenchSettings(), (), {"limit_time": "fast"}, "t.py::t")


def test_unknown_and_positional_marker_arguments() -> None:
    with pytest.raises(SettingsError, match=r"unknown keyword max_tme \(known: group, max_time"):
        marker_settings(BenchSettings(), (), {"max_tme": 1}, "t.py::t")
    with pytest.raises(SettingsError, match="keyword arguments only"):
        marker_settings(BenchSettings(), ("sort",), {}, "t.py::t")
