"""What a run leaves on disk, always crash-safe: checkpoints, the model folder, metrics JSON, curves, card.

Everything is written into a hidden temporary sibling, then renamed into place: a save that dies half way
leaves only a ``.tmp-*`` folder, which ``latest_checkpoint`` never returns. Training-state checkpoints live
in ``<output_dir>/checkpoints/step_<8 digits>`` (each with the run's ``run_config.json``); the final model
goes to ``<output_dir>/model``.

``metrics.json`` (schema ``asen-fm/train-metrics/v1``), written by the main process into the output folder:

    schema, script ("pretrain" | "finetune"), config (every command-line field),
    code {package_version, git_commit, git_dirty, source_sha256}  (the code the run ran at),
    world_size, mixed_precision, device,
    model_dir (the save_pretrained folder), curves_png,
    tasks: {task: {group, symmetry, symmetry_entry, head, problem_type, loss, metrics, n, train_rows,
                   validation_rows, test_rows}},
    learning_rates: {backbone | symmetry | embeddings | heads: base rate (absent = frozen)},
    parameters: {total, trainable},
    steps, start_step, examples_seen, train_seconds, wall_seconds, steps_per_second, median_step_seconds,
    train: [{step, task, loss}]   one row per micro-batch, loss averaged over processes,
    eval:  [{step, task, split, loss, <each metric of the task's card>}],
    final: {task: {validation: {...}, test: {...}}}   the metrics after the last step.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import torch  # noqa: E402

if TYPE_CHECKING:
    from accelerate import Accelerator
    from torch import nn

    from asen_fm.training.data import TaskData
    from asen_fm.training.history import TrainingHistory, TrainingOutcome

RUN_CONFIG = "run_config.json"

CHECKPOINTS = "checkpoints"
_STEP_DIR = re.compile(r"^step_(\d{8})$")
COMPLETE_MARKER = "COMPLETE"


def write_dir_atomically(
    final_dir: str | os.PathLike, write: Callable[[Path], None], *, marker: bool = True
) -> Path:
    """Run ``write(tmp)`` on a fresh temporary sibling of ``final_dir``, then rename it to ``final_dir``.

    With ``marker``, a small ``COMPLETE`` file is written last; checkpoint discovery requires it.
    An existing ``final_dir`` is replaced: it is first renamed aside and removed only after the new folder
    is in place, so at every instant one complete copy exists (under the final or the aside name).
    """
    final = Path(final_dir)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".tmp-{final.name}-{uuid.uuid4().hex[:8]}"
    aside = final.parent / f".old-{final.name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        write(tmp)
        if marker:
            (tmp / COMPLETE_MARKER).write_text("ok\n")
        _fsync_files(tmp)
        if final.exists():
            os.replace(final, aside)
        os.replace(tmp, final)
        _fsync_dir(final.parent)
    except BaseException:
        if aside.exists() and not final.exists():
            os.replace(aside, final)  # put the previous version back
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(aside, ignore_errors=True)
    return final


def _fsync_files(folder: Path) -> None:
    for child in folder.iterdir():
        if child.is_file():
            with open(child, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # platforms without directory file descriptors
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoint_dir(output_dir: str | os.PathLike, step: int) -> Path:
    """``<output_dir>/checkpoints/step_<step:08d>``."""
    return Path(output_dir) / CHECKPOINTS / f"step_{step:08d}"


def list_checkpoints(output_dir: str | os.PathLike) -> list[tuple[int, Path]]:
    """Complete checkpoints under ``output_dir`` as (step, path), oldest first; partial saves are skipped."""
    root = Path(output_dir) / CHECKPOINTS
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        match = _STEP_DIR.match(child.name)
        if match and child.is_dir() and (child / COMPLETE_MARKER).exists():
            found.append((int(match.group(1)), child))
    return sorted(found)


def latest_checkpoint(output_dir: str | os.PathLike) -> Path | None:
    """The newest complete checkpoint folder, or None when there is none."""
    found = list_checkpoints(output_dir)
    return found[-1][1] if found else None


def resolve_resume(resume: str, output_dir: str | os.PathLike) -> Path | None:
    """``--resume`` value to a folder: "" = start fresh, "latest" = newest in output_dir, else a path."""
    if not resume:
        return None
    if resume == "latest":
        path = latest_checkpoint(output_dir)
        if path is None:
            raise FileNotFoundError(
                f"--resume latest: no complete checkpoint under {Path(output_dir) / CHECKPOINTS}"
            )
        return path
    path = Path(resume)
    if not (path / COMPLETE_MARKER).exists():
        raise FileNotFoundError(
            f"--resume {resume}: not a complete checkpoint folder (no {COMPLETE_MARKER} file)"
        )
    return path


def step_of(checkpoint: str | os.PathLike) -> int:
    """The optimizer step a ``step_<n>`` checkpoint folder was written after."""
    match = _STEP_DIR.match(Path(checkpoint).name)
    if not match:
        raise ValueError(f"{checkpoint} is not named step_<8 digits>")
    return int(match.group(1))


def save_training_state(
    accelerator: Accelerator,
    output_dir: str | os.PathLike,
    step: int,
    keep: int = 2,
    run_config: dict[str, Any] | None = None,
) -> Path:
    """``accelerator.save_state`` (weights, optimizer, RNGs, registered objects) into a crash-safe folder.

    ``run_config`` (the run's flags) is written beside it as ``run_config.json``, so ``--resume`` can refuse
    a checkpoint of another run.

    All ranks write into one shared temporary folder (each its own RNG file), then the main process renames
    it and prunes all but the newest ``keep`` checkpoints. Collective: every rank must call it.
    """
    final = checkpoint_dir(output_dir, step)
    shared_tmp = final.parent / f".tmp-{final.name}"
    if accelerator.is_main_process:
        shutil.rmtree(shared_tmp, ignore_errors=True)
        shared_tmp.mkdir(parents=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(shared_tmp))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        if run_config is not None:
            (shared_tmp / RUN_CONFIG).write_text(json.dumps(run_config, indent=2, sort_keys=True) + "\n")
        write_dir_atomically(final, lambda tmp: _move_contents(shared_tmp, tmp))
        shutil.rmtree(shared_tmp, ignore_errors=True)
        for _, old in list_checkpoints(output_dir)[:-keep] if keep > 0 else []:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


def _move_contents(source: Path, target: Path) -> None:
    for child in source.iterdir():
        os.replace(child, target / child.name)


def save_pretrained_atomically(
    model: nn.Module, final_dir: str | os.PathLike, append_card: str | None = None
) -> Path:
    """``model.save_pretrained`` into ``final_dir``, crash-safe; ``append_card`` is added to its README.md.

    The model's own ``save_pretrained`` may write a model card; the training section goes after it (or
    starts a new README.md when there is none).
    """

    def write(tmp: Path) -> None:
        model.save_pretrained(tmp)
        if append_card:
            card = tmp / "README.md"
            existing = card.read_text() if card.exists() else f"# {type(model).__name__}\n"
            card.write_text(existing.rstrip("\n") + "\n" + append_card)

    return write_dir_atomically(final_dir, write, marker=False)


def parameter_checksum(model: torch.nn.Module) -> str:
    """SHA-256 over every parameter's name, shape, dtype and bytes, in name order: equal iff weights equal."""
    digest = hashlib.sha256()
    for name, param in sorted(model.named_parameters()):
        tensor = param.detach().to("cpu").contiguous()
        digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype};".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def write_json(path: str | os.PathLike, payload: Any) -> Path:
    """Write ``payload`` as indented JSON via a temporary file and ``os.replace`` (never half-written)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, target)
    return target


def moving_average(values: list[float], window: int) -> np.ndarray:
    """Trailing mean over the last ``window`` values (shorter at the start), same length as ``values``."""
    x = np.asarray(values, dtype=float)
    if window <= 1 or len(x) == 0:
        return x
    csum = np.concatenate([[0.0], np.cumsum(x)])
    idx = np.arange(1, len(x) + 1)
    lo = np.maximum(0, idx - window)
    return (csum[idx] - csum[lo]) / (idx - lo)


def plot_curves(
    history: TrainingHistory, path: str | os.PathLike, *, title: str = "", smooth: int = 20
) -> Path:
    """Write a two-panel PNG: training loss per task; validation metric per task (its first card metric)."""
    tasks = list(dict.fromkeys(row["task"] for row in history.train + history.eval))
    fig, (ax_train, ax_eval) = plt.subplots(1, 2, figsize=(11, 4))
    for task in tasks:
        rows = [r for r in history.train if r["task"] == task]
        if rows:
            steps = [r["step"] for r in rows]
            ax_train.plot(steps, moving_average([r["loss"] for r in rows], smooth), label=task)
    ax_train.set(xlabel="optimizer step", ylabel=f"training loss (mean of last {smooth})", title="training")
    ax_train.set_yscale("log")
    for task in tasks:
        rows = [r for r in history.eval if r["task"] == task and r["split"] == "validation"]
        if not rows:
            continue
        metrics = [k for k in rows[0] if k not in ("step", "task", "split", "loss")]
        key = "sequence_accuracy" if "sequence_accuracy" in metrics else (metrics or ["loss"])[0]
        ax_eval.plot([r["step"] for r in rows], [r[key] for r in rows], marker="o", label=f"{task}: {key}")
    ax_eval.set(xlabel="optimizer step", ylabel="validation metric", title="evaluation")
    for ax in (ax_train, ax_eval):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


SCHEMA = "asen-fm/train-metrics/v1"
MODEL_DIR = "model"
CURVES_PNG = "curves.png"
METRICS_JSON = "metrics.json"


SOURCE_DIRS = ("asen_fm", "pretrain", "finetune")  # the code a training run executes


def source_digest(root: Path | None = None) -> str:
    """SHA-256 over the training code's source (the package and the two scripts), path by path."""
    root = Path(__file__).resolve().parents[2] if root is None else Path(root)
    files = sorted((root / "asen_fm").rglob("*.py"))
    files += [root / "pretrain" / "pretrain.py", root / "finetune" / "finetune.py"]
    digest = hashlib.sha256()
    for path in files:
        if path.is_file():
            digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def code_version(root: Path | None = None) -> dict[str, Any]:
    """What code a run ran: package version, git commit, ``source_sha256`` (exact) and ``git_dirty``, which
    is whether a tracked file under ``SOURCE_DIRS`` differs from the commit (results, runs and other
    untracked or non-source files do not count)."""
    from asen_fm import __version__

    root = Path(__file__).resolve().parents[2] if root is None else Path(root)
    facts: dict[str, Any] = {
        "package_version": __version__,
        "git_commit": None,
        "git_dirty": None,
        "source_sha256": source_digest(root),
    }
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", *SOURCE_DIRS],
            cwd=root, capture_output=True, text=True, timeout=10, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return facts
    facts.update(git_commit=commit or None, git_dirty=bool(status.strip()))
    return facts


