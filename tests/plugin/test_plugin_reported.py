"""Throughput (bytes=/items=) and custom metrics (perf.report) from the user's side: shown in
every report, saved, compared against saved runs, against a base revision and by `perfguard
compare`; bad input is an error naming the test. A fake clock makes every figure exact."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_perfguard.cli import main
from pytest_perfguard.store import baseline as storage
from tests.fakes import CONFTEST

FAST = ("--perf-max-time=0.01", "-p", "no:cacheprovider")

THROUGHPUT = """
from conftest import tick

def work(data):
    tick(1000)

def test_bytes(perf):
    perf(work, b"x" * 10, bytes=2000)

def test_items(perf):
    for _ in perf.loop():
        tick(500)
    perf.set_items(10)
"""


def test_throughput_is_shown_in_every_report(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_t=THROUGHPUT)
    result = pytester.runpytest(
        *FAST,
        "--perf-json=r.json",
        "--perf-markdown=r.md",
        "--perf-html=r.html",
        "--junitxml=j.xml",
    )
    result.assert_outcomes(passed=2)
    # 2000 B in 1000 ns: 2000 MB/s (MB = 10**6 B, as Go); 10 items in 500 ns: 2e7 items/s
    result.stdout.fnmatch_lines(
        [
            "benchmark * throughput",
            "test_t.py::test_bytes *2000 MB/s",
            "test_t.py::test_items *2e+07 items/s",
        ]
    )
    doc = json.loads((pytester.path / "r.json").read_text())
    bytes_m, items_m = (b["measurement"] for b in doc["benchmarks"])
    assert (bytes_m["bytes_processed"], bytes_m["mb_per_s"]) == (2000, 2000.0)
    assert (items_m["items_processed"], items_m["items_per_s"]) == (10, 2e7)
    assert "| 2000 MB/s |" in (pytester.path / "r.md").read_text()
    assert "<td>2e+07 items/s</td>" in (pytester.path / "r.html").read_text()
    props = {
        p.get("name"): p.get("value") for p in ET.parse(pytester.path / "j.xml").iter("property")
    }
    assert props["perf_mb_per_s"] == "2000" and props["perf_items_per_s"] == "2e+07"


def test_throughput_is_saved_and_an_older_baseline_without_it_loads(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_t=THROUGHPUT)
    pytester.runpytest(*FAST, "--perf-save").assert_outcomes(passed=2)
    path = pytester.path / ".perfguard" / "baseline.toml"
    text = path.read_text()
    assert "\nbytes_processed = 2000\n" in text and "\nitems_processed = 10\n" in text
    older = text.replace("bytes_processed = 2000\n", "").replace("items_processed = 10\n", "")
    path.write_text(older)
    result = pytester.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(passed=2)  # the verdict is on time/op only
    result.stdout.fnmatch_lines(["test_t.py::test_bytes *unchanged*"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "perf(work, b'', bytes=0)",
            "bytes= must be a positive int (what one op processes), got 0",
        ),
        ("perf(work, b'', items=1.5)", "items= must be a positive int * got 1.5"),
        ("perf(work, b'', bytes=True)", "bytes= must be a positive int * got True"),
        ("perf.set_bytes('1 MiB')", "bytes= must be a positive int * got '1 MiB'"),
        ("perf(work, b'', bytes=1, items=2)", "both bytes and items set*"),
        (
            "perf(takes_bytes, bytes=3)",
            "perf(..., bytes=) is perfguard's * but the function also takes an argument named "
            "'bytes': pass that one bound, e.g. perf(functools.partial(fn, bytes=...), *",
        ),
    ],
)
def test_bad_throughput_is_an_error_naming_the_test(
    pytester: pytest.Pytester, call: str, message: str
) -> None:
    pytester.makepyfile(
        test_bad=f"""
def work(data):
    pass

def takes_bytes(bytes):
    pass

def test_it(perf):
    {call}
"""
    )
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*test_bad.py::test_it: {message}"])


CUSTOM = """
import os
from conftest import tick

def test_cache(perf):
    perf.report("misses", float(os.environ.get("MISSES", "3")), unit="misses/op", exact=True)
    perf(tick, 1000)

def test_ratio(perf):
    perf(tick, 1000)
    perf.report(  # after measuring counts as well
        "ratio", float(os.environ.get("RATIO", "0.5")), unit="x", better="higher", tolerance="5%"
    )

def test_shown(perf):
    perf(tick, 1000)
    perf.report("rows", float(os.environ.get("ROWS", "100")))
