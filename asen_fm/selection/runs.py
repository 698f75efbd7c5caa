"""The runs of a selection: one folder per (candidate, seed), trained by the package's training loop.

    OUTPUT_DIR/selection_flags.json          the flags every run shares (a folder holds one selection)
    OUTPUT_DIR/runs/<candidate>/seed<S>/     metrics.json, curves.png, model/ (as finetune.py writes them)
                                        run.json   written last: the run's flags, candidate, code, results

A run is *finished* when its ``run.json`` exists; a folder without one was interrupted and is trained
again from scratch. A finished run with this checkout's code (``source_sha256``) is read back, never
retrained; one trained by other code is *stale*, and the selection refuses to mix it in unless told to
retrain it (``rerun_stale``) or to reuse it (``reuse_stale``, marked stale in the report).

Each run is a from-scratch model (sizes from the flags) or, with ``model``, the pretrained model with a
fresh symmetry embedder for the candidate and a fresh head, the backbone at ``lr * backbone_lr_scale``
(default 0.1) while only the new embedder and head train besides it, as ``finetune.py`` does. Seed s fixes
the initialisation and the batch order; the data are the same for every run, unless ``vary_data_seed``
draws a built-in task's data afresh per seed (``data_seed + s``), as the paper-style experiments do.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from asen_fm.selection.candidates import Candidate

__all__ = [
    "FLAGS_FILE",
    "RUN_FILE",
    "RunJob",
    "SelectionFlags",
    "load_selection_task",
    "run_dir",
    "run_state",
    "train_run",
]

FLAGS_FILE = "selection_flags.json"
RUN_FILE = "run.json"
HEAD = "select"


@dataclass(frozen=True)
class SelectionFlags:
    """Everything that decides what a run computes (so two selections with equal flags share runs)."""

    task: str
    n: int = 0
    size: int = 0
    data_seed: int = 0
    vary_data_seed: bool = False
    train_size: int = 0
    model: str = ""
    max_steps: int = 500
    batch_size: int = 64
    lr: float = 1e-3
    backbone_lr_scale: float | None = None
    warmup_steps: int = 50
    weight_decay: float = 0.01
    eval_size: int = 0
    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int = 512
    dropout: float = 0.1
    vocab_size: int = 0
    mixed_precision: str = "auto"

    def backbone_scale(self) -> float:
        """As given, else 0.1 when finetuning ``model`` and 1 from scratch."""
        if self.backbone_lr_scale is not None:
            return self.backbone_lr_scale
        return 0.1 if self.model else 1.0

    def data_seed_of(self, seed: int) -> int:
        """The data seed of run seed ``seed``: ``data_seed``, plus ``seed`` with ``vary_data_seed``."""
        return self.data_seed + (seed if self.vary_data_seed else 0)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def differences(self, saved: dict[str, Any]) -> list[str]:
        """``--flag saved -> now`` for every flag that differs from a saved selection's."""
        now = self.to_json()
        return [
            f"--{key} {saved.get(key)!r} -> {now.get(key)!r}"
            for key in sorted(set(saved) | set(now))
            if json.dumps(saved.get(key)) != json.dumps(now.get(key))
        ]


@dataclass(frozen=True)
class RunJob:
    """One run to train: picklable, so a worker process can take it."""

    flags: SelectionFlags
    candidate: Candidate
    seed: int
    folder: str
    code: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=4)
def load_selection_task(task: str, n: int = 0, size: int = 0, data_seed: int = 0, train_size: int = 0) -> Any:
    """The task a selection trains on (built-in name, task folder or Hub id), training rows cut to size."""
    from asen_fm.training.data import load_task_source

    loaded = load_task_source(task, n=n or None, size=size or None, seed=data_seed)
    return loaded.with_train_rows(train_size) if train_size else loaded


def _task_of(flags: SelectionFlags, seed: int) -> Any:
    return load_selection_task(flags.task, flags.n, flags.size, flags.data_seed_of(seed), flags.train_size)


def run_dir(output_dir: str | Path, candidate: Candidate, seed: int) -> Path:
    """``OUTPUT_DIR/runs/<label>-<digest of the entry>/seed<S>``."""
    import hashlib
    import re

    digest = hashlib.sha256(json.dumps(candidate.stored, sort_keys=True).encode()).hexdigest()[:8]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", candidate.label).strip("_")[:40] or "candidate"
    return Path(output_dir) / "runs" / f"{slug}-{digest}" / f"seed{seed}"


def run_state(folder: Path, flags: SelectionFlags, source: str) -> tuple[str, dict[str, Any] | None]:
    """("missing" | "finished" | "stale" | "other", run.json) of a run folder."""
    marker = folder / RUN_FILE
    if not marker.is_file():
        return "missing", None
    saved = json.loads(marker.read_text())
    if saved.get("flags") != flags.to_json():
        return "other", saved
    if saved.get("code", {}).get("source_sha256") != source:
        return "stale", saved
    return "finished", saved


def _write_json_atomically(path: Path, payload: Any) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(json.dumps(payload, indent=2) + "\n")
    os.replace(tmp, path)


