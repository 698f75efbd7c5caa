"""``Task``: a dataset (train / validation / test) plus its card, the one source of what a task means.

A task folder is ``DatasetDict.save_to_disk`` output with one more file, ``task_card.json``:

    {
      "schema": "asen-fm/task/v1",
      "name": "pose",                        # default head / symmetry name when training on it
      "description": "...",
      "symmetry": "dihedral(12)"             # a model ``symmetries`` entry, passed through unchanged:
                | {"group": <spec or {"n", "generators"}>, "edges": [[i, j], ...],
                   "framework": "full" | "sparse" | "weakly_sparse", "directed": false,
                   "pairs": "orbits" | "none"},       # optional: the model's pair-table choice
      "head": "token" | "sequence" | "node_regression",
      "problem_type": "single_label_classification" | "multi_label_classification" | "regression",
      "num_labels": 2,                       # classes, or outputs per node / per example
      "loss": "ce" | "bce" | "l1" | "mse",
      "metrics": ["accuracy", "sequence_accuracy"],   # names in asen_fm.metrics.METRICS
      "vocab_size": 7,                       # token ids are 0..vocab_size-1 (0: no input_ids column)
      "input_dim": 0,                        # node feature width d (0: no node_features column)
      "label_mask": "label_mask",            # optional: a bool column, True where a target is valid
      "adapter": "joints2d",                 # optional: the model input adapter the task feeds (default:
                                             # "tokens" / "features" by input kind)
      "source": {...}                        # free-form provenance (the built-in generator's settings)
    }

Any other top-level field (units, normalisation constants, ...) is kept verbatim in ``Task.extra`` and
written back; one that looks like a misspelt known field ("metircs") is refused. Left out of a card,
``vocab_size`` and ``input_dim`` are read off the data.

Columns: ``input_ids`` int [n] and/or ``node_features`` float [n, d] (image-shaped [h, w] / [h, w, d] for
grid groups: the leading axes multiply to n), and ``labels``: token head [n] class ids (-100 = ignore);
sequence head a class id, 0/1 vector [num_labels] (multi-label) or a float (vector [num_labels]);
node_regression [n] or [n, num_labels] floats; the optional mask column is bool with the labels' node
shape ([n] for per-node heads, [num_labels] or a scalar for the sequence head). n is the degree of the
symmetry's group. ``Task.load`` checks all of this and names the split, column and row of the first violation.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import datasets
import numpy as np

from asen_fm.configuration_asen import ENTRY_KEYS, FAMILY_KEYS
from asen_fm.metrics import METRICS
from asen_fm.symmetry import PermGroup
from asen_fm.symmetry.sizes import Family, is_family_spec

CARD_FILE = "task_card.json"
SCHEMA = "asen-fm/task/v1"
SPLITS: tuple[str, ...] = ("train", "validation", "test")
HEADS: tuple[str, ...] = ("token", "sequence", "node_regression")
PROBLEM_TYPES: tuple[str, ...] = ("single_label_classification", "multi_label_classification", "regression")
LOSSES: dict[str, tuple[str, ...]] = {
    "single_label_classification": ("ce",),
    "multi_label_classification": ("bce",),
    "regression": ("l1", "mse"),
}
FRAMEWORKS: tuple[str, ...] = ("full", "sparse", "weakly_sparse")
IGNORE_INDEX = -100
_ADAPTER = re.compile(r"^[A-Za-z0-9_\-]+$")


class TaskError(ValueError):
    """A task folder, card or dataset that does not fit the task format (the message says where)."""


def _default_metrics(head: str, problem_type: str, num_labels: int) -> tuple[str, ...]:
    if problem_type == "single_label_classification":
        return ("accuracy", "sequence_accuracy") if head == "token" else ("accuracy",)
    if problem_type == "multi_label_classification":
        return ("accuracy", "sequence_accuracy")
    if head == "node_regression" and num_labels == 3:
        return ("mae", "mse", "mpjpe", "p_mpjpe")
    return ("mae", "mse")


def group_of(symmetry: str | Mapping[str, Any]) -> PermGroup:
    """The group of a model ``symmetries`` entry (spec string, group JSON, or ``{"group": ...}`` dict)."""
    if isinstance(symmetry, Mapping) and "group" in symmetry:
        return PermGroup.parse(symmetry["group"])
    return PermGroup.parse(symmetry)  # type: ignore[arg-type]


def with_group(symmetry: str | Mapping[str, Any], group: str | Mapping[str, Any]) -> str | dict[str, Any]:
    """``symmetry`` with its group replaced by ``group`` (a graph entry keeps its edges and framework)."""
    if isinstance(symmetry, Mapping) and "group" in symmetry:
        return {**symmetry, "group": group}
    return group if isinstance(group, str) else dict(group)


def family_of(symmetry: Any) -> Family | None:
    """The family of a family symmetry (``"reversal(*)"`` or ``{"group": "reversal(*)", "max_n": ...}``),
    else None; TaskError naming the problem when the family or its bounds are bad."""
    group, options = symmetry, {}
    if isinstance(symmetry, Mapping) and "group" in symmetry:
        group, options = symmetry["group"], {k: v for k, v in symmetry.items() if k != "group"}
    if not is_family_spec(group):
        if any(key in options for key in FAMILY_KEYS):
            raise TaskError(
                f"symmetry {', '.join(FAMILY_KEYS)} bound a family such as 'reversal(*)', not {group!r}"
            )
        return None
    unknown = sorted(set(options) - {*FAMILY_KEYS, "pairs"})
    if unknown:
        raise TaskError(
            f"symmetry {group!r} is a family across sizes: it takes {', '.join(FAMILY_KEYS)} and pairs, "
            f"not {unknown}"
        )
    try:
        return Family.parse(group, **options)
    except ValueError as err:
        raise TaskError(f"symmetry {group!r}: {err.args[0]}") from None


def check_symmetry(symmetry: Any) -> int | None:
    """Validate a ``symmetries`` entry (group parses; edges in range; known framework); return its degree
    (None for a family across sizes, whose rows may have any length it allows)."""
    if family_of(symmetry) is not None:
        return None
    if isinstance(symmetry, Mapping) and "group" in symmetry:
        unknown = sorted(set(symmetry) - {"group", *ENTRY_KEYS})  # the model checks the pair options
        if unknown:
            raise TaskError(
                f"symmetry entry has unknown key(s) {unknown}; allowed: group, {', '.join(ENTRY_KEYS)}"
            )
        if symmetry.get("pairs", "orbits") not in ("orbits", "none"):
            raise TaskError(f"symmetry 'pairs' must be 'orbits' or 'none', got {symmetry['pairs']!r}")
        n = _parse_group(symmetry["group"]).n
        framework = symmetry.get("framework", "full")
        if framework not in FRAMEWORKS:
            raise TaskError(f"symmetry framework must be one of {', '.join(FRAMEWORKS)}, got {framework!r}")
        if not isinstance(symmetry.get("directed", False), bool):
            raise TaskError(f"symmetry 'directed' must be true or false, got {symmetry['directed']!r}")
        edges = symmetry.get("edges")
        if edges is None:
            if framework != "full":
                raise TaskError(f"symmetry framework {framework!r} needs 'edges'")
            return n
        for row, edge in enumerate(edges):
            if (
                not isinstance(edge, Sequence)
                or len(edge) != 2
                or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in edge)
            ):
                raise TaskError(f"symmetry edges[{row}] = {edge!r} is not a pair of node indices [i, j]")
            if not all(0 <= int(i) < n for i in edge):
                raise TaskError(
                    f"symmetry edges[{row}] = {list(edge)} is outside the group's nodes 0..{n - 1}"
                )
        return n
    return _parse_group(symmetry).n


def _parse_group(group: Any) -> PermGroup:
    try:
        return PermGroup.parse(group)
    except (KeyError, ValueError, TypeError) as err:
        raise TaskError(
            f"symmetry group {group!r} does not parse: {err.args[0] if err.args else err}"
        ) from None


@dataclass
class Task:
    """A ``datasets.DatasetDict`` (train / validation / test) and its meaning: symmetry, head, loss, metrics.

    Build one with :meth:`from_dataset` (validated), :meth:`load` (a folder or Hub dataset, validated) or
    ``asen_fm.tasks.load_task`` (a built-in generator); ``save`` writes a folder ``load`` reads back.
    """

    data: datasets.DatasetDict
    symmetry: str | dict[str, Any]
    head: str
    problem_type: str
    num_labels: int
    loss: str
    metrics: tuple[str, ...]
    name: str = "task"
    description: str = ""
    vocab_size: int = 0
    input_dim: int = 0
    label_mask: str | None = None
    adapter: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dataset(
        cls,
        data: datasets.DatasetDict | Mapping[str, datasets.Dataset],
        *,
        group: str | Mapping[str, Any] | PermGroup,
        head: str = "token",
        problem_type: str | None = None,
        num_labels: int | None = None,
        loss: str | None = None,
        metrics: Sequence[str] | None = None,
        edges: Sequence[Sequence[int]] | None = None,
        framework: str = "full",
        directed: bool = False,
        name: str = "task",
        description: str = "",
        vocab_size: int | None = None,
        label_mask: str | None = None,
        source: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Task:
        """A validated task from ``data`` and a group (spec, group JSON or ``PermGroup``; optionally a graph).

        Left out, ``problem_type`` is regression for float labels and single-label classification for int
        labels; ``num_labels`` is the number of classes (max label + 1) or the label vector width;
        ``loss`` is ce / bce / l1; ``metrics`` follow the head; ``vocab_size`` is the max token id + 1.
        ``label_mask`` names a bool column of valid targets (loss and metrics skip the others); ``extra``
        is free metadata written into the card (units, normalisation, ...).
        """
        data = datasets.DatasetDict(dict(data))
        spec: Any = group.to_json() if isinstance(group, PermGroup) else group
        symmetry: str | dict[str, Any]
        if edges is not None or framework != "full" or directed:
            symmetry = {"group": spec, "edges": [[int(i), int(j)] for i, j in (edges or [])]}
            symmetry.update({"framework": framework, "directed": bool(directed)})
        else:
            symmetry = spec if isinstance(spec, str) else dict(spec)
        if "train" not in data or "labels" not in data["train"].column_names:
            raise TaskError("the dataset needs a 'train' split with a 'labels' column")
        labels = data["train"].with_format("numpy")["labels"]
        floats = np.asarray(labels[:1]).dtype.kind == "f" if len(labels) else False
        problem_type = problem_type or ("regression" if floats else "single_label_classification")
        if num_labels is None:
            num_labels = _infer_num_labels(data, head, problem_type)
        if loss is None:
            loss = LOSSES.get(problem_type, ("ce",))[0]
        metrics = tuple(metrics) if metrics is not None else _default_metrics(head, problem_type, num_labels)
        if vocab_size is None:
            vocab_size = _infer_vocab_size(data)
        input_dim = _infer_input_dim(data)
        task = cls(
            data=data, symmetry=symmetry, head=head, problem_type=problem_type, num_labels=int(num_labels),
            loss=loss, metrics=metrics, name=name, description=description, vocab_size=int(vocab_size),
            input_dim=input_dim, label_mask=label_mask, source=dict(source or {}), extra=dict(extra or {}),
        )  # fmt: skip
        task.validate()
        return task

    @classmethod
    def load(cls, path_or_hub_id: str | os.PathLike, *, revision: str | None = None) -> Task:
        """Read and validate a task folder (``save`` output) or a Hub dataset repo with a task card."""
        path = Path(path_or_hub_id).expanduser()
        if path.is_dir():
            card_path = path / CARD_FILE
            if not card_path.is_file():
                raise TaskError(f"{path} has no {CARD_FILE}: not a task folder (make one with Task.save)")
            card = _read_card(card_path)
            try:
                data = datasets.load_from_disk(str(path))
            except (FileNotFoundError, ValueError) as err:
                raise TaskError(f"{path}: not a saved DatasetDict ({err})") from None
        else:
            card, data = _load_from_hub(str(path_or_hub_id), revision)
        if not isinstance(data, datasets.DatasetDict):
            raise TaskError(f"{path_or_hub_id}: expected a DatasetDict with train/validation/test splits")
        return cls.from_card(data, card)

    @classmethod
    def from_card(cls, data: datasets.DatasetDict, card: Mapping[str, Any]) -> Task:
        """A validated task from a dataset and a card dict (the ``task_card.json`` schema)."""
        if card.get("schema", SCHEMA) != SCHEMA:
            raise TaskError(f"{CARD_FILE}: schema {card.get('schema')!r} is not {SCHEMA!r}")
        missing = [
            key for key in ("symmetry", "head", "problem_type", "num_labels", "loss") if key not in card
        ]
        if missing:
            raise TaskError(f"{CARD_FILE} lacks the field(s) {missing}")
        known = {f for f in cls.__dataclass_fields__ if f not in ("data", "extra")} | {"schema"}
        extra = {key: value for key, value in card.items() if key not in known}
        for key in extra:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
            if close:
                raise TaskError(f"{CARD_FILE} has the field {key!r}: did you mean {close[0]!r}?")
        num_labels = int(card["num_labels"])
        metrics = tuple(
            card.get("metrics") or _default_metrics(card["head"], card["problem_type"], num_labels)
        )
        task = cls(
            data=data, symmetry=card["symmetry"], head=card["head"], problem_type=card["problem_type"],
            num_labels=num_labels, loss=card["loss"], metrics=metrics,
            name=str(card.get("name", "task")), description=str(card.get("description", "")),
            vocab_size=int(card["vocab_size"]) if "vocab_size" in card else _infer_vocab_size(data),
            input_dim=int(card["input_dim"]) if "input_dim" in card else _infer_input_dim(data),
            label_mask=card.get("label_mask"), adapter=card.get("adapter"),
            source=dict(card.get("source") or {}), extra=extra,
        )  # fmt: skip
        task.validate()
        return task

    # ------------------------------------------------------------------ the card
    def card(self) -> dict[str, Any]:
        """The JSON-plain card (everything but the data)."""
        return {
            "schema": SCHEMA,
            "name": self.name,
            "description": self.description,
            "symmetry": self.symmetry,
            "head": self.head,
            "problem_type": self.problem_type,
            "num_labels": self.num_labels,
            "loss": self.loss,
            "metrics": list(self.metrics),
            "vocab_size": self.vocab_size,
            "input_dim": self.input_dim,
            **({"label_mask": self.label_mask} if self.label_mask else {}),
            **({"adapter": self.adapter} if self.adapter else {}),
            "source": self.source,
            **self.extra,
        }

    def save(self, folder: str | os.PathLike) -> Path:
        """Write the dataset and ``task_card.json`` into ``folder`` atomically (temp sibling, then rename)."""
        self.validate()
        final = Path(folder)
        if final.exists() and any(final.iterdir()):
            if not (final / CARD_FILE).is_file():
                raise TaskError(f"{final} exists and is not a task folder; refusing to replace it")
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.parent / f".tmp-{final.name}-{uuid.uuid4().hex[:8]}"
        aside = final.parent / f".old-{final.name}-{uuid.uuid4().hex[:8]}"
        try:
            self.data.save_to_disk(str(tmp))
            (tmp / CARD_FILE).write_text(json.dumps(self.card(), indent=2) + "\n")
            if final.exists():
                os.replace(final, aside)
            os.replace(tmp, final)
        except BaseException:
            if aside.exists() and not final.exists():
                os.replace(aside, final)
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(aside, ignore_errors=True)
        return final

    def push_to_hub(self, repo_id: str, **kwargs: Any) -> None:
        """Upload the splits (``DatasetDict.push_to_hub``) and ``task_card.json`` to a Hub dataset repo.

        ``Task.load(repo_id)`` reads it back. ``kwargs`` go to ``DatasetDict.push_to_hub`` (token, private).
        """
        from huggingface_hub import HfApi

        self.validate()
        self.data.push_to_hub(repo_id, **kwargs)
        card = json.dumps(self.card(), indent=2).encode() + b"\n"
        HfApi(token=kwargs.get("token")).upload_file(
            path_or_fileobj=card, path_in_repo=CARD_FILE, repo_id=repo_id, repo_type="dataset"
        )

    # ------------------------------------------------------------------ facts
    @property
    def family(self) -> Family | None:
        """The symmetry's family across sizes (``reversal(*)``), or None for a group of one degree."""
        return family_of(self.symmetry)

    @property
    def group(self) -> PermGroup:
        """The symmetry's group (a task of mixed lengths has one per length: ``task.family.group(n)``)."""
        family = self.family
        if family is not None:
            raise TaskError(
                f"task {self.name!r} has the family symmetry {family}: its group depends on the row's length "
                "(task.family.group(n))"
            )
        return group_of(self.symmetry)

    @property
    def n(self) -> int | None:
        """Nodes per example: the group's degree (None for a family: rows of different lengths)."""
        return None if self.family is not None else self.group.n

    @property
    def model_loss(self) -> str | None:
        """The ``loss`` of the model's task entry: "l1" / "mse" for regression, None (CE / BCE) otherwise."""
        return self.loss if self.problem_type == "regression" else None

    def task_entry(self) -> dict[str, Any]:
        """Keyword arguments of ``AsenForMultiTask.add_task`` besides the name and the group."""
        return {
            "head": self.head,
            "num_labels": self.num_labels,
            "problem_type": self.problem_type,
            "loss": self.model_loss,
        }

    def with_group(self, group: str | Mapping[str, Any]) -> Task:
        """The same data and card with the symmetry's group replaced (a graph keeps its edges): validated."""
        if (
            isinstance(group, str) and group.strip().isidentifier()
        ):  # "trivial" -> "trivial(n)" / "trivial(*)"
            group = f"{group.strip()}({'*' if self.family is not None else self.n})"
        task = replace(self, symmetry=with_group(self.symmetry, group))
        if task.family is None and self.family is None and task.n != self.n:
            raise TaskError(f"group {group!r} acts on {task.n} points but task {self.name!r} has n={self.n}")
        task.validate()
        return task

    def with_train_rows(self, count: int, name: str | None = None) -> Task:
        """The first ``count`` training rows kept; validation and test whole (the low-data regimes).

        For i.i.d. rows the first rows are a uniform subset. ``name`` (default: the task's) is the one the
        error names.
        """
        available = self.data["train"].num_rows
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or not 1 <= count <= available:
            raise TaskError(
                f"task {name or self.name!r}: train_size must be in 1..{available} (the train split), "
                f"got {count}"
            )
        data = datasets.DatasetDict({**self.data, "train": self.data["train"].select(range(int(count)))})
        return replace(self, data=data)

    def with_ids_as_features(self) -> Task:
        """Each token id fed as one node feature, ``id / (vocab_size - 1)`` in [0, 1], instead of embedded.

        The paper's invariant setting disables its TokenEmbedder: the model sees the raw value through its
        input projection (``input_dim`` 1), so nothing per token is learned. The divisor is recorded in
        ``source["ids_as_features"]``.
        """
        if self.input_dim or self.vocab_size < 2:
            raise TaskError(
                f"task {self.name!r} needs token ids (vocab_size >= 2) and no node_features to turn its "
                f"ids into features (vocab_size {self.vocab_size}, input_dim {self.input_dim})"
            )
        divisor = self.vocab_size - 1
        splits = {}
        for split, rows in self.data.items():
            ids = _rows(rows.with_format("numpy")["input_ids"])
            values = [
                (row.astype(np.float64) / divisor).astype(np.float32)[..., None].tolist() for row in ids
            ]
            feature = datasets.List(datasets.List(datasets.Value("float32")))
            for _ in range(np.ndim(ids[0]) - 1):  # image-shaped ids [h, w] -> features [h, w, 1]
                feature = datasets.List(feature)
            rows = rows.remove_columns("input_ids")
            splits[split] = rows.add_column("node_features", values, feature=feature)
        source = {**self.source, "ids_as_features": {"divisor": divisor}}
        task = replace(self, data=datasets.DatasetDict(splits), vocab_size=0, input_dim=1, source=source)
        task.validate()
        return task

    def with_unit_labels(self) -> Task:
        """Regression labels mapped onto [0, 1] by the training split's range: ``(y - lo) / (hi - lo)``.

        The paper's transfer experiments restrict every task's L1 loss to [0, 1] this way, so tasks with
        different label ranges weigh alike. ``lo`` and ``hi`` (over the valid training targets) are
        recorded in ``source["unit_labels"]``; validation and test use the same map, so they may fall
        slightly outside [0, 1].
        """
        if self.problem_type != "regression":
            raise TaskError(f"task {self.name!r} is {self.problem_type}: only regression labels rescale")
        train = self.data["train"].with_format("numpy")
        labels = np.asarray(train["labels"], dtype=np.float64)
        if self.label_mask:
            valid = np.asarray(train[self.label_mask], dtype=bool)
            labels = labels[np.broadcast_to(valid.reshape(valid.shape + (1,) * (labels.ndim - valid.ndim)),
                                            labels.shape)]  # fmt: skip
        low, high = float(labels.min()), float(labels.max())
        if not high > low:
            raise TaskError(f"task {self.name!r}: the training labels are all {low}, no range to rescale by")
        splits = {}
        for split, rows in self.data.items():
            scaled = (np.asarray(rows.with_format("numpy")["labels"], dtype=np.float64) - low) / (high - low)
            splits[split] = rows.remove_columns("labels").add_column(
                "labels", scaled.astype(np.float32).tolist(), feature=rows.features["labels"]
            )
        source = {**self.source, "unit_labels": {"low": low, "high": high}}
        task = replace(self, data=datasets.DatasetDict(splits), source=source)
        task.validate()
        return task

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        """Raise ``TaskError`` naming the field, or the split, column and row, of the first violation."""
        n = check_symmetry(self.symmetry)
        if self.head not in HEADS:
            raise TaskError(f"head must be one of {', '.join(HEADS)}, got {self.head!r}")
        if self.problem_type not in PROBLEM_TYPES:
            raise TaskError(
                f"problem_type must be one of {', '.join(PROBLEM_TYPES)}, got {self.problem_type!r}"
            )
        if self.loss not in LOSSES[self.problem_type]:
            raise TaskError(
                f"loss {self.loss!r} does not fit problem_type {self.problem_type!r}; "
                f"use {' or '.join(LOSSES[self.problem_type])}"
            )
        if self.head == "node_regression" and self.problem_type != "regression":
            raise TaskError("head 'node_regression' needs problem_type 'regression'")
        if self.adapter is not None and not (isinstance(self.adapter, str) and _ADAPTER.match(self.adapter)):
            raise TaskError(f"adapter must be a name of letters, digits, '_' or '-', got {self.adapter!r}")
        if self.num_labels < 1:
            raise TaskError(f"num_labels must be >= 1, got {self.num_labels}")
        if self.problem_type == "single_label_classification" and self.num_labels < 2:
            raise TaskError(f"single-label classification needs num_labels >= 2, got {self.num_labels}")
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown:
            raise TaskError(f"unknown metric(s) {unknown}; known: {', '.join(METRICS)}")
        for metric in self.metrics:
            kind = METRICS[metric].kind
            if (kind == "classification") != (self.problem_type != "regression"):
                raise TaskError(f"metric {metric!r} is for {kind}, not {self.problem_type}")
            if METRICS[metric].needs_points and not (self.head == "node_regression" and self.num_labels >= 2):
                raise TaskError(f"metric {metric!r} needs node_regression vector targets ([n, k], k >= 2)")
        missing = [s for s in SPLITS if s not in self.data]
        if missing:
            raise TaskError(f"the dataset lacks split(s) {missing}; a task needs {', '.join(SPLITS)}")
        family = self.family
        for split in SPLITS:
            if family is None:
                self._validate_split(split, self.data[split], n)  # type: ignore[arg-type]
            else:
                self._validate_mixed_split(split, self.data[split], family)

    def _validate_mixed_split(self, split: str, rows: datasets.Dataset, family: Family) -> None:
        """Rows of different lengths under a family: each length checked against the family (minimum degree,
        parity, bound), then the rows of each length validated like a task of that one degree."""
        column = next((c for c in ("input_ids", "node_features") if c in rows.column_names), None)
        if column is None or len(rows) == 0:
            self._validate_split(split, rows, 0)  # names the missing column or the empty split
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for row, value in enumerate(rows.with_format("numpy")[column]):
            shape = np.shape(value)
            by_shape.setdefault(shape if column == "input_ids" else shape[:-1], []).append(row)
        for shape, ids in by_shape.items():
            n = math.prod(shape)
            try:
                family.check(
                    n, where=f"{split}: row {ids[0]}", image_shape=shape if len(shape) == 2 else None
                )
            except ValueError as err:
                raise TaskError(
                    f"{err.args[0]} ({'input_ids' if column == 'input_ids' else column} {list(shape)})"
                ) from None
            subset = rows.select(ids) if len(by_shape) > 1 else rows
            try:
                self._validate_split(split, subset, n)
            except TaskError as err:
                renumbered = re.sub(r"\brow (\d+)", lambda m, rows=ids: f"row {rows[int(m[1])]}", err.args[0])
                raise TaskError(renumbered) from None

    def _validate_split(self, split: str, rows: datasets.Dataset, n: int) -> None:
        columns = rows.column_names
        if "labels" not in columns:
            raise TaskError(f"{split}: no 'labels' column (columns: {columns})")
        if "input_ids" not in columns and "node_features" not in columns:
            raise TaskError(
                f"{split}: needs an 'input_ids' and/or a 'node_features' column (columns: {columns})"
            )
        if len(rows) == 0:
            raise TaskError(f"{split}: no rows")
        if ("input_ids" in columns) != (self.vocab_size > 0):
            raise TaskError(
                f"{split}: 'input_ids' {'present' if 'input_ids' in columns else 'absent'} "
                f"but the card has vocab_size={self.vocab_size}"
            )
        if ("node_features" in columns) != (self.input_dim > 0):
            raise TaskError(
                f"{split}: 'node_features' {'present' if 'node_features' in columns else 'absent'} "
                f"but the card has input_dim={self.input_dim}"
            )
        table = rows.with_format("numpy")
        self._check_one_degree(split, table, n)
        if "input_ids" in columns:
            ids = _stack(split, "input_ids", table["input_ids"])
            _check_nodes(split, "input_ids", ids.shape[1:], n, trailing=0)
            if ids.dtype.kind not in "iu":
                raise TaskError(f"{split}: 'input_ids' must be integers, got dtype {ids.dtype}")
            _check_range(split, "input_ids", ids, 0, self.vocab_size - 1, "vocab_size - 1")
        if "node_features" in columns:
            feats = _stack(split, "node_features", table["node_features"])
            _check_nodes(split, "node_features", feats.shape[1:], n, trailing=1)
            if feats.shape[-1] != self.input_dim:
                raise TaskError(
                    f"{split}: 'node_features' rows have {feats.shape[-1]} features but the card has "
                    f"input_dim={self.input_dim}"
                )
            if feats.dtype.kind not in "fiu":
                raise TaskError(f"{split}: 'node_features' must be numbers, got dtype {feats.dtype}")
            _check_finite(split, "node_features", feats)
        labels = _stack(split, "labels", table["labels"])
        self._validate_labels(split, labels, n)
        if self.label_mask:
            self._validate_mask(split, rows, table, labels)

    def _check_one_degree(self, split: str, table: Any, n: int) -> None:
        """Rows of different lengths under a group of one degree: name the first row off it, both degrees."""
        column = "input_ids" if "input_ids" in table.column_names else "node_features"
        values = table[column]
        if column_array(values) is not None or (isinstance(values, np.ndarray) and values.dtype != object):
            return  # one shape: _check_nodes compares it with n
        trailing = 0 if column == "input_ids" else 1
        for row, value in enumerate(values):
            shape = np.shape(value)
            count = math.prod(shape[: len(shape) - trailing])
            if count != n:
                name = str(
                    self.symmetry.get("group") if isinstance(self.symmetry, Mapping) else self.symmetry
                )
                base = re.match(r"\s*([A-Za-z_]\w*)\(", name) if isinstance(name, str) else None
                hint = f", e.g. {base[1]}(*)" if base else ""
                raise TaskError(
                    f"{split}: '{column}' row {row} has n = {count} nodes but the task's group {name} has "
                    f"the fixed degree {n}; rows of different lengths need a family across sizes{hint}"
                )

    def _validate_mask(self, split: str, rows: datasets.Dataset, table: Any, labels: np.ndarray) -> None:
        if self.label_mask not in rows.column_names:
            raise TaskError(f"{split}: no {self.label_mask!r} column (the card's label_mask)")
        mask = _stack(split, self.label_mask, table[self.label_mask])
        if mask.dtype != bool and not np.isin(mask, (0, 1)).all():
            raise TaskError(f"{split}: {self.label_mask!r} must be bool (True = a valid target)")
        node_shape = labels.shape
        if self.head == "node_regression" and labels.ndim > mask.ndim:
            node_shape = labels.shape[: mask.ndim]
        if mask.shape != node_shape:
            raise TaskError(
                f"{split}: {self.label_mask!r} rows have shape {list(mask.shape[1:])}, "
                f"the labels' targets {list(node_shape[1:])}"
            )

    def _validate_labels(self, split: str, labels: np.ndarray, n: int) -> None:
        shape = labels.shape[1:]
        k = self.num_labels
        if self.head == "token":
            expected: tuple[int, ...] | None = None
            _check_nodes(split, "labels", shape, n, trailing=0)
        elif self.head == "node_regression":
            expected = None
            if k == 1 and len(shape) >= 1 and math.prod(shape) == n:
                pass
            else:
                _check_nodes(split, "labels", shape, n, trailing=1)
                if shape[-1] != k:
                    raise TaskError(
                        f"{split}: 'labels' rows have {shape[-1]} values per node, num_labels is {k}"
                    )
        elif self.problem_type == "multi_label_classification" or (
            self.problem_type == "regression" and k > 1
        ):
            expected = (k,)
        else:
            expected = ()
        if expected is not None and shape != expected:
            raise TaskError(
                f"{split}: 'labels' rows have shape {list(shape)}, "
                f"the {self.head} head needs {list(expected)}"
            )
        if self.problem_type == "regression":
            if labels.dtype.kind not in "fiu":
                raise TaskError(f"{split}: regression 'labels' must be numbers, got dtype {labels.dtype}")
            _check_finite(split, "labels", labels)
            return
        if labels.dtype.kind not in "iu":
            raise TaskError(f"{split}: classification 'labels' must be integers, got dtype {labels.dtype}")
        if self.problem_type == "multi_label_classification":
            _check_range(split, "labels", labels, 0, 1, "1 (multi-label targets are 0/1)")
            return
        valid = np.where(labels == IGNORE_INDEX, 0, labels)
        _check_range(split, "labels", valid, 0, k - 1, "num_labels - 1 (-100 = ignore)")


