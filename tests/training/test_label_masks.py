"""Target masks (a card's ``label_mask`` column): training loss and metrics count valid targets only;
the traffic builder's masked forecasting task trains through the scripts."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch

from asen_fm.tasks import Task
from asen_fm.training.evaluation import masked_loss, metric_sums

from .conftest import TINY

REGRESSION = {"head": "node_regression", "problem_type": "regression", "loss": "l1"}


def test_masked_loss_and_metrics_by_hand() -> None:
    predictions = torch.tensor([[[1.0], [2.0], [3.0]], [[0.0], [0.0], [0.0]]])
    labels = torch.tensor([[[1.0], [1e6], [1.0]], [[1.0], [1.0], [1.0]]])  # 1e6: a missing reading
    mask = torch.tensor([[True, False, True], [True, True, False]])
    assert masked_loss(predictions, labels, REGRESSION, mask).item() == pytest.approx((0 + 2 + 1 + 1) / 4)
    sums = metric_sums(predictions, labels, REGRESSION, ("mae", "mape"), label_mask=mask)
    assert sums["loss"].tolist() == pytest.approx([1.0, 1.0])  # per example: its valid targets only
    assert sums["mae/sum"].sum().item() == pytest.approx(4.0) and sums["mae/count"].sum().item() == 4


def _masked_points(rows: int, seed: int) -> datasets.Dataset:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 5, 2)).astype(np.float32)
    y = x.sum(-1, keepdims=True)
    valid = rng.random((rows, 5)) > 0.3
    y[~valid] = 1e6  # garbage where the target is missing: must never reach the loss or the metrics
    return datasets.Dataset.from_dict(
        {"node_features": x.tolist(), "labels": y.tolist(), "ok": valid.tolist()}
    )


def test_a_masked_task_trains_and_scores_only_valid_targets(pretrain_script, tmp_path: Path) -> None:
    data = datasets.DatasetDict(
        train=_masked_points(64, 0), validation=_masked_points(16, 1), test=_masked_points(16, 2)
    )
    task = Task.from_dataset(data, group="symmetric(5)", head="node_regression", loss="l1", label_mask="ok",
                             metrics=["mae", "rmse"], name="sums")  # fmt: skip
    assert Task.load(task.save(tmp_path / "sums")).label_mask == "ok"
    payload = pretrain_script.main([*TINY, "--tasks", str(tmp_path / "sums"), "--max_steps", "3",
                                    "--output_dir", str(tmp_path / "run")])  # fmt: skip
    assert max(row["loss"] for row in payload["train"]) < 100
    final = payload["final"]["sums"]["test"]
    assert final["mae"] < 100 and final["rmse"] < 100 and final["loss"] < 100


def test_bad_masks_are_named() -> None:
    data = datasets.DatasetDict(
        train=_masked_points(4, 0), validation=_masked_points(4, 1), test=_masked_points(4, 2)
    )
    from asen_fm.tasks import TaskError

    with pytest.raises(TaskError, match="train: no 'valid' column"):
        Task.from_dataset(data, group="symmetric(5)", head="node_regression", label_mask="valid")
    with pytest.raises(TaskError, match="train: 'labels' must be bool"):
        Task.from_dataset(data, group="symmetric(5)", head="node_regression", label_mask="labels")


def test_the_synthetic_traffic_task_trains_through_pretrain(pretrain_script, tmp_path: Path) -> None:
    from asen_fm.domains.traffic.synthetic import build_synthetic_traffic

    data, card = build_synthetic_traffic(num_sensors=20, days=2, max_examples=80)
    task = Task.from_card(data, card)
    assert (task.label_mask, task.input_dim, task.extra["num_nodes"]) == ("label_mask", 6, 20)
    folder = task.save(tmp_path / "traffic")
    assert json.loads((folder / "task_card.json").read_text())["normalization"] == card["normalization"]
    payload = pretrain_script.main([*TINY, "--tasks", f"intersect,traffic={folder}", "--max_steps", "2",
                                    "--size", "100", "--output_dir", str(tmp_path / "run")])  # fmt: skip
    assert set(payload["final"]["traffic"]["test"]) == {"loss", "mae", "rmse", "mape"}
