"""Tests of the environment fingerprint and of comparing two fingerprints."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

import pytest_perfguard
from pytest_perfguard.judge.compatibility import counts_comparable, differences
from pytest_perfguard.measure.environment import cpu_model_from_cpuinfo, current_fingerprint
from pytest_perfguard.model import BaselineEntry, Fingerprint
from pytest_perfguard.report.rules import caveat_text, differences_text
from tests.fakes import MACHINE

FP = Fingerprint(
    python_implementation="CPython",
    python_version="3.12.4",
    os="Linux",
    arch="x86_64",
    cpu_model="AMD EPYC 7763 64-Core Processor",
    cpu_count=2,
    perfguard_version="0.1.0",
    machine="test-machine",
)

X86 = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 85
model name\t: Intel(R) Xeon(R)   Platinum 8272CL CPU @ 2.60GHz
flags\t\t: fpu vme

processor\t: 1
model name\t: Something Else
"""
ARM = """processor\t: 0
BogoMIPS\t: 50.00
CPU implementer\t: 0x41
CPU architecture: 8
CPU part\t: 0xd0c
"""


def test_current_fingerprint_describes_this_process() -> None:
    fp = current_fingerprint(MACHINE)
    info = sys.version_info
    assert fp.python_version == f"{info.major}.{info.minor}.{info.micro}"
    assert fp.python_minor == f"{info.major}.{info.minor}"
    assert fp.perfguard_version == pytest_perfguard.__version__
    assert fp.cpu_count >= 1
    assert fp.cpu_model
    assert fp.os
    assert fp.arch
    assert differences(fp, current_fingerprint(MACHINE)) == ()


@pytest.mark.parametrize(
    ("text", "model"),
    [
        (X86, "Intel(R) Xeon(R) Platinum 8272CL CPU @ 2.60GHz"),
        (ARM, "implementer 0x41 part 0xd0c"),
        (
            "processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\n",
            "POWER9 (architected), altivec supported",
        ),
        ("Hardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n", "BCM2835"),
        ("processor\t: 0\nmodel\t\t: 85\n", None),
        ("", None),
    ],
)
def test_cpu_model_from_cpuinfo(text: str, model: str | None) -> None:
    assert cpu_model_from_cpuinfo(text) == model


def test_identical_and_irrelevant_changes_are_no_difference() -> None:
    assert differences(FP, FP) == ()
    harmless = replace(FP, python_version="3.12.7", cpu_count=64, perfguard_version="9.9")
    assert differences(FP, harmless) == ()
    assert counts_comparable(FP, harmless)


@pytest.mark.parametrize(
    ("change", "message", "counts"),
    [
        ({"cpu_model": "Intel Xeon"}, "CPU: AMD EPYC 7763 64-Core Processor -> Intel Xeon", True),
        ({"python_version": "3.13.0"}, "Python version: 3.12 -> 3.13", False),
        ({"python_implementation": "PyPy"}, "Python implementation: CPython -> PyPy", False),
        ({"os": "Darwin"}, "OS: Linux -> Darwin", True),
        ({"arch": "aarch64"}, "architecture: x86_64 -> aarch64", True),
    ],
)
def test_differences_that_matter(change: dict[str, object], message: str, counts: bool) -> None:
    other = replace(FP, **change)  # type: ignore[arg-type]
    assert tuple(map(caveat_text, differences(FP, other))) == (message,)
    assert counts_comparable(FP, other) is counts


def test_several_differences_are_all_listed() -> None:
    other = replace(FP, cpu_model="M2", os="Darwin", arch="arm64")
    assert len(differences(FP, other)) == 3


def test_no_baseline_fingerprint() -> None:
    assert differences_text(differences(None, FP)) == "the baseline records no environment"
    assert not counts_comparable(None, FP)


def test_an_entrys_own_python_version_wins() -> None:
    old = BaselineEntry("t", None, (), python_version="3.11", machine=FP.machine)
    assert differences_text(differences(FP, FP, old)) == "Python version: 3.11 -> 3.12"
    assert not counts_comparable(FP, FP, old)
    same = BaselineEntry("t", None, (), python_version="3.12", machine=FP.machine)
    assert differences(FP, FP, same) == ()
    assert counts_comparable(FP, FP, same)
    unknown = BaselineEntry("t", None, ())
    assert counts_comparable(FP, FP, unknown)