def column_array(values: Any) -> np.ndarray | None:
    """A ``Dataset`` column (``datasets`` Column) of equal-length nested lists of numbers or bools as one
    array read straight from Arrow (milliseconds, where formatting row by row takes seconds per thousand
    rows of [207, 6]); None when the column is ragged, has nulls or is of another kind (read it row by row).
    """
    source, name = getattr(values, "source", None), getattr(values, "column_name", None)
    if not isinstance(source, datasets.Dataset) or name is None or len(source) == 0:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    array = source.select_columns([name]).with_format("arrow")[:][name].combine_chunks()
    shape = [len(array)]
    while pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        if array.null_count:
            return None
        lengths = pc.list_value_length(array)
        low, high = pc.min(lengths).as_py(), pc.max(lengths).as_py()
        if low != high or low is None:
            return None
        shape.append(int(low))
        array = array.flatten()
    if array.null_count or not (
        pa.types.is_integer(array.type) or pa.types.is_floating(array.type) or pa.types.is_boolean(array.type)
    ):
        return None
    return np.array(array.to_numpy(zero_copy_only=False)).reshape(shape)  # a writable copy


def _stack(split: str, column: str, values: Any) -> np.ndarray:
    """Rows of a column as one array [rows, ...]; a ragged column names its first odd row."""
    if isinstance(values, np.ndarray) and values.dtype != object:
        return values
    fast = column_array(values)
    if fast is not None:
        return fast
    rows = [np.asarray(v) for v in values]
    first = rows[0].shape
    for index, row in enumerate(rows):
        if row.shape != first:
            raise TaskError(
                f"{split}: '{column}' row {index} has shape {list(row.shape)}, row 0 has {list(first)} "
                "(rows with the same number of nodes share one shape)"
            )
    return np.stack(rows)