def training_card_section(script: str, outcome: TrainingOutcome, tasks: dict[str, dict[str, Any]]) -> str:
    """Markdown appended to the model card: how the weights were trained and what they scored."""
    lines = [
        "",
        f"## Training ({script})",
        "",
        f"{outcome.steps} optimizer steps on {outcome.world_size} process(es), "
        f"{outcome.examples_seen} examples in the last session.",
        "",
        "| task | group | split | metrics |",
        "|---|---|---|---|",
    ]
    final = outcome.history.latest_eval("test")
    for task, facts in tasks.items():
        shown = ", ".join(f"{k} {v:.4f}" for k, v in final.get(task, {}).items())
        lines.append(f"| {task} | `{facts['group']}` | test | {shown} |")
    return "\n".join(lines) + "\n"


def task_facts(model: Any, data: dict[str, TaskData]) -> dict[str, dict[str, Any]]:
    """Per-task metadata for the JSON: group spec, symmetry name, head, problem type and split sizes."""
    facts = {}
    for name, task in data.items():
        entry = model.config.tasks[name]
        facts[name] = {
            "group": task.group,
            "symmetry": entry["symmetry"],
            "symmetry_entry": task.task.symmetry,
            "head": entry["head"],
            "problem_type": entry["problem_type"],
            "loss": task.task.loss,
            "metrics": list(task.task.metrics),
            "n": task.n,
            **{f"{split}_rows": task.size(split) for split in ("train", "validation", "test")},
        }
    return facts


