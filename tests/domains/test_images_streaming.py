"""Large Pathfinder splits are streamed to disk chunk by chunk: the same rows as the in-memory builder."""

from __future__ import annotations

import importlib
from pathlib import Path

import datasets
import numpy as np
import pytest

from asen_fm.domains.images.pathfinder import generate_pathfinder, iter_pathfinder

module = importlib.import_module(
    "asen_fm.domains.images.pathfinder_task"
)  # the package re-exports the function


def test_chunks_are_the_generator_s_bytes() -> None:
    whole = generate_pathfinder(50, 16, seed=3, chunk=16, stream=1)
    parts = list(iter_pathfinder(50, 16, seed=3, chunk=16, stream=1))
    assert [len(p) for p in parts] == [16, 16, 16, 2]
    np.testing.assert_array_equal(np.concatenate([p.images for p in parts]), whole.images)
    np.testing.assert_array_equal(np.concatenate([p.labels for p in parts]), whole.labels)


def test_streamed_splits_equal_the_in_memory_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    sizes = {"train": 24, "validation": 6, "test": 6}
    in_memory, card = module.pathfinder_task(resolution=16, sizes=sizes, seed=2)
    monkeypatch.setattr(module, "STREAM_ROWS", 10)  # train is streamed, validation and test are not
    streamed, streamed_card = module.pathfinder_task(resolution=16, sizes=sizes, seed=2)
    assert streamed_card == card
    assert streamed["train"].cache_files  # written to disk and memory-mapped, not built in RAM
    for split in sizes:
        assert streamed[split].features == in_memory[split].features
        for column in ("input_ids", "node_features", "labels"):
            np.testing.assert_array_equal(
                np.asarray(streamed[split].with_format("numpy")[column]),
                np.asarray(in_memory[split].with_format("numpy")[column]),
            )
