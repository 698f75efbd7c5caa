"""Multi-task pretraining of one ASEN backbone with per-task symmetry embedders and heads (Accelerate).

    python pretrain/pretrain.py --tasks intersect,palindrome,cyclic_sum --output_dir runs/pt --max_steps 2000
    python pretrain/pretrain.py --tasks intersect,pose=data/pose,hub-user/some-task --output_dir runs/mix
    python pretrain/pretrain.py ... --groups trivial --train_size 500        # NoSym, 500 rows per task
    python pretrain/pretrain.py --recipe pretrain/configs/base.json --output_dir runs/base  # the shipped base
    accelerate launch --num_processes 2 pretrain/pretrain.py ...                               # 2 GPUs, DDP
    ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes 2 pretrain/pretrain.py ...  # 2 CPUs

``--tasks`` entries are ``[NAME=]SOURCE``: a built-in task (generated from --n, --size, --data_seed), a task
folder (``Task.save`` / ``asen data build``) or a Hub dataset id; each task's card says its symmetry, head,
loss and metrics. Tasks of different input kinds, lengths, heads and losses share the backbone: each feeds
a named input adapter (``--adapters 'pose=joints2d; digits=pixels'``, else its card's, else ``tokens`` /
``features``), and ``--loss_normalisation baseline`` divides each task's loss by its constant predictor's.
Each optimizer step draws a task (balanced, as in the paper; proportional to its data; or ``temperature``
between them) and a batch of it (one task per batch: no padding across lengths); AdamW with one rate
per parameter group (lr * scale); warmup + cosine; gradient accumulation; clipping; bf16 on GPU.
``--resume latest`` continues bit-for-bit from the newest checkpoint.

Output folder:
    model/                  save_pretrained folder (AsenForMultiTask.from_pretrained(...)), with a model card
    metrics.json            schema in asen_fm/training/outputs.py (shared with finetune.py)
    curves.png              per-task training loss and validation metric against steps
    tensorboard/pretrain/   TensorBoard event files (``--report_to none`` to skip)
    checkpoints/step_N/     save_state checkpoints for --resume (the newest --keep_checkpoints kept)
    checksums/rankR.json    with --dump_checksums: SHA-256 of the final weights on each process
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from typing import Any

from accelerate.utils import set_seed

from asen_fm import AsenConfig, AsenForMultiTask
from asen_fm.tasks import TASKS
from asen_fm.training.adapters import pretraining_adapters
from asen_fm.training.data import WEIGHTINGS, TaskData, resolve_tasks, split_task_list
from asen_fm.training.loop import LoopSettings, make_accelerator, run_training
from asen_fm.training.optim import build_optimizer, build_scheduler, learning_rates_by_name
from asen_fm.training.outputs import finish_run
from asen_fm.training.recipe import build_corpus, expand_recipe, split_recipe_flag
from asen_fm.training.scripts import (
    TrainingFlags,
    UsageError,
    check_output_dir,
    check_resume,
    clear_run,
    parse_flags,
    preflight,
)
from asen_fm.training.task_balance import LOSS_NORMALISATIONS, loss_scales

PROG = "pretrain.py"


@dataclass
class PretrainConfig(TrainingFlags):
    max_steps: int = field(default=2000, metadata={"help": "optimizer steps in all (the step budget)"})
    warmup_steps: int = field(default=100, metadata={"help": "linear warmup length, in optimizer steps"})
    eval_every: int = field(
        default=250, metadata={"help": "evaluate every N optimizer steps (0: at the end)"}
    )
    output_dir: str = field(default="runs/pretrain", metadata={"help": "run folder (new or empty)"})
    recipe: str = field(
        default="",
        metadata={"help": "JSON recipe (corpus + flags, e.g. pretrain/configs/base.json); given flags win"},
    )
    data_dir: str = field(
        default="", metadata={"help": "where --recipe builds its task folders (default: data/<recipe name>)"}
    )
    # data
    tasks: str = field(
        default="intersect,palindrome,cyclic_sum",
        metadata={"help": "comma-separated [NAME=]SOURCE: built-in task, task folder or Hub dataset id"},
    )
    n: int = field(default=10, metadata={"help": "length of every built-in task (0: each task's default)"})
    size: int = field(
        default=2500, metadata={"help": "examples per built-in task, split 70/15/15 (0: default)"}
    )
    train_size: int = field(
        default=0, metadata={"help": "training rows kept per task; validation/test untouched (0: all)"}
    )
    groups: str = field(
        default="",
        metadata={
            "help": "'' own groups | one group for all, e.g. trivial (NoSym) | 'task=group; task=group'"
        },
    )
    data_seed: int = field(default=0, metadata={"help": "seed of the built-in tasks' data"})
    task_weighting: str = field(
        default="balanced",
        metadata={"help": "balanced | proportional (to train rows) | temperature (N_t^(1/T), between them)"},
    )
    weighting_temperature: float = field(
        default=2.0, metadata={"help": "T of --task_weighting temperature (1: proportional; large: balanced)"}
    )
    loss_normalisation: str = field(
        default="none",
        metadata={"help": "none | baseline: divide each task's loss by its constant predictor's loss"},
    )
    adapters: str = field(
        default="",
        metadata={
            "help": "input adapter per task: 'pose=joints2d; digits=pixels' (default: the card's, else "
            "tokens / features by input kind)"
        },
    )
    standardize_features: bool = field(
        default=False,
        metadata={"help": "store each named features adapter's training mean / std and standardise by it"},
    )
    # model (the paper's sizes: hidden 128, 4 layers)
    hidden_size: int = field(default=128, metadata={"help": "width of the backbone"})
    num_layers: int = field(default=4, metadata={"help": "transformer layers"})
    num_heads: int = field(default=4, metadata={"help": "attention heads per layer"})
    intermediate_size: int = field(default=512, metadata={"help": "feed-forward width"})
    dropout: float = field(default=0.1, metadata={"help": "hidden dropout probability"})
    initializer_range: float = field(
        default=0.02,
        metadata={"help": "std of the normal initialisation (small backbones, e.g. hidden 64, need ~0.1)"},
    )
    vocab_size: int = field(
        default=0,
        metadata={"help": "token ids 0..vocab_size-1 (0: the largest any built-in or given task needs)"},
    )
    orbit_bias_scale: float = field(default=10.0, metadata={"help": "attention bias = scale * orbit table"})
    pair_embeddings: bool = field(
        default=False,
        metadata={"help": "also learn a key and a value vector per pair orbit (relative-position style)"},
    )

    def check(self) -> None:
        super().check()
        if self.task_weighting not in WEIGHTINGS:
            raise UsageError(
                f"--task_weighting must be one of {', '.join(WEIGHTINGS)}, got {self.task_weighting!r}"
            )
        if not self.weighting_temperature >= 1:
            raise UsageError(f"--weighting_temperature must be >= 1, got {self.weighting_temperature}")
        if self.loss_normalisation not in LOSS_NORMALISATIONS:
            raise UsageError(
                f"--loss_normalisation must be one of {', '.join(LOSS_NORMALISATIONS)}, "
                f"got {self.loss_normalisation!r}"
            )
        for name in ("n", "size", "train_size", "vocab_size", "data_seed"):
            if getattr(self, name) < 0:
                raise UsageError(f"--{name} must be >= 0, got {getattr(self, name)}")
        if not self.initializer_range > 0:
            raise UsageError(f"--initializer_range must be > 0, got {self.initializer_range}")
        split_task_list(self.tasks)


def default_vocab_size(n: int) -> int:
    """Largest vocabulary of any registered task defined at length n, so any of them can be finetuned."""
    sizes = []
    for spec in TASKS.values():
        try:
            sizes.append(spec.vocab_size_for(n or spec.default_n))
        except ValueError:
            continue
    return max(sizes)


def model_config(cfg: PretrainConfig, data: dict[str, TaskData]) -> AsenConfig:
    """The backbone's config: sizes from the flags; one input adapter per kind of input the tasks feed."""
    adapters = pretraining_adapters(
        data, min_vocab=default_vocab_size(cfg.n), standardize=cfg.standardize_features
    )
    tokens = adapters.get("tokens")
    if tokens is not None and tokens["kind"] == "tokens" and cfg.vocab_size:
        if cfg.vocab_size < tokens["vocab_size"]:
            raise UsageError(
                f"--vocab_size {cfg.vocab_size} is smaller than the {tokens['vocab_size']} token ids the "
                "tasks use"
            )
        tokens["vocab_size"] = cfg.vocab_size
    return AsenConfig(
        input_adapters=adapters,
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        intermediate_size=cfg.intermediate_size,
        hidden_dropout_prob=cfg.dropout,
        initializer_range=cfg.initializer_range,
        orbit_bias_scale=cfg.orbit_bias_scale,
        pair_embeddings=cfg.pair_embeddings,
    )