"""


@pytest.fixture
def custom(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_c=CUSTOM)
    pytester.runpytest(*FAST, "--perf-save").assert_outcomes(passed=3)
    return pytester


def test_custom_metrics_are_saved_shown_and_loaded_back(custom: pytest.Pytester) -> None:
    path = custom.path / ".perfguard" / "baseline.toml"
    text = path.read_text()
    assert (
        '.runs.custom.misses]\nvalue = 3.0\nunit = "misses/op"\nbetter = "lower"\nexact = true\n'
        in text
    )
    assert (
        '.runs.custom.ratio]\nvalue = 0.5\nunit = "x"\nbetter = "higher"\nexact = false\n'
        "tolerance = 0.05\n" in text
    )
    (run,) = storage.load(path).entries["test_c.py::test_ratio"].runs
    assert [(m.name, m.value, m.tolerance) for m in run.custom] == [("ratio", 0.5, 0.05)]
    result = custom.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["benchmark * misses (misses/op)  ratio (x)  rows", "test_c.py::test_cache * 3"]
    )


@pytest.mark.parametrize(
    ("env", "failed", "line"),
    [
        (
            {"MISSES": "4"},
            1,
            "*misses regressed: 3 -> 4 misses/op against the saved runs (lower is better); "
            "reported as exact*",
        ),
        ({"MISSES": "2"}, 0, "*misses improved: 3 -> 2*"),
        ({"RATIO": "0.48"}, 0, "test_c.py::test_ratio * 0.48"),  # -4%: within 5%
        ({"RATIO": "0.47"}, 1, "*ratio regressed: 0.5 -> 0.47 x * beyond 5.00% is real"),
        ({"RATIO": "0.9"}, 0, "*ratio improved: 0.5 -> 0.9*"),  # higher is better
        ({"ROWS": "900"}, 0, "*rows regressed (advisory): 100 -> 900*"),  # no tolerance: shown
    ],
)
def test_custom_metrics_are_gated_against_saved_runs(
    custom: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    failed: int,
    line: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = custom.runpytest(*FAST, "--perf-compare")
    result.assert_outcomes(passed=3 - failed, failed=failed)
    result.stdout.fnmatch_lines([line])


def test_a_custom_metric_the_baseline_lacks_is_new_and_passes(custom: pytest.Pytester) -> None:
    custom.makepyfile(test_c=CUSTOM + '\n    perf.report("later", 1.0, exact=True)\n')
    custom.runpytest(*FAST, "--perf-compare").assert_outcomes(passed=3)


def test_perfguard_compare_compares_custom_metrics(
    custom: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old = custom.path / ".perfguard" / "baseline.toml"
    new = custom.path / "new.toml"
    new.write_bytes(old.read_bytes())
    monkeypatch.setenv("MISSES", "5")
    custom.runpytest(*FAST, "--perf-save", f"--perf-baseline={new}").assert_outcomes(passed=3)
    capsys.readouterr()
    assert main(["compare", str(old), str(new)]) == 1
    assert "misses regressed: 3 -> 5" in capsys.readouterr().out
    assert main(["show", str(new)]) == 0
    shown = capsys.readouterr().out.splitlines()
    header = next(line for line in shown if line.startswith("benchmark "))
    assert header.endswith("misses (misses/op)  ratio (x)  rows")
    assert next(line for line in shown if "test_cache" in line).endswith(" 5")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ('"time", 1.0', "perf.report('time'): 'time' is a built-in metric's name; choose another*"),
        ('"allocs_per_op", 1.0', "perf.report('allocs_per_op'): 'allocs_per_op' is a built-in*"),
        ('"hit rate", 1.0', "perf.report('hit rate'): the name must be an identifier*"),
        ('"x", float("nan")', "perf.report('x'): the value must be finite, got nan"),
        ('"x", float("inf")', "perf.report('x'): the value must be finite, got inf"),
        ('"x", "3"', "perf.report('x'): the value must be a number, got '3'"),
        ('"x", 1, better="up"', "perf.report('x'): better must be 'lower' or 'higher', got 'up'"),
        ('"x", 1, tolerance="5 parsecs"', "perf.report('x'): bad tolerance '5 parsecs': *"),
        ('"x", 1, tolerance=5', "perf.report('x'): bad tolerance 5: a bare number is a fraction*"),
        (
            '"x", 1, exact=True, tolerance="5%"',
            "perf.report('x'): an exact metric takes no tolerance",
        ),
    ],
)
def test_a_bad_custom_metric_is_an_error_naming_the_test(
    pytester: pytest.Pytester, call: str, message: str
) -> None:
    pytester.makepyfile(
        test_bad=f"def test_it(perf):\n    perf.report({call})\n    perf(len, '')\n"
    )
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*test_bad.py::test_it: {message}"])


def test_custom_metrics_in_the_json_results_are_checked(
    custom: pytest.Pytester, tmp_path: Path
) -> None:
    custom.runpytest(*FAST, "--perf-json=r.json").assert_outcomes(passed=3)
    doc = json.loads((custom.path / "r.json").read_text())
    assert doc["benchmarks"][0]["measurement"]["custom"] == [
        {"name": "misses", "value": 3.0, "unit": "misses/op", "better": "lower", "exact": True}
    ]
    from pytest_perfguard.report.json import ResultsError, parse_results

    doc["benchmarks"][0]["measurement"]["custom"][0]["value"] = 1e300
    with pytest.raises(
        ResultsError, match=r"measurement\.custom\.misses: expected a finite number"
    ):
        parse_results(json.dumps(doc), source="r.json")


def test_the_marker_takes_bytes_and_items(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_m="""
import pytest
from conftest import tick

@pytest.mark.perf(bytes=4000)
def test_body():
    tick(1000)

@pytest.mark.perf(items=5)
def test_loop(perf):
    for _ in perf.loop():
        tick(1000)
"""
    )
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["test_m.py::test_body *4000 MB/s", "test_m.py::test_loop *5e+06 items/s"]
    )


@pytest.mark.parametrize("value", ["0", "1.5", "'many'"])
def test_a_bad_marker_amount_is_a_collection_error(pytester: pytest.Pytester, value: str) -> None:
    pytester.makepyfile(
        test_m=f"import pytest\n\n@pytest.mark.perf(bytes={value})\ndef test_body():\n    pass\n"
    )
    result = pytester.runpytest(*FAST)
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        [f"*invalid bytes={value}* from @pytest.mark.perf on test_m.py::test_body*"]
    )
