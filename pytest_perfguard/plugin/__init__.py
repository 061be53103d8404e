"""The pytest layer: options, the marker, the `perf` fixture and thin hooks (hooks.py, session.py).

The only code that imports pytest. Each hook reads pytest objects, calls the core, and writes
the result back; the run state itself lives in `pytest_perfguard.run`.
"""
