"""benchmarks/experiments/rerun.py: a finished run retrained from its metrics.json comes out bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rerun
from expkit.runner import from_scratch_flags, train


def _finished_run(root: Path) -> Path:
    model = {"vocab_size": 12, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
             "intermediate_size": 32}  # fmt: skip
    flags = from_scratch_flags(
        model, root, task="intersect", group="cyclic(10)", size=120, train_size=30, max_steps=4,
        eval_every=2, batch_size=8, report_to="none", save_every=0, mixed_precision="no",
    )  # fmt: skip
    train("finetune", flags, root / "run")
    return root / "run"


def test_a_retrained_run_is_bit_for_bit_and_a_changed_record_is_caught(tmp_path, capsys) -> None:
    run = _finished_run(tmp_path / "runs")
    assert rerun.main([str(run), "--out", str(tmp_path / "again")]) == 0
    table = capsys.readouterr().out
    assert "| True | True | True | True | True | 0 |" in table
    record = json.loads((run / "metrics.json").read_text())
    record["final"]["intersect"]["test"]["loss"] += 1e-9  # one number off in the last digits
    (run / "metrics.json").write_text(json.dumps(record))
    assert rerun.main([str(run), "--out", str(tmp_path / "third")]) == 1
    assert "| True | True | True | False | True | 1e-09 |" in capsys.readouterr().out


def test_bad_arguments_exit_2_before_any_training(tmp_path, capsys) -> None:
    (tmp_path / "a" / "run").mkdir(parents=True)
    (tmp_path / "b" / "run").mkdir(parents=True)
    for folder in (tmp_path / "a" / "run", tmp_path / "b" / "run"):
        (folder / "metrics.json").write_text("{}")  # never read: the refusals come first
    (tmp_path / "out" / "run").mkdir(parents=True)
    cases = {
        "no metrics.json": [str(tmp_path), "--out", str(tmp_path / "x")],
        "share a folder name": [str(tmp_path / "a" / "run"), str(tmp_path / "b" / "run"), "--out", "x"],
        "already holds run": [str(tmp_path / "a" / "run"), "--out", str(tmp_path / "out")],
        "must not be the folder holding": [str(tmp_path / "a" / "run"), "--out", str(tmp_path / "a")],
    }
    for message, argv in cases.items():
        capsys.readouterr()
        with pytest.raises(SystemExit) as info:
            rerun.main(argv)
        err = capsys.readouterr().err
        assert info.value.code == 2 and message in err and "Traceback" not in err