def finish_run(
    accelerator: Accelerator,
    outcome: TrainingOutcome,
    data: dict[str, TaskData],
    output_dir: str | Path,
    *,
    script: str,
    config: dict[str, Any],
    optimizer_rates: dict[str, float],
    dump_checksums: bool = False,
) -> dict[str, Any]:
    """Save model folder, curves PNG and metrics JSON (main process); optionally a checksum per rank.

    Collective: every rank must call it. Returns the metrics payload (on every rank).
    """
    out = Path(output_dir)
    model = outcome.model
    if dump_checksums:
        write_json(
            out / "checksums" / f"rank{accelerator.process_index}.json",
            {
                "rank": accelerator.process_index,
                "world_size": accelerator.num_processes,
                "step": outcome.steps,
                "sha256": parameter_checksum(model),
            },
        )
    facts = task_facts(model, data)
    payload = {
        "schema": SCHEMA,
        "script": script,
        "config": config,
        "code": outcome.code,
        "world_size": outcome.world_size,
        "mixed_precision": accelerator.mixed_precision,
        "device": str(accelerator.device),
        "model_dir": str(out / MODEL_DIR),
        "curves_png": str(out / CURVES_PNG),
        "tasks": facts,
        "learning_rates": optimizer_rates,
        "parameters": {
            "total": sum(p.numel() for p in model.parameters()),
            "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        },
        "steps": outcome.steps,
        "start_step": outcome.start_step,
        "examples_seen": outcome.examples_seen,
        "train_seconds": outcome.train_seconds,
        "wall_seconds": outcome.wall_seconds,
        "steps_per_second": outcome.steps_per_second,
        "median_step_seconds": statistics.median(outcome.step_seconds) if outcome.step_seconds else None,
        "train": outcome.history.train,
        "eval": outcome.history.eval,
        "final": {
            task: {
                split: outcome.history.latest_eval(split).get(task, {}) for split in ("validation", "test")
            }
            for task in data
        },
    }
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        card = training_card_section(script, outcome, facts)
        save_pretrained_atomically(model, out / MODEL_DIR, append_card=card)
        plot_curves(outcome.history, out / CURVES_PNG, title=f"{script}: {', '.join(data)}")
        write_json(out / METRICS_JSON, payload)
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return payload
