"""Multi-task pretraining of one ASEN backbone with per-task symmetry embedders and heads (Accelerate).

    python pretrain/pretrain.py --tasks intersect,palindrome,cyclic_sum --output_dir runs/pt --max_steps 2000
    python pretrain/pretrain.py ... --groups trivial --train_size 500        # NoSym, 500 rows per task
    accelerate launch --num_processes 2 pretrain/pretrain.py ...                               # 2 GPUs, DDP
    ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes 2 pretrain/pretrain.py ...  # 2 CPUs

Each optimizer step draws a task (balanced, as in the paper, or proportional to its data) and a batch of it;
AdamW with separate rates for backbone / symmetry embedders / token embeddings / heads; warmup + cosine;
gradient accumulation; clipping; bf16 on GPU. ``--resume latest`` continues bit-for-bit from the newest
checkpoint in ``--output_dir``.

Output folder:
    model/                  save_pretrained folder (AsenForMultiTask.from_pretrained(...)), with a model card
    metrics.json            see below
    curves.png              per-task training loss and validation metric against steps
    tensorboard/pretrain/   TensorBoard event files (``--report_to none`` to skip)
    checkpoints/step_N/     save_state checkpoints for --resume (the newest --keep_checkpoints kept)
    checksums/rankR.json    with --dump_checksums: SHA-256 of the final weights on each process

metrics.json (schema "asen-fm/train-metrics/v1", shared with finetune.py; asen_fm/training/report.py):
    schema, script ("pretrain" | "finetune"), config {every flag}, world_size, mixed_precision, device,
    model_dir, curves_png,
    tasks {task: {group, symmetry, head, problem_type, n, train_rows, validation_rows, test_rows}},
    learning_rates {backbone, symmetry, embeddings, heads: base rate; a frozen group is absent},
    parameters {total, trainable}, steps, start_step, examples_seen,
    train_seconds, wall_seconds, steps_per_second, median_step_seconds,
    train [{step, task, loss}]                          one per micro-batch, loss averaged over processes
    eval  [{step, task, split, loss, accuracy, sequence_accuracy}]    classification tasks
          [{step, task, split, loss, mae, mse}]                       regression tasks
    final {task: {validation: {...}, test: {...}}}      metrics after the last step
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field

from accelerate.utils import set_seed

from asen_fm import AsenConfig, AsenForMultiTask
from asen_fm.tasks import TASKS
from asen_fm.training.data import load_task_tensors, parse_group_overrides
from asen_fm.training.flags import parse_config
from asen_fm.training.loop import LoopSettings, run_training
from asen_fm.training.optim import build_optimizer, build_scheduler, learning_rates_by_name
from asen_fm.training.report import finish_run
from asen_fm.training.runtime import make_accelerator


@dataclass
class PretrainConfig:
    # data
    tasks: str = field(
        default="intersect,palindrome,cyclic_sum", metadata={"help": "comma-separated task names"}
    )
    n: int = field(default=10, metadata={"help": "sequence length of every task (0: each task's default)"})
    size: int = field(default=2500, metadata={"help": "examples per task, split 70/15/15 (0: task default)"})
    train_size: int = field(
        default=0, metadata={"help": "training rows kept per task; validation/test untouched (0: all)"}
    )
    groups: str = field(
        default="",
        metadata={
            "help": "'' own groups | one group for all, e.g. trivial (NoSym) | 'task=group;task=group'"
        },
    )
    data_seed: int = 0
    # model (the paper's sizes: hidden 128, 4 layers)
    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int = 512
    dropout: float = 0.1
    vocab_size: int = field(default=0, metadata={"help": "0: the largest vocabulary of any registered task"})
    orbit_bias_scale: float = field(default=10.0, metadata={"help": "attention bias = scale * orbit table"})
    # optimization
    max_steps: int = 2000
    batch_size: int = field(default=64, metadata={"help": "examples per process per micro-batch"})
    grad_accum: int = 1
    lr: float = 1e-3
    lr_backbone: float | None = field(default=None, metadata={"help": "none: --lr"})
    lr_symmetry: float | None = field(default=None, metadata={"help": "none: --lr"})
    lr_embeddings: float | None = field(default=None, metadata={"help": "none: --lr"})
    lr_heads: float | None = field(default=None, metadata={"help": "none: --lr"})
    weight_decay: float = 0.01
    warmup_steps: int = 100
    min_lr_ratio: float = 0.1
    max_grad_norm: float = 1.0
    task_weighting: str = field(default="balanced", metadata={"help": "balanced | proportional"})
    mixed_precision: str = field(default="auto", metadata={"help": "auto (bf16 on GPU) | no | bf16 | fp16"})
    seed: int = 0
    # bookkeeping
    output_dir: str = "runs/pretrain"
    log_every: int = 10
    eval_every: int = 250
    eval_size: int = field(default=0, metadata={"help": "validation/test rows per task to score (0: all)"})
    eval_batch_size: int = 256
    save_every: int = 500
    keep_checkpoints: int = 2
    resume: str = field(default="", metadata={"help": "'latest' or a checkpoint folder"})
    report_to: str = field(default="tensorboard", metadata={"help": "tensorboard | none"})
    dump_checksums: bool = field(default=False, metadata={"help": "write checksums/rank<R>.json"})


def default_vocab_size(n: int) -> int:
    """Largest vocabulary of any registered task defined at length n, so any of them can be finetuned."""
    sizes = []
    for spec in TASKS.values():
        try:
            sizes.append(spec.vocab_size_for(n or spec.default_n))
        except ValueError:
            continue
    return max(sizes)


def main(argv: list[str] | None = None) -> dict:
    cfg = parse_config(PretrainConfig, argv, description=__doc__.split("\n")[0])
    task_names = [t.strip() for t in cfg.tasks.split(",") if t.strip()]
    if not task_names or len(set(task_names)) != len(task_names):
        raise ValueError(f"--tasks needs distinct comma-separated task names, got {cfg.tasks!r}")
    accelerator = make_accelerator(
        cfg.output_dir,
        grad_accum=cfg.grad_accum,
        mixed_precision=cfg.mixed_precision,
        report_to=cfg.report_to,
    )
    set_seed(cfg.seed)

    # ---- data: every task generated deterministically from (task, data_seed); its group, or the override
    groups = parse_group_overrides(cfg.groups, task_names)
    data = {
        name: load_task_tensors(
            name, n=cfg.n or None, size=cfg.size or None, seed=cfg.data_seed, group=groups[name],
            train_size=cfg.train_size or None,
        )
        for name in task_names
    }  # fmt: skip

    # ---- model: shared backbone, one symmetry embedder and one head per task
    config = AsenConfig(
        vocab_size=cfg.vocab_size or default_vocab_size(cfg.n),
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        intermediate_size=cfg.intermediate_size,
        hidden_dropout_prob=cfg.dropout,
        orbit_bias_scale=cfg.orbit_bias_scale,
    )
    model = AsenForMultiTask(config)
    for name, task in data.items():
        task.attach_to(model, name)

    # ---- optimizer: AdamW, one rate per parameter group; warmup + cosine
    rates = {
        "backbone": cfg.lr if cfg.lr_backbone is None else cfg.lr_backbone,
        "symmetry": cfg.lr if cfg.lr_symmetry is None else cfg.lr_symmetry,
        "embeddings": cfg.lr if cfg.lr_embeddings is None else cfg.lr_embeddings,
        "heads": cfg.lr if cfg.lr_heads is None else cfg.lr_heads,
    }
    optimizer = build_optimizer(model, rates, weight_decay=cfg.weight_decay)
    optimizer_rates = learning_rates_by_name(optimizer)
    scheduler = build_scheduler(
        optimizer, warmup_steps=cfg.warmup_steps, total_steps=cfg.max_steps, min_ratio=cfg.min_lr_ratio
    )

    # ---- train (sampling, accumulation, clipping, eval, checkpoints, resume: asen_fm/training/loop.py)
    settings = LoopSettings.from_config(cfg, tracker_project="pretrain")  # steps, batch, eval/save cadence
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
