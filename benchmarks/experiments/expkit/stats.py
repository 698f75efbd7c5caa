"""Numbers out of runs: final and per-step metrics from a metrics payload, and mean +- std over seeds.

The spread is the sample standard deviation (ddof = 1) over seeds, 0 for a single seed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np


def final_metric(payload: dict[str, Any], task: str, metric: str, split: str = "test") -> float:
    """``payload["final"][task][split][metric]``; KeyError naming what is missing."""
    try:
        return float(payload["final"][task][split][metric])
    except KeyError as err:
        known = sorted(payload.get("final", {}).get(task, {}).get(split, {}))
        raise KeyError(f"run has no final {split} {metric!r} for task {task!r} (has: {known})") from err


def metric_curve(
    payload: dict[str, Any], task: str, metric: str, split: str = "validation"
) -> tuple[list[int], list[float]]:
    """(steps, values) of ``metric`` of ``task`` on ``split``, in order (step 0 = before training)."""
    rows = [r for r in payload["eval"] if r["task"] == task and r["split"] == split and metric in r]
    if not rows:
        raise KeyError(f"run has no {split} {metric!r} evaluations of task {task!r}")
    return [int(r["step"]) for r in rows], [float(r[metric]) for r in rows]


def mean_std(values: Iterable[float]) -> tuple[float, float]:
    """(mean, sample std) of ``values``; std is 0 for one value; ValueError for none."""
    data = np.asarray(list(values), dtype=float)
    if data.size == 0:
        raise ValueError("mean_std needs at least one value")
    return float(data.mean()), float(data.std(ddof=1)) if data.size > 1 else 0.0


def summarize(values: Sequence[float]) -> dict[str, Any]:
    """``{"mean", "std", "n", "values"}`` for a results table cell."""
    mean, std = mean_std(values)
    return {"mean": mean, "std": std, "n": len(values), "values": [float(v) for v in values]}


def mean_curve(curves: Sequence[tuple[list[int], list[float]]]) -> dict[str, list[float]]:
    """Pointwise mean and std of seed curves evaluated at the same steps; ValueError if the steps differ."""
    if not curves:
        raise ValueError("mean_curve needs at least one curve")
    steps = curves[0][0]
    for other, _ in curves[1:]:
        if other != steps:
            raise ValueError(f"curves were evaluated at different steps: {steps} vs {other}")
    values = np.asarray([c[1] for c in curves], dtype=float)
    std = values.std(axis=0, ddof=1) if len(curves) > 1 else np.zeros(values.shape[1])
    return {"steps": list(steps), "mean": values.mean(axis=0).tolist(), "std": std.tolist()}


def format_cell(summary: dict[str, Any] | None, digits: int = 3) -> str:
    """``"0.123 +- 0.004 (3)"`` (mean +- std over n seeds), or "not run"."""
    if summary is None:
        return "not run"
    mean, std, n = summary["mean"], summary["std"], summary["n"]
    if math.isnan(mean):
        return "nan"
    text = f"{mean:.{digits}f}"
    return f"{text} ± {std:.{digits}f} ({n})" if n > 1 else f"{text} (1)"


def ordering(own: Sequence[float], other: Sequence[float], lower_is_better: bool = False) -> str:
    """How two seed sets compare: "every seed ahead", "every seed behind" or "seed ranges overlap".

    "Ahead" is for ``own``: all its seeds beat all of ``other``'s (lower or higher, per the metric).
    """
    a, b = (np.asarray(x, dtype=float) for x in (own, other))
    if lower_is_better:
        a, b = -a, -b
    if a.min() > b.max():
        return "every seed ahead"
    if a.max() < b.min():
        return "every seed behind"
    return "seed ranges overlap"
