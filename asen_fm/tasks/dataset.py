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
from asen_fm.symmetry.sizes import Family, is_family_spec
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


def parse_lengths(text: str) -> int | tuple[int, int]:
    """``"10"`` -> 10 and ``"6-14"`` -> (6, 14) (a range of lengths, both ends included)."""
    low, sep, high = str(text).strip().partition("-")
    try:
        if not sep:
            return int(low)
        bounds = int(low), int(high)
    except ValueError:
        raise ValueError(f"n must be a length such as 10 or a range such as 6-14, got {text!r}") from None
    if bounds[0] > bounds[1]:
        raise ValueError(
            f"the range of lengths {text!r} runs backwards (low end {bounds[0]} > high end {bounds[1]})"
        )
    return bounds


def load_task(
    name: str,
    n: int | tuple[int, int] | None = None,
    size: int | None = None,
    seed: int = 0,
    group: str | PermGroup | None = None,
    max_n: int | None = None,
    **params: Any,
) -> Task:
    """Generate built-in task ``name`` (``size`` examples of length n, by ``seed``), split 70/15/15.

    ``group`` replaces the task's own group in the card (e.g. "trivial" for the non-equivariant
    baseline); the data do not depend on it. ``n = (low, high)`` draws each row's length uniformly from
    that range (even lengths only for tasks that split the input in halves) under the task's family,
    e.g. ``reversal(*)`` (bounded by ``max_n``; a bare ``group`` name is taken as its family).
    """
    if isinstance(n, (tuple, list)):
        return load_mixed_task(name, tuple(n), size=size, seed=seed, group=group, max_n=max_n, **params)
    if max_n is not None:
        raise ValueError("max_n bounds a family across sizes: pass a range of lengths n=(low, high)")
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


def _family_symmetry(
    spec: TaskSpec, group: Any, max_n: int | None
) -> tuple[str | dict[str, Any], Family | None]:
    """The card's symmetry for a range of lengths: the task's family, a bare name's family, or ``group``."""
    if group is None:
        group = f"{spec.group_name}(*)"
    elif isinstance(group, str) and _BARE_NAME.match(group.strip()):
        group = f"{group.strip()}(*)"
    if isinstance(group, str) and is_family_spec(group):
        family = Family.parse(group, **({"max_n": max_n} if max_n is not None else {}))
        return ({"group": group, "max_n": max_n} if max_n is not None else group), family
    if max_n is not None:
        raise ValueError(f"max_n bounds a family across sizes such as reversal(*), not {group!r}")
    return (group.to_json() if isinstance(group, PermGroup) else group), None


def load_mixed_task(
    name: str,
    lengths: tuple[int, int],
    size: int | None = None,
    seed: int = 0,
    group: str | PermGroup | None = None,
    max_n: int | None = None,
    **params: Any,
) -> Task:
    """Built-in task ``name`` with rows of lengths drawn uniformly from ``lengths = (low, high)``, split
    70/15/15, under the task's family (``reversal(*)`` for palindrome) or ``group``; see ``load_task``."""
    spec = TASKS[name]
    if len(lengths) != 2 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in lengths
    ):
        raise ValueError(f"a range of lengths is (low, high), got {lengths!r}")
    low, high = int(lengths[0]), int(lengths[1])
    if low > high:
        raise ValueError(f"the range of lengths {low}-{high} runs backwards")
    symmetry, family = _family_symmetry(spec, group, max_n)
    if family is not None:  # the family's own limits first: its minimum degree, its bound
        family.check(low, where=f"lengths {low}-{high}")
        family.check(high, where=f"lengths {low}-{high}")
    resolved = spec.resolve_params(**params)
    allowed = [m for m in range(low, high + 1) if not (spec.even_n and m % 2)]
    if not allowed:
        raise ValueError(f"task {name!r} needs even lengths; {low}-{high} has none")
    spec.check_n(allowed[0], **resolved)
    size = spec.default_size if size is None else size
    sizes = split_sizes(size)
    rng = task_rng(name, seed)
    row_lengths = rng.choice(np.asarray(allowed), size=size)
    inputs: list[list[int]] = [[] for _ in range(size)]
    labels: list[Any] = [None] * size
    for length in np.unique(row_lengths):
        rows = np.flatnonzero(row_lengths == length)
        data = spec.generate(int(length), len(rows), rng, **resolved)
        for k, row in enumerate(rows):
            inputs[row], labels[row] = data["input_ids"][k].tolist(), data["labels"][k].tolist()
    splits, start = {}, 0
    for split, count in sizes.items():
        columns = {"input_ids": inputs[start : start + count], "labels": labels[start : start + count]}
        splits[split] = datasets.Dataset.from_dict(columns, features=task_features(spec), split=split)
        start += count
    source = {"task": name, "n": [low, high], "size": size, "seed": seed, "params": resolved}
    source["task_group"] = f"{spec.group_name}(*)"
    return Task.from_dataset(
        datasets.DatasetDict(splits),
        group=symmetry,
        head=spec.head,
        problem_type=spec.problem_type,
        num_labels=spec.num_labels,
        loss=spec.loss or "ce",
        metrics=spec.metrics,
        name=name,
        description=spec.description,
        vocab_size=max(spec.vocab_size_for(m, **resolved) for m in allowed),
        source=source,
    )
