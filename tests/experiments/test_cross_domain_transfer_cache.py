"""benchmarks/experiments/cross_domain_transfer.py reuses a finished run only if it had the same flags."""

from __future__ import annotations

import json

import cross_domain_transfer as cdt


def _finished_run(tmp_path, config: dict) -> None:
    (tmp_path / "metrics.json").write_text(json.dumps({"config": config, "final": {}}))


ARGV = ["--model", "runs/m/model", "--train_size", "200", "--lr", "0.001", "--from-scratch"]
RECORDED = {"model": "runs/m/model", "train_size": 200, "lr": 1e-3, "from_scratch": True, "seed": 0}


def test_flags_parse_into_the_names_a_run_records() -> None:
    assert cdt.flag_values(ARGV) == {
        "model": "runs/m/model",
        "train_size": "200",
        "lr": "0.001",
        "from_scratch": "true",
    }


def test_a_run_with_the_same_flags_is_reused(tmp_path) -> None:
    _finished_run(tmp_path, RECORDED)
    assert cdt.finished(ARGV, tmp_path) is not None
    assert cdt.run(None, ARGV, tmp_path) == {"config": RECORDED, "final": {}}  # no script is called


def test_a_run_trained_with_other_flags_is_not_reused(tmp_path, capsys) -> None:
    _finished_run(tmp_path, {**RECORDED, "train_size": 600})
    assert cdt.changed_flags(json.loads((tmp_path / "metrics.json").read_text()), ARGV) == ["train_size"]
    assert cdt.finished(ARGV, tmp_path) is None
    assert "trained with other train_size: not reused" in capsys.readouterr().out
    _finished_run(tmp_path, {k: v for k, v in RECORDED.items() if k != "from_scratch"})
    assert cdt.finished(ARGV, tmp_path) is None  # a flag the run never recorded counts as changed


def test_a_missing_run_is_not_finished(tmp_path) -> None:
    assert cdt.finished(ARGV, tmp_path / "absent") is None
