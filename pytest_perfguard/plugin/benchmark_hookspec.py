"""pytest-benchmark's hook specifications, declared so that a conftest implementing them still
loads (pytest refuses unknown `pytest_*` hooks). perfguard never calls them; it says so."""

from __future__ import annotations

import pytest

NAMES = (
    "pytest_benchmark_scale_unit",
    "pytest_benchmark_generate_machine_info",
    "pytest_benchmark_update_machine_info",
    "pytest_benchmark_generate_commit_info",
    "pytest_benchmark_update_commit_info",
    "pytest_benchmark_group_stats",
    "pytest_benchmark_generate_json",
    "pytest_benchmark_update_json",
    "pytest_benchmark_compare_machine_info",
)


@pytest.hookspec(firstresult=True)
def pytest_benchmark_scale_unit(
    config: object, unit: object, benchmarks: object, best: object, worst: object, sort: object
) -> object:
    """pytest-benchmark: scale the table's units."""


@pytest.hookspec(firstresult=True)
def pytest_benchmark_generate_machine_info(config: object) -> object:
    """pytest-benchmark: make machine_info."""


def pytest_benchmark_update_machine_info(config: object, machine_info: object) -> None:
    """pytest-benchmark: change machine_info."""


@pytest.hookspec(firstresult=True)
def pytest_benchmark_generate_commit_info(config: object) -> object:
    """pytest-benchmark: make commit_info."""


def pytest_benchmark_update_commit_info(config: object, commit_info: object) -> None:
    """pytest-benchmark: change commit_info."""


@pytest.hookspec(firstresult=True)
def pytest_benchmark_group_stats(config: object, benchmarks: object, group_by: object) -> object:
    """pytest-benchmark: group the results."""


@pytest.hookspec(firstresult=True)
def pytest_benchmark_generate_json(
    config: object,
    benchmarks: object,
    include_data: object,
    machine_info: object,
    commit_info: object,
) -> object:
    """pytest-benchmark: make the JSON document."""


def pytest_benchmark_update_json(config: object, benchmarks: object, output_json: object) -> None:
    """pytest-benchmark: change the JSON document."""


def pytest_benchmark_compare_machine_info(
    config: object, benchmarksession: object, machine_info: object, compared_benchmark: object
) -> None:
    """pytest-benchmark: compare machine_info with a saved run's."""
