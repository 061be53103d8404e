"""The baseline's node ids never depend on how a path was spelled on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_perfguard.store import baseline as storage

from .fakes import CONFTEST
from .test_plugin_baseline import FAST, STEADY, SUITE, baseline_with


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with its own pytest.ini under pytester.path; pytest is started inside it."""
    root = pytester.mkdir("proj")
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "conftest.py").write_text(CONFTEST)
    (root / "tests").mkdir()
    (root / "tests" / "test_suite.py").write_text(SUITE)
    monkeypatch.chdir(root)
    return root


def outside_baseline(pytester: pytest.Pytester) -> Path:
    path = pytester.mkdir("elsewhere") / "b.toml"
    ids = ("tests/test_suite.py::test_steady", "tests/test_suite.py::test_other")
    storage.save(path, baseline_with(dict.fromkeys(ids, STEADY)))
    return path


def test_a_baseline_outside_the_project_given_apart_cannot_move_the_rootdir(
    pytester: pytest.Pytester, project: Path
) -> None:
    base = outside_baseline(pytester)
    before = base.read_bytes()
    for flags in (("--perf-compare",), ("--perf-save",)):
        result = pytester.runpytest(*FAST, *flags, "--perf-baseline", str(base))
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(
            [
                f"*pytest-perfguard: --perf-baseline {base}: pytest took this value for a test "
                f"path when it chose the rootdir (it does before plugins' options are known): "
                f"rootdir {pytester.path} instead of {project}*; "
                f"write --perf-baseline={base}*"
            ]
        )
    assert base.read_bytes() == before  # no duplicate entries under other node ids
    # One argument never takes part: the benchmarks keep their node ids and are compared.
    result = pytester.runpytest(*FAST, "--perf-compare", f"--perf-baseline={base}")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["tests/test_suite.py::test_steady *unchanged*"])


def test_a_value_given_apart_that_changes_nothing_is_accepted(
    pytester: pytest.Pytester, project: Path
) -> None:
    (project / "perf").mkdir()
    storage.save(
        project / "perf" / "b.toml",
        baseline_with({"tests/test_suite.py::test_steady": STEADY}),
    )
    result = pytester.runpytest(*FAST, "--perf-compare", "--perf-baseline", "perf/b.toml")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["tests/test_suite.py::test_steady *unchanged*"])


def test_values_given_apart_are_found_up_to_a_double_dash() -> None:
    from pytest_perfguard.plugin.rootdir import VALUE_FLAGS, separate_values

    args = ["--perf-json", "r.json", "--perf-baseline=b.toml", "--perf-compare", "tests"]
    args += ["--perf-max-time", "-1", "--", "--perf-markdown", "x.md"]
    assert separate_values(args, VALUE_FLAGS) == [("--perf-json", "r.json")]
    assert {"--perf-baseline", "--perf-markdown", "--perf-keep-runs", "--perf-min-effect"} <= (
        VALUE_FLAGS
    )
