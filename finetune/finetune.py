"""Finetune a pretrained ASEN backbone on a new task and subgroup, with a lowered backbone learning rate.

    python finetune/finetune.py --model runs/pt --task detect_capital --n 10 --output_dir runs/ft
    python finetune/finetune.py --model runs/pt/model --task data/mine --output_dir runs/mine
    python finetune/finetune.py --model runs/pt --task intersect_size --group "dihedral(10)" ...
    python finetune/finetune.py --model runs/pt --task detect_capital --from-scratch ...   # baseline
    python finetune/finetune.py --model pretrain/asen-base --task data/sensors --new_adapter speeds ...

``--task`` is ``[NAME=]SOURCE`` as in pretraining (a built-in task, a task folder or a Hub dataset id);
``--model`` a model folder, a run folder (its ``model/`` is used) or a Hub id. The task's symmetry (its
card's, or ``--group SPEC`` in its place) gets a fresh embedder and a fresh head; ``--reuse_symmetry NAME``
instead attaches the head to the model's symmetry NAME, keeping its learned node and pair-orbit embeddings
(the task's symmetry entry must be the one NAME was built from). Its inputs go through the
model's input adapter of the task's card (default ``tokens`` / ``features``), ``--adapter NAME`` (an
existing one, e.g. the base's ``joints2d``) or ``--new_adapter NAME`` (a new one, for an input no adapter
takes; ``--standardize_features`` stores the task's mean / std in it). Learning rates: the
backbone at ``lr * backbone_lr_scale`` (default 0.1; 0 freezes it bit-for-bit), the new embedder, token
embeddings and head at ``lr`` times their scales. ``--from-scratch`` is the paper's "finetune-only"
baseline: the same code path from a freshly initialised model with the pretrained config's sizes
(backbone scale 1 unless given). Same evaluation, logging, checkpointing (``--resume``) and plots as
pretraining.

Output folder as for pretraining; metrics.json has the same schema (asen_fm/training/outputs.py):
    model/  metrics.json  curves.png  tensorboard/finetune/  checkpoints/step_N/  [checksums/]
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from typing import Any

from accelerate.utils import set_seed

from asen_fm import AsenConfig, AsenForMultiTask
from asen_fm.configuration_asen import normalize_symmetry
from asen_fm.training.adapters import finetuning_adapter
from asen_fm.training.data import TaskData, resolve_tasks, split_task_list
from asen_fm.training.loop import LoopSettings, make_accelerator, run_training
from asen_fm.training.optim import build_optimizer, build_scheduler, learning_rates_by_name
from asen_fm.training.outputs import finish_run
from asen_fm.training.scripts import (
    TrainingFlags,
    UsageError,
    check_output_dir,
    check_resume,
    clear_run,
    parse_flags,
    preflight,
    resolve_model_dir,
)

PROG = "finetune.py"


@dataclass
class FinetuneConfig(TrainingFlags):
    backbone_lr_scale: float | None = field(
        default=None,
        metadata={"help": "backbone rate = lr * scale; 0 freezes it (unset: 0.1, or 1 with --from-scratch)"},
    )
    output_dir: str = field(default="runs/finetune", metadata={"help": "run folder (new or empty)"})
    # what to finetune
    model: str = field(default="", metadata={"help": "pretrained model folder, run folder or Hub id"})
    task: str = field(
        default="", metadata={"help": "[NAME=]SOURCE: a built-in task, a task folder or a Hub dataset id"}
    )
    group: str = field(default="", metadata={"help": "group replacing the task's own, e.g. 'trivial'"})
    reuse_symmetry: str = field(
        default="",
        metadata={"help": "attach the head to the model's symmetry NAME (its learned embedder; same group)"},
    )
    head_name: str = field(
        default="", metadata={"help": "name of the new head and symmetry (default: the task's)"}
    )
    adapter: str = field(
        default="",
        metadata={"help": "feed the model's existing input adapter NAME (default: the card's, else by kind)"},
    )
    new_adapter: str = field(
        default="", metadata={"help": "add a new input adapter NAME for this task (e.g. a new feature width)"}
    )
    standardize_features: bool = field(
        default=False, metadata={"help": "a new features adapter stores the task's mean / std and uses it"}
    )
    from_scratch: bool = field(
        default=False, metadata={"help": "a fresh model with the pretrained config's sizes instead"}
    )
    # data
    n: int = field(default=0, metadata={"help": "length of a built-in task (0: the task's default)"})
    size: int = field(
        default=0, metadata={"help": "examples of a built-in task, split 70/15/15 (0: default)"}
    )
    train_size: int = field(default=0, metadata={"help": "training rows kept, e.g. 375 (0: all)"})
    data_seed: int = field(default=0, metadata={"help": "seed of a built-in task's data"})

    def check(self) -> None:
        super().check()
        if not self.task:
            raise UsageError("--task is required: a built-in task, a task folder or a Hub dataset id")
        if len(split_task_list(self.task)) != 1:
            raise UsageError(f"--task takes one task, got {self.task!r}")
        if self.reuse_symmetry and self.from_scratch:
            raise UsageError("--reuse_symmetry keeps a pretrained embedder; --from_scratch has none")
        if self.adapter and self.new_adapter:
            raise UsageError(
                "give --adapter (an existing input adapter) or --new_adapter (a new one), not both"
            )
        for name in ("n", "size", "train_size", "data_seed"):
            if getattr(self, name) < 0:
                raise UsageError(f"--{name} must be >= 0, got {getattr(self, name)}")

    def backbone_scale(self) -> float:
        """The backbone's rate scale: as given, else 0.1 (1 from scratch)."""
        if self.backbone_lr_scale is not None:
            return self.backbone_lr_scale
        return 1.0 if self.from_scratch else 0.1


