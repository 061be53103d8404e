"""The package's shape: layers import downward only, no import cycles, a cheap plugin import.

Read from the source with `ast`, so every import counts: module-level, inside functions, and
under TYPE_CHECKING alike.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pytest_perfguard"

LAYERS = {
    "_version": 0,
    "errors": 0,
    "units": 0,
    "metrics": 0,
    "usermetrics": 0,
    "complexity": 0,
    "comparison": 0,
    "model": 1,
    "config": 2,
    "worker": 2,
    "measure": 3,
    "judge": 4,
    "store": 5,
    "report": 6,
    "run": 7,
    "ab": 7,
    "compat": 7,
    "plugin": 8,
    "cli": 8,
    "__init__": 9,
    "__main__": 9,
}
"""Low to high: a module may import its own subpackage and lower layers, never higher ones."""

HEAVY = (
    "scipy",
    "numpy",
    "psutil",
    "_perfguard_allocount",
    "pytest_perfguard.report",
    "pytest_perfguard.measure.engine",
    "pytest_perfguard.judge.verdict",
    "pytest_perfguard.store.baseline",
    "matplotlib",
)
"""Modules a pytest run must not load before a verdict, report or measuring pass needs them."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, known: set[str]) -> set[str]:
    """The package's own modules `path` imports (`from pkg import mod` names the module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(n for n in names if n in known)
    return found


def layer(module: str) -> tuple[int, str]:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    return LAYERS[top], top


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(path, set(found)) - {name} for name, path in found.items()}


def test_every_module_belongs_to_a_layer() -> None:
    unplaced = [m for m in modules() if m.count(".") >= 1 and m.split(".")[1] not in LAYERS]
    assert unplaced == []


def test_no_module_imports_a_higher_layer_or_a_sibling_layer() -> None:
    upward = []
    for module, targets in graph().items():
        (level, top) = layer(module)
        for target in targets:
            (target_level, target_top) = layer(target)
            if target_top != top and target_level >= level:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_no_import_cycles() -> None:
    edges = graph()
    # The package's __init__ re-exports the public API; every submodule import passes through
    # it, so it is not an edge of the graph.
    edges.pop("pytest_perfguard", None)
    for targets in edges.values():
        targets.discard("pytest_perfguard")
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_layer_check_catches_an_upward_import(tmp_path: Path) -> None:
    # The check itself: a judge module importing the run layer is reported.
    fake = tmp_path / "pytest_perfguard" / "judge"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("from pytest_perfguard.run.state import RunState\n")
    known = {"pytest_perfguard.run.state", "pytest_perfguard.judge.bad"}
    found = imports(fake / "bad.py", known)
    assert found == {"pytest_perfguard.run.state"}
    assert layer("pytest_perfguard.run.state")[0] > layer("pytest_perfguard.judge.bad")[0]


def loaded_after(pytester: pytest.Pytester, *args: str) -> set[str]:
    """Run pytest in a fresh process; return the HEAVY modules loaded by the session's end."""
    pytester.makeconftest(
        textwrap.dedent(
            f"""
            import sys

            def pytest_unconfigure(config):
                heavy = {HEAVY!r}
                loaded = sorted(m for m in sys.modules if m.startswith(heavy))
                top = ("scipy", "matplotlib")  # one name for the package's many modules
                print("HEAVY:" + ",".join(m.split(".")[0] if m.startswith(top) else m
                                           for m in loaded))
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", *args)
    line = next(x for x in result.outlines if x.startswith("HEAVY:"))
    return {name for name in line[len("HEAVY:") :].split(",") if name}


def test_a_session_without_perf_tests_loads_nothing_heavy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    assert 1 + 1 == 2\n")
    assert loaded_after(pytester) == set()


def test_pytest_benchmarks_names_load_nothing_heavy_without_benchmarks(
    pytester: pytest.Pytester,
) -> None:
    # perfguard takes pytest-benchmark's options and fixture (plugin/benchmark.py) on every run
    # where pytest-benchmark is not active; that must stay as cheap as its own options.
    pytester.makepyfile("def test_plain():\n    assert 1 + 1 == 2\n")
    args = ("-p", "no:benchmark", "-p", "no:codspeed", "--benchmark-max-time=1")
    assert loaded_after(pytester, *args) == set()


def test_a_measuring_session_without_a_verdict_loads_no_scipy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "import pytest\n\n@pytest.mark.perf(max_time=0.01)\ndef test_sum():\n    sum(range(10))\n"
    )
    loaded = loaded_after(pytester)
    assert "scipy" not in loaded and "numpy" not in loaded
    assert "pytest_perfguard.report.terminal" in loaded  # the summary was rendered
    assert "matplotlib" not in loaded and "pytest_perfguard.report.html" not in loaded


def test_the_html_report_and_matplotlib_load_only_with_perf_html(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        "import pytest\n\n@pytest.mark.perf(max_time=0.01)\ndef test_sum():\n    sum(range(10))\n"
    )
    loaded = loaded_after(pytester, "--perf-html=r.html")
    assert {"matplotlib", "pytest_perfguard.report.html", "pytest_perfguard.report.plots"} <= loaded


def test_loading_the_plugin_entry_point_imports_no_heavy_module() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from importlib.metadata import entry_points
        [ep] = [e for e in entry_points(group="pytest11") if e.name == "perfguard"]
        ep.load()
        print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_saving_and_comparing_sessions_load_the_verdict_before_measuring(
    pytester: pytest.Pytester,
) -> None:
    # A benchmark's bytes can depend on the modules loaded (inspect.signature of a class
    # copies sys.modules): a save run and a compare run must measure with the same ones.
    pytester.makepyfile(
        "import sys\nimport pytest\n\n@pytest.mark.perf(max_time=0.01)\n"
        "def test_first():\n    assert 'scipy.stats' in sys.modules\n"
    )
    # The comparison reports without failing: its timing is real, and this machine drifts.
    for flags in (("--perf-save",), ("--perf-compare", "--perf-warn-only")):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *flags)
        result.assert_outcomes(passed=1)