def _check_nodes(split: str, column: str, shape: tuple[int, ...], n: int, *, trailing: int) -> None:
    nodes = shape[: len(shape) - trailing] if trailing else shape
    if len(nodes) < 1 or math.prod(nodes) != n:
        want = f"[{n}]" if not trailing else f"[{n}, d]"
        raise TaskError(
            f"{split}: '{column}' rows have shape {list(shape)}, expected {want} "
            f"(n = {n}, the degree of the task's group)"
        )


def _check_range(split: str, column: str, values: np.ndarray, low: int, high: int, what: str) -> None:
    bad = (values < low) | (values > high)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        value = values[row][bad[row]].flat[0] if values.ndim > 1 else values[row]
        raise TaskError(f"{split}: '{column}' row {row} has value {value}, outside {low}..{what} = {high}")


def _check_finite(split: str, column: str, values: np.ndarray) -> None:
    bad = ~np.isfinite(values.astype(np.float64))
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise TaskError(f"{split}: '{column}' row {row} has a NaN or infinite value")


def _rows(values: Any) -> np.ndarray | list[np.ndarray]:
    """A column as one array when its rows share a shape, else as a list of per-row arrays (mixed lengths)."""
    if isinstance(values, np.ndarray) and values.dtype != object:
        return values
    fast = column_array(values)
    if fast is not None:
        return fast
    rows = [np.asarray(v) for v in values]
    return np.stack(rows) if len({row.shape for row in rows}) == 1 else rows


