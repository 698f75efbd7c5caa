"""Traffic data as package tasks (``asen_fm.tasks.Task``): the builders' (DatasetDict, card) wrapped,
with the group, edge framework and ``pairs`` setting of the symmetry entry chosen explicitly.

    task = traffic_task("metr-la", source="data/METR-LA")                 # S_N, full framework
    task = traffic_task("traffic-synthetic", days=21, clusters="9", framework="sparse")
    task.save("data/traffic")                                              # Task.load reads it back
    other = with_traffic_symmetry(task, group=cluster_group(card["clusters"]["2"]), framework="full")

The symmetry entry is ``{"group": <spec or group JSON>, "edges": <road graph>, "framework": ...,
"pairs": "orbits" | "none"}``. ``pairs`` left out is chosen as the model would: "none" (node-only
breaking) where that is exact and the pair table would exceed n rows under the full framework (the
trivial group on 207 sensors), else "orbits"; the sparse frameworks always need "orbits".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pyarrow as pa

from asen_fm.domains.traffic.clusters import cluster_group, read_clusters
from asen_fm.domains.traffic.windows import symmetry_entry
from asen_fm.symmetry import PermGroup
from asen_fm.tasks import Task
from asen_fm.tasks.task import column_array

__all__ = [
    "TRAFFIC_TASKS",
    "choose_pairs",
    "permute_sensors",
    "resolve_clusters",
    "traffic_task",
    "with_traffic_symmetry",
]

# Task name -> what it reads: the DCRNN files (METR-LA and PEMS-BAY share one converter) or nothing.
TRAFFIC_TASKS = {"metr-la": "source", "pems-bay": "source", "traffic-synthetic": "synthetic"}


def choose_pairs(group: PermGroup, framework: str) -> str:
    """The ``pairs`` setting the model would pick for ``group`` under ``framework`` (see module doc)."""
    if framework != "full":
        return "orbits"
    from asen_fm.configuration_asen import normalize_symmetry

    entry, _ = normalize_symmetry(group, "traffic")
    return str(entry.get("pairs", "orbits"))


def resolve_clusters(clusters: str | Sequence[Any] | np.ndarray, card: dict[str, Any]) -> np.ndarray:
    """A cluster assignment: a list/array of labels, a file (``read_clusters``), or the name of one of
    the card's built-in assignments (the synthetic network's ``"2"`` and ``"9"``)."""
    if isinstance(clusters, str):
        builtin = card.get("clusters") or {}
        if clusters in builtin:
            return np.asarray(builtin[clusters], dtype=np.int64)
        if not Path(clusters).is_file():
            names = ", ".join(repr(k) for k in builtin) or "none"
            raise ValueError(
                f"clusters {clusters!r} is neither a file nor a built-in assignment of this data ({names})"
            )
        return read_clusters(clusters)
    return np.asarray(clusters)


def with_traffic_symmetry(
    task: Task,
    *,
    group: PermGroup | None = None,
    framework: str | None = None,
    pairs: str | None = None,
) -> Task:
    """``task`` with its symmetry entry rebuilt: ``group`` (default: the task's), ``framework`` (default:
    the task's) and ``pairs`` (default: :func:`choose_pairs`); the road-graph edges are kept."""
    entry = task.symmetry if isinstance(task.symmetry, dict) else {"group": task.symmetry}
    group = task.group if group is None else group
    framework = framework or entry.get("framework", "full")
    if group.n != task.n:
        raise ValueError(f"group {group} acts on {group.n} points but the task has {task.n} sensors")
    pairs = pairs or choose_pairs(group, framework)
    if pairs not in ("orbits", "none"):
        raise ValueError(f"pairs must be 'orbits' or 'none', got {pairs!r}")
    if pairs == "none" and framework != "full":
        raise ValueError(f"pairs='none' (node-only breaking) cannot carry the {framework} framework's graph")
    symmetry = {**symmetry_entry(group, entry.get("edges", []), framework), "pairs": pairs}
    card = {**task.card(), "symmetry": symmetry}
    return Task.from_card(task.data, card)


def traffic_task(
    name: str,
    *,
    source: str | Path | None = None,
    days: int = 21,
    seed: int = 0,
    num_sensors: int = 207,
    group: PermGroup | str | None = None,
    clusters: str | Sequence[Any] | np.ndarray | None = None,
    framework: str = "full",
    pairs: str | None = None,
    stride: int = 1,
    max_examples: int | None = None,
) -> Task:
    """One of :data:`TRAFFIC_TASKS` as a validated ``Task``.

    ``source`` is the DCRNN-layout folder (``metr-la`` / ``pems-bay``; either name reads either data set,
    the name only labels the task); ``days``, ``seed`` and ``num_sensors`` size the synthetic network.
    The group is ``group`` (a ``PermGroup`` or spec string), or the cluster group of ``clusters`` (see
    :func:`resolve_clusters`), or S_N; not both.
    """
    from asen_fm.domains.traffic.metr_la import build_metr_la
    from asen_fm.domains.traffic.synthetic import build_synthetic_traffic

    if name not in TRAFFIC_TASKS:
        raise ValueError(f"unknown traffic task {name!r}; expected one of {', '.join(TRAFFIC_TASKS)}")
    if group is not None and clusters is not None:
        raise ValueError("give a group or a cluster assignment, not both")
    kwargs: dict[str, Any] = {"stride": stride, "max_examples": max_examples}
    if TRAFFIC_TASKS[name] == "source":
        if source is None:
            raise ValueError(f"{name} needs the folder of the DCRNN files (--source DIR)")
        data, card = build_metr_la(source, **kwargs)
    else:
        if source is not None:
            raise ValueError(f"{name} is generated; it takes no source folder")
        data, card = build_synthetic_traffic(num_sensors, days=days, seed=seed, **kwargs)
    n = int(card["num_nodes"])
    if isinstance(group, str):
        group = PermGroup.parse(group)
    if clusters is not None:
        assignment = resolve_clusters(clusters, card)
        if len(assignment) != n:
            raise ValueError(f"the cluster assignment has {len(assignment)} labels for {n} sensors")
        group = cluster_group(assignment)
    task = Task.from_card(data, {**card, "name": name})
    return with_traffic_symmetry(task, group=group, framework=framework, pairs=pairs)


def permute_sensors(task: Task, order: Sequence[int] | np.ndarray) -> Task:
    """``task`` with its sensors renumbered: new sensor k is old sensor ``order[k]`` in every example
    (node features, labels, mask), in the road-graph edges and in the card's per-sensor lists
    (``clusters``, ``coordinates``, ``sensor_ids``). The group is conjugated the same way.

    Sensor numbering is arbitrary, so this changes nothing a model can learn; it lets cluster groups be
    written as consecutive blocks (``block_product``, whose order is known in closed form) while the
    spec parser has no ``clusters([...])`` name.
    """
    from asen_fm.domains.traffic.windows import _nested

    perm = np.asarray(order, dtype=np.int64)
    n = task.n
    if sorted(perm.tolist()) != list(range(n)):
        raise ValueError(f"order must be a permutation of range({n})")
    new_index = np.empty(n, dtype=np.int64)
    new_index[perm] = np.arange(n)
    splits = {}
    for split, rows in task.data.items():
        table = rows.with_format("arrow")[:]
        columns = {}
        for name in table.column_names:
            values = column_array(rows.with_format("numpy")[name])
            if name in ("node_features", "labels", "label_mask") and values is not None:
                kind = pa.bool_() if values.dtype == bool else pa.float32()
                columns[name] = _nested(values[:, perm], kind)
            else:
                columns[name] = table[name]
        schema = rows.features.arrow_schema
        splits[split] = datasets.Dataset(
            pa.table(columns).cast(schema), info=datasets.DatasetInfo(features=rows.features), split=split
        )
    card = task.card()
    entry = dict(card["symmetry"]) if isinstance(card["symmetry"], dict) else {"group": card["symmetry"]}
    group = task.group
    if str(group) not in (f"symmetric({n})", f"trivial({n})"):  # those two are their own conjugates
        moved = [new_index[g[perm]] for g in group.generators]
        entry["group"] = {"n": n, "generators": [g.tolist() for g in moved]}
    if "edges" in entry:
        entry["edges"] = sorted(sorted((int(new_index[i]), int(new_index[j]))) for i, j in entry["edges"])
        entry["edges"] = [list(e) for e in entry["edges"]]
    card["symmetry"] = entry
    if isinstance(card.get("clusters"), dict):
        card["clusters"] = {k: [v[i] for i in perm] for k, v in card["clusters"].items()}
    for key in ("coordinates", "sensor_ids"):
        if isinstance(card.get(key), list) and len(card[key]) == n:
            card[key] = [card[key][i] for i in perm]
    card["sensor_order"] = perm.tolist()
    return Task.from_card(datasets.DatasetDict(splits), card)
