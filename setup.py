"""Build the optional allocation-counting extension; the package works without it."""

from setuptools import Extension, setup

# A top-level module, not pytest_perfguard._allocount: `python -m pytest` run from a checkout
# puts the source tree first on sys.path, and a source tree has no compiled module in it, so a
# submodule would be shadowed and allocs/op silently lost. A top-level name is found in
# site-packages whichever copy of the package is imported.
# optional=True: a missing compiler or a failed build must not fail `pip install`;
# pytest_perfguard.measure.allocations then reports allocs/op as n/a instead.
setup(
    ext_modules=[
        Extension(
            "_perfguard_allocount",
            ["pytest_perfguard/measure/_allocount.c"],
            optional=True,
        )
    ]
)