def prepare(argv: list[str] | None) -> tuple[PretrainConfig, dict[str, TaskData], AsenConfig]:
    """Everything that can fail on a bad command line, before anything is written: flags, folder, tasks."""
    arguments, corpus = expand_recipe(sys.argv[1:] if argv is None else list(argv))
    recipe, data_dir, _ = split_recipe_flag(list(argv or sys.argv[1:]))
    recorded = ["--recipe", recipe or "", "--data_dir", data_dir or ""]  # kept in the run's flags
    cfg = parse_flags(PretrainConfig, [*arguments, *recorded], description=__doc__.split("\n")[0])
    cfg.check()
    check_output_dir(cfg.output_dir, overwrite=cfg.overwrite_output_dir, resume=cfg.resume)
    check_resume(cfg.resume, cfg.output_dir, dataclasses.asdict(cfg), cfg.max_steps)
    build_corpus(corpus)  # the recipe's task folders, once every flag has passed
    data = resolve_tasks(
        cfg.tasks, n=cfg.n or None, size=cfg.size or None, seed=cfg.data_seed, groups=cfg.groups,
        train_size=cfg.train_size or None,
        ids_as_features=cfg.ids_as_features, unit_labels=cfg.unit_labels, adapters=cfg.adapters,
    )  # fmt: skip
    return cfg, data, model_config(cfg, data)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    cfg, data, config = preflight(PROG, lambda: prepare(argv))
    accelerator = make_accelerator(
        cfg.output_dir,
        grad_accum=cfg.grad_accum,
        mixed_precision=cfg.mixed_precision,
        report_to=cfg.report_to,
    )
    if cfg.overwrite_output_dir and not cfg.resume and accelerator.is_main_process:
        clear_run(cfg.output_dir)
    accelerator.wait_for_everyone()
    set_seed(cfg.seed)

    # ---- model: shared backbone, one symmetry embedder (the card's symmetry entry) and one head per task
    model = AsenForMultiTask(config)
    for name, task in data.items():
        task.attach_to(model, name)

    # ---- optimizer: AdamW, one rate per parameter group (lr * scale); warmup + cosine
    scale = 1.0 if cfg.backbone_lr_scale is None else cfg.backbone_lr_scale
    optimizer = build_optimizer(model, cfg.learning_rates(scale), weight_decay=cfg.weight_decay)
    optimizer_rates = learning_rates_by_name(optimizer)
    scheduler = build_scheduler(
        optimizer, warmup_steps=cfg.warmup_steps, total_steps=cfg.max_steps, min_ratio=cfg.min_lr_ratio
    )

    # ---- train (sampling, accumulation, clipping, eval, checkpoints, resume: asen_fm/training/loop.py)
    scales = loss_scales(data, cfg.loss_normalisation)  # per-task loss divisors (1: none)
    settings = LoopSettings.from_config(cfg, tracker_project="pretrain", loss_scales=scales)
    outcome = run_training(
        accelerator, model, optimizer, scheduler, data, settings, cfg.output_dir,
        resume=cfg.resume, hparams=dataclasses.asdict(cfg),
    )  # fmt: skip

    # ---- save model (atomic), curves, metrics JSON
    payload = finish_run(
        accelerator, outcome, data, cfg.output_dir, script="pretrain", config=dataclasses.asdict(cfg),
        optimizer_rates=optimizer_rates, dump_checksums=cfg.dump_checksums,
    )  # fmt: skip
    accelerator.print(f"model: {payload['model_dir']}  curves: {payload['curves_png']}")
    return payload


if __name__ == "__main__":
    main(sys.argv[1:])
