"""Apps depend one way (ARCHITECTURE.md): each package imports only the layers below it, so there is no
import cycle between apps, and the engine imports no Django. Read from the source with ast: an import
inside a function counts as much as one at the top of a module."""

import ast
import functools
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Lowest first: a package may import the packages of the layers before its own, never after.
LAYERS = [
    ["estimator"],
    ["config"],
    ["catalog"],
    ["calculator"],
    ["reverse_questions", "glossary", "community"],
    ["costs"],
    ["site_index"],
]
LAYER = {package: n for n, packages in enumerate(LAYERS) for package in packages}
# Imports that still go the wrong way, each with where and why; the test below fails once one is gone,
# so that it is struck off here.
KNOWN: dict[tuple[str, str], str] = {}  # none left: keep it empty


@functools.cache
def imports(package: str) -> dict[str, set[str]]:
    """Top-level module imported -> the files of `package` that import it (absolute imports only); read
    when a test asks, not at collection, which every worker of the suite pays (~0.7 s each)."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found[name.split(".")[0]].add(str(path.relative_to(ROOT)))
    return found


@functools.cache
def graph() -> dict[str, set[str]]:
    """Package -> the other packages of LAYERS it imports."""
    return {package: {m for m in imports(package) if m in LAYER and m != package} for package in LAYER}


@pytest.mark.parametrize("package", list(LAYER))
def test_each_app_imports_only_the_layers_below_it(package):
    wrong = {
        other: sorted(imports(package)[other])
        for other in graph()[package]
        if LAYER[other] >= LAYER[package] and (package, other) not in KNOWN
    }
    assert not wrong, f"{package} imports {wrong}: move what it needs down a layer (ARCHITECTURE.md)"


def test_the_catalog_imports_neither_the_calculator_nor_the_apps_built_on_it():
    assert graph()["catalog"] <= {"estimator", "config"}


def test_known_wrong_way_imports_still_exist():
    """Each entry of KNOWN is still true: a fixed one is struck off, so it cannot come back unseen."""
    gone = [edge for edge in KNOWN if edge[1] not in graph()[edge[0]]]
    assert not gone, f"no longer imported, strike off KNOWN: {gone}"


def test_apart_from_the_known_imports_the_app_graph_has_no_cycle():
    known_apart = {p: {o for o in others if (p, o) not in KNOWN} for p, others in graph().items()}
    done: set[str] = set()

    def visit(package: str, path: list[str]) -> None:
        assert package not in path, f"import cycle: {' -> '.join([*path, package])}"
        if package not in done:
            for other in sorted(known_apart[package]):
                visit(other, [*path, package])
            done.add(package)

    for package in sorted(known_apart):
        visit(package, [])


def test_the_engine_imports_no_django_and_no_app():
    found = set(imports("estimator")) - {"estimator"}
    assert "django" not in found
    assert not found & set(LAYER)
