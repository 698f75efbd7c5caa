"""The package's layers run one way and no module imports itself back through others.

The import graph is read from the source (AST, every ``import`` statement, including those inside
functions and under ``TYPE_CHECKING``): ``from package import name`` counts as importing the submodule
``package.name`` when that is a module, else ``package`` itself.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# The symmetry core may import these (and the standard library and third-party packages), nothing else.
SYMMETRY_MAY_IMPORT = (
    "asen_fm.symmetry",
    "asen_fm.orbit_coloring",
    "asen_fm.group_specs",
    "asen_fm.family_coloring",
)


def module_files(root: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package __init__) for every module of ``package`` under ``root``."""
    modules = {}
    for path in sorted((root / package.replace(".", "/")).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def import_statements(path: Path, module: str, is_package: bool) -> list[tuple[str, list[str]]]:
    """Each import as (absolute source module, names taken from it; [] for a plain ``import x.y``)."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                here = here[: len(here) - (node.level - 1)]
                source = ".".join(here + ([node.module] if node.module else []))
            found.append((source, [alias.name for alias in node.names]))
    return found


def imported_names(path: Path, module: str, is_package: bool) -> set[str]:
    """Every module name the file imports, and every ``source.name`` of its ``from source import name``."""
    names: set[str] = set()
    for source, taken in import_statements(path, module, is_package):
        names.add(source)
        names.update(f"{source}.{name}" for name in taken)
    return names


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports. ``from pkg import sub`` imports the submodule
    ``pkg.sub`` when there is one, else (a name defined in ``pkg``) the module ``pkg``."""
    modules = module_files(root, package)
    graph: dict[str, set[str]] = {}
    for module, (path, is_package) in modules.items():
        edges: set[str] = set()
        for source, taken in import_statements(path, module, is_package):
            submodules = [f"{source}.{name}" for name in taken if f"{source}.{name}" in modules]
            edges.update(submodules)
            if len(submodules) < len(taken) or not taken:
                edges.add(source)
        graph[module] = {m for m in edges if m in modules and m != module}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def _outside(name: str, allowed: tuple[str, ...]) -> bool:
    return name.startswith("asen_fm") and not any(name == a or name.startswith(a + ".") for a in allowed)


def test_the_symmetry_core_imports_nothing_above_it() -> None:
    modules = module_files(REPO, "asen_fm.symmetry")
    assert len(modules) > 10
    offending = {
        module: sorted(
            n for n in imported_names(path, module, is_package) if _outside(n, SYMMETRY_MAY_IMPORT)
        )
        for module, (path, is_package) in modules.items()
    }
    assert {m: names for m, names in offending.items() if names} == {}


SHIPPED_COLORINGS = ("orbit_coloring", "group_specs", "family_coloring")


@pytest.mark.parametrize("stem", SHIPPED_COLORINGS)
def test_shipped_colorings_import_nothing_from_the_package(stem: str) -> None:
    """The torch-free files that saved models ship as remote code import only each other (relatively)."""
    path = REPO / "asen_fm" / f"{stem}.py"
    shipped = {f"asen_fm.{s}" for s in SHIPPED_COLORINGS}
    names = imported_names(path, f"asen_fm.{stem}", False)
    outside = [n for n in names if n.startswith("asen_fm") and not any(_within(n, s) for s in shipped)]
    assert outside == []


def _within(name: str, module: str) -> bool:
    return name == module or name.startswith(f"{module}.")


@pytest.mark.parametrize(
    ("root", "package"), [(REPO, "asen_fm"), (REPO / "benchmarks" / "experiments", "expkit")]
)
def test_no_import_cycles(root: Path, package: str) -> None:
    graph = import_graph(root, package)
    assert len(graph) > 3
    assert import_cycles(graph) == []


def test_the_cycle_finder_finds_cycles(tmp_path: Path) -> None:
    """The checks above can fail: a planted cycle (through a function-level import) and a layer breach."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from pkg.sub import a\n")
    (package / "sub" / "a.py").write_text("from . import b\n")
    (package / "sub" / "b.py").write_text("def f():\n    from pkg.sub.a import x\n")
    (package / "c.py").write_text("from pkg.sub import b\n")
    graph = import_graph(tmp_path, "pkg")
    assert import_cycles(graph) == [["pkg.sub.a", "pkg.sub.b"]]
    assert graph["pkg.c"] == {"pkg.sub.b"}  # importing a submodule is not importing the package back
    assert _outside("asen_fm.domains.pose.skeleton", SYMMETRY_MAY_IMPORT)
    assert not _outside("asen_fm.symmetry.registry", SYMMETRY_MAY_IMPORT)


def test_domain_group_names_parse_after_importing_only_the_symmetry_package() -> None:
    """The skeleton's groups parse in a fresh process that imported asen_fm.symmetry and nothing else;
    their module is imported only when a spec names one of them."""
    code = (
        "import sys\n"
        "from asen_fm.symmetry import PermGroup\n"
        "assert 'asen_fm.domains.pose.skeleton' not in sys.modules\n"
        "g = PermGroup.parse('direct_product(skeleton16_flip(), cyclic(3))')\n"
        "assert 'asen_fm.domains.pose.skeleton' in sys.modules\n"
        "print(g.order(), str(g))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "6 direct_product(skeleton16_flip(), cyclic(3))"
