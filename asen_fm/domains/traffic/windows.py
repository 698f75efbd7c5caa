"""Speed series [T, N] -> forecasting examples (3 past steps -> next step) as a DatasetDict plus a card.

Shared by the METR-LA / PEMS-BAY converter and the synthetic network. Conventions (DCRNN's where it has
one):

- an example ends at step t: node features are, per sensor, ``[v_{t-2}, tod_{t-2}, v_{t-1}, tod_{t-1},
  v_t, tod_t]`` (float32 [N, 6]), with v the normalised speed and tod the time of day in [0, 1);
  the label is the normalised speed v_{t+1} (float32 [N, 1]);
- split chronologically over examples: test = round(20 %), train = round(70 %), validation the rest;
- normalisation: mean and std of the *observed* (non-zero) speeds in the steps the training examples
  read (inputs and targets); stored in the card so predictions can be de-normalised
  (``speed = label * std + mean``);
- missing readings (zeros, or ``missing`` True) become 0 in normalised units (the training mean) in the
  inputs; a missing target gets label 0 and ``label_mask`` False (bool [N]): score with a masked metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import datasets
import numpy as np
import pyarrow as pa

from asen_fm.symmetry import PermGroup

__all__ = [
    "FEATURE_NAMES",
    "SPLIT_FRACTIONS",
    "build_forecasting",
    "graph_edges",
    "split_counts",
    "symmetry_entry",
]

FEATURE_NAMES = ("speed_t-2", "tod_t-2", "speed_t-1", "tod_t-1", "speed_t", "tod_t")
SPLIT_FRACTIONS = {"train": 0.7, "validation": 0.1, "test": 0.2}
HISTORY = 3


def split_counts(num_examples: int) -> dict[str, int]:
    """DCRNN's chronological split: test round(20 %), train round(70 %), validation the rest."""
    test = round(num_examples * SPLIT_FRACTIONS["test"])
    train = round(num_examples * SPLIT_FRACTIONS["train"])
    counts = {"train": train, "validation": num_examples - train - test, "test": test}
    if min(counts.values()) < 1:
        raise ValueError(f"{num_examples} examples are too few for a 70/10/20 split (need at least 10)")
    return counts


def graph_edges(weights: np.ndarray) -> list[list[int]]:
    """Undirected edges [i, j] (i < j) wherever w_ij or w_ji is non-zero, self-loops dropped."""
    w = np.asarray(weights)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"the weight matrix must be square, got shape {w.shape}")
    nz = (w != 0) | (w.T != 0)
    i, j = np.nonzero(np.triu(nz, k=1))
    return [[int(a), int(b)] for a, b in zip(i, j, strict=True)]


def symmetry_entry(group: PermGroup, edges: Iterable[Sequence[int]], framework: str) -> dict[str, Any]:
    """The task card's symmetry entry: a spec string when the group has a registered name, else its JSON."""
    if framework not in ("full", "sparse", "weakly_sparse"):
        raise ValueError(f"framework must be 'full', 'sparse' or 'weakly_sparse', got {framework!r}")
    spec = group._spec  # set only for groups the spec parser can rebuild
    entry = spec if spec is not None else {"n": group.n, "generators": [g.tolist() for g in group.generators]}
    return {"group": entry, "edges": [[int(i), int(j)] for i, j in edges], "framework": framework}


def _nested(values: np.ndarray, kind: pa.DataType) -> pa.Array:
    """An array [rows, d1, d2, ...] as an Arrow list-of-lists column (built from the flat buffer, not
    from Python lists: seconds -> milliseconds for thousands of [207, 6] rows)."""
    array: pa.Array = pa.array(np.ascontiguousarray(values).reshape(-1), type=kind)
    for size in reversed(values.shape[1:]):
        offsets = pa.array(np.arange(0, len(array) + 1, size, dtype=np.int32))
        array = pa.ListArray.from_arrays(offsets, array)
    return array


def _features(n: int) -> datasets.Features:
    floats = datasets.List(datasets.List(datasets.Value("float32")))
    return datasets.Features(
        {
            "node_features": floats,
            "labels": floats,
            "label_mask": datasets.List(datasets.Value("bool")),
            "time_index": datasets.Value("int64"),
        }
    )


