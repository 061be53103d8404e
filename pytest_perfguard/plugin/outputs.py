"""Where a session's reports and profiles go: resolved from the flags and ini keys, and checked
(parents created) before anything runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_perfguard.config import options
from pytest_perfguard.run.outputs import prepare_output

__all__ = ["ReportPaths", "prepare", "resolve"]


@dataclass(frozen=True, slots=True)
class ReportPaths:
    """The session's output paths (None: not written)."""

    json: Path | None = None
    markdown: Path | None = None
    html: Path | None = None
    profile_dir: Path | None = None
    """--perf-profile: where each benchmark's .pstats file goes."""


def resolve(config: pytest.Config, base_worker: bool) -> ReportPaths:
    """Command-line paths are relative to where pytest was started, ini ones to the rootdir. An
    A/B base worker writes none: head's page and profiles hold both sides."""
    cwd, root = config.invocation_params.dir, config.rootpath
    json = options.resolve_output_path(config.getoption("perf_json"), cwd)
    markdown = options.resolve_output_path(config.getoption("perf_markdown"), cwd)
    if base_worker:
        return ReportPaths(json, markdown)
    profile_dir = options.resolve_output_path(
        config.getoption("perf_profile"), cwd, config.getini("perf_profile"), root
    )
    html = options.resolve_output_path(
        config.getoption("perf_html"), cwd, config.getini("perf_html"), root
    )
    return ReportPaths(json, markdown, html, profile_dir)


def prepare(paths: ReportPaths, config: pytest.Config) -> None:
    """Check every output path and create its parents, naming the flag or ini key at fault."""
    html = "--perf-html" if config.getoption("perf_html") else "ini key perf_html"
    for output, source in (
        (paths.json, "--perf-json"),
        (paths.markdown, "--perf-markdown"),
        (paths.html, html),
    ):
        if output is not None:
            prepare_output(output, source)
    if paths.profile_dir is not None:
        from pytest_perfguard.run.profiles import prepare_profile_dir

        source = options.profile_dir_source(config.getoption("perf_profile"))
        prepare_profile_dir(paths.profile_dir, source)
