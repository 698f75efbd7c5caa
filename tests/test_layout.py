"""Package-level invariants: the group theory stays torch-free, the CLI exposes its subcommands."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from asen_fm.cli import build_parser

PACKAGE = Path(__file__).resolve().parents[1] / "asen_fm"
TORCH_FREE = sorted((PACKAGE / "symmetry").glob("*.py")) + [
    PACKAGE / "orbit_coloring.py",
    PACKAGE / "group_specs.py",
]


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", TORCH_FREE, ids=lambda p: p.name)
def test_group_theory_never_imports_torch(path: Path) -> None:
    assert path.exists(), path
    assert not _imported_roots(path) & {"torch", "transformers", "accelerate", "datasets"}


def test_orbit_coloring_is_numpy_only() -> None:
    # Shipped next to modeling_asen.py in saved checkpoints: it may import nothing but the stdlib and numpy.
    for name in ("orbit_coloring.py", "group_specs.py"):
        roots = _imported_roots(PACKAGE / name)
        assert roots - set(sys.stdlib_module_names) <= {"numpy"}, (name, roots)


def test_cli_registers_every_subcommand() -> None:
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    assert {"orbits", "data", "demo"} <= set(choices)
