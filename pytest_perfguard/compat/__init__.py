"""pytest-benchmark suites on perfguard: the `benchmark` object, its stats, the option mapping and
pytest-benchmark's JSON layout (pure; the pytest glue is `pytest_perfguard.plugin.benchmark`)."""
