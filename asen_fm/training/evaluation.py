"""Per-task evaluation: each rank scores its rows, ``gather_for_metrics``, then ratios over the split.

A task reports ``loss`` (the mean over examples of the example's loss: CE or BCE, or its card's L1 / MSE,
over its valid targets: not -100, and inside the task's ``label_mask`` column when its card names one)
and every metric its card lists (``asen_fm.metrics``: accuracy, sequence_accuracy, mae, mse, rmse, mape,
mpjpe, p_mpjpe). Predictions are the argmax class (single-label), ``logit > 0``
(multi-label) or the outputs (regression). Classification labels equal to -100 are not counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from asen_fm.metrics import METRICS, per_example

if TYPE_CHECKING:
    from accelerate import Accelerator

    from asen_fm.training.data import TaskData

IGNORE_INDEX = -100


def _fit_outputs(logits: torch.Tensor, labels: torch.Tensor, problem_type: str) -> torch.Tensor:
    """Outputs in the labels' layout: [B, n, C] / [B, C] for single-label, else the labels' shape."""
    if problem_type == "single_label_classification":
        if logits.shape[:-1] != labels.shape:
            raise ValueError(
                f"classification logits {tuple(logits.shape)} do not fit labels {tuple(labels.shape)}"
            )
        return logits
    if logits.shape != labels.shape and logits.shape[-1] == 1 and logits.shape[:-1] == labels.shape:
        logits = logits.squeeze(-1)
    if logits.shape != labels.shape:
        raise ValueError(f"outputs {tuple(logits.shape)} do not fit labels {tuple(labels.shape)}")
    return logits


def _valid(labels: torch.Tensor, problem: str, mask: torch.Tensor | None) -> torch.Tensor:
    """Which targets count: not -100 (single-label) and inside ``mask`` (broadcast over target vectors)."""
    valid = (
        labels != IGNORE_INDEX if problem == "single_label_classification" else torch.ones_like(labels).bool()
    )
    if mask is not None:
        mask = mask.to(device=labels.device, dtype=torch.bool)
        while mask.dim() < valid.dim():
            mask = mask.unsqueeze(-1)
        valid = valid & mask
    return valid


def target_losses(
    logits: torch.Tensor, labels: torch.Tensor, entry: Mapping[str, Any], mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss of each target, which targets count), both [B, T]: CE, BCE, or the entry's L1 / MSE."""
    problem = entry["problem_type"]
    outputs = _fit_outputs(logits, labels, problem)
    batch = labels.shape[0]
    valid = _valid(labels, problem, mask).reshape(batch, -1)
    if problem == "single_label_classification":
        flat = outputs.reshape(-1, outputs.shape[-1]).float()
        safe = torch.where(valid.reshape(-1), labels.reshape(-1), 0)
        losses = F.cross_entropy(flat, safe, reduction="none")
    elif problem == "multi_label_classification":
        losses = F.binary_cross_entropy_with_logits(outputs.float(), labels.float(), reduction="none")
    elif problem == "regression":
        loss = entry.get("loss") or "mse"
        if loss not in ("l1", "mse"):
            raise ValueError(f"unknown regression loss {loss!r}; expected 'l1' or 'mse'")
        error = outputs.float() - labels.float()
        losses = error.abs() if loss == "l1" else error.pow(2)
    else:
        raise ValueError(f"unknown problem_type {problem!r}")
    losses = torch.where(valid, losses.reshape(batch, -1), 0.0)
    return losses, valid


def example_losses(
    logits: torch.Tensor, labels: torch.Tensor, entry: Mapping[str, Any], mask: torch.Tensor | None = None
) -> torch.Tensor:
    """The loss of each example [B]: the mean over its valid targets (0 when it has none)."""
    losses, valid = target_losses(logits, labels, entry, mask)
    return losses.sum(dim=1) / valid.sum(dim=1).clamp(min=1)


def masked_loss(
    logits: torch.Tensor, labels: torch.Tensor, entry: Mapping[str, Any], mask: torch.Tensor
) -> torch.Tensor:
    """The training loss of a batch with a target mask: the mean over all valid targets of the batch."""
    losses, valid = target_losses(logits, labels, entry, mask)
    return losses.sum() / valid.sum().clamp(min=1)


