"""Non-learned forecasts and masked scores in mph for the traffic tasks (arrays, no model).

Inputs are a task split's arrays as :mod:`asen_fm.domains.traffic.windows` writes them: node features
[E, N, 6] = (v_{t-2}, tod, v_{t-1}, tod, v_t, tod) in normalised units (a missing reading is 0, the
training mean), labels [E, N] (normalised v_{t+1}), ``label_mask`` [E, N] and ``time_index`` [E] (t).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from asen_fm import metrics

__all__ = ["denormalize", "historical_average", "last_value", "scores_mph"]

SPEED_COLUMNS = (4, 2, 0)  # v_t, v_{t-1}, v_{t-2}


def denormalize(values: np.ndarray, normalization: dict[str, Any]) -> np.ndarray:
    """Normalised speeds -> mph (``value * std + mean``)."""
    return np.asarray(values, dtype=np.float64) * float(normalization["std"]) + float(normalization["mean"])


def last_value(features: np.ndarray) -> np.ndarray:
    """Predict v_{t+1} = the most recent observed of v_t, v_{t-1}, v_{t-2} (0, the mean, if none)."""
    x = np.asarray(features, dtype=np.float64)
    out = np.zeros(x.shape[:2])
    filled = np.zeros(x.shape[:2], dtype=bool)
    for column in SPEED_COLUMNS:
        take = ~filled & (x[..., column] != 0)
        out[take] = x[..., column][take]
        filled |= take
    return out


def historical_average(
    train_labels: np.ndarray,
    train_mask: np.ndarray,
    train_steps: np.ndarray,
    steps: np.ndarray,
    *,
    steps_per_day: int = 288,
    first_weekday: int | None = None,
) -> np.ndarray:
    """Each sensor's mean observed training target at the same time of day (5-minute slot) and, when
    ``first_weekday`` (weekday of step 0, Monday = 0) is given, the same day type (weekday / weekend);
    falls back to the slot's mean over all days, then to 0 (the training mean). Targets are at t + 1."""
    labels = np.asarray(train_labels, dtype=np.float64)
    mask = np.asarray(train_mask, dtype=bool)

    def keys(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        target = np.asarray(t, dtype=np.int64) + 1
        slot = target % steps_per_day
        if first_weekday is None:
            return slot, np.zeros_like(slot)
        weekend = ((target // steps_per_day + first_weekday) % 7 >= 5).astype(np.int64)
        return slot, weekend

    slot, kind = keys(train_steps)
    n = labels.shape[1]
    sums = np.zeros((steps_per_day, 2, n))
    counts = np.zeros((steps_per_day, 2, n))
    np.add.at(sums, (slot, kind), np.where(mask, labels, 0.0))
    np.add.at(counts, (slot, kind), mask.astype(np.float64))
    by_slot = sums.sum(1) / np.maximum(counts.sum(1), 1)
    table = np.where(counts > 0, sums / np.maximum(counts, 1), by_slot[:, None, :])
    test_slot, test_kind = keys(steps)
    return table[test_slot, test_kind]


def scores_mph(
    predictions: np.ndarray, labels: np.ndarray, mask: np.ndarray, normalization: dict[str, Any]
) -> dict[str, float]:
    """Masked MAE, RMSE (mph) and MAPE (%) of normalised ``predictions`` against normalised ``labels``."""
    pred = denormalize(predictions, normalization)
    true = denormalize(labels, normalization)
    valid = np.asarray(mask, dtype=bool)
    return {
        "mae": metrics.mae(pred, true, valid),
        "rmse": metrics.rmse(pred, true, valid),
        "mape": 100.0 * metrics.mape(pred, true, valid),
    }
