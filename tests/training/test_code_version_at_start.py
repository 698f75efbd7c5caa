"""A run records the code version read when its training started, not the one on disk when it finished
(a source file edited while a long run trains must not relabel it)."""

from __future__ import annotations

import json
from pathlib import Path

import asen_fm.training.loop as loop
import asen_fm.training.outputs as outputs

from .conftest import TINY


def test_metrics_record_the_code_version_from_the_start_of_training(
    pretrain_script, tmp_path: Path, monkeypatch
) -> None:
    start = {"package_version": "x", "git_commit": "a" * 40, "git_dirty": False, "source_sha256": "start"}
    monkeypatch.setattr(loop, "code_version", lambda: dict(start))
    monkeypatch.setattr(outputs, "code_version", lambda: {**start, "source_sha256": "edited meanwhile"})
    payload = pretrain_script.main(
        [*TINY, "--tasks", "intersect", "--size", "64", "--max_steps", "2", "--eval_every", "2",
         "--save_every", "2", "--output_dir", str(tmp_path / "run")]
    )  # fmt: skip
    assert payload["code"] == start
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["code"] == start
