"""Cross-domain pretraining step rate against single-domain pretraining at the same sizes (CPU).

The base recipe's corpus (pretrain/configs/base.json) is split into its domains: sequences (4 token tasks,
n = 7-10), pose (n = 16), traffic (n = 207) and images (digits n = 64, Pathfinder n = 256). Each
configuration, the cross-domain one (every task) and one per domain (its tasks only), trains the recipe's
model through the package's loop (asen_fm.training.run_training, temperature weighting) for ``--steps``
steps; rounds interleave the configurations so that a busy machine slows them alike. Per task, the median
step time over all rounds; a configuration's step time is the mean of its tasks' medians under its own
sampling probabilities.

Three ratios of the cross-domain rate:
  * against the same work done single-domain: the single-domain step times weighted by the cross-domain
    run's domain probabilities w_d (1 / sum_d w_d t_d): the overhead of sharing one model;
  * in steps/s against the task-weighted mean of the single-domain step rates, sum_d w_d / t_d (the issue's
    wording read literally): this arithmetic mean of rates exceeds the rate of the mixture whenever
    domains' step costs differ (Jensen), so it falls below 1 without any overhead;
  * in nodes/s (batch x n per step, the work a step does) against the task-weighted mean of the
    single-domain node rates, sum_d w_d N_d / t_d: the same weighted mean of rates, in a unit whose
    single-domain values do not differ 20-fold with n.

    OMP_NUM_THREADS=1 python benchmarks/cross_domain.py --data_dir data/base          # 3 rounds x 24 steps
    OMP_NUM_THREADS=1 python benchmarks/cross_domain.py --data_dir data/base --rounds 2 --steps 12
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
from accelerate import Accelerator  # noqa: E402

from asen_fm import AsenConfig, AsenForMultiTask  # noqa: E402
from asen_fm.training.adapters import pretraining_adapters  # noqa: E402
from asen_fm.training.data import TaskData, resolve_tasks, task_probabilities  # noqa: E402
from asen_fm.training.loop import LoopSettings, run_training  # noqa: E402
from asen_fm.training.optim import build_optimizer, build_scheduler  # noqa: E402
from asen_fm.training.recipe import build_corpus, read_recipe  # noqa: E402
from asen_fm.training.task_balance import loss_scales  # noqa: E402

RECIPE = Path(__file__).resolve().parents[1] / "pretrain" / "configs" / "base.json"
DOMAINS = {
    "sequences": ("intersect", "palindrome", "cyclic_sum", "max_cyclic_sum"),
    "pose": ("pose",),
    "traffic": ("traffic",),
    "images": ("digits", "pathfinder"),
}


def train_steps(data: dict[str, TaskData], flags: dict, steps: int, seed: int) -> dict[str, list[float]]:
    """Step seconds by task of ``steps`` optimizer steps of a fresh model on ``data`` (the recipe's sizes)."""
    torch.manual_seed(seed)
    config = AsenConfig(
        input_adapters=pretraining_adapters(data, standardize=True),
        hidden_size=flags["hidden_size"], num_hidden_layers=flags["num_layers"],
        num_attention_heads=flags["num_heads"], intermediate_size=flags["intermediate_size"],
        hidden_dropout_prob=flags["dropout"],
    )  # fmt: skip
    model = AsenForMultiTask(config)
    for name, task in data.items():
        task.attach_to(model, name)
    rates = dict.fromkeys(("backbone", "symmetry", "embeddings", "heads"), flags["lr"])
    optimizer = build_optimizer(model, rates, weight_decay=0.01)
    scheduler = build_scheduler(optimizer, warmup_steps=5, total_steps=steps)
    settings = LoopSettings(
        max_steps=steps, batch_size=flags["batch_size"], seed=seed, task_weighting=flags["task_weighting"],
        weighting_temperature=flags["weighting_temperature"], eval_size=4, log_every=0,
        loss_scales=loss_scales(data, flags["loss_normalisation"]),
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as out:
        outcome = run_training(Accelerator(cpu=True), model, optimizer, scheduler, data, settings, out)
    times: dict[str, list[float]] = defaultdict(list)
    for row, seconds in zip(outcome.history.train, outcome.step_seconds, strict=True):
        times[row["task"]].append(seconds)
    return times


def step_time(medians: dict[str, float], probabilities: dict[str, float]) -> float:
    return sum(probabilities[t] * medians[t] for t in probabilities)


def _padded_width(task: TaskData) -> int:
    """Nodes per row of a task with mixed lengths: its padded training width (an upper bound)."""
    split = task.splits["train"]
    return int((split["input_ids"] if "input_ids" in split else split["node_features"]).shape[1])


def step_nodes(data: dict[str, TaskData], probabilities: dict[str, float], batch_size: int) -> float:
    """Expected nodes per optimizer step (batch x the task's n) under the sampling probabilities."""
    sizes = {t: data[t].n or _padded_width(data[t]) for t in probabilities}
    return batch_size * sum(probabilities[t] * sizes[t] for t in probabilities)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data_dir", default="data/base", help="the base recipe's task folders (built if absent)"
    )
    parser.add_argument(
        "--steps", type=int, default=24, help="timed optimizer steps per configuration and round"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default="", help="also write the table as a benchmarks/results fragment")
    args = parser.parse_args(argv)
    if args.steps < 4 or args.rounds < 1:
        print("cross_domain.py: error: --steps must be >= 4 and --rounds >= 1", file=sys.stderr)
        return 2
    recipe = read_recipe(RECIPE)
    flags = recipe["flags"]
    root = Path(args.data_dir)
    build_corpus({name: (arguments, root / name) for name, arguments in recipe["data"].items()})
    tasks = ",".join(f"{name}={root / name}" for name in recipe["data"])
    everything = resolve_tasks(tasks, adapters=flags["adapters"])
    configurations = {"cross-domain": everything}
    configurations.update({d: {t: everything[t] for t in names} for d, names in DOMAINS.items()})
    times: dict[str, dict[str, list[float]]] = {c: defaultdict(list) for c in configurations}
    for round_index in range(args.rounds):
        for name, data in configurations.items():
            print(f"round {round_index + 1}/{args.rounds}: {name}", file=sys.stderr, flush=True)
            for task, seconds in train_steps(data, flags, args.steps, round_index).items():
                times[name][task] += (
                    seconds[1:] if len(seconds) > 1 else seconds
                )  # a task's first step warms up

    def probabilities(data: dict[str, TaskData]) -> dict[str, float]:
        sizes = {t: d.size("train") for t, d in data.items()}
        return task_probabilities(sizes, flags["task_weighting"], flags["weighting_temperature"])

    cross_p = probabilities(everything)
    medians = {c: {t: statistics.median(v) for t, v in by_task.items()} for c, by_task in times.items()}
    cross_t = step_time(medians["cross-domain"], cross_p)
    batch = flags["batch_size"]
    cross_nodes = step_nodes(everything, cross_p, batch) / cross_t
    rows, same_work, mean_rate, mean_nodes = [], 0.0, 0.0, 0.0
    for domain, names in DOMAINS.items():
        weight = sum(cross_p[t] for t in names)
        single_p = probabilities(configurations[domain])
        t_single = step_time(medians[domain], single_p)
        t_in_cross = step_time(medians["cross-domain"], {t: cross_p[t] / weight for t in names})
        nodes_single = step_nodes(everything, single_p, batch) / t_single
        same_work += weight * t_single
        mean_rate += weight / t_single
        mean_nodes += weight * nodes_single
        rows.append((domain, weight, 1 / t_single, 1 / t_in_cross, nodes_single))
    lines = [
        f"Cross-domain step rate, recipe sizes (hidden {flags['hidden_size']}, {flags['num_layers']} "
        f"layers, batch {flags['batch_size']}), {args.rounds} rounds x {args.steps} steps, median step time "
        "per task; "
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}.",
        "",
        "| domain | weight in the cross-domain run | single-domain steps/s "
        "| its tasks' steps/s in the cross-domain run | single-domain nodes/s |",
        "|---|---|---|---|---|",
        *(f"| {d} | {w:.3f} | {r:.2f} | {c:.2f} | {k:,.0f} |" for d, w, r, c, k in rows),
        "",
        f"cross-domain: {1 / cross_t:.2f} steps/s, {cross_nodes:,.0f} nodes/s",
        f"ratio to the same work single-domain (1 / sum_d w_d t_d = {1 / same_work:.2f} steps/s): "
        f"{same_work / cross_t:.2f}",
        "ratio to the task-weighted mean of single-domain rates "
        f"(sum_d w_d / t_d = {mean_rate:.2f} steps/s): {(1 / cross_t) / mean_rate:.2f}",
        "ratio in nodes/s to the task-weighted mean of single-domain node rates "
        f"(sum_d w_d N_d / t_d = {mean_nodes:,.0f} nodes/s): {cross_nodes / mean_nodes:.2f}",
    ]
    print("\n".join(lines))
    if args.out:
        Path(args.out).write_text(
            "## Cross-domain step rate\n\nCommand: `OMP_NUM_THREADS=1 python benchmarks/cross_domain.py "
            f"--rounds {args.rounds} --steps {args.steps}`\n\n" + "\n".join(lines) + "\n"
        )
        Path(args.out).with_suffix(".json").write_text(
            json.dumps({"rows": rows, "cross": 1 / cross_t, "cross_nodes": cross_nodes}) + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
