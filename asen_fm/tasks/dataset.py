"""``load_task``: a built-in synthetic task as a ``Task`` (train/validation/test = 70/15/15, with its card).

The built-in tasks are producers of the same format as anyone's own data: ``load_task(...).save(folder)``
(or ``asen data build``) writes a folder that ``Task.load`` reads back; the card's ``source`` records the
generator's settings (task, n, size, seed, params, and the task's own group).
"""

from __future__ import annotations

import re
import zlib
from typing import Any

import datasets
import numpy as np

from asen_fm.symmetry import PermGroup
from asen_fm.tasks.registry import TASKS
from asen_fm.tasks.spec import TaskSpec
from asen_fm.tasks.task import Task

SPLIT_PERCENT = {"validation": 15, "test": 15}  # train gets the rest (70 %)
_BARE_NAME = re.compile(r"^[a-z_]+$")


def task_group(
    name: str, n: int | None = None, group: str | PermGroup | None = None, **params: Any
) -> PermGroup:
    """The group attached to task ``name`` at length n: the task's own, or ``group`` if given.

    ``group`` may be a spec string, a bare constructor name taking only n ("trivial", "symmetric", ...),
    or a ``PermGroup``; its degree must equal n. ``params`` are the task's (checked against n).
    """
    spec = TASKS[name]
    n = spec.default_n if n is None else n
    if group is None:
        return PermGroup.parse(spec.group_spec(n, **params))
    if isinstance(group, PermGroup):
        resolved = group
    elif isinstance(group, str):
        text = group.strip()
        resolved = PermGroup.parse(f"{text}({n})" if _BARE_NAME.match(text) else text)
    else:
        raise ValueError(f"group must be a spec string or a PermGroup, got {type(group).__name__}")
    if resolved.n != n:
        raise ValueError(f"group {str(resolved)!r} acts on {resolved.n} points but task {name!r} has n={n}")
    return resolved


def split_sizes(size: int) -> dict[str, int]:
    """Rows per split: validation and test get floor(15 % of size) each, train the rest."""
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool):
        raise ValueError(f"size must be an int, got {size!r}")
    sizes = {split: size * pct // 100 for split, pct in SPLIT_PERCENT.items()}
    sizes = {"train": size - sum(sizes.values()), **sizes}
    if min(sizes.values()) < 1:
        raise ValueError(f"size={size} is too small for a 70/15/15 split (need size >= 7)")
    return sizes


def task_rng(name: str, seed: int) -> np.random.Generator:
    """The generator for (task, seed): equal seeds give equal data, and tasks get independent streams."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def task_features(spec: TaskSpec) -> datasets.Features:
    """Column types: int64 token lists, and int64 per-node labels / float32 or int64 scalar labels."""
    if spec.head == "token":
        label = datasets.List(datasets.Value("int64"))
    elif spec.problem_type == "regression":
        label = datasets.Value("float32")
    else:
        label = datasets.Value("int64")
    return datasets.Features({"input_ids": datasets.List(datasets.Value("int64")), "labels": label})


def load_task(
    name: str,
    n: int | None = None,
    size: int | None = None,
    seed: int = 0,
    group: str | PermGroup | None = None,
    **params: Any,
) -> Task:
    """Generate built-in task ``name`` (``size`` examples of length n, by ``seed``), split 70/15/15.

    ``group`` replaces the task's own group in the card (e.g. "trivial" for the non-equivariant
    baseline); the data do not depend on it.
    """
    spec = TASKS[name]
    n = spec.default_n if n is None else n
    size = spec.default_size if size is None else size
    resolved = spec.resolve_params(**params)
    spec.check_n(n, **resolved)
    sizes = split_sizes(size)
    n, size, seed = int(n), int(size), int(seed)
    group_obj = task_group(name, n, group, **resolved)
    data = spec.generate(n, size, task_rng(name, seed), **resolved)
    features = task_features(spec)
    splits = {}
    start = 0
    for split, count in sizes.items():
        rows = slice(start, start + count)
        start += count
        columns = {key: value[rows].tolist() for key, value in data.items()}
        splits[split] = datasets.Dataset.from_dict(columns, features=features, split=split)
    source = {"task": name, "n": n, "size": size, "seed": seed, "params": resolved}
    source["task_group"] = spec.group_spec(n, **resolved)
    return Task.from_dataset(
        datasets.DatasetDict(splits),
        group=str(group_obj),
        head=spec.head,
        problem_type=spec.problem_type,
        num_labels=spec.num_labels,
        loss=spec.loss or "ce",
        metrics=spec.metrics,
        name=name,
        description=spec.description,
        vocab_size=spec.vocab_size_for(n, **resolved),
        source=source,
    )
