"""Evaluation metrics, one place: accuracy, sequence accuracy, MAE, MSE, RMSE, MAPE, MPJPE and P-MPJPE.

Every metric takes ``predictions`` and ``targets`` of one shape (class ids for classification; values for
regression; points [B, n, k] for MPJPE / P-MPJPE) and an optional ``mask`` of valid targets (True = counted;
the targets' shape, or the leading [B, n] of points; a per-node mask of [B, n, k] targets covers the whole
node). Each metric is a ratio of sums: ``per_example`` gives, per example, the sum of the metric's terms
and how many terms were counted, so a split's value is ``sum(sums) / sum(counts)`` however the examples
were batched or sharded over processes (RMSE takes the square root of that ratio). Counts:

  accuracy           one term per valid target: 1 if equal            (fraction of correct targets)
  sequence_accuracy  one term per example: 1 if every valid target is equal (examples with none count 1)
  mae, mse           one term per valid target: |p - t|, (p - t)^2
  rmse               sqrt(mse)
  mape               one term per valid target with t != 0: |p - t| / |t| (zero targets are skipped:
                     their relative error is undefined; mask them out yourself to make this explicit)
  mpjpe              one term per valid node: Euclidean distance ||p_i - t_i|| (mean per-joint error)
  p_mpjpe            mpjpe after aligning each example's prediction to its target by the similarity
                     transform (rotation, uniform scale, translation) minimising squared error over its
                     valid nodes (Procrustes; reflections excluded)

``compute(name, predictions, targets, mask)`` returns the value over a whole batch; the functions
``accuracy(...)``, ``mae(...)``, ... are shorthands for it. Inputs may be torch tensors or NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

Sums = tuple[torch.Tensor, torch.Tensor]  # (sum of terms [B], count of terms [B])


def _tensor(x: Any) -> torch.Tensor:
    return x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))


def _elementwise_mask(mask: torch.Tensor | None, target: torch.Tensor) -> torch.Tensor:
    if mask is None:
        return torch.ones_like(target, dtype=torch.bool)
    mask = mask.to(device=target.device, dtype=torch.bool)
    while mask.dim() < target.dim():
        mask = mask.unsqueeze(-1)
    return mask.expand_as(target)


def _flat(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.shape[0], -1)


def _check(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape:
        raise ValueError(f"predictions {tuple(pred.shape)} and targets {tuple(target.shape)} differ in shape")
    if pred.dim() < 1:
        raise ValueError("metrics need a leading batch axis")


def _accuracy(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None) -> Sums:
    valid = _flat(_elementwise_mask(mask, target))
    correct = _flat(pred == target) & valid
    return correct.sum(dim=1).double(), valid.sum(dim=1).double()


def _sequence_accuracy(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None) -> Sums:
    valid = _flat(_elementwise_mask(mask, target))
    exact = (_flat(pred == target) | ~valid).all(dim=1).double()
    return exact, torch.ones_like(exact)


def _error_sums(power: int) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], Sums]:
    def sums(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None) -> Sums:
        valid = _flat(_elementwise_mask(mask, target))
        error = _flat((pred.double() - target.double()).abs() ** power)
        return torch.where(valid, error, 0.0).sum(dim=1), valid.sum(dim=1).double()

    return sums


def _mape(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None) -> Sums:
    t = _flat(target.double())
    valid = _flat(_elementwise_mask(mask, target)) & (t != 0)
    ratio = (_flat(pred.double()) - t).abs() / torch.where(valid, t.abs(), 1.0)
    return torch.where(valid, ratio, 0.0).sum(dim=1), valid.sum(dim=1).double()


def _node_mask(mask: torch.Tensor | None, points: torch.Tensor) -> torch.Tensor:
    if points.dim() != 3:
        raise ValueError(f"point metrics need [batch, n, k] points, got shape {tuple(points.shape)}")
    if mask is None:
        return torch.ones(points.shape[:2], dtype=torch.bool, device=points.device)
    mask = mask.to(device=points.device, dtype=torch.bool)
    return mask.all(dim=-1) if mask.dim() == 3 else mask


def _mpjpe(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None) -> Sums:
    valid = _node_mask(mask, target)
    distance = torch.linalg.vector_norm(pred.double() - target.double(), dim=-1)
    return torch.where(valid, distance, 0.0).sum(dim=1), valid.sum(dim=1).double()


def procrustes_align(
    predictions: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Each prediction [B, n, k] mapped by the similarity transform s R x + t that best fits its target.

    Least squares over the example's valid nodes (``mask`` [B, n]); R is a rotation (det +1). Float64.
    """
    pred, target = _tensor(predictions).double(), _tensor(targets).double()
    _check(pred, target)
    w = _node_mask(mask, target).double().unsqueeze(-1)  # [B, n, 1]
    count = w.sum(dim=1, keepdim=True).clamp(min=1.0)
    mu_p, mu_t = (w * pred).sum(dim=1, keepdim=True) / count, (w * target).sum(dim=1, keepdim=True) / count
    p0, t0 = (pred - mu_p) * w, (target - mu_t) * w
    cov = p0.transpose(1, 2) @ t0  # [B, k, k]: sum_i p_i t_i^T
    u, s, vh = torch.linalg.svd(cov)
    sign = torch.sign(torch.linalg.det(u @ vh))
    sign = torch.where(sign == 0, torch.ones_like(sign), sign)
    fix = torch.ones_like(s)
    fix[:, -1] = sign
    rotation = u @ torch.diag_embed(fix) @ vh  # maps centred predictions onto targets: p0 @ rotation
    spread = (p0**2).sum(dim=(1, 2)).clamp(min=1e-300)
    scale = (s * fix).sum(dim=1) / spread  # optimal uniform scale
    return scale.view(-1, 1, 1) * ((pred - mu_p) @ rotation) + mu_t


