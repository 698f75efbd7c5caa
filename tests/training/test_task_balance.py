"""The input-blind predictor of asen_fm/training/task_balance.py against hand-computed constants: per output
position, the majority class (ignored labels skipped), the mean (MSE) and the median (L1) of the valid
training labels."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from asen_fm.training.data import TaskData
from asen_fm.training.task_balance import input_blind_outputs


def _data(problem_type: str, labels: torch.Tensor, loss: str, num_labels: int, mask=None) -> TaskData:
    train = {"labels": labels} if mask is None else {"labels": labels, "label_mask": mask}
    task = SimpleNamespace(problem_type=problem_type, num_labels=num_labels, loss=loss)
    return TaskData(name="t", task=task, splits={"train": train})


def test_classification_takes_each_positions_majority_and_skips_ignored_labels() -> None:
    labels = torch.tensor([[0, 1, 2], [0, 1, 2], [1, -100, 0], [2, 0, -100]])
    data = _data("single_label_classification", labels, "ce", num_labels=3)
    outputs = input_blind_outputs(data, torch.zeros(5, 3, dtype=torch.long))
    assert outputs.shape == (5, 3, 3)
    assert outputs.argmax(-1).tolist() == [[0, 1, 2]] * 5
    probabilities = outputs[0].exp()
    assert torch.allclose(probabilities[0], torch.tensor([0.5, 0.25, 0.25]), atol=1e-5)
    assert torch.allclose(probabilities[1], torch.tensor([1 / 3, 2 / 3, 0.0]), atol=1e-5)


def test_regression_takes_the_mean_or_the_median_of_the_valid_targets() -> None:
    labels = torch.tensor([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0], [100.0, 30.0]])
    mask = torch.tensor([[True, True], [True, True], [True, True], [False, True]])
    mse = input_blind_outputs(_data("regression", labels, "mse", 2, mask), torch.zeros(3, 2))
    assert mse.shape == (3, 2) and torch.allclose(mse[0], torch.tensor([3.0, 30.0]))
    l1 = input_blind_outputs(_data("regression", labels, "l1", 2, mask), torch.zeros(3, 2))
    assert l1[1, 0] == 3.0 and 20.0 <= l1[1, 1] <= 30.0  # any median of 10, 20, 30, 60 minimises L1


def test_multi_label_gives_the_log_odds_of_each_labels_rate() -> None:
    labels = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    data = _data("multi_label_classification", labels, "bce", num_labels=2)
    outputs = input_blind_outputs(data, torch.zeros(3, 2))
    assert outputs.shape == (3, 2)
    assert torch.allclose(torch.sigmoid(outputs[2]), torch.tensor([0.75, 0.25]), atol=1e-5)
