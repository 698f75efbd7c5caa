"""Which input adapter each task feeds, the adapters a pretraining run builds, and the fit checks of a
finetuning run (asen_fm/input_adapters.py says what an adapter is).

A task feeds the adapter its ``--adapters`` entry names, else its card's ``adapter``, else ``tokens``
(token ids) or ``features`` (node features). A task with both columns and no adapter named keeps the
behaviour of checkpoints without adapters: ids through ``tokens`` plus features through ``features``,
summed. Named, such a task feeds its node features only (images: the intensities; the ids are the same
values quantised).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import torch

from asen_fm.input_adapters import FEATURES, TOKENS, check_input_fits, describe, unknown_adapter

if TYPE_CHECKING:
    from asen_fm.tasks import Task


class TaskData(Protocol):
    """What this module reads of ``asen_fm.training.data.TaskData`` (which imports this module)."""

    name: str
    task: Task
    splits: dict[str, dict[str, torch.Tensor]]
    adapter: str | None


class AdapterError(ValueError):
    """A task that its adapter cannot take (kind, width, unknown name): a usage error of the scripts."""


def chosen_adapter(task: Task, override: str | None) -> str | None:
    """The adapter ``task`` feeds (None: the legacy sum of ``tokens`` and ``features``)."""
    name = override or task.adapter
    if name:
        return name
    if task.vocab_size and task.input_dim:
        return None
    return TOKENS if task.vocab_size else FEATURES


def adapter_kind(task: Task, adapter: str | None) -> str | None:
    """The input kind ``task`` sends its adapter: features when it has them (and an adapter is named)."""
    if adapter is None:
        return None
    return "features" if task.input_dim else "tokens"


def _needs(data: TaskData) -> list[tuple[str, str, int]]:
    """(adapter, kind, size) pairs a task needs: size = vocabulary (tokens) or width (features)."""
    task = data.task
    if data.adapter is None:
        return [(TOKENS, "tokens", task.vocab_size), (FEATURES, "features", task.input_dim)]
    kind = adapter_kind(task, data.adapter)
    return [(data.adapter, kind, task.input_dim if kind == "features" else task.vocab_size)]


def feature_statistics(rows: list[torch.Tensor]) -> tuple[list[float], list[float]]:
    """Per-feature mean and std over every node of ``rows`` ([N, n, d] each); std floored at 1e-6 -> 1."""
    flat = torch.cat([r.reshape(-1, r.shape[-1]).to(torch.float64) for r in rows])
    mean, std = flat.mean(dim=0), flat.std(dim=0, unbiased=False)
    std = torch.where(std > 1e-6, std, torch.ones_like(std))
    return [round(float(v), 6) for v in mean], [round(float(v), 6) for v in std]


def pretraining_adapters(
    data: Mapping[str, TaskData], *, min_vocab: int = 0, standardize: bool = False
) -> dict[str, dict[str, Any]]:
    """The adapters the tasks need, checked: one kind and one width per adapter.

    ``min_vocab`` floors the ``tokens`` vocabulary, which is there even when no task feeds it (so any
    built-in task can be finetuned later);
    ``standardize`` stores each named features adapter's training mean / std (the legacy ``features``
    adapter of a task with both columns keeps raw inputs, as before).
    """
    specs: dict[str, dict[str, Any]] = {}
    owner: dict[str, str] = {}
    features: dict[str, list[torch.Tensor]] = {}
    for name, task in data.items():
        for adapter, kind, size in _needs(task):
            spec = specs.get(adapter)
            if spec is None:
                spec = specs[adapter] = {"kind": kind}
                spec["vocab_size" if kind == "tokens" else "width"] = size
                owner[adapter] = name
            elif spec["kind"] != kind:
                raise AdapterError(
                    f"input adapter {adapter!r} gets {kind} from task {name!r} but {spec['kind']} from task "
                    f"{owner[adapter]!r}; name another adapter with --adapters '{name}=NAME'"
                )
            elif kind == "features" and spec["width"] != size:
                raise AdapterError(
                    f"task {name!r} has node_features of width {size}, but input adapter {adapter!r} takes "
                    f"width {spec['width']} (from task {owner[adapter]!r}); name another adapter with "
                    f"--adapters '{name}=NAME'"
                )
            elif kind == "tokens":
                spec["vocab_size"] = max(spec["vocab_size"], size)
            if kind == "features" and task.adapter is not None:
                features.setdefault(adapter, []).append(task.splits["train"]["node_features"])
    if TOKENS not in specs and min_vocab:  # a token adapter always, so any built-in task can be finetuned
        specs[TOKENS] = {"kind": "tokens", "vocab_size": 0}
    if specs.get(TOKENS, {}).get("kind") == "tokens":
        specs[TOKENS]["vocab_size"] = max(specs[TOKENS]["vocab_size"], min_vocab)
        specs = {TOKENS: specs.pop(TOKENS), **specs}  # first, as the token embedding always was
    if standardize:
        for adapter, rows in features.items():
            specs[adapter]["mean"], specs[adapter]["std"] = feature_statistics(rows)
    return specs


def finetuning_adapter(
    adapters: Mapping[str, dict[str, Any]],
    data: TaskData,
    *,
    new: bool,
    explicit: bool = False,
    standardize: bool = False,
) -> tuple[dict[str, Any] | None, bool]:
    """(spec of a new adapter to add or None, whether the ``tokens`` vocabulary must grow) for ``data``.

    ``new``: the task's adapter is to be created (refused when it exists). Otherwise it must exist
    (``explicit``: the user named it, so a missing one is an unknown name) and take the task's input
    kind and width; the ``tokens`` adapter may grow to a larger vocabulary.
    """
    name = data.adapter
    needs = _needs(data)
    if new:
        if name in adapters:
            raise AdapterError(
                f"input adapter {name!r} already exists ({describe(adapters[name])}); pass --adapter {name}"
            )
        ((_, kind, size),) = needs
        spec: dict[str, Any] = {"kind": kind, ("vocab_size" if kind == "tokens" else "width"): size}
        if standardize and kind == "features":
            spec["mean"], spec["std"] = feature_statistics([data.splits["train"]["node_features"]])
        return spec, False
    grow = False
    for adapter, kind, size in needs:
        if adapter not in adapters:
            if not explicit:
                given = "token ids" if kind == "tokens" else f"node_features of width {size}"
                known = ", ".join(f"{k}: {describe(v)}" for k, v in adapters.items())
                raise AdapterError(
                    f"task {data.name!r} has {given} but the model has no input adapter {adapter!r} "
                    f"({known}); pass --adapter NAME to feed one of them, or --new_adapter NAME to add one"
                )
            raise AdapterError(str(unknown_adapter(adapter, dict(adapters)).args[0]))
        spec = adapters[adapter]
        if kind == "tokens" and spec["kind"] == "tokens" and size > spec["vocab_size"]:
            if adapter != TOKENS:
                raise AdapterError(
                    f"task {data.name!r} uses {size} token ids but input adapter {adapter!r} has "
                    f"{spec['vocab_size']}; only the 'tokens' adapter grows"
                )
            grow = True
            continue
        try:
            check_input_fits(adapter, spec, kind, width=size if kind == "features" else 0)
        except ValueError as err:
            raise AdapterError(f"task {data.name!r}: {err}") from None
    return None, grow