def _p_mpjpe(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None) -> Sums:
    return _mpjpe(procrustes_align(pred, target, mask), target, mask)


@dataclass(frozen=True)
class Metric:
    """A metric: its per-example (sum, count), how the split ratio is finished, and what it applies to."""

    name: str
    sums: Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], Sums]
    kind: str  # "classification" or "regression"
    higher_is_better: bool = False
    needs_points: bool = False
    root: bool = False  # the value is sqrt(sum / count)

    def finish(self, total: float, count: float) -> float:
        """The split value from summed terms and counts (NaN when nothing was counted)."""
        if count <= 0:
            return float("nan")
        value = total / count
        return float(np.sqrt(value)) if self.root else float(value)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", _accuracy, "classification", higher_is_better=True),
        Metric("sequence_accuracy", _sequence_accuracy, "classification", higher_is_better=True),
        Metric("mae", _error_sums(1), "regression"),
        Metric("mse", _error_sums(2), "regression"),
        Metric("rmse", _error_sums(2), "regression", root=True),
        Metric("mape", _mape, "regression"),
        Metric("mpjpe", _mpjpe, "regression", needs_points=True),
        Metric("p_mpjpe", _p_mpjpe, "regression", needs_points=True),
    )
}


def per_example(name: str, predictions: Any, targets: Any, mask: Any = None) -> Sums:
    """(sum of terms, count of terms), each [B], of metric ``name``: add these up over a split."""
    if name not in METRICS:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
    pred, target = _tensor(predictions), _tensor(targets)
    _check(pred, target)
    return METRICS[name].sums(pred, target, None if mask is None else _tensor(mask))


def compute(name: str, predictions: Any, targets: Any, mask: Any = None) -> float:
    """Metric ``name`` over a whole batch (terms summed over examples, then finished)."""
    total, count = per_example(name, predictions, targets, mask)
    return METRICS[name].finish(float(total.sum()), float(count.sum()))


def accuracy(predictions: Any, targets: Any, mask: Any = None) -> float:
    """Fraction of valid targets predicted exactly."""
    return compute("accuracy", predictions, targets, mask)


def sequence_accuracy(predictions: Any, targets: Any, mask: Any = None) -> float:
    """Fraction of examples whose valid targets are all predicted exactly."""
    return compute("sequence_accuracy", predictions, targets, mask)


def mae(predictions: Any, targets: Any, mask: Any = None) -> float:
    """Mean absolute error over valid targets."""
    return compute("mae", predictions, targets, mask)


def mse(predictions: Any, targets: Any, mask: Any = None) -> float:
    """Mean squared error over valid targets."""
    return compute("mse", predictions, targets, mask)


def rmse(predictions: Any, targets: Any, mask: Any = None) -> float:
    """Root of the mean squared error over valid targets."""
    return compute("rmse", predictions, targets, mask)


def mape(predictions: Any, targets: Any, mask: Any = None) -> float:
    """Mean |p - t| / |t| over valid, non-zero targets."""
    return compute("mape", predictions, targets, mask)


def mpjpe(predictions: Any, targets: Any, mask: Any = None) -> float:
    """Mean per-node Euclidean distance between predicted and target points [B, n, k]."""
    return compute("mpjpe", predictions, targets, mask)


def p_mpjpe(predictions: Any, targets: Any, mask: Any = None) -> float:
    """MPJPE after each example's Procrustes alignment (rotation, scale, translation) to its target."""
    return compute("p_mpjpe", predictions, targets, mask)
