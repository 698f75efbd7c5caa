"""How tasks of different kinds share one backbone: per-task loss normalisation by a constant predictor.

A cross-domain run mixes cross-entropy over 2 classes, over 10 classes, and MSE / L1 of targets in
millimetres or in [0, 1]. Divided by the loss of the best constant prediction on its training labels
(the label entropy for classification, the variance for MSE, the mean absolute deviation from the
median for L1), every task's training loss starts near 1 and a task's step moves the shared weights
by about as much as any other's. The logged losses stay raw; only the gradients are scaled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from asen_fm.training.data import TaskData

LOSS_NORMALISATIONS: tuple[str, ...] = ("none", "baseline")
FLOOR = 1e-3  # a task whose constant predictor is already (nearly) perfect is not scaled up without bound


def _valid_labels(data: TaskData) -> tuple[torch.Tensor, torch.Tensor]:
    """Training labels and a same-shape bool mask of the targets the loss scores."""
    split = data.splits["train"]
    labels = split["labels"]
    valid = split.get("label_mask")
    if valid is None:
        valid = torch.ones(labels.shape, dtype=torch.bool)
    while valid.dim() < labels.dim():
        valid = valid.unsqueeze(-1)
    valid = valid.expand(labels.shape)
    if data.task.problem_type == "single_label_classification":
        valid = valid & (labels != -100)
    return labels, valid


def constant_predictor_loss(data: TaskData) -> float:
    """The training loss of the best constant prediction of ``data``'s training labels (its loss kind)."""
    task = data.task
    labels, valid = _valid_labels(data)
    if task.problem_type == "single_label_classification":
        counts = torch.bincount(labels[valid].long(), minlength=task.num_labels).to(torch.float64)
        p = counts / counts.sum().clamp(min=1)
        return float(-(p[p > 0] * p[p > 0].log()).sum())
    values = labels.to(torch.float64)
    columns = task.num_labels if values.dim() > 1 and values.shape[-1] == task.num_labels else 1
    values, valid = values.reshape(-1, columns), valid.reshape(-1, columns)
    losses = []
    for column in range(columns):
        kept = values[valid[:, column], column]
        if kept.numel() == 0:
            continue
        if task.problem_type == "multi_label_classification":
            q = float(kept.mean().clamp(1e-6, 1 - 1e-6))
            losses.append(-(q * math.log(q) + (1 - q) * math.log(1 - q)))
        elif task.loss == "l1":
            losses.append(float((kept - kept.median()).abs().mean()))
        else:
            losses.append(float(kept.var(unbiased=False)))
    return sum(losses) / max(len(losses), 1)


def loss_scales(data: Mapping[str, TaskData], normalisation: str) -> dict[str, float]:
    """Per-task divisors of the training loss: 1 ("none") or the constant predictor's loss ("baseline")."""
    if normalisation not in LOSS_NORMALISATIONS:
        raise ValueError(f"loss normalisation must be one of {LOSS_NORMALISATIONS}, got {normalisation!r}")
    if normalisation == "none":
        return dict.fromkeys(data, 1.0)
    return {name: max(constant_predictor_loss(task), FLOOR) for name, task in data.items()}


def input_blind_outputs(data: TaskData, labels: torch.Tensor) -> torch.Tensor:
    """Outputs of the best prediction that ignores the input, shaped for ``labels`` (rows of any split):
    per output position, the training labels' class frequencies (as log-probabilities: the majority class
    wins), each label's rate (multi-label, as log-odds) or their mean (MSE) / median (L1). A model has
    learned a task only where it beats this."""
    task = data.task
    train, valid = _valid_labels(data)
    if task.problem_type == "single_label_classification":
        onehot = torch.nn.functional.one_hot(train.clamp(min=0).long(), task.num_labels).to(torch.float64)
        counts = (onehot * valid.unsqueeze(-1)).sum(dim=0)
        frequencies = (counts + 1e-6) / (counts + 1e-6).sum(dim=-1, keepdim=True)
        return frequencies.log().float().expand(*labels.shape, task.num_labels)
    values = train.to(torch.float64)
    if task.problem_type == "multi_label_classification":  # outputs are logits: the log-odds of each rate
        rate = ((values * valid).sum(dim=0) / valid.sum(dim=0).clamp(min=1)).clamp(1e-6, 1 - 1e-6)
        return (rate / (1 - rate)).log().float().expand(labels.shape)
    if task.loss == "l1":
        masked = torch.where(valid, values, torch.nan)
        constant = masked.nanmedian(dim=0).values.nan_to_num(0.0)
    else:
        constant = (values * valid).sum(dim=0) / valid.sum(dim=0).clamp(min=1)
    return constant.float().expand(labels.shape)