def fresh_model_like(pretrained: AsenConfig) -> AsenForMultiTask:
    """A freshly initialised multi-task model with every setting of ``pretrained``, no symmetries or tasks."""
    settings = pretrained.to_dict()
    for key in ("symmetries", "tasks", "architectures", "auto_map", "transformers_version", "model_type"):
        settings.pop(key, None)
    return AsenForMultiTask(AsenConfig(**settings))


def check_fit(config: AsenConfig, task: TaskData, head: str, cfg: FinetuneConfig) -> dict[str, Any] | None:
    """Refuse a task the pretrained model cannot take (name clash, input adapter that cannot take it);
    returns the spec of the new input adapter to add (``--new_adapter``) or None."""
    if head in config.tasks or head in config.symmetries:
        raise UsageError(f"the model already has a task or symmetry named {head!r}; pass --head_name NEW")
    if cfg.reuse_symmetry:
        check_reuse(config, task, cfg.reuse_symmetry)
    new, _ = finetuning_adapter(
        config.input_adapters, task, new=bool(cfg.new_adapter), explicit=bool(cfg.adapter),
        standardize=cfg.standardize_features,
    )  # fmt: skip
    return new


def check_reuse(config: AsenConfig, task: TaskData, name: str) -> None:
    """Refuse ``--reuse_symmetry NAME`` unless the model has NAME, built from the task's own symmetry."""
    if name not in config.symmetries:
        raise UsageError(
            f"--reuse_symmetry {name}: the model has no such symmetry; it has {sorted(config.symmetries)}"
        )
    wanted, _ = normalize_symmetry(task.task.symmetry, name)
    if wanted != config.symmetries[name]:
        given, stored = (
            entry.get("spec", f"n={entry.get('n')}") for entry in (wanted, config.symmetries[name])
        )
        raise UsageError(
            f"--reuse_symmetry {name}: the task's symmetry ({given}) is not the one {name!r} was built from "
            f"({stored}); drop the flag for a fresh embedder"
        )


