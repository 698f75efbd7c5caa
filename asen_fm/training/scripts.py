"""What both training scripts do before any heavy work: parse flags, check them, refuse bad runs clearly.

A wrong flag, task, group, path, output folder or resume checkpoint ends the script with one line on
stderr (``<script>: error: <what> (see <script> --help)``), exit status 2, no traceback and nothing
written. Flags come from a config dataclass through ``transformers.HfArgumentParser``.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from transformers import HfArgumentParser

from asen_fm.training.outputs import CHECKPOINTS, RUN_CONFIG, resolve_resume, step_of

T = TypeVar("T")

# Run artefacts --overwrite_output_dir removes (other files in the folder are left alone).
RUN_ARTEFACTS: tuple[str, ...] = (
    "model", CHECKPOINTS, "metrics.json", "curves.png", "tensorboard", "checksums", RUN_CONFIG,
)  # fmt: skip
# Flags a resumed run may change: the step budget, where / how it resumes, and bookkeeping that never
# touches the weights or the data order (how often to log, evaluate and checkpoint; trackers).
RESUMABLE_CHANGES: frozenset[str] = frozenset(
    {"max_steps", "resume", "overwrite_output_dir", "output_dir", "save_every", "keep_checkpoints",
     "log_every", "eval_every", "eval_batch_size", "report_to", "dump_checksums"}
)  # fmt: skip


@dataclass
class TrainingFlags:
    """Flags both scripts share: one vocabulary (the rate of a parameter group is ``lr`` times its scale)."""

    max_steps: int = field(default=1000, metadata={"help": "optimizer steps in all (the step budget)"})
    batch_size: int = field(default=64, metadata={"help": "examples per process per micro-batch"})
    grad_accum: int = field(default=1, metadata={"help": "micro-batches per optimizer step"})
    lr: float = field(default=1e-3, metadata={"help": "base learning rate of AdamW"})
    backbone_lr_scale: float | None = field(
        default=1.0, metadata={"help": "backbone rate = lr * scale (0 freezes the backbone)"}
    )
    symmetry_lr_scale: float = field(default=1.0, metadata={"help": "symmetry embedders' rate = lr * scale"})
    embeddings_lr_scale: float = field(
        default=1.0, metadata={"help": "token embedding and input projection rate = lr * scale"}
    )
    heads_lr_scale: float = field(default=1.0, metadata={"help": "task heads' rate = lr * scale"})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW decoupled weight decay of matrices"})
    warmup_steps: int = field(default=50, metadata={"help": "linear warmup length, in optimizer steps"})
    min_lr_ratio: float = field(default=0.1, metadata={"help": "the cosine decay ends at lr * this ratio"})
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient clipping norm (0: no clipping)"})
    mixed_precision: str = field(default="auto", metadata={"help": "auto (bf16 on a GPU) | no | bf16 | fp16"})
    seed: int = field(default=0, metadata={"help": "seed of initialisation, dropout and batch order"})
    output_dir: str = field(default="runs/train", metadata={"help": "run folder (new or empty)"})
    overwrite_output_dir: bool = field(
        default=False, metadata={"help": "replace the run in --output_dir (model, checkpoints, metrics)"}
    )
    log_every: int = field(default=10, metadata={"help": "log the training loss every N optimizer steps"})
    eval_every: int = field(
        default=100, metadata={"help": "evaluate every N optimizer steps (0: at the end)"}
    )
    eval_size: int = field(default=0, metadata={"help": "validation/test rows per task to score (0: all)"})
    eval_batch_size: int = field(default=256, metadata={"help": "examples per evaluation batch"})
    save_every: int = field(default=500, metadata={"help": "checkpoint every N optimizer steps (0: never)"})
    keep_checkpoints: int = field(default=2, metadata={"help": "how many of the newest checkpoints to keep"})
    resume: str = field(
        default="",
        metadata={"help": "'latest' or a checkpoint folder: continue that run (same flags but --max_steps)"},
    )
    report_to: str = field(default="tensorboard", metadata={"help": "tensorboard | none"})
    dump_checksums: bool = field(
        default=False, metadata={"help": "write checksums/rank<R>.json (SHA-256 of the final weights)"}
    )
    ids_as_features: bool = field(
        default=False,
        metadata={"help": "feed token ids as one node feature, id / (vocab_size - 1), not as embeddings"},
    )
    unit_labels: bool = field(
        default=False,
        metadata={"help": "map regression tasks' labels onto [0, 1] by their training rows' range"},
    )

    def learning_rates(self, backbone_scale: float) -> dict[str, float]:
        """The base rate of each parameter group: ``lr`` times its scale."""
        return {
            "backbone": self.lr * backbone_scale,
            "symmetry": self.lr * self.symmetry_lr_scale,
            "embeddings": self.lr * self.embeddings_lr_scale,
            "heads": self.lr * self.heads_lr_scale,
        }

    def check(self) -> None:
        """Refuse values no run can use (before anything is loaded or written)."""
        positive = ("max_steps", "batch_size", "grad_accum", "eval_batch_size")
        for name in positive:
            if getattr(self, name) < 1:
                raise UsageError(f"--{name} must be >= 1, got {getattr(self, name)}")
        for name in (
            "log_every",
            "eval_every",
            "eval_size",
            "save_every",
            "keep_checkpoints",
            "warmup_steps",
        ):
            if getattr(self, name) < 0:
                raise UsageError(f"--{name} must be >= 0, got {getattr(self, name)}")
        scales = ("lr", "symmetry_lr_scale", "embeddings_lr_scale", "heads_lr_scale", "weight_decay")
        for name in (*scales, "backbone_lr_scale", "max_grad_norm"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise UsageError(f"--{name} must be >= 0, got {value}")
        if not 0 <= self.min_lr_ratio <= 1:
            raise UsageError(f"--min_lr_ratio must lie in [0, 1], got {self.min_lr_ratio}")
        if self.mixed_precision not in ("auto", "no", "bf16", "fp16"):
            raise UsageError(
                f"--mixed_precision must be auto, no, bf16 or fp16, got {self.mixed_precision!r}"
            )
        if self.report_to not in ("tensorboard", "none"):
            raise UsageError(f"--report_to must be tensorboard or none, got {self.report_to!r}")


class UsageError(Exception):
    """A bad command line: reported as one line with a usage hint, exit status 2."""


class _Parser(HfArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's own errors: one line too
        raise UsageError(message)


def parse_flags(config_class: type[T], argv: Sequence[str] | None, description: str) -> T:
    """``argv`` (None: sys.argv[1:]) parsed into ``config_class``; ``--help`` prints and exits 0."""
    parser = _Parser(config_class, description=description)
    args = list(argv) if argv is not None else sys.argv[1:]
    config, rest = parser.parse_args_into_dataclasses(args=args, return_remaining_strings=True)
    if rest:
        raise UsageError(f"unrecognized arguments: {' '.join(rest)}")
    return config


def fail(prog: str, message: str) -> NoReturn:
    """Print ``<prog>: error: <message> (see <prog> --help)`` on stderr and exit with status 2."""
    text = " ".join(str(message).split())  # one line whatever the message
    print(f"{prog}: error: {text} (see {prog} --help)", file=sys.stderr, flush=True)
    raise SystemExit(2)


def preflight(prog: str, check: Callable[[], T]) -> T:
    """Run ``check()``; a ``UsageError`` or a bad value / missing file / unknown name becomes ``fail``."""
    try:
        return check()
    except (UsageError, ValueError, KeyError, FileNotFoundError, OSError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        fail(prog, str(message))


def resolve_model_dir(model: str) -> tuple[str, str | None]:
    """``--model`` for ``from_pretrained``: a model folder, a run folder (its ``model/``) or a Hub id.

    Returns (path or id, a note to print when a run folder was given). A missing local path is an error.
    """
    if not model:
        raise UsageError("--model is required: a model folder, a run folder or a Hub id")
    path = Path(model).expanduser()
    if path.is_file():
        raise UsageError(f"--model {model} is a file; pass the folder that holds config.json")
    if path.is_dir():
        if (path / "config.json").is_file():
            return str(path), None
        if (path / "model" / "config.json").is_file():
            return str(path / "model"), f"--model {model} is a run folder: using its model {path / 'model'}"
        raise UsageError(f"--model {model}: the folder has no config.json (and no model/config.json)")
    looks_like_path = model.startswith((".", "/", "~")) or model.count("/") > 1 or path.suffix != ""
    if looks_like_path or path.parent.exists() and path.parent != Path("."):
        raise UsageError(f"--model {model}: no such folder")
    return model, None


def check_output_dir(output_dir: str, *, overwrite: bool, resume: str) -> None:
    """Refuse a non-empty ``output_dir`` unless ``--overwrite_output_dir`` or ``--resume`` is given."""
    path = Path(output_dir)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--output_dir {output_dir} exists and is not a folder")
    if overwrite or resume or not path.is_dir():
        return
    present = sorted(child.name for child in path.iterdir() if not child.name.startswith("."))
    if present:
        shown = ", ".join(present[:4]) + (" ..." if len(present) > 4 else "")
        raise UsageError(
            f"--output_dir {output_dir} is not empty ({shown}); pass --overwrite_output_dir to replace "
            "its run or --resume latest to continue it"
        )


def clear_run(output_dir: str) -> None:
    """Remove a previous run's artefacts from ``output_dir`` (for ``--overwrite_output_dir``)."""
    for name in RUN_ARTEFACTS:
        target = Path(output_dir) / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def check_resume(resume: str, output_dir: str, config: dict[str, Any], max_steps: int) -> Path | None:
    """The checkpoint ``--resume`` names, refused when its run's flags differ (other than the step budget)."""
    checkpoint = resolve_resume(resume, output_dir)
    if checkpoint is None:
        return None
    step = step_of(checkpoint)
    if step > max_steps:
        raise UsageError(f"--resume {resume}: the checkpoint is at step {step}, past --max_steps {max_steps}")
    saved_file = checkpoint / RUN_CONFIG
    if not saved_file.is_file():
        raise UsageError(f"--resume {resume}: {checkpoint} has no {RUN_CONFIG}; cannot check it is this run")
    saved = json.loads(saved_file.read_text())
    differences = [
        f"--{key} {saved.get(key)!r} -> {config.get(key)!r}"
        for key in sorted(set(saved) | set(config))
        if key not in RESUMABLE_CHANGES and _plain(saved.get(key)) != _plain(config.get(key))
    ]
    if differences:
        raise UsageError(
            f"--resume {resume}: the checkpoint's run had other flags ({'; '.join(differences)}); "
            "only the step budget and bookkeeping may change"
        )
    return checkpoint


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value))
