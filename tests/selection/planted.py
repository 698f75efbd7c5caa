"""A small token task with a planted symmetry: its labels are invariant under cyclic shifts only."""

from __future__ import annotations

from pathlib import Path

import datasets
import numpy as np

from asen_fm.tasks import Task

# Tiny from-scratch model and budget shared by the selection tests.
TINY = dict(
    hidden_size=32, num_layers=1, num_heads=4, intermediate_size=64, dropout=0.0,
    batch_size=32, lr=5e-3, warmup_steps=10, mixed_precision="no",
)  # fmt: skip


def ring_balance(x: np.ndarray) -> np.ndarray:
    """Per row: cyclic ascents (x[i+1] = x[i] + 1 mod 3) minus descents. A rotation keeps it; a reversal
    turns ascents into descents and flips its sign, so only the cyclic group leaves it invariant."""
    step = (np.roll(x, -1, axis=-1) - x) % 3
    return (step == 1).sum(-1) - (step == 2).sum(-1)


def planted_task(n: int = 8, rows: tuple[int, int, int] = (100, 200, 200), seed: int = 0) -> Task:
    """Regression on ring_balance of n tokens in {0, 1, 2}; the card claims no symmetry (trivial)."""
    rng = np.random.default_rng(seed)
    splits = {}
    for split, count in zip(("train", "validation", "test"), rows, strict=True):
        x = rng.integers(0, 3, (count, n))
        labels = ring_balance(x).astype(np.float32)
        splits[split] = datasets.Dataset.from_dict({"input_ids": x.tolist(), "labels": labels.tolist()})
    return Task.from_dataset(
        datasets.DatasetDict(splits), group=f"trivial({n})", head="sequence", name="planted", loss="mse"
    )


def saved_planted_task(folder: Path, **kwargs) -> str:
    planted_task(**kwargs).save(folder)
    return str(folder)
