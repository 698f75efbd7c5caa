"""Training data: tasks named on the command line, their splits as tensors, and the multi-task sampler.

``--tasks intersect,pose=data/pose,hub-user/some-task``: each entry is ``[NAME=]SOURCE`` where SOURCE is a
built-in task name (generated from --n/--size/--data_seed), a task folder (``Task.save`` / ``asen data
build`` output) or a Hub dataset id with a ``task_card.json``. NAME defaults to the built-in name or the
card's ``name``. The datasets are small, so each split is held as tensors and a batch is one
``index_select``, keeping the row order under the (checkpointed) sampler's control.

The sampler: each draw picks a task t with probability p_t (balanced: 1/T; proportional: N_t / sum N),
then the next ``batch_size * num_processes`` rows of that task's current shuffled epoch; rank r keeps its
own slice. Every rank holds the same sampler state, so all ranks train the same task on disjoint rows of
one global batch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from asen_fm.collator import AsenDataCollator
from asen_fm.tasks import TASKS, Task, TaskError, load_task
from asen_fm.tasks.task import SPLITS, column_array
from asen_fm.training.adapters import adapter_kind, chosen_adapter

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_NAME = re.compile(r"^[A-Za-z_][\w-]*$")


@dataclass(frozen=True)
class TaskData:
    """One task's splits as tensors: ``splits[split]`` holds input_ids and/or node_features, and labels.

    ``label_mask`` (bool, True = a valid target) is there when the task's card names a mask column.
    ``adapter`` is the model input adapter the task feeds (asen_fm/training/adapters.py; None: the
    legacy sum of ``tokens`` and ``features``); the splits hold only the input that adapter takes.
    """

    name: str
    task: Task
    splits: dict[str, dict[str, torch.Tensor]]
    adapter: str | None = None

    @property
    def n(self) -> int | None:
        """Nodes per example (the group's degree; None for rows of mixed lengths under a family)."""
        return self.task.n

    @property
    def group(self) -> str:
        """Spec string of the task's group (or family, e.g. ``reversal(*)``)."""
        family = self.task.family
        return str(family) if family is not None else str(self.task.group)

    def size(self, split: str) -> int:
        """Rows in ``split``."""
        return int(self.splits[split]["labels"].shape[0])

    def batch(self, split: str, rows: np.ndarray | torch.Tensor) -> dict[str, torch.Tensor]:
        """The rows ``rows`` of ``split`` as a batch dict."""
        index = torch.as_tensor(np.asarray(rows), dtype=torch.long)
        return {key: value.index_select(0, index) for key, value in self.splits[split].items()}

    def attach_to(self, model: Any, name: str | None = None, symmetry: str | None = None) -> None:
        """``model.add_task(name, symmetry entry, **card)``; a regression head starts at the mean target.

        The card's symmetry entry (spec, group JSON, or graph dict) goes to the model unchanged; with
        ``symmetry`` the head uses the model's existing symmetry of that name (no new embedder). Starting
        the output bias at the mean of the valid targets (per output) means L1/MSE training begins from
        the best constant prediction instead of spending its first hundreds of steps walking the bias there.
        """
        name = name or self.name
        group = None if symmetry else self.task.symmetry
        model.add_task(name, group, **self.task.task_entry(), symmetry=symmetry, adapter=self.adapter)
        if self.task.problem_type != "regression":
            return
        labels = self.splits["train"]["labels"].to(torch.float64)
        valid = self.splits["train"].get("label_mask", torch.ones(labels.shape, dtype=torch.bool))
        while valid.dim() < labels.dim():  # a per-node mask covers the node's whole target vector
            valid = valid.unsqueeze(-1)
        weights = valid.expand(labels.shape).to(torch.float64).reshape(-1, self.task.num_labels)
        values = torch.where(weights > 0, labels.reshape(-1, self.task.num_labels), 0.0)
        mean = values.sum(dim=0) / weights.sum(dim=0).clamp(min=1)  # one mean per output column
        with torch.no_grad():
            bias = model.heads[name].out.bias
            bias.copy_(mean.to(bias.dtype).expand_as(bias))


def _column(split: Any, key: str, dtype: torch.dtype) -> torch.Tensor:
    values = split.with_format("numpy")[key]
    fast = column_array(values)  # equal-shape nested lists straight from Arrow
    return torch.as_tensor(fast if fast is not None else np.asarray(values), dtype=dtype)


def _flatten_nodes(values: torch.Tensor, key: str, task: Task) -> torch.Tensor:
    """Image-shaped rows ([h, w] ids, [h, w, d] features, per-pixel labels) as n nodes, row-major."""
    rows, n = values.shape[0], task.n
    if key in ("labels", "label_mask") and task.head == "sequence":
        return values
    per_row = values[0].numel()
    if per_row == n and key != "node_features":  # ids, token labels, scalar node targets (features: [n, 1])
        return values.reshape(rows, n)
    return values.reshape(rows, n, per_row // n)  # features [n, d], vector node targets [n, k]


def task_tensors(
    task: Task, name: str | None = None, train_size: int | None = None, adapter: str | None = None
) -> TaskData:
    """``task``'s splits as tensors; ``train_size`` keeps the first training rows (validation/test whole).

    ``adapter`` (default: ``chosen_adapter(task, None)``) names the input adapter the task feeds; only
    the input column that adapter takes is kept.

    Image-shaped rows (a grid group's [h, w] / [h, w, d]) are flattened row-major to n nodes. For i.i.d.
    rows the first ``train_size`` training rows are a uniform subset (the paper's low-data regimes).
    Labels are int64 for classification, float32 for regression.
    """
    name = name or task.name
    if train_size is not None:
        task = task.with_train_rows(train_size, name)
    label_dtype = torch.float32 if task.problem_type == "regression" else torch.long
    adapter = chosen_adapter(task, adapter)
    columns = {"input_ids": ("input_ids", torch.long), "node_features": ("node_features", torch.float32),
               "labels": ("labels", label_dtype)}  # fmt: skip
    kind = adapter_kind(task, adapter)
    if kind is not None:  # one adapter takes one input: the other column stays out of the batches
        columns.pop("input_ids" if kind == "features" else "node_features")
    if task.label_mask:
        columns["label_mask"] = (task.label_mask, torch.bool)
    if task.family is not None:
        splits = {split: _padded_split(task, split, columns) for split in SPLITS}
        return TaskData(name=name, task=task, splits=splits, adapter=adapter)
    splits = {
        split: {key: _flatten_nodes(_column(task.data[split], column, dtype), key, task)
                for key, (column, dtype) in columns.items() if column in task.data[split].column_names}
        for split in SPLITS
    }  # fmt: skip
    return TaskData(name=name, task=task, splits=splits, adapter=adapter)


def _padded_split(
    task: Task, split: str, columns: dict[str, tuple[str, torch.dtype]]
) -> dict[str, torch.Tensor]:
    """Rows of mixed lengths (a family symmetry) padded to the split's longest, with ``attention_mask``.

    Padding is what ``AsenDataCollator`` does for a batch (per-node labels -100 / 0.0, masks False); a
    per-node regression task also gets a ``label_mask`` of its real nodes, so metrics skip the padding.
    """
    rows = task.data[split].with_format("numpy")
    present = {key: column for key, (column, _) in columns.items() if column in rows.column_names}
    examples = [{key: row[column] for key, column in present.items()} for row in rows]
    per_node = task.head != "sequence"
    batch = AsenDataCollator(labels="node" if per_node else "example")(examples)
    out = {key: batch[key].to(dtype) for key, (_, dtype) in columns.items() if key in batch}
    out["attention_mask"] = batch["attention_mask"]
    if "input_ids" in out and out["input_ids"].dim() > 2:  # one image shape: kept [h, w] by the collator
        out["input_ids"] = out["input_ids"].flatten(1, 2)
    if "node_features" in out and out["node_features"].dim() > 3:
        out["node_features"] = out["node_features"].flatten(1, 2)
    if per_node and task.problem_type == "regression":
        real = batch["attention_mask"].bool()
        out["label_mask"] = real & out["label_mask"] if "label_mask" in out else real
    return out


def split_task_list(text: str) -> list[tuple[str | None, str]]:
    """``"intersect, pose=data/pose"`` -> [(None, "intersect"), ("pose", "data/pose")]."""
    entries = [part.strip() for part in text.split(",") if part.strip()]
    if not entries:
        raise ValueError(f"--tasks needs at least one task, got {text!r}")
    refs: list[tuple[str | None, str]] = []
    for entry in entries:
        name, sep, source = (piece.strip() for piece in entry.partition("="))
        if sep and (not source or not _NAME.match(name)):
            raise ValueError(f"task entry {entry!r} is not NAME=SOURCE (NAME: letters, digits, _ and -)")
        refs.append((name, source) if sep else (None, entry))
    return refs


def load_task_source(source: str, *, n: int | None = None, size: int | None = None, seed: int = 0) -> Task:
    """A built-in task name (generated with n, size, seed), a task folder, or a Hub dataset id."""
    if source in TASKS:
        return load_task(source, n=n, size=size, seed=seed)
    path = Path(source).expanduser()
    if path.exists():
        return Task.load(path)
    if _HUB_ID.match(source) and not source.startswith("."):
        return Task.load(source)
    raise TaskError(
        f"{source!r} is not a built-in task ({', '.join(TASKS)}), an existing folder, or a Hub id user/name"
    )


def resolve_tasks(
    text: str,
    *,
    n: int | None = None,
    size: int | None = None,
    seed: int = 0,
    groups: str = "",
    train_size: int | None = None,
    ids_as_features: bool = False,
    unit_labels: bool = False,
    adapters: str = "",
) -> dict[str, TaskData]:
    """Every task of a ``--tasks`` list, loaded, validated, regrouped per ``groups`` and as tensors.

    ``groups`` is the ``--groups`` text (see ``parse_group_overrides``); ``adapters`` the ``--adapters``
    text in the same form (``"pose=joints2d; digits=pixels"``, or one adapter name for every task).
    ``ids_as_features`` feeds token ids as one node feature each (``Task.with_ids_as_features``);
    ``unit_labels`` maps regression labels of the regression tasks onto [0, 1] by the training rows'
    range (``Task.with_unit_labels``; after ``train_size``, so the range is that of the rows trained on).
    """
    loaded: dict[str, Task] = {}
    for name, source in split_task_list(text):
        task = load_task_source(source, n=n, size=size, seed=seed)
        name = name or task.name
        if name in loaded:
            raise ValueError(f"two tasks are named {name!r}; give one a NAME=SOURCE prefix")
        loaded[name] = task
    overrides = parse_group_overrides(groups, list(loaded))
    adapter_names = parse_overrides(adapters, list(loaded), "--adapters", "ADAPTER")
    resolved = {}
    for name, task in loaded.items():
        if overrides[name] is not None:
            task = task.with_group(overrides[name])
        if train_size is not None:
            task = task.with_train_rows(train_size)
        if ids_as_features:
            task = task.with_ids_as_features()
        if unit_labels and task.problem_type == "regression":
            task = task.with_unit_labels()
        resolved[name] = task_tensors(task, name, adapter=adapter_names[name])
    return resolved


def parse_group_overrides(text: str, names: Sequence[str]) -> dict[str, str | None]:
    """``--groups`` text -> {task: group spec or None (its own group)} for every task in ``names``.

    ``""`` keeps every task's own group; a single spec or bare name (``"trivial"``) applies to every task;
    ``"intersect=trivial; palindrome=reversal(10)"`` overrides only the named tasks (``;`` separates
    entries because group specs contain commas).
    """
    return parse_overrides(text, names, "--groups", "GROUP")


def parse_overrides(text: str, names: Sequence[str], flag: str, what: str) -> dict[str, str | None]:
    """``"a=X; b=Y"`` (or one value for every task) -> {task: value or None} for every task in ``names``."""
    text = text.strip()
    if not text:
        return dict.fromkeys(names)
    if "=" not in text:
        return dict.fromkeys(names, text)
    overrides: dict[str, str | None] = dict.fromkeys(names)
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        task, sep, value = (piece.strip() for piece in entry.partition("="))
        if not sep or not task or not value:
            raise ValueError(f"{flag} entry {entry!r} is not TASK={what}")
        if task not in overrides:
            raise ValueError(f"{flag} names task {task!r}, which is not one of the tasks {list(names)}")
        overrides[task] = value
    return overrides


Weighting = Literal["balanced", "proportional", "temperature"]
WEIGHTINGS: tuple[str, ...] = ("balanced", "proportional", "temperature")


def task_probabilities(
    sizes: Mapping[str, int], weighting: str, temperature: float = 2.0
) -> dict[str, float]:
    """p_t = 1/T ("balanced", the paper's choice), N_t / sum_s N_s ("proportional"), or between them
    ("temperature"): p_t proportional to N_t^(1/temperature) (1: proportional; large: balanced)."""
    if not sizes:
        raise ValueError("need at least one task to sample from")
    for name, size in sizes.items():
        if int(size) < 1:
            raise ValueError(f"task {name!r} has no training rows (size {size})")
    if weighting == "balanced":
        return {name: 1.0 / len(sizes) for name in sizes}
    if weighting in ("proportional", "temperature"):
        if weighting == "temperature" and not temperature >= 1:
            raise ValueError(f"the weighting temperature must be >= 1, got {temperature}")
        power = 1.0 if weighting == "proportional" else 1.0 / temperature
        weights = {name: float(int(size)) ** power for name, size in sizes.items()}
        total = sum(weights.values())
        return {name: weight / total for name, weight in weights.items()}
    raise ValueError(f"unknown task weighting {weighting!r}; choose one of {', '.join(WEIGHTINGS)}")


class MultiTaskSampler:
    """Draws (task, row indices of this rank) batches; ``state_dict``/``load_state_dict`` make resumes exact.

    Rows of task t in epoch e follow the permutation ``default_rng([seed, t, e]).permutation(N_t)``, so the
    state is only the task-choice RNG plus an (epoch, offset) cursor per task. A global batch that runs past
    the end of an epoch continues into the next one: no row is dropped and every batch is full.
    """

    def __init__(
        self,
        sizes: Mapping[str, int],
        batch_size: int,
        *,
        seed: int = 0,
        weighting: str = "balanced",
        temperature: float = 2.0,
        num_processes: int = 1,
        process_index: int = 0,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not 0 <= process_index < num_processes:
            raise ValueError(f"process_index {process_index} outside 0..{num_processes - 1}")
        self.tasks: tuple[str, ...] = tuple(sizes)
        self.sizes = {name: int(sizes[name]) for name in self.tasks}
        self.probabilities = task_probabilities(self.sizes, weighting, temperature)
        # the temperature is part of the weighting only where it is used (older states compare equal)
        self.weighting = f"temperature:{float(temperature)}" if weighting == "temperature" else weighting
        self.batch_size = int(batch_size)
        self.num_processes = int(num_processes)
        self.process_index = int(process_index)
        self.seed = int(seed)
        self._task_rng = np.random.default_rng([self.seed, len(self.tasks), 0x7A5C])
        self._cursor = {name: [0, 0] for name in self.tasks}  # task -> [epoch, offset]
        self.draws = 0

    @property
    def global_batch_size(self) -> int:
        """Rows per draw over all processes: batch_size * num_processes."""
        return self.batch_size * self.num_processes

    def _epoch_order(self, task: str, epoch: int) -> np.ndarray:
        return np.random.default_rng([self.seed, self.tasks.index(task), epoch]).permutation(self.sizes[task])

    def _take(self, task: str, count: int) -> np.ndarray:
        chunks: list[np.ndarray] = []
        epoch, offset = self._cursor[task]
        while count > 0:
            order = self._epoch_order(task, epoch)
            chunk = order[offset : offset + count]
            chunks.append(chunk)
            count -= len(chunk)
            offset += len(chunk)
            if offset == len(order):
                epoch, offset = epoch + 1, 0
        self._cursor[task] = [epoch, offset]
        return np.concatenate(chunks)

    def next_task(self) -> str:
        """Draw the task of the next optimizer step (the same on every rank)."""
        probs = [self.probabilities[name] for name in self.tasks]
        self.draws += 1
        return self.tasks[int(self._task_rng.choice(len(self.tasks), p=probs))]

    def next_rows(self, task: str) -> np.ndarray:
        """This rank's ``batch_size`` row indices of the next global batch of ``task``'s training split."""
        rows = self._take(task, self.global_batch_size)
        start = self.process_index * self.batch_size
        return rows[start : start + self.batch_size]

    def state_dict(self) -> dict[str, Any]:
        """JSON-plain state: enough to continue the exact same sequence of draws."""
        return {
            "tasks": list(self.tasks),
            "sizes": dict(self.sizes),
            "batch_size": self.batch_size,
            "num_processes": self.num_processes,
            "weighting": self.weighting,
            "seed": self.seed,
            "task_rng": self._task_rng.bit_generator.state,
            "cursor": {name: list(c) for name, c in self._cursor.items()},
            "draws": self.draws,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state saved by a sampler with the same tasks, sizes, batch shape, weighting and seed."""
        mine = self.state_dict()
        for key in ("tasks", "sizes", "batch_size", "num_processes", "weighting", "seed"):
            if _plain(state.get(key)) != _plain(mine[key]):
                raise ValueError(
                    f"checkpointed sampler has {key}={state.get(key)!r} but this run has {mine[key]!r}; "
                    "resume with the same tasks, data sizes, batch size, process count, weighting and seed"
                )
        self._task_rng.bit_generator.state = state["task_rng"]
        self._cursor = {name: [int(e), int(o)] for name, (e, o) in state["cursor"].items()}
        self.draws = int(state["draws"])


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(v) for v in value]
    return value
