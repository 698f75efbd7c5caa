"""``asen demo``: from the shipped base checkpoint to a new task and group, against training from scratch.

Finetunes ``pretrain/asen-base`` (pretrained on the whole built-in corpus) on a task whose task and group
its pretraining never saw, and trains the same model from scratch on the same rows for the same steps,
for several seeds (``finetune/finetune.py`` as subprocesses, CPU, a few minutes). Prints the test metric
of each seed, mean ± std, and how many seeds the pretrained model is ahead in; writes a comparison plot.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FINETUNE = REPO / "finetune" / "finetune.py"
BASE = REPO / "pretrain" / "asen-base"
ARMS = (("finetuned", "base + finetuned"), ("scratch", "from scratch"))


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="finetune the shipped base on a new task and group; compare with scratch over seeds",
        description="Finetune the shipped base checkpoint on a task and group its pretraining never saw, "
        "train the same task from scratch, over several seeds; prints mean ± std, seeds ahead, and where "
        "plots and models are.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--model", default=str(BASE), help="pretrained model folder (the shipped base)")
    parser.add_argument("--output_dir", default="runs/demo", help="where runs, plots and checkpoints go")
    parser.add_argument("--task", default="has_palindrome", help="the new task to finetune on")
    parser.add_argument("--n", type=int, default=8, help="its length")
    parser.add_argument("--group", default="", help="group spec for the new task (default: its own)")
    parser.add_argument("--train_size", type=int, default=100, help="training rows of the new task (few)")
    parser.add_argument("--steps", type=int, default=300, help="optimizer steps of every run")
    parser.add_argument("--backbone_lr_scale", type=float, default=0.3, help="finetuning backbone rate / lr")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.set_defaults(func=run_demo)


def _run(flags: list[str], log: Path) -> None:
    """Run finetune.py with this interpreter: its stdout into ``log``, errors on stderr."""
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    with open(log, "w") as handle:
        done = subprocess.run([sys.executable, str(FINETUNE), *flags], stdout=handle, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"finetune.py failed (exit {done.returncode}); see the error above and {log}")


def _test_metric(metrics: dict) -> tuple[str, float, bool]:
    """(name, test value, higher is better) of the run's headline metric."""
    test = next(iter(metrics["final"].values()))["test"]
    for name, higher in (("accuracy", True), ("sequence_accuracy", True), ("mae", False)):
        if name in test:
            return name, test[name], higher
    name = next(k for k in test if k != "loss")
    return name, test[name], False


def _plot(values: dict[str, list[float]], seeds: list[int], metric: str, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5, 3.2))
    for x, (arm, _) in enumerate(ARMS):
        axis.scatter([x] * len(seeds), values[arm], color=f"C{x}", zorder=3)
        axis.errorbar(x + 0.15, statistics.mean(values[arm]), yerr=_std(values[arm]), fmt="s", color="k")
    for pair in zip(values["finetuned"], values["scratch"], strict=True):
        axis.plot([0, 1], pair, color="0.7", zorder=1)
    axis.set_xticks([0, 1], [label for _, label in ARMS])
    axis.set_ylabel(f"test {metric}")
    axis.set_title(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _std(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def run_demo(args: argparse.Namespace) -> int:
    """Finetune and train from scratch for every seed; print and plot the comparison; the exit code."""
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        seeds = []
    if not seeds:
        print(f"asen demo: --seeds must be comma-separated integers, got {args.seeds!r}", file=sys.stderr)
        return 2
    if not (Path(args.model) / "config.json").is_file():
        print(
            f"asen demo: --model {args.model} has no config.json (the shipped base is {BASE})",
            file=sys.stderr,
        )
        return 2
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    common = [
        "--model", args.model, "--task", args.task, "--n", str(args.n), "--train_size", str(args.train_size),
        "--max_steps", str(args.steps), "--eval_every", str(max(1, args.steps // 6)), "--save_every", "0",
        "--report_to", "none", "--overwrite_output_dir",
    ]  # fmt: skip
    if args.group:
        common += ["--group", args.group]
    print(f"base model: {args.model}", flush=True)
    values: dict[str, list[float]] = {arm: [] for arm, _ in ARMS}
    metric, higher, group = "", True, ""
    for seed in seeds:
        for arm, label in ARMS:
            run_dir = out / f"{arm}_seed{seed}"
            extra = (
                ["--backbone_lr_scale", str(args.backbone_lr_scale)]
                if arm == "finetuned"
                else ["--from-scratch"]
            )
            print(
                f"[seed {seed}] {label}: {args.task}, {args.train_size} rows, {args.steps} steps ...",
                flush=True,
            )
            _run(
                [*common, *extra, "--seed", str(seed), "--output_dir", str(run_dir)],
                out / f"{arm}_seed{seed}.log",
            )
            metrics = json.loads((run_dir / "metrics.json").read_text())
            metric, value, higher = _test_metric(metrics)
            group = metrics["tasks"][args.task]["group"]
            values[arm].append(value)

    ahead = sum(
        (f > s) if higher else (f < s) for f, s in zip(values["finetuned"], values["scratch"], strict=True)
    )
    title = f"{args.task} on {group}, {args.train_size} training rows, {args.steps} steps"
    print(f"\n{title} (test {metric}, {'higher' if higher else 'lower'} is better):")
    print(f"{'model':<22}" + "".join(f"{'seed ' + str(s):>10}" for s in seeds) + f"{'mean ± std':>18}")
    for arm, label in ARMS:
        shown = "".join(f"{v:>10.4f}" for v in values[arm])
        print(f"{label:<22}{shown}{statistics.mean(values[arm]):>11.4f} ± {_std(values[arm]):.4f}")
    diffs = [f - s for f, s in zip(values["finetuned"], values["scratch"], strict=True)]
    print(
        f"paired difference (base - scratch): {statistics.mean(diffs):+.4f} ± {_std(diffs):.4f}; "
        f"the base is ahead in {ahead} of {len(seeds)} seeds"
    )
    _plot(values, seeds, metric, title, out / "comparison.png")
    (out / "comparison.json").write_text(
        json.dumps({"task": args.task, "group": group, "metric": metric, "seeds": seeds, **values}, indent=1)
    )
    print(f"\nplot:        {out / 'comparison.png'}")
    print(f"curves:      {out}/{{finetuned,scratch}}_seed<S>/curves.png")
    print(f"models:      {out}/{{finetuned,scratch}}_seed<S>/model  (AsenForMultiTask.from_pretrained)")
    print(f"total time:  {time.perf_counter() - start:.0f} s")
    return 0