def build_forecasting(
    speeds: np.ndarray,
    time_of_day: np.ndarray,
    weights: np.ndarray,
    *,
    missing: np.ndarray | None = None,
    group: PermGroup | None = None,
    framework: str = "full",
    stride: int = 1,
    max_examples: int | None = None,
    description: str,
    extra: dict[str, Any] | None = None,
) -> tuple[datasets.DatasetDict, dict[str, Any]]:
    """Windows of ``speeds`` (float [T, N], 0 = missing unless ``missing`` is given) -> (DatasetDict, card).

    ``time_of_day`` is float [T] in [0, 1); ``weights`` the [N, N] road-graph weights (its non-zeros are
    the card's edges); ``group`` defaults to S_N. ``stride`` keeps every stride-th example and
    ``max_examples`` the first ones (both before the split, so the split stays chronological).
    """
    v = np.asarray(speeds, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"speeds must be [T, N], got shape {v.shape}")
    t_steps, n = v.shape
    tod = np.asarray(time_of_day, dtype=np.float64)
    if tod.shape != (t_steps,):
        raise ValueError(f"time_of_day must have shape ({t_steps},), got {tod.shape}")
    if np.asarray(weights).shape != (n, n):
        raise ValueError(f"weights must be [{n}, {n}] for {n} sensors, got {np.asarray(weights).shape}")
    miss = (v == 0) | ~np.isfinite(v) if missing is None else np.asarray(missing, dtype=bool)
    if miss.shape != v.shape:
        raise ValueError(f"missing must have the speeds' shape {v.shape}, got {miss.shape}")
    if not isinstance(stride, int) or stride < 1:
        raise ValueError(f"stride must be a positive int, got {stride!r}")
    ends = np.arange(HISTORY - 1, t_steps - 1)[::stride]  # last input step of each example
    if max_examples is not None:
        ends = ends[:max_examples]
    counts = split_counts(len(ends))

    # Normalisation from the observed readings the training examples touch.
    last_train_step = int(ends[counts["train"] - 1]) + 1
    train_obs = v[: last_train_step + 1][~miss[: last_train_step + 1]]
    if train_obs.size == 0:
        raise ValueError("the training period has no observed readings; cannot normalise")
    mean, std = float(train_obs.mean()), float(train_obs.std())
    std = std if std > 0 else 1.0
    z = np.where(miss, 0.0, (np.where(miss, 0.0, v) - mean) / std).astype(np.float32)

    steps = ends[:, None] + np.arange(-HISTORY + 1, 1)[None, :]  # [E, 3]
    speed_in = z[steps].transpose(0, 2, 1)  # [E, N, 3]
    tod_in = np.broadcast_to(tod[steps][:, None, :], speed_in.shape).astype(np.float32)
    x = np.stack([speed_in, tod_in], axis=-1).reshape(len(ends), n, 2 * HISTORY)
    y = z[ends + 1][..., None]
    mask = ~miss[ends + 1]

    group = PermGroup.symmetric(n) if group is None else group
    if group.n != n:
        raise ValueError(f"group {group} acts on {group.n} points but the network has {n} sensors")
    edges = graph_edges(weights)
    features = _features(n)
    splits, start = {}, 0
    for split, count in counts.items():
        rows = slice(start, start + count)
        start += count
        columns = {
            "node_features": _nested(x[rows], pa.float32()),
            "labels": _nested(y[rows], pa.float32()),
            "label_mask": _nested(mask[rows], pa.bool_()),
            "time_index": pa.array(ends[rows].astype(np.int64)),
        }
        table = pa.table(columns)
        splits[split] = datasets.Dataset(
            table.cast(features.arrow_schema), info=datasets.DatasetInfo(features=features), split=split
        )
    card = {
        "symmetry": symmetry_entry(group, edges, framework),
        "head": "node_regression",
        "num_labels": 1,
        "problem_type": "regression",
        "loss": "l1",
        "metrics": ["mae", "rmse", "mape"],
        "description": description,
        "label_mask": "label_mask",
        "normalization": {"mean": mean, "std": std, "applies_to": ["labels", "speed features"]},
        "feature_names": list(FEATURE_NAMES),
        "num_nodes": n,
        "split_sizes": counts,
        **(extra or {}),
    }
    return datasets.DatasetDict(splits), card