def _infer_num_labels(data: datasets.DatasetDict, head: str, problem_type: str) -> int:
    labels = _rows(data["train"].with_format("numpy")["labels"])
    if isinstance(labels, list):  # rows of different lengths: per-node labels [n] or [n, k]
        if problem_type == "single_label_classification":
            return max(2, max(int(row.max()) for row in labels if row.size) + 1)
        return 1 if labels[0].ndim <= 1 else int(labels[0].shape[-1])
    if problem_type == "single_label_classification":
        return max(2, int(labels.max()) + 1)
    if problem_type == "multi_label_classification":
        return int(labels.shape[-1])
    if head == "node_regression":
        return 1 if labels.ndim <= 2 else int(labels.shape[-1])
    return 1 if labels.ndim == 1 else int(labels.shape[-1])


def _infer_vocab_size(data: datasets.DatasetDict) -> int:
    if "input_ids" not in data["train"].column_names:
        return 0
    top = 0
    for split in data.values():
        if "input_ids" in split.column_names and len(split):
            ids = _rows(split.with_format("numpy")["input_ids"])
            top = max(top, max(int(row.max()) for row in ids if row.size) + 1)
    return top


def _infer_input_dim(data: datasets.DatasetDict) -> int:
    if "node_features" not in data["train"].column_names or not len(data["train"]):
        return 0
    return int(np.asarray(data["train"].with_format("numpy")[0]["node_features"]).shape[-1])


def _read_card(path: Path) -> dict[str, Any]:
    try:
        card = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise TaskError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(card, dict):
        raise TaskError(f"{path}: the card must be a JSON object")
    return card


def _load_from_hub(repo_id: str, revision: str | None) -> tuple[dict[str, Any], Any]:
    """The card and data of a Hub dataset repo (``task_card.json`` at its root, splits as parquet/arrow)."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HFValidationError

    try:
        card_path = hf_hub_download(repo_id, CARD_FILE, repo_type="dataset", revision=revision)
    except HFValidationError:
        raise TaskError(f"{repo_id!r} is neither a task folder nor a Hub dataset id (user/name)") from None
    except Exception as err:  # network, missing repo or file: one clear line
        raise TaskError(
            f"{repo_id}: no local folder, and its {CARD_FILE} could not be read from the Hub "
            f"({type(err).__name__})"
        ) from None
    return _read_card(Path(card_path)), datasets.load_dataset(repo_id, revision=revision)
