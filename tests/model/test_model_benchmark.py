"""benchmarks/model.py runs end to end at toy sizes (sequence and grid variants) and refuses bad flags."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "model.py"
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.mark.parametrize("flags", [["--sizes", "12"], ["--grid", "4"]])
def test_model_benchmark_prints_one_row_per_variant(flags: list[str]) -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), *flags, "--repeats", "1", "--tiny"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    rows = [line for line in run.stdout.splitlines() if line.startswith("| 1")]
    assert len(rows) == (5 if "--sizes" in flags else 6)
    assert rows[0].split("|")[4].strip() == "1.00"  # the baseline's ratio


def test_model_benchmark_bad_flag_is_one_line_and_exit_2() -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--repeats", "0"], capture_output=True, text=True, env=ENV
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
