"""``asen_fm.metrics`` on hand-computed cases, masks, sharding-invariance and Procrustes alignment."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from asen_fm import metrics
from asen_fm.metrics import METRICS, compute, per_example, procrustes_align


def test_classification_by_hand() -> None:
    pred = torch.tensor([[1, 0, 1], [0, 0, 0]])
    target = torch.tensor([[1, 1, 1], [0, 0, 0]])
    assert metrics.accuracy(pred, target) == pytest.approx(5 / 6)
    assert metrics.sequence_accuracy(pred, target) == pytest.approx(1 / 2)
    mask = torch.tensor([[True, False, True], [True, True, False]])  # the one error is masked out
    assert metrics.accuracy(pred, target, mask) == 1.0
    assert metrics.sequence_accuracy(pred, target, mask) == 1.0


def test_regression_by_hand_and_masks() -> None:
    pred = np.array([[1.0, 2.0], [0.0, 4.0]])
    target = np.array([[0.0, 2.0], [2.0, 2.0]])
    assert metrics.mae(pred, target) == pytest.approx((1 + 0 + 2 + 2) / 4)
    assert metrics.mse(pred, target) == pytest.approx((1 + 0 + 4 + 4) / 4)
    assert metrics.rmse(pred, target) == pytest.approx(math.sqrt(9 / 4))
    # MAPE skips the zero target: |2-2|/2, |0-2|/2, |4-2|/2 over three terms
    assert metrics.mape(pred, target) == pytest.approx((0 + 1 + 1) / 3)
    mask = np.array([[True, True], [False, True]])
    assert metrics.mae(pred, target, mask) == pytest.approx((1 + 0 + 2) / 3)
    assert math.isnan(metrics.mae(pred, target, np.zeros((2, 2), bool)))


def test_split_value_does_not_depend_on_batching() -> None:
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(10, 4)), rng.normal(size=(10, 4))
    mask = rng.random((10, 4)) > 0.3
    for name in ("mae", "mse", "rmse", "mape"):
        parts = [per_example(name, pred[s], target[s], mask[s]) for s in (slice(0, 3), slice(3, 10))]
        total = sum(float(p[0].sum()) for p in parts)
        count = sum(float(p[1].sum()) for p in parts)
        assert METRICS[name].finish(total, count) == pytest.approx(compute(name, pred, target, mask))


def _rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1
    return q


def test_mpjpe_by_hand() -> None:
    target = np.zeros((1, 2, 3))
    pred = np.array([[[3.0, 4.0, 0.0], [0.0, 0.0, 1.0]]])
    assert metrics.mpjpe(pred, target) == pytest.approx((5 + 1) / 2)
    assert metrics.mpjpe(pred, target, np.array([[False, True]])) == pytest.approx(1.0)


def test_p_mpjpe_is_zero_for_a_similar_copy_and_not_for_a_mirror_image() -> None:
    rng = np.random.default_rng(1)
    target = rng.normal(size=(4, 7, 3))
    moved = np.stack([2.5 * t @ _rotation(rng) + rng.normal(size=3) for t in target])
    assert metrics.mpjpe(moved, target) > 0.5
    assert metrics.p_mpjpe(moved, target) == pytest.approx(0.0, abs=1e-9)
    aligned = procrustes_align(moved, target)
    assert torch.allclose(aligned, torch.as_tensor(target), atol=1e-9)
    mirrored = target * np.array([-1.0, 1.0, 1.0])  # a reflection is not a rotation: error stays
    assert metrics.p_mpjpe(mirrored, target) > 0.1
    # alignment uses the valid nodes only: garbage at a masked node neither moves the fit nor counts
    noisy = moved.copy()
    noisy[:, 0] += 100.0
    mask = np.ones((4, 7), bool)
    mask[:, 0] = False
    assert metrics.p_mpjpe(noisy, target, mask) == pytest.approx(0.0, abs=1e-9)


def test_p_mpjpe_is_at_most_mpjpe() -> None:
    rng = np.random.default_rng(2)
    pred, target = rng.normal(size=(5, 6, 3)), rng.normal(size=(5, 6, 3))
    assert metrics.p_mpjpe(pred, target) <= metrics.mpjpe(pred, target) + 1e-12


def test_errors_are_clear() -> None:
    with pytest.raises(KeyError, match="unknown metric 'f1'"):
        compute("f1", np.zeros((1, 2)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.mae(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"\[batch, n, k\]"):
        metrics.mpjpe(np.zeros((2, 3)), np.zeros((2, 3)))
