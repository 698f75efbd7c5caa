"""``asen select``: which symmetry fits my data? Train candidate groups side by side and rank them.

    asen select --task intersect --train_size 150 --candidates auto --seeds 3 --output_dir runs/sel
    asen select --task data/mine --candidates "trivial; reversal(10); swap_halves(10)" --output_dir runs/s2
    asen select --task data/pose --candidates @candidates.json --model runs/pt --output_dir runs/s3 --jobs 2

Writes OUTPUT_DIR/selection.md, selection.json and selection.png (see asen_fm/selection). Rerunning the
same command reads finished runs back and trains only the missing ones.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from asen_fm.selection.runs import SelectionFlags

# SelectionFlags fields given on the command line (name, type, help); defaults come from the dataclass.
_FLAG_HELP: tuple[tuple[str, type, str], ...] = (
    ("n", int, "length of a built-in task (0: its default)"),
    ("size", int, "examples of a built-in task, split 70/15/15 (0: its default)"),
    ("data_seed", int, "seed of a built-in task's data"),
    ("vary_data_seed", bool, "draw a built-in task's data per seed: data_seed + seed"),
    ("train_size", int, "training rows kept, e.g. 150 (0: all); validation and test whole"),
    ("max_steps", int, "optimizer steps per run"),
    ("batch_size", int, "examples per step"),
    ("lr", float, "base learning rate of AdamW"),
    ("warmup_steps", int, "linear warmup, in steps"),
    ("weight_decay", float, "AdamW decoupled weight decay"),
    ("eval_size", int, "validation/test rows scored (0: all)"),
    ("hidden_size", int, "width of a from-scratch backbone"),
    ("num_layers", int, "layers of a from-scratch backbone"),
    ("num_heads", int, "attention heads of a from-scratch backbone"),
    ("intermediate_size", int, "feed-forward width of a from-scratch backbone"),
    ("dropout", float, "dropout of a from-scratch backbone"),
    ("vocab_size", int, "token ids of a from-scratch backbone (0: the task's)"),
    ("mixed_precision", str, "auto (bf16 on a GPU) | no | bf16 | fp16"),
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own complaints: one line on stderr, exit 2
        print(f"asen select: error: {message} (see asen select --help)", file=sys.stderr)
        raise SystemExit(2)


def register(subparsers: Any) -> None:
    """Add ``asen select``."""
    defaults = SelectionFlags(task="")
    parser = subparsers.add_parser(
        "select",
        help="train candidate symmetries with several seeds and rank them with their noise",
        description=__doc__.split("\n")[0],
    )
    parser.error = _Parser.error.__get__(parser)  # type: ignore[method-assign]
    parser.add_argument("--task", required=True, help="built-in task name, task folder or Hub dataset id")
    parser.add_argument(
        "--candidates",
        required=True,
        help="'auto', specs separated by ';' (\"trivial; reversal(10)\"), a JSON list of specs and "
        'symmetry entries ({"group", "edges", "framework", "pairs", "positions", "name"}), '
        "or @file.json; 'auto' may be mixed with others",
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds per candidate (default: 3)")
    parser.add_argument("--output_dir", required=True, help="selection folder (runs and the report)")
    parser.add_argument("--model", default="", help="pretrained model/run folder or Hub id to finetune")
    parser.add_argument(
        "--backbone_lr_scale", type=float, default=None,
        help="backbone rate = lr * scale (default: 0.1 with --model, 1 from scratch)",
    )  # fmt: skip
    for name, kind, text in _FLAG_HELP:
        default = getattr(defaults, name)
        if kind is bool:
            parser.add_argument(f"--{name}", action="store_true", help=text)
        else:
            parser.add_argument(f"--{name}", type=kind, default=default, help=f"{text} (default: {default})")
    parser.add_argument("--metric", default="", help="metric to rank by (default: the task's first)")
    parser.add_argument("--jobs", type=int, default=1, help="runs trained in parallel processes (default: 1)")
    parser.add_argument(
        "--rerun_stale", action="store_true", help="retrain finished runs trained by other code"
    )
    parser.add_argument(
        "--reuse_stale", action="store_true", help="use finished runs of other code (marked stale)"
    )
    parser.set_defaults(func=run)


def command_line(args: argparse.Namespace) -> str:
    """The command as a user would retype it (flags at their non-default values)."""
    import shlex

    defaults = SelectionFlags(task="")
    shown = [
        "asen",
        "select",
        "--task",
        args.task,
        "--candidates",
        args.candidates,
        "--seeds",
        str(args.seeds),
    ]
    for name, kind, _ in _FLAG_HELP:
        value = getattr(args, name)
        if value != getattr(defaults, name):
            shown += [f"--{name}"] if kind is bool else [f"--{name}", str(value)]
    for name in ("model", "backbone_lr_scale", "metric"):
        if getattr(args, name) not in ("", None):
            shown += [f"--{name}", str(getattr(args, name))]
    shown += ["--output_dir", args.output_dir]
    if args.jobs != 1:
        shown += ["--jobs", str(args.jobs)]
    shown += [f"--{name}" for name in ("rerun_stale", "reuse_stale") if getattr(args, name)]
    return shlex.join(shown)


def run(args: argparse.Namespace) -> int:
    from asen_fm.selection import SelectionError, select

    flags = {name: getattr(args, name) for name, _, _ in _FLAG_HELP}
    try:
        select(
            args.task, args.candidates, seeds=args.seeds, output_dir=args.output_dir, jobs=args.jobs,
            metric=args.metric, rerun_stale=args.rerun_stale, reuse_stale=args.reuse_stale,
            model=args.model, backbone_lr_scale=args.backbone_lr_scale, command=command_line(args), **flags,
        )  # fmt: skip
    except SelectionError as err:
        raise SystemExit("asen select: error: " + " ".join(str(err).split())) from None
    except KeyboardInterrupt:
        raise SystemExit(
            "asen select: interrupted; finished runs are kept, rerun the same command to continue"
        ) from None
    return 0
