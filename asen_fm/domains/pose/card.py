"""Pose-lifting arrays -> a DatasetDict and its task card (shared by the synthetic and H36M builders).

The card is a ``task_card.json`` (schema ``asen-fm/task/v1``): :func:`pose_task` turns (data, card) into
a validated :class:`asen_fm.tasks.Task` that ``task.save(folder)`` writes and the training scripts read.
Its symmetry is a graph entry ``{"group", "edges": the 15 bones, "framework", "pairs": "orbits"}``:
``pairs="orbits"`` keeps G's pair-orbit table A^(2) in every cell, as the paper's model has it (left to
the package's default, the trivial group and S_2^6 under the full framework would get node-only
breaking, which is exact for them but not the paper's input).

Columns: ``node_features`` float32 [16, 2] (screen-normalised 2-D joints, VideoPose3D's
``u / w * 2 - 1``, ``v / w * 2 - h / w``), ``labels`` float32 [16, 3] (camera-frame 3-D joints minus
the hip, in **metres**), ``subject`` (str). Metrics are reported in mm: multiply by
``card["metric_scale"]`` (1000).
"""

from __future__ import annotations

from typing import Any

import datasets
import numpy as np

from asen_fm.domains.pose.skeleton import EDGES, GROUPS, NUM_JOINTS
from asen_fm.symmetry import PermGroup
from asen_fm.tasks import Task

__all__ = [
    "FRAMEWORKS",
    "PAIR_MODES",
    "pose_card",
    "pose_dataset",
    "pose_task",
    "resolve_group",
    "symmetry_entry",
]

FRAMEWORKS = ("full", "sparse", "weakly_sparse")
PAIR_MODES = ("orbits", "none")


def resolve_group(group: str | PermGroup | None) -> PermGroup:
    """A skeleton group by name (``trivial``, ``skeleton16_flip``, ``skeleton16_limbs``,
    ``skeleton16_pairs``), a PermGroup on 16 points, or None (trivial)."""
    if group is None:
        return GROUPS["trivial"]()
    if isinstance(group, PermGroup):
        resolved = group
    elif isinstance(group, str) and group.split("(", 1)[0] in GROUPS:
        resolved = GROUPS[group.split("(", 1)[0]]()
    elif isinstance(group, str):
        resolved = PermGroup.parse(group)
    else:
        raise ValueError(f"group must be a name, a spec or a PermGroup, got {type(group).__name__}")
    if resolved.n != NUM_JOINTS:
        raise ValueError(f"group {resolved} acts on {resolved.n} points, the skeleton has {NUM_JOINTS}")
    return resolved


def symmetry_entry(group: PermGroup, framework: str, pairs: str | None = "orbits") -> dict[str, Any]:
    """``{"group", "edges", "framework"[, "pairs"]}``: the group as a spec string when the parser can
    rebuild it, else JSON. ``pairs=None`` leaves the pair-table choice to the model's default."""
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {', '.join(FRAMEWORKS)}, got {framework!r}")
    if pairs is not None and pairs not in PAIR_MODES:
        raise ValueError(f"pairs must be one of {', '.join(PAIR_MODES)} or None, got {pairs!r}")
    spec = group._spec
    entry = spec if spec is not None else {"n": group.n, "generators": [g.tolist() for g in group.generators]}
    out: dict[str, Any] = {"group": entry, "edges": [list(e) for e in EDGES], "framework": framework}
    if pairs is not None:
        out["pairs"] = pairs
    return out


def pose_card(
    group: str | PermGroup | None,
    framework: str,
    description: str,
    source: dict[str, Any] | None = None,
    *,
    name: str = "pose",
    pairs: str | None = "orbits",
) -> dict[str, Any]:
    """The task card (``task_card.json`` fields) for 2-D -> 3-D lifting on the 16-joint skeleton.

    Besides the task format's fields it keeps ``units`` ("m": labels in metres), ``metric_scale`` (1000)
    and ``metric_units`` ("mm"): MPJPE / P-MPJPE come out of training in metres; times 1000 gives mm.
    """
    return {
        "name": name,
        "description": description,
        "symmetry": symmetry_entry(resolve_group(group), framework, pairs),
        "head": "node_regression",
        "num_labels": 3,
        "problem_type": "regression",
        "loss": "mse",
        "metrics": ["mpjpe", "p_mpjpe"],
        "source": dict(source or {}),
        "units": "m",
        "metric_scale": 1000.0,
        "metric_units": "mm",
    }


def pose_task(data: datasets.DatasetDict, card: dict[str, Any]) -> Task:
    """The validated :class:`~asen_fm.tasks.Task` of a builder's (data, card); ``.save(folder)`` writes it."""
    return Task.from_card(data, card)


_FEATURES = datasets.Features(
    {
        "node_features": datasets.List(datasets.List(datasets.Value("float32"))),
        "labels": datasets.List(datasets.List(datasets.Value("float32"))),
        "subject": datasets.Value("string"),
    }
)


def pose_dataset(
    inputs_2d: np.ndarray, targets_3d: np.ndarray, subjects: list[str], split: str
) -> datasets.Dataset:
    """One split from inputs [E, 16, 2], targets [E, 16, 3] (metres, root-relative) and subject names."""
    x, y = np.asarray(inputs_2d, dtype=np.float32), np.asarray(targets_3d, dtype=np.float32)
    if x.ndim != 3 or x.shape[1:] != (NUM_JOINTS, 2):
        raise ValueError(f"2-D inputs must be [E, {NUM_JOINTS}, 2], got {x.shape}")
    if y.shape != (len(x), NUM_JOINTS, 3):
        raise ValueError(f"3-D targets must be [{len(x)}, {NUM_JOINTS}, 3], got {y.shape}")
    if len(subjects) != len(x):
        raise ValueError(f"{len(subjects)} subject names for {len(x)} examples")
    return datasets.Dataset.from_dict(
        {"node_features": x, "labels": y, "subject": list(subjects)}, features=_FEATURES, split=split
    )