def _reset_accelerate() -> None:
    """Forget the previous run's Accelerator singletons (several runs train in one process)."""
    from accelerate.state import AcceleratorState, GradientState

    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()


def _build_model(flags: SelectionFlags, task: Any, head: str) -> Any:
    from asen_fm import AsenConfig, AsenForMultiTask
    from asen_fm.training.scripts import resolve_model_dir

    if flags.model:
        path, _ = resolve_model_dir(flags.model)
        model = AsenForMultiTask.from_pretrained(path)
        if task.vocab_size > model.config.vocab_size:
            model.resize_token_embeddings(task.vocab_size)
        return model
    if flags.vocab_size and flags.vocab_size < task.vocab_size:
        raise ValueError(f"--vocab_size {flags.vocab_size} is below the task's {task.vocab_size} token ids")
    config = AsenConfig(
        vocab_size=flags.vocab_size or max(task.vocab_size, 1),
        input_dim=task.input_dim,
        hidden_size=flags.hidden_size,
        num_hidden_layers=flags.num_layers,
        num_attention_heads=flags.num_heads,
        intermediate_size=flags.intermediate_size,
        hidden_dropout_prob=flags.dropout,
    )
    return AsenForMultiTask(config)


def head_name(flags: SelectionFlags) -> str:
    """The new task's name: "select", or "select_k" when a pretrained model already has that name."""
    if not flags.model:
        return HEAD
    from asen_fm import AsenConfig
    from asen_fm.training.scripts import resolve_model_dir

    config = AsenConfig.from_pretrained(resolve_model_dir(flags.model)[0])
    taken = set(config.tasks) | set(config.symmetries)
    name, k = HEAD, 1
    while name in taken:
        name, k = f"{HEAD}_{k}", k + 1
    return name


def train_run(job: RunJob) -> dict[str, Any]:
    """Train one run into ``job.folder`` (cleared first) and write its ``run.json``; returns that record."""
    from dataclasses import replace

    from accelerate.utils import set_seed

    from asen_fm.training.data import task_tensors
    from asen_fm.training.loop import LoopSettings, make_accelerator, run_training
    from asen_fm.training.optim import build_optimizer, build_scheduler, learning_rates_by_name
    from asen_fm.training.outputs import finish_run
    from asen_fm.training.scripts import TrainingFlags

    flags, folder = job.flags, Path(job.folder)
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted run: start it again
    folder.mkdir(parents=True)
    head = head_name(flags)
    task = replace(_task_of(flags, job.seed), symmetry=json.loads(json.dumps(job.candidate.entry)))
    task.validate()
    data = {head: task_tensors(task, head)}
    scale = flags.backbone_scale()
    training = TrainingFlags(
        max_steps=flags.max_steps, batch_size=flags.batch_size, lr=flags.lr, backbone_lr_scale=scale,
        warmup_steps=flags.warmup_steps, weight_decay=flags.weight_decay,
        mixed_precision=flags.mixed_precision, seed=job.seed, output_dir=str(folder), eval_every=0,
        eval_size=flags.eval_size, save_every=0, report_to="none", log_every=max(1, flags.max_steps // 20),
    )  # fmt: skip
    _reset_accelerate()
    accelerator = make_accelerator(folder, mixed_precision=flags.mixed_precision, report_to="none")
    set_seed(job.seed)
    model = _build_model(flags, task, head)
    data[head].attach_to(model, head)
    restrict = {"symmetries": [head], "heads": [head]} if flags.model else {}
    optimizer = build_optimizer(
        model, training.learning_rates(scale), weight_decay=flags.weight_decay, **restrict
    )
    rates = learning_rates_by_name(optimizer)
    scheduler = build_scheduler(
        optimizer, warmup_steps=training.warmup_steps, total_steps=flags.max_steps,
        min_ratio=training.min_lr_ratio,
    )  # fmt: skip
    settings = LoopSettings.from_config(training, tracker_project=f"{job.candidate.label} seed {job.seed}")
    config = {
        **dataclasses.asdict(training),
        "selection": flags.to_json(),
        "candidate": job.candidate.to_json(),
    }
    outcome = run_training(accelerator, model, optimizer, scheduler, data, settings, folder, hparams=config)
    payload = finish_run(
        accelerator, outcome, data, folder, script="select", config=config, optimizer_rates=rates
    )
    _reset_accelerate()
    record = {
        "candidate": job.candidate.to_json(),
        "seed": job.seed,
        "flags": flags.to_json(),
        "code": payload["code"],
        "final": payload["final"][head],
        "parameters": payload["parameters"],
        "median_step_seconds": payload["median_step_seconds"],
        "train_seconds": payload["train_seconds"],
        "wall_seconds": payload["wall_seconds"],
    }
    _write_json_atomically(folder / RUN_FILE, record)  # last: marks the run finished
    return record


def worker_setup() -> None:
    """In a worker process: one thread, no per-step bars (several workers would garble the terminal)."""
    import torch

    os.environ["TQDM_DISABLE"] = "1"
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1") or 1))
