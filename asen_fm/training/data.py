"""A task's splits as in-memory tensors: ``load_task`` once, then batches are plain row indexing.

The synthetic datasets are small (thousands of length-n rows), so holding them as tensors makes a batch a
single ``index_select`` and keeps the row order under the sampler's (checkpointed) control.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from asen_fm.tasks import TASKS, load_task, read_task_info

SPLITS: tuple[str, ...] = ("train", "validation", "test")


@dataclass(frozen=True)
class TaskTensors:
    """One task's data: ``splits[split] = {"input_ids": int64 [N, n], "labels": [N, n] or [N]}``.

    ``info`` is the metadata ``load_task`` recorded (task, n, group spec, head, num_labels, problem_type,
    ...); ``info["group"]`` is the spec of the group the model should attach to this task.
    """

    name: str
    info: dict[str, Any]
    splits: dict[str, dict[str, torch.Tensor]]

    @property
    def n(self) -> int:
        """Sequence length."""
        return int(self.info["n"])

    @property
    def group(self) -> str:
        """Spec string of the task's group (the override if one was given)."""
        return str(self.info["group"])

    def size(self, split: str) -> int:
        """Rows in ``split``."""
        return int(self.splits[split]["labels"].shape[0])

    def batch(self, split: str, rows: np.ndarray | torch.Tensor) -> dict[str, torch.Tensor]:
        """The rows ``rows`` of ``split`` as a batch dict."""
        index = torch.as_tensor(np.asarray(rows), dtype=torch.long)
        return {key: value.index_select(0, index) for key, value in self.splits[split].items()}

    def attach_to(self, model: Any, name: str) -> None:
        """``model.add_task(name, group, ...)``; a regression head starts at the mean training target.

        Starting the output bias at the mean (per output) means L1/MSE training begins from the best
        constant prediction instead of spending its first hundreds of steps walking the bias there.
        """
        model.add_task(name, self.group, **self.task_entry())
        if self.info["problem_type"] != "regression":
            return
        labels = self.splits["train"]["labels"].to(torch.float64)
        rows = labels.shape[0] if self.info["head"] == "sequence" else labels.shape[0] * self.n
        mean = labels.reshape(rows, -1).mean(dim=0)  # one mean per output column
        with torch.no_grad():
            bias = model.heads[name].out.bias
            bias.copy_(mean.to(bias.dtype).expand_as(bias))

    def task_entry(self) -> dict[str, Any]:
        """Keyword arguments for ``AsenForMultiTask.add_task`` besides the name and group."""
        return {
            "head": self.info["head"],
            "num_labels": int(self.info["num_labels"]),
            "problem_type": self.info["problem_type"],
            "loss": self.info["loss"],
        }


def _column(split: Any, key: str, dtype: torch.dtype) -> torch.Tensor:
    return torch.as_tensor(np.asarray(split.with_format("numpy")[key]), dtype=dtype)


def load_task_tensors(
    name: str,
    *,
    n: int | None = None,
    size: int | None = None,
    seed: int = 0,
    group: str | None = None,
    train_size: int | None = None,
) -> TaskTensors:
    """``load_task(name, n, size, seed, group)`` as tensors; ``train_size`` keeps the first training rows.

    The rows are i.i.d., so the first ``train_size`` training rows are a uniform subset (the paper's
    low-data finetuning regimes); validation and test are untouched.
    """
    spec = TASKS[name]
    dataset = load_task(name, n=n, size=size, seed=seed, group=group)
    info = read_task_info(dataset)
    label_dtype = torch.float32 if spec.problem_type == "regression" else torch.long
    splits = {
        split: {
            "input_ids": _column(dataset[split], "input_ids", torch.long),
            "labels": _column(dataset[split], "labels", label_dtype),
        }
        for split in SPLITS
    }
    if train_size is not None:
        available = splits["train"]["labels"].shape[0]
        if not 1 <= train_size <= available:
            raise ValueError(
                f"task {name!r}: train_size must be in 1..{available} (the train split), got {train_size}"
            )
        splits["train"] = {key: value[:train_size] for key, value in splits["train"].items()}
    return TaskTensors(name=name, info=info, splits=splits)


def parse_group_overrides(text: str, task_names: list[str]) -> dict[str, str | None]:
    """``--groups`` text -> {task: group spec or None (its own group)} for every task in ``task_names``.

    ``""`` keeps every task's own group; a single spec or bare name (``"trivial"``) applies to every task;
    ``"intersect=trivial; palindrome=reversal(10)"`` overrides only the named tasks (``;`` separates
    entries because group specs contain commas).
    """
    text = text.strip()
    if not text:
        return dict.fromkeys(task_names)
    if "=" not in text:
        return dict.fromkeys(task_names, text)
    overrides: dict[str, str | None] = dict.fromkeys(task_names)
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        task, sep, group = (piece.strip() for piece in entry.partition("="))
        if not sep or not task or not group:
            raise ValueError(f"--groups entry {entry!r} is not TASK=GROUP")
        if task not in overrides:
            raise ValueError(f"--groups names task {task!r}, which is not one of the tasks {task_names}")
        overrides[task] = group
    return overrides
