"""Option, ini and marker values that mean something else or ask the impossible are refused."""

from __future__ import annotations

import pytest

from pytest_perfguard.cli import main


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (
            "--perf-min-effect=5",
            "*invalid min_effect='5' from option --perf-min-effect: a bare number is a "
            "fraction (5 = 500%); write 5% or 0.05*",
        ),
        (
            "--perf-max-time=-1",
            "*invalid max_time='-1' from option --perf-max-time: expected a duration > 0*",
        ),
        (
            "--perf-max-time=1e9",
            "*invalid max_time='1e9' from option --perf-max-time: expected at most 3600 s*",
        ),
        (
            "--perf-min-rounds=1000000000000000000000000000000",
            "*invalid min_rounds='1000000000000000000000000000000' from option "
            "--perf-min-rounds: expected a whole number <= 1000000*",
        ),
        (
            "--perf-warmup=20000",
            "*invalid warmup='20000' from option --perf-warmup: expected a whole number <= 10000*",
        ),
        (
            "--perf-keep-runs=100000",
            "*invalid keep_runs='100000' from option --perf-keep-runs: expected a whole number "
            "<= 1000*",
        ),
    ],
)
def test_impossible_or_misread_option_values_are_usage_errors(
    pytester: pytest.Pytester, flag: str, message: str
) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(flag, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_a_bare_percentage_in_the_ini_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nperf_min_effect = 10\n")
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*invalid min_effect='10' from ini key perf_min_effect: a bare number is a "
            "fraction (10 = 1000%); write 10% or 0.1*"
        ]
    )


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ('limit_memory="1e300 GB"', "limit_memory='1e300 GB'*: expected a size up to 1 PiB"),
        ("limit_memory=-5", "limit_memory=-5*: expected a size > 0"),
        ("limit_allocs=-1", "limit_allocs=-1*: expected a number of allocations >= 0"),
        ('limit_allocs=float("inf")', "limit_allocs=inf*: expected a finite number"),
        ('limit_time="1e300 s"', "limit_time='1e300 s'*: expected at most 1 day"),
        ('limit_time="-2ms"', "limit_time='-2ms'*: expected a duration > 0"),
        ("min_rounds=10**30", "min_rounds=10000*: expected a whole number <= 1000000"),
        ("warmup=10**5", "warmup=100000*: expected a whole number <= 10000"),
        ("max_time=86400 * 7", "max_time=604800*: expected at most 3600 s"),
        ("min_effect=2", "min_effect=2*: a bare number is a fraction (2 = 200%); write 2% or 0.02"),
    ],
)
def test_impossible_marker_values_are_collection_errors(
    pytester: pytest.Pytester, keywords: str, message: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.perf({keywords})
        def test_it():
            pass
        """
    )
    # --collect-only: before these were refused, some of them would measure forever.
    result = pytester.runpytest("--collect-only", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"*invalid {message}*"])
    result.stdout.fnmatch_lines(["*@pytest.mark.perf on *::test_it*"])
    assert "Traceback" not in result.stdout.str()


def test_percentages_and_fractions_still_mean_what_they_say(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.perf(min_effect="250%", limit_allocs=0, max_time=0.01)
        def test_it(request):
            pass
        """
    )
    for value in ("5%", "0.05", "1"):
        result = pytester.runpytest(f"--perf-min-effect={value}", "--collect-only")
        assert result.ret == pytest.ExitCode.OK


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-effect", "5"], "a bare number is a fraction (5 = 500%); write 5% or 0.05"),
        (["--alpha", "-1"], "expected a number between 0 and 1"),
    ],
)
def test_cli_compare_refuses_the_same_values(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["compare", "old.toml", "new.toml", *args]) == 2
    assert message in capsys.readouterr().err


def test_cli_merge_caps_keep(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["merge", "a.toml", "-o", "b.toml", "--keep", "100000"]) == 2
    assert "expected a whole number <= 1000" in capsys.readouterr().err
