"""CI outputs from the user's side: Markdown report, GitHub step summary and annotations."""

from __future__ import annotations

import pytest

from tests.fakes import CONFTEST

from .test_plugin_baseline import STEADY, SUITE, baseline_with, write_baseline

FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider")


@pytest.fixture
def regressed(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    halved = tuple(m / 2 for m in STEADY)
    write_baseline(
        pytester,
        baseline_with({"test_suite.py::test_steady": STEADY, "test_suite.py::test_other": halved}),
    )
    return pytester


def test_markdown_report_file(regressed: pytest.Pytester) -> None:
    regressed.runpytest(*FAST, "--perf-compare", "--perf-markdown=report.md").assert_outcomes(
        passed=1, failed=1
    )
    text = (regressed.path / "report.md").read_text()
    assert "❌ 1 regression in 2 benchmarks" in text
    assert text.index("test_other") < text.index("test_steady")  # regressions first


def test_github_step_summary_and_annotations(
    regressed: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = regressed.path / "step_summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = regressed.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(passed=1, failed=1)
    text = summary.read_text()
    assert text.startswith("earlier step\n")  # appended, never overwritten
    assert "test_other" in text and "regress" in text
    # The baseline under the rootdir is named from it, not by the runner's absolute path.
    assert "Compared with `.perfguard/baseline.toml`;" in text
    assert str(regressed.path) not in text
    result.stdout.fnmatch_lines(
        ["::error file=test_suite.py,line=7,title=perfguard%3A test_other regressed::time/op*"]
    )
    annotations = [line for line in result.outlines if line.startswith("::error")]
    assert len(annotations) == 1


def test_step_summary_names_the_baseline_relative_to_rootdir_or_as_given(
    regressed: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = regressed.path / "step_summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    sub = regressed.mkdir("sub")
    (sub / "test_sub.py").write_text("")
    monkeypatch.chdir(sub)  # started in a subdirectory: still relative to the rootdir
    regressed.makeini("[pytest]\n")
    regressed.runpytest(*FAST, "--perf-compare", str(regressed.path)).assert_outcomes(
        passed=1, failed=1
    )
    assert "Compared with `.perfguard/baseline.toml`;" in summary.read_text()
    summary.unlink()
    outside = regressed.path.parent / f"{regressed.path.name}-outside.toml"
    (regressed.path / ".perfguard" / "baseline.toml").rename(outside)
    regressed.runpytest(
        *FAST, "--perf-compare", f"--perf-baseline={outside}", str(regressed.path)
    ).assert_outcomes(passed=1, failed=1)  # the moved baseline was read
    assert f"Compared with `{outside}`;" in summary.read_text()  # not under it: as given


def test_no_annotations_outside_github_actions(
    regressed: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    result = regressed.runpytest(*FAST, "--perf-compare")
    # The same regression as under GitHub Actions: reported in the terminal, not annotated.
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*test_suite.py::test_other: performance regression", "*time/op regressed: *"]
    )
    assert not any(line.startswith("::") for line in result.outlines), result.stdout.str()
    assert "perfguard%3A" not in result.stdout.str()
