"""What a training run records (``TrainingHistory``) and hands back when it ends (``TrainingOutcome``).

Written by the loop (``loop.py``), read by what a run leaves on disk (``outputs.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["TrainingHistory", "TrainingOutcome"]


class TrainingHistory:
    """Append-only records: ``train`` rows {step, task, loss}; ``eval`` rows {step, task, split, metrics}."""

    def __init__(self) -> None:
        self.train: list[dict[str, Any]] = []
        self.eval: list[dict[str, Any]] = []

    def log_train(self, step: int, task: str, loss: float) -> None:
        """One micro-batch: the optimizer step it belongs to (1-based), its task and its loss."""
        self.train.append({"step": int(step), "task": task, "loss": float(loss)})

    def log_eval(self, step: int, task: str, split: str, metrics: Mapping[str, float]) -> None:
        """Evaluation of ``task`` on ``split`` after optimizer step ``step`` (0 = before training)."""
        self.eval.append(
            {"step": int(step), "task": task, "split": split, **{k: float(v) for k, v in metrics.items()}}
        )

    def train_losses(self, task: str | None = None) -> list[float]:
        """Training losses in order, of one task or of all."""
        return [row["loss"] for row in self.train if task is None or row["task"] == task]

    def latest_eval(self, split: str) -> dict[str, dict[str, float]]:
        """The most recent evaluation row of each task on ``split``, without the bookkeeping keys."""
        latest: dict[str, dict[str, float]] = {}
        for row in self.eval:
            if row["split"] == split:
                latest[row["task"]] = {k: v for k, v in row.items() if k not in ("step", "task", "split")}
        return latest

    def state_dict(self) -> dict[str, Any]:
        """Plain-data copy (for ``accelerator.save_state``)."""
        return {"train": [dict(r) for r in self.train], "eval": [dict(r) for r in self.eval]}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Replace the record with a saved one."""
        self.train = [dict(r) for r in state["train"]]
        self.eval = [dict(r) for r in state["eval"]]


@dataclass
class TrainingOutcome:
    """What a finished run hands back: the unwrapped model, its history and throughput figures.

    ``step_seconds`` holds the wall time of each optimizer step of this session (sampling, forward,
    backward, clipping, optimizer and schedule; logging, evaluation and checkpointing excluded). ``code`` is
    read when training starts, so a source file edited while a run trains does not relabel the run.
    """

    model: torch.nn.Module
    history: TrainingHistory
    steps: int
    start_step: int
    world_size: int
    examples_seen: int
    train_seconds: float
    wall_seconds: float
    step_seconds: list[float]
    code: dict[str, Any]  # the code version when training started (outputs.code_version)

    @property
    def steps_per_second(self) -> float:
        """Optimizer steps per second of pure training (evaluation and checkpointing excluded)."""
        return (self.steps - self.start_step) / self.train_seconds if self.train_seconds > 0 else 0.0
