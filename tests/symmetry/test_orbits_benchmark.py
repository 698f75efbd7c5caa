"""benchmarks/orbits.py still runs: its SymPy reference agrees with pair_orbits, and the 2-closure,
|G| and model tables agree with the code before issue 18 and with SymPy (tiny sizes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "orbits.py"


def _run(*args: str) -> list[list[str]]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=True, env=env
    ).stdout
    return [[c.strip() for c in line.split("|")[1:-1]] for line in out.splitlines() if line.startswith("| ")]


def test_benchmark_runs_and_reports_agreement() -> None:
    rows = [r for r in _run("--tables", "pairs", "--sizes", "6", "8", "--repeats", "1") if "(" in r[0]]
    assert len(rows) == 6  # reversal, dihedral, swap_halves at n = 6 and 8
    assert all(row[8] == "yes" for row in rows)


def test_closure_and_order_tables_agree_with_before_and_sympy() -> None:
    rows = _run(
        "--tables", "closure", "order", "--closure-max-n", "14", "--closure-repeats", "1",
        "--order-sizes", "20",
    )  # fmt: skip
    closure = [r for r in rows if len(r) == 9 and r[0] != "family"]
    order = [r for r in rows if len(r) == 7 and r[0] != "family"]
    assert {r[1] for r in closure} >= {"AGL(1,13)", "PSL(2,13)", "PSL(3,3)", "A5 on pairs"}
    assert {r[8] for r in closure} == {"yes", "-"} and "AGL(1,13)" in {r[1] for r in closure if r[8] == "yes"}
    assert len(order) == 8 and all(r[6] == "yes" for r in order)
