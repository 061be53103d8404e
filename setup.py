"""Build the optional allocation-counting extension; the package works without it."""

from setuptools import Extension, setup

# optional=True: a missing compiler or a failed build must not fail `pip install`;
# pytest_perfguard.memory then reports allocs/op as n/a instead.
setup(
    ext_modules=[
        Extension(
            "pytest_perfguard._allocount",
            ["pytest_perfguard/_allocount.c"],
            optional=True,
        )
    ]
)
