"""The HTML report's saved runs: trend labels that tell runs apart, and the min and max of each
run's rounds where the baseline kept them (n/a, explained, where it did not)."""

from __future__ import annotations

import re

import pytest

from pytest_perfguard.model import RunSummary
from pytest_perfguard.report.html import render_html
from pytest_perfguard.report.htmlbench import ROUNDS_NOTE, run_labels
from tests.htmlpage import read_page

from .test_html import SAME, FakePlotter, regressed_report


def saved(*stamps: str, samples: tuple[float, ...] | None = None) -> tuple[RunSummary, ...]:
    """Saved runs at these times (the newest with `samples`), oldest first."""
    return tuple(
        RunSummary(f"2026-12-07T{s}+00:00", 1000.0, 1.0, 1000.0, 20, 100, 3.0,
                   samples_ns=samples if i == len(stamps) - 1 else None)
        for i, s in enumerate(stamps)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("stamps", "labels"),
    [
        (("14:00:05", "15:30:00"), [("12-07", "14:00"), ("12-07", "15:30")]),
        (("14:00:05", "14:00:41"), [("12-07", "14:00:05"), ("12-07", "14:00:41")]),
        (("14:00:05", "14:00:05", "14:01:00"),
         [("#1 12-07", "14:00:05"), ("#2 12-07", "14:00:05"), ("#3 12-07", "14:01:00")]),
    ],
)  # fmt: skip
def test_run_labels_differ_when_runs_share_a_minute_or_a_second(
    stamps: tuple[str, ...], labels: list[tuple[str, str]]
) -> None:
    assert run_labels(saved(*stamps)) == labels


def test_the_trend_and_the_runs_table_label_runs_of_one_minute_apart() -> None:
    plotter = FakePlotter()
    history = {SAME: saved("14:00:01", "14:00:12", "14:00:30")}
    page = read_page(render_html(regressed_report(history=history), plotter))
    [trend] = [args for kind, args in plotter.calls if kind == "trend"]
    assert trend[0] == ("12-07\n14:00:01", "12-07\n14:00:12", "12-07\n14:00:30")
    runs = page.find("table", "runs")[-1].text
    assert "saved 12-07 14:00:01" in runs and "saved 12-07 14:00:30" in runs


def test_min_and_max_are_shown_where_the_rounds_were_kept_and_n_a_elsewhere() -> None:
    history = {SAME: saved("10:00:00", "11:00:00", samples=(900.0, 1000.0, 1200.0))}
    page = read_page(render_html(regressed_report(history=history), FakePlotter()))
    section = next(s for s in page.find("section", "bench") if s.attrs["data-nodeid"] == SAME)
    rows = [r.text for r in page.find("tr") if r.text.startswith("saved 12-07")]
    older, newest = rows
    assert "n/a1.00usn/a" in older.replace(" ", "")  # min, median, max
    assert "900ns1.00us1.20us" in newest.replace(" ", "")
    assert ROUNDS_NOTE in section.text
    assert "n/a where the baseline kept none" in ROUNDS_NOTE


def test_no_note_when_every_run_has_its_rounds() -> None:
    history = {SAME: saved("10:00:00", samples=(900.0, 1000.0))}
    page = read_page(render_html(regressed_report(history=history), FakePlotter()))
    assert ROUNDS_NOTE not in " ".join(s.text for s in page.find("section", "bench"))


SUITE = """
def test_sum(perf):
    perf(sum, range(50))
"""


def test_saved_runs_seconds_apart_read_apart_in_the_trend(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_trend=SUITE)
    fast = ("--perf-max-time=0.01", "-p", "no:cacheprovider")
    for _ in range(2):
        pytester.runpytest(*fast, "--perf-save").assert_outcomes(passed=1)
    # Two runs within one minute (as CI retries, or a user saving twice), whatever the clock
    # read while this test ran.
    baseline = pytester.path / ".perfguard" / "baseline.toml"
    stamps = iter(["14:00:05", "14:00:41"])
    saved_at = (f'timestamp = "2026-12-07T{t}+00:00"' for t in stamps)
    text = re.sub(r'timestamp = "[^"]*"', lambda _: next(saved_at), baseline.read_text())
    baseline.write_text(text)
    pytester.runpytest(*fast, "--perf-html=report.html").assert_outcomes(passed=1)
    page = read_page((pytester.path / "report.html").read_text())
    cells = [e.text for e in page.find("td")]
    starts = [i for i, text in enumerate(cells) if text.startswith("saved ")]
    rows = [cells[i : i + 5] for i in starts]  # run, rounds x loops, min, median, max
    assert len(rows) == 2
    # Saved seconds apart: the labels carry the seconds, so each row and each tick differs.
    assert [row[0] for row in rows] == ["saved 12-07 14:00:05", "saved 12-07 14:00:41"]
    ticks = {e.text.strip() for e in page.find("text")}
    assert {"14:00:05", "14:00:41"} <= ticks, ticks
    older, newest = rows
    assert older[2] == older[4] == "n/a"  # the older run's rounds were not kept
    assert "n/a" not in newest[2:5]  # the newest run's were
