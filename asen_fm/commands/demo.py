"""``asen demo``: pretrain on three tasks, finetune on a fourth with another group, compare with from-scratch.

Runs ``pretrain/pretrain.py`` and ``finetune/finetune.py`` of the repository checkout as subprocesses (CPU,
a few minutes at the default sizes), then prints test metrics of the finetuned model beside the
from-scratch baseline trained on the same rows for the same steps, and where plots and checkpoints are.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRETRAIN = REPO / "pretrain" / "pretrain.py"
FINETUNE = REPO / "finetune" / "finetune.py"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="pretrain on 3 tasks, finetune on a 4th with a new group, compare with training from scratch",
        description="Pretrain on three tasks, finetune on a fourth with another group, compare with "
        "training that task from scratch; prints a table and where plots and checkpoints are.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--output_dir", default="runs/demo", help="where runs, plots and checkpoints go")
    parser.add_argument("--pretrain_tasks", default="intersect,palindrome,cyclic_sum", help="comma-separated")
    parser.add_argument("--task", default="cyclic_alt_sum", help="the new task to finetune on")
    parser.add_argument("--group", default="", help="group spec for the new task (default: its own)")
    parser.add_argument("--n", type=int, default=10, help="sequence length of every task")
    parser.add_argument("--pretrain_steps", type=int, default=1200)
    parser.add_argument("--finetune_steps", type=int, default=400)
    parser.add_argument("--train_size", type=int, default=50, help="training rows of the new task (few)")
    parser.add_argument("--backbone_lr_scale", type=float, default=0.3, help="finetuning backbone rate / lr")
    parser.add_argument("--hidden_size", type=int, default=64)
    parser.add_argument("--num_layers", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=run_demo)


def _run(script: Path, flags: list[str], log: Path) -> None:
    """Run one training script with this interpreter: progress bars on stderr, its stdout into ``log``."""
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    with open(log, "w") as handle:
        done = subprocess.run([sys.executable, str(script), *flags], stdout=handle, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} failed (exit {done.returncode}); see the error above and {log}")


def _metric_row(metrics: dict) -> tuple[str, float, float]:
    final = next(iter(metrics["final"].values()))
    test = final["test"]
    key = "sequence_accuracy" if "sequence_accuracy" in test else "mae"
    return key, test[key], final["validation"][key]


def run_demo(args: argparse.Namespace) -> int:
    """Pretrain, finetune, train from scratch; print the comparison table. Returns the exit code."""
    for script in (PRETRAIN, FINETUNE):
        if not script.exists():
            raise FileNotFoundError(f"asen demo runs the repository's scripts; {script} is missing")
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    size = ["--n", str(args.n), "--hidden_size", str(args.hidden_size), "--num_layers", str(args.num_layers)]
    common = [
        "--seed",
        str(args.seed),
        "--report_to",
        "tensorboard",
        "--save_every",
        "0",
        "--overwrite_output_dir",
    ]
    start = time.perf_counter()

    print(
        f"[1/3] pretraining on {args.pretrain_tasks} (n={args.n}, {args.pretrain_steps} steps) ...",
        flush=True,
    )
    _run(
        PRETRAIN,
        ["--tasks", args.pretrain_tasks, "--output_dir", str(out / "pretrain"), "--max_steps",
         str(args.pretrain_steps), "--eval_every", str(max(1, args.pretrain_steps // 6)), *size, *common],
        out / "pretrain.log",
    )  # fmt: skip
    finetune = [
        "--task", args.task, "--n", str(args.n), "--train_size", str(args.train_size), "--max_steps",
        str(args.finetune_steps), "--eval_every", str(max(1, args.finetune_steps // 8)), *common,
    ]  # fmt: skip
    scale = ["--backbone_lr_scale", str(args.backbone_lr_scale)]
    if args.group:
        finetune += ["--group", args.group]
    model_dir = out / "pretrain" / "model"
    print(
        f"[2/3] finetuning on {args.task} ({args.train_size} training rows) from the pretrained model, "
        f"backbone rate x{args.backbone_lr_scale} ...",
        flush=True,
    )
    _run(
        FINETUNE,
        ["--model", str(model_dir), "--output_dir", str(out / "finetuned"), *scale, *finetune],
        out / "finetuned.log",
    )
    print(f"[3/3] training {args.task} from scratch (same size, rows and steps, full rate) ...", flush=True)
    _run(
        FINETUNE,
        ["--model", str(model_dir), "--from-scratch", "--output_dir", str(out / "scratch"), *finetune],
        out / "scratch.log",
    )

    results = {
        name: json.loads((out / name / "metrics.json").read_text()) for name in ("finetuned", "scratch")
    }
    group = results["finetuned"]["tasks"][args.task]["group"]
    print(f"\n{args.task} on {group}, {args.train_size} training rows, {args.finetune_steps} steps:")
    print(f"{'model':<28}{'metric':<20}{'test':>10}{'validation':>12}")
    for name, label in (("finetuned", "pretrained + finetuned"), ("scratch", "from scratch")):
        key, test, val = _metric_row(results[name])
        print(f"{label:<28}{key:<20}{test:>10.4f}{val:>12.4f}")
    better = "lower" if _metric_row(results["scratch"])[0] == "mae" else "higher"
    print(f"({better} is better)")
    print(f"\nplots:       {out}/{{pretrain,finetuned,scratch}}/curves.png")
    print(f"models:      {out}/{{pretrain,finetuned,scratch}}/model  (AsenForMultiTask.from_pretrained)")
    print(f"metrics:     {out}/{{pretrain,finetuned,scratch}}/metrics.json")
    print(f"tensorboard: tensorboard --logdir {out}")
    print(f"total time:  {time.perf_counter() - start:.0f} s")
    return 0