def predictions(logits: torch.Tensor, labels: torch.Tensor, problem_type: str) -> torch.Tensor:
    """What the metrics compare with the labels: class ids, 0/1 decisions or values."""
    outputs = _fit_outputs(logits, labels, problem_type)
    if problem_type == "single_label_classification":
        return outputs.argmax(dim=-1)
    if problem_type == "multi_label_classification":
        return (outputs > 0).to(labels.dtype)
    return outputs


def metric_sums(
    logits: torch.Tensor,
    labels: torch.Tensor,
    entry: Mapping[str, Any],
    metrics: Sequence[str],
    label_mask: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Per-example vectors [B]: ``loss``, and ``<metric>/sum``, ``<metric>/count`` for each metric.

    ``label_mask`` (the task's mask column; True = valid) restricts both to the valid targets.
    """
    problem = entry["problem_type"]
    mask = None
    if problem == "single_label_classification" or label_mask is not None:
        mask = _valid(labels, problem, label_mask)
    predicted = predictions(logits, labels, problem)
    sums = {"loss": example_losses(logits, labels, entry, label_mask).double()}
    for name in metrics:
        total, count = per_example(name, predicted, labels, mask)
        sums[f"{name}/sum"], sums[f"{name}/count"] = total, count
    return sums


def finish_metrics(totals: Mapping[str, float], examples: int, metrics: Sequence[str]) -> dict[str, float]:
    """Split values from summed per-example vectors: loss = mean over examples, metrics = their ratios."""
    values = {"loss": totals["loss"] / examples}
    for name in metrics:
        values[name] = METRICS[name].finish(totals[f"{name}/sum"], totals[f"{name}/count"])
    return values


def task_entry(model: torch.nn.Module, task: str) -> dict[str, Any]:
    """The model's ``config.tasks`` entry of ``task`` (an unset regression loss: the config's default)."""
    entry = dict(model.config.tasks[task])
    if entry["problem_type"] == "regression" and not entry.get("loss"):
        entry["loss"] = getattr(model.config, "regression_loss", "mse")
    return entry


class SplitDataset(Dataset):
    """Rows of one split of a ``TaskData`` as dicts, for a (sharded) evaluation DataLoader."""

    def __init__(self, data: TaskData, split: str, limit: int | None = None) -> None:
        self.columns = {key: value[:limit] for key, value in data.splits[split].items()}

    def __len__(self) -> int:
        return int(self.columns["labels"].shape[0])

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {key: value[index] for key, value in self.columns.items()}


def eval_loader(data: TaskData, split: str, batch_size: int, limit: int | None = None) -> DataLoader:
    """Unshuffled DataLoader over the first ``limit`` rows (default all) of ``split``, to be prepared."""
    return DataLoader(SplitDataset(data, split, limit), batch_size=batch_size, shuffle=False)


@torch.no_grad()
def evaluate(
    accelerator: Accelerator,
    model: torch.nn.Module,
    task: str,
    loader: DataLoader,
    metrics: Sequence[str] = (),
) -> dict[str, float]:
    """``loss`` and ``metrics`` of ``task`` over a prepared ``loader`` (all ranks; shard padding dropped).

    Runs the unwrapped model in eval mode inside ``torch.random.fork_rng`` so that evaluating never changes
    the training random stream (dropout, data order), whatever the evaluation schedule.
    """
    net = accelerator.unwrap_model(model)
    entry = task_entry(net, task)
    was_training = net.training
    net.eval()
    totals: dict[str, float] = {}
    examples = 0
    with torch.random.fork_rng(devices=[]):
        for batch in loader:
            inputs = {key: value for key, value in batch.items() if key not in ("labels", "label_mask")}
            out = net(**inputs, task=task)
            sums = metric_sums(out.logits, batch["labels"], entry, metrics, batch.get("label_mask"))
            gathered = accelerator.gather_for_metrics(sums)
            for key, values in gathered.items():
                totals[key] = totals.get(key, 0.0) + float(values.double().sum())
            examples += int(gathered["loss"].shape[0])
    net.train(was_training)
    if examples == 0:
        raise ValueError(f"evaluation of task {task!r} saw no examples")
    return finish_metrics(totals, examples, metrics)
