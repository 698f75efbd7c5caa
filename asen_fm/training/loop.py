"""The training loop shared by pretraining and finetuning: sample a task, step, log, evaluate, checkpoint.

Also the Accelerator both scripts run under (one CPU, one GPU or N DDP processes; per-task heads leave
parameters unused on most steps, so DDP is asked to look for them: ``find_unused_parameters=True``).
The run's record is a ``TrainingHistory`` (``history.py``).

One optimizer step = one task t drawn by the ``MultiTaskSampler`` and ``grad_accum`` micro-batches of it; the
loss is ``model(input_ids / node_features, task=t, labels=y).loss``, gradients are clipped to
``max_grad_norm`` and the
learning rate follows warmup + cosine (stepped once per optimizer step). A resumed run restores weights,
optimizer, schedule, RNG streams, sampler position and history from ``save_state`` and continues the same
sequence. Keeping one task per step also keeps DDP's unused-parameter set equal across micro-batches.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from accelerate import Accelerator, DistributedDataParallelKwargs
from accelerate.utils import GradientAccumulationPlugin, ProjectConfiguration

from asen_fm.progress import progress_bar
from asen_fm.training.data import MultiTaskSampler
from asen_fm.training.evaluation import eval_loader, evaluate, masked_loss, task_entry
from asen_fm.training.history import TrainingHistory, TrainingOutcome
from asen_fm.training.optim import learning_rates_by_name
from asen_fm.training.outputs import code_version, resolve_resume, save_training_state, step_of

if TYPE_CHECKING:
    from torch.optim.lr_scheduler import LRScheduler

    from asen_fm.training.data import TaskData


PRECISIONS: tuple[str, ...] = ("auto", "no", "bf16", "fp16")
TRACKERS: tuple[str, ...] = ("tensorboard", "none")


def resolve_precision(mixed_precision: str) -> str:
    """ "auto" -> "bf16" on a CUDA GPU that supports it, else "no"; other values pass through (validated)."""
    if mixed_precision not in PRECISIONS:
        raise ValueError(f"mixed_precision must be one of {', '.join(PRECISIONS)}, got {mixed_precision!r}")
    if mixed_precision != "auto":
        return mixed_precision
    cpu_only = os.environ.get("ACCELERATE_USE_CPU", "").lower() in ("1", "true", "yes")
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported() and not cpu_only:
        return "bf16"
    return "no"


def make_accelerator(
    output_dir: str | os.PathLike,
    *,
    grad_accum: int = 1,
    mixed_precision: str = "auto",
    report_to: str = "tensorboard",
) -> Accelerator:
    """Accelerator with DDP unused-parameter search, gradient accumulation and trackers under ``output_dir``.

    Accumulation follows our own step count, not a dataloader (``sync_with_dataloader=False``); TensorBoard
    event files go to ``<output_dir>/tensorboard/<project>``.
    """
    if grad_accum < 1:
        raise ValueError(f"grad_accum must be >= 1, got {grad_accum}")
    if report_to not in TRACKERS:
        raise ValueError(f"report_to must be one of {', '.join(TRACKERS)}, got {report_to!r}")
    project = ProjectConfiguration(
        project_dir=str(output_dir), logging_dir=str(Path(output_dir) / "tensorboard")
    )
    return Accelerator(
        mixed_precision=resolve_precision(mixed_precision),
        gradient_accumulation_plugin=GradientAccumulationPlugin(
            num_steps=grad_accum, sync_with_dataloader=False
        ),
        log_with=None if report_to == "none" else report_to,
        project_config=project,
        kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)],
    )


def tracker_config(config: dict[str, Any]) -> dict[str, int | float | str | bool]:
    """Hyperparameters as TensorBoard accepts them: scalars kept, None and containers as strings."""
    plain: dict[str, int | float | str | bool] = {}
    for key, value in config.items():
        plain[key] = value if isinstance(value, (int, float, str, bool)) else str(value)
    return plain


@dataclass(frozen=True)
class LoopSettings:
    """How long and how to train, and how often to log, evaluate and checkpoint (0 = never)."""

    max_steps: int
    batch_size: int
    seed: int = 0
    task_weighting: str = "balanced"
    weighting_temperature: float = 2.0
    loss_scales: Mapping[str, float] | None = None
    grad_accum: int = 1
    max_grad_norm: float = 1.0
    log_every: int = 10
    eval_every: int = 0
    eval_batch_size: int = 256
    eval_size: int = 0
    save_every: int = 0
    keep_checkpoints: int = 2
    tracker_project: str = "train"

    @classmethod
    def from_config(cls, cfg: Any, **overrides: Any) -> LoopSettings:
        """Settings read from the same-named attributes of a script's config (absent ones keep defaults)."""
        values = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cls) if hasattr(cfg, f.name)}
        return cls(**{**values, **overrides})

    def __post_init__(self) -> None:
        if self.max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {self.max_steps}")
        for name in ("log_every", "eval_every", "save_every", "eval_size", "keep_checkpoints"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


def _evaluate_all(
    accelerator: Accelerator,
    model: torch.nn.Module,
    data: dict[str, TaskData],
    loaders: dict[str, dict[str, Any]],
    history: TrainingHistory,
    step: int,
    splits: tuple[str, ...] = ("validation",),
) -> None:
    logged: dict[str, float] = {}
    for task, by_split in loaders.items():
        for split in splits:
            metrics = evaluate(accelerator, model, task, by_split[split], data[task].task.metrics)
            history.log_eval(step, task, split, metrics)
            logged.update({f"{split}/{task}/{key}": value for key, value in metrics.items()})
    accelerator.log(logged, step=step)


def _training_loss(model: torch.nn.Module, batch: dict[str, torch.Tensor], task: str) -> torch.Tensor:
    """The model's own loss; with a target mask, the mean loss over the valid targets (``masked_loss``)."""
    mask = batch.pop("label_mask", None)
    if mask is None:
        return model(**batch, task=task).loss
    labels = batch.pop("labels")
    logits = model(**batch, task=task).logits
    return masked_loss(logits, labels, task_entry(getattr(model, "module", model), task), mask)


def run_training(
    accelerator: Accelerator,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: LRScheduler,
    data: dict[str, TaskData],
    settings: LoopSettings,
    output_dir: str | Path,
    *,
    resume: str = "",
    hparams: dict[str, Any] | None = None,
) -> TrainingOutcome:
    """Train ``model`` on the tasks in ``data`` (names = the model's task names) and evaluate at the end.

    ``resume``: "" (fresh), "latest" (newest checkpoint in ``output_dir``) or a checkpoint folder.
    ``hparams`` (the run's flags) go to the trackers and into every checkpoint (``run_config.json``).
    Finishes with validation and test metrics of every task in the history (step = ``max_steps``).
    """
    wall_start = time.perf_counter()
    code = code_version()  # before training: the files this process imported, not those on disk at the end
    missing = sorted(set(data) - set(accelerator.unwrap_model(model).config.tasks))
    if missing:
        raise KeyError(f"model has no head for tasks {missing}; add them with add_task first")
    sampler = MultiTaskSampler(
        {name: task.size("train") for name, task in data.items()},
        settings.batch_size,
        seed=settings.seed,
        weighting=settings.task_weighting,
        temperature=settings.weighting_temperature,
        num_processes=accelerator.num_processes,
        process_index=accelerator.process_index,
    )
    history = TrainingHistory()
    limit = settings.eval_size or None
    loaders = {
        name: {
            split: accelerator.prepare(eval_loader(task, split, settings.eval_batch_size, limit))
            for split in ("validation", "test")
        }
        for name, task in data.items()
    }
    model, optimizer = accelerator.prepare(model, optimizer)
    # The scheduler is stepped by hand once per optimizer step: a prepared one would step num_processes times.
    accelerator.register_for_checkpointing(scheduler, sampler, history)
    accelerator.init_trackers(settings.tracker_project, config=tracker_config(hparams or {}))

    checkpoint = resolve_resume(resume, output_dir)
    start_step = 0
    if checkpoint is not None:
        accelerator.load_state(str(checkpoint))
        start_step = step_of(checkpoint)
        accelerator.print(f"resumed from {checkpoint} at step {start_step}")
    elif settings.eval_every:
        _evaluate_all(accelerator, model, data, loaders, history, 0)

    device = accelerator.device
    scales = dict(settings.loss_scales or {})
    model.train()
    pending: dict[str, list[float]] = defaultdict(list)
    step_seconds: list[float] = []
    progress = progress_bar(
        total=settings.max_steps,
        initial=start_step,
        desc=settings.tracker_project,
        disable=not accelerator.is_local_main_process,
        dynamic_ncols=True,
    )
    for step in range(start_step + 1, settings.max_steps + 1):
        tic = time.perf_counter()
        task = sampler.next_task()  # one task per optimizer step, all its micro-batches included
        for _ in range(settings.grad_accum):
            batch = {k: v.to(device) for k, v in data[task].batch("train", sampler.next_rows(task)).items()}
            with accelerator.accumulate(model):
                loss = _training_loss(model, batch, task)
                accelerator.backward(loss / scales.get(task, 1.0))  # per-task loss normalisation
                if accelerator.sync_gradients and settings.max_grad_norm > 0:
                    accelerator.clip_grad_norm_(model.parameters(), settings.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            loss = accelerator.reduce(loss.detach().float(), reduction="mean").item()
            history.log_train(step, task, loss)
            pending[task].append(loss)
        scheduler.step()
        step_seconds.append(time.perf_counter() - tic)
        progress.update(1)

        if settings.log_every and (step % settings.log_every == 0 or step == settings.max_steps):
            scalars = {f"train/{t}/loss": sum(v) / len(v) for t, v in pending.items()}
            scalars.update({f"lr/{name}": lr for name, lr in learning_rates_by_name(optimizer).items()})
            accelerator.log(scalars, step=step)
            progress.set_postfix({t: f"{sum(v) / len(v):.3f}" for t, v in sorted(pending.items())})
            pending.clear()
        if settings.eval_every and step % settings.eval_every == 0 and step != settings.max_steps:
            _evaluate_all(accelerator, model, data, loaders, history, step)
        if settings.save_every and step % settings.save_every == 0:
            save_training_state(
                accelerator, output_dir, step, keep=settings.keep_checkpoints, run_config=hparams or {}
            )
    progress.close()

    _evaluate_all(
        accelerator, model, data, loaders, history, settings.max_steps, splits=("validation", "test")
    )
    steps_run = settings.max_steps - start_step
    return TrainingOutcome(
        model=accelerator.unwrap_model(model),
        history=history,
        steps=settings.max_steps,
        start_step=start_step,
        world_size=accelerator.num_processes,
        examples_seen=steps_run * settings.grad_accum * sampler.global_batch_size,
        train_seconds=sum(step_seconds),
        wall_seconds=time.perf_counter() - wall_start,
        step_seconds=step_seconds,
        code=code,
    )