def build_model(
    cfg: FinetuneConfig,
    model_dir: str,
    task: TaskData,
    head: str,
    new_adapter: dict[str, Any] | None = None,
) -> AsenForMultiTask:
    """The pretrained model (or a fresh one like it) with a new symmetry embedder and head named ``head``
    (and the new input adapter, with ``--new_adapter``).

    Token embeddings grow when the task uses ids beyond the model's vocabulary.
    """
    if cfg.from_scratch:
        model = fresh_model_like(AsenConfig.from_pretrained(model_dir))
    else:
        model = AsenForMultiTask.from_pretrained(model_dir)
    if new_adapter is not None:
        model.add_input_adapter(task.adapter, new_adapter)
    elif task.adapter in ("tokens", None) and task.task.vocab_size > model.config.vocab_size:
        model.resize_token_embeddings(task.task.vocab_size)
    task.attach_to(model, head, symmetry=cfg.reuse_symmetry or None)
    return model


def prepare(argv: list[str] | None) -> tuple[FinetuneConfig, str, str | None, TaskData, str, Any]:
    """Everything that can fail on a bad command line, before anything is written."""
    cfg = parse_flags(FinetuneConfig, argv, description=__doc__.split("\n")[0])
    cfg.check()
    model_dir, note = resolve_model_dir(cfg.model)
    check_output_dir(cfg.output_dir, overwrite=cfg.overwrite_output_dir, resume=cfg.resume)
    hparams = {**dataclasses.asdict(cfg), "backbone_lr_scale": cfg.backbone_scale()}
    check_resume(cfg.resume, cfg.output_dir, hparams, cfg.max_steps)
    pretrained = AsenConfig.from_pretrained(model_dir)
    (name, task), *_ = resolve_tasks(
        cfg.task, n=cfg.n or None, size=cfg.size or None, seed=cfg.data_seed,
        groups=cfg.group, train_size=cfg.train_size or None,
        ids_as_features=cfg.ids_as_features, unit_labels=cfg.unit_labels,
        adapters=cfg.adapter or cfg.new_adapter,
    ).items()  # fmt: skip
    head = cfg.head_name or name
    new_adapter = check_fit(pretrained, task, head, cfg)
    return cfg, model_dir, note, task, head, new_adapter


def main(argv: list[str] | None = None) -> dict[str, Any]:
    cfg, model_dir, note, task, head, new_adapter = preflight(PROG, lambda: prepare(argv))
    scale = cfg.backbone_scale()
    accelerator = make_accelerator(
        cfg.output_dir,
        grad_accum=cfg.grad_accum,
        mixed_precision=cfg.mixed_precision,
        report_to=cfg.report_to,
    )
    if note:
        accelerator.print(note)
    if cfg.overwrite_output_dir and not cfg.resume and accelerator.is_main_process:
        clear_run(cfg.output_dir)
    accelerator.wait_for_everyone()
    set_seed(cfg.seed)
    data = {head: task}

    # ---- model: pretrained (or fresh, same config), plus the new symmetry embedder and head
    model = build_model(cfg, model_dir, task, head, new_adapter)

    # ---- optimizer: backbone at lr * scale (0: frozen); new embedder, embeddings, head at lr * their scales
    rates = cfg.learning_rates(scale)
    optimizer = build_optimizer(
        model,
        rates,
        weight_decay=cfg.weight_decay,
        symmetries=[cfg.reuse_symmetry or head],
        heads=[head],
    )
    optimizer_rates = learning_rates_by_name(optimizer)
    scheduler = build_scheduler(
        optimizer, warmup_steps=cfg.warmup_steps, total_steps=cfg.max_steps, min_ratio=cfg.min_lr_ratio
    )

    # ---- train (shared loop: asen_fm/training/loop.py)
    settings = LoopSettings.from_config(cfg, tracker_project="finetune")  # steps, batch, eval/save cadence
    hparams = {**dataclasses.asdict(cfg), "backbone_lr_scale": scale}
    outcome = run_training(
        accelerator, model, optimizer, scheduler, data, settings, cfg.output_dir,
        resume=cfg.resume, hparams=hparams,
    )  # fmt: skip

    # ---- save model (atomic), curves, metrics JSON
    payload = finish_run(
        accelerator, outcome, data, cfg.output_dir, script="finetune", config=hparams,
        optimizer_rates=optimizer_rates, dump_checksums=cfg.dump_checksums,
    )  # fmt: skip
    accelerator.print(f"model: {payload['model_dir']}  curves: {payload['curves_png']}")
    return payload


if __name__ == "__main__":
    main(sys.argv[1:])
