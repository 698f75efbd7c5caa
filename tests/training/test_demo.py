"""``asen demo`` end to end at toy sizes: from a pretrained model to a new task and group, finetuned and
from scratch over two seeds; the comparison table, the plot and every run where it says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asen_fm.cli import main

from .conftest import TINY


@pytest.mark.slow
def test_demo_compares_base_and_scratch_over_seeds(
    pretrain_script, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    pretrain_script.main(
        [*TINY, "--tasks", "intersect,palindrome", "--n", "8", "--size", "120", "--max_steps", "3",
         "--output_dir", str(tmp_path / "base")]
    )  # fmt: skip
    out = tmp_path / "demo"
    flags = ["--model", str(tmp_path / "base" / "model"), "--output_dir", str(out), "--steps", "3"]
    assert main(["demo", *flags, "--train_size", "32", "--seeds", "0,1"]) == 0
    printed = capsys.readouterr().out
    assert "has_palindrome on reversal(8), 32 training rows, 3 steps" in printed
    assert "base + finetuned" in printed and "from scratch" in printed and "mean ± std" in printed
    assert "ahead in" in printed and "of 2 seeds" in printed
    assert (out / "comparison.png").stat().st_size > 0
    summary = json.loads((out / "comparison.json").read_text())
    assert summary["seeds"] == [0, 1] and len(summary["finetuned"]) == len(summary["scratch"]) == 2
    for run in ("finetuned_seed0", "scratch_seed1"):
        assert (out / run / "model" / "config.json").exists() and (out / run / "curves.png").exists()
    finetuned = json.loads((out / "finetuned_seed0" / "metrics.json").read_text())
    assert finetuned["learning_rates"]["backbone"] == pytest.approx(
        0.3 * finetuned["learning_rates"]["heads"]
    )
    scratch = json.loads((out / "scratch_seed1" / "metrics.json").read_text())
    assert scratch["config"]["from_scratch"] and scratch["tasks"]["has_palindrome"]["train_rows"] == 32


def test_demo_refuses_bad_seeds_and_a_missing_model(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["demo", "--seeds", "a,b", "--output_dir", str(tmp_path / "x")]) == 2
    assert "--seeds must be comma-separated integers" in capsys.readouterr().err
    assert main(["demo", "--model", str(tmp_path / "none"), "--output_dir", str(tmp_path / "x")]) == 2
    assert "has no config.json" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
