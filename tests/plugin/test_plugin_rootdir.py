"""The baseline's node ids never depend on how a path was spelled on the command line, and a
comparison that compared nothing fails instead of passing."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_perfguard.store import baseline as storage
from tests.fakes import CONFTEST

from .test_plugin_baseline import FAST, STEADY, SUITE, baseline_with, write_baseline


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


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_a_comparison_that_compared_nothing_fails_the_run(suite: pytest.Pytester) -> None:
    path = write_baseline(suite, baseline_with({"proj/test_suite.py::test_steady": STEADY}))
    before = path.read_bytes()
    result = suite.runpytest(*FAST, "--perf-compare", "--perf-save")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "perfguard: error: --perf-compare compared nothing: none of the 2 measured "
            f"benchmarks is in the baseline {path} (1 entries, e.g. "
            "proj/test_suite.py::test_steady), so nothing could fail. If the node ids moved "
            "(another rootdir, moved or renamed tests), fix that; for the first run of a new "
            "suite, pass --perf-allow-new",
            "perfguard: baseline not updated: --perf-compare compared nothing",
        ]
    )
    assert path.read_bytes() == before


def test_allow_new_passes_the_first_run_of_a_new_suite(suite: pytest.Pytester) -> None:
    write_baseline(suite, baseline_with({"other/test_x.py::test_x": STEADY}))
    result = suite.runpytest(*FAST, "--perf-compare", "--perf-allow-new")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    assert "compared nothing" not in result.stdout.str()
    suite.makeini("[pytest]\nperf_allow_new = true\n")
    assert suite.runpytest(*FAST, "--perf-compare").ret == pytest.ExitCode.OK


def test_a_partial_run_that_compares_one_benchmark_passes(suite: pytest.Pytester) -> None:
    write_baseline(suite, baseline_with({"test_suite.py::test_steady": STEADY}))
    result = suite.runpytest(*FAST, "--perf-compare")  # test_other is new: fine
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    result = suite.runpytest(*FAST, "--perf-compare", "-k", "nothing_matches")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED  # nothing measured: not the gate's
    assert "compared nothing" not in result.stdout.str()


def test_values_given_apart_are_found_up_to_a_double_dash() -> None:
    from pytest_perfguard.plugin.rootdir import VALUE_FLAGS, separate_values

    args = ["--perf-json", "r.json", "--perf-baseline=b.toml", "--perf-compare", "tests"]
    args += ["--perf-max-time", "-1", "--", "--perf-markdown", "x.md"]
    assert separate_values(args, VALUE_FLAGS) == [("--perf-json", "r.json")]
    assert {"--perf-baseline", "--perf-markdown", "--perf-keep-runs", "--perf-min-effect"} <= (
        VALUE_FLAGS
    )


NEW_TEST = """
from conftest import tick

def test_new(perf):
    perf(tick, 1000)
    assert {ok}
"""
NO_CACHE = ("--perf-max-time=0.01",)  # FAST without -p no:cacheprovider: --lf and --sw need it


@pytest.fixture
def with_new(suite: pytest.Pytester) -> pytest.Pytester:
    """The suite saved in the baseline, and a new perf test in a file sorted after it."""
    double = tuple(2 * m for m in STEADY)  # test_other ticks twice as long
    saved = {"test_suite.py::test_steady": STEADY, "test_suite.py::test_other": double}
    write_baseline(suite, baseline_with(saved))
    suite.makepyfile(test_xnew=NEW_TEST.format(ok="True"))
    return suite


def passes_comparing_nothing(result: pytest.RunResult) -> None:
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert "compared nothing" not in result.stdout.str()
    result.stdout.fnmatch_lines(["test_xnew.py::test_new *new*"])


def test_lf_after_fixing_a_new_failing_perf_test_passes(with_new: pytest.Pytester) -> None:
    with_new.makepyfile(test_xnew=NEW_TEST.format(ok="False"))
    first = with_new.runpytest(*NO_CACHE, "--perf-compare")
    first.assert_outcomes(passed=2, failed=1)
    with_new.makepyfile(test_xnew=NEW_TEST.format(ok="True"))
    passes_comparing_nothing(with_new.runpytest(*NO_CACHE, "--lf", "--perf-compare"))


def test_sw_resuming_at_a_new_perf_test_passes(with_new: pytest.Pytester) -> None:
    with_new.makepyfile(test_xnew=NEW_TEST.format(ok="False"))
    first = with_new.runpytest(*NO_CACHE, "--sw", "--perf-compare")
    first.assert_outcomes(passed=2, failed=1)
    with_new.makepyfile(test_xnew=NEW_TEST.format(ok="True"))
    passes_comparing_nothing(with_new.runpytest(*NO_CACHE, "--sw", "--perf-compare"))


@pytest.mark.parametrize(
    "selection",
    [
        ("-k", "new"),
        ("test_xnew.py::test_new",),
        ("--deselect", "test_suite.py::test_steady", "--deselect", "test_suite.py::test_other"),
    ],
    ids=["-k", "node id", "--deselect"],
)
def test_selecting_only_a_new_perf_test_passes(
    with_new: pytest.Pytester, selection: tuple[str, ...]
) -> None:
    passes_comparing_nothing(with_new.runpytest(*FAST, "--perf-compare", *selection))


def test_a_renamed_suite_or_a_moved_test_still_compares_nothing(suite: pytest.Pytester) -> None:
    # Every benchmark of the run new, at least as many as the baseline holds: a renamed suite.
    ids = ("test_suite.py::test_steady_old", "test_suite.py::test_other_old")
    write_baseline(suite, baseline_with(dict.fromkeys(ids, STEADY)))
    result = suite.runpytest(*FAST, "--perf-compare")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["perfguard: error: --perf-compare compared nothing: *"])
    # One test selected, saved under another directory: its node id moved.
    ids = ("sub/test_suite.py::test_steady", "sub/test_suite.py::test_other", "t.py::test_x")
    write_baseline(suite, baseline_with(dict.fromkeys(ids, STEADY)))
    result = suite.runpytest(*FAST, "--perf-compare", "-k", "steady")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["perfguard: error: --perf-compare compared nothing: *"])
