"""Paper Fig. 5 and Tab. 6: one backbone trained on all tasks vs one model per task, at r units of data.

Both regimes run ``pretrain/pretrain.py`` (each task with its own group): ``--tasks intersect`` alone vs
``--tasks intersect,palindrome,cyclic_sum`` with balanced task sampling and len(tasks) times the steps, so
every task gets the same number of updates. A unit is 2500 training rows, as in the paper: every task is
generated with one unit of training rows (plus 15 % each for validation and test) and ``--train_size``
keeps r x 2500 of them, so validation and test are the same at every r. ``paper_groups`` sets the paper's
group where the task card says another (cyclic_sum: C_n, card D_n), in both regimes.

    OMP_NUM_THREADS=1 python benchmarks/experiments/fig5_multitask.py --full     # or --smoke
"""

from __future__ import annotations

from typing import Any

from expkit.plots import curve_panels, sweep_panels
from expkit.report import Clock, Table, write_results
from expkit.runner import common_flags, generated_size, pretrain_model_flags, train
from expkit.settings import Experiment, parse_experiment
from expkit.stats import final_metric, format_cell, mean_curve, metric_curve, summarize

from asen_fm.progress import progress_bar

NAME = "fig5_multitask"
TITLE = "Multitask vs single-task training (paper Fig. 5, Tab. 6)"
PAPER_TAB6 = {"cyclic_sum": ("0.3869", "0.3839"), "palindrome": ("0.510", "0.537")}  # single, multi test loss


def train_rows(exp: Experiment, ratio: float) -> int:
    """Training rows of r = ``ratio`` units (a unit counts training rows)."""
    return max(1, int(round(ratio * exp.settings["unit_rows"])))


def run(exp: Experiment, tasks: list[str], ratio: float, seed: int) -> dict[str, Any]:
    """pretrain.py on ``tasks`` with r = ``ratio`` units each; len(tasks) x the single-task steps."""
    s = exp.settings
    flags = {
        **pretrain_model_flags(exp.model),
        **common_flags(exp.optimizer, exp.bookkeeping),
        "tasks": ",".join(tasks),
        "n": 10,
        "size": generated_size(s["unit_rows"]),
        "train_size": train_rows(exp, ratio),
        "groups": "; ".join(f"{t}={g}" for t, g in s["paper_groups"].items() if t in tasks) or None,
        "data_seed": seed,
        "seed": seed,
        "max_steps": s["single_steps"] * len(tasks),
        "eval_every": s["eval_every"] * len(tasks),
    }
    name = "multi" if len(tasks) > 1 else tasks[0]
    return train("pretrain", flags, exp.runs_dir / f"{name}-r{ratio:g}-s{seed}").payload


def main(argv: list[str] | None = None) -> None:
    exp = parse_experiment(NAME, argv, description=__doc__.split("\n")[0])
    clock = Clock()
    s = exp.settings
    focus, smallest = s["focus"], s["table6_ratio"]
    if smallest not in s["ratios"]:
        raise ValueError(f"table6_ratio {smallest} must be one of the ratios {s['ratios']}")
    jobs = [("multi", r, seed) for r in s["ratios"] for seed in s["seeds"]]
    jobs += [(focus, r, seed) for r in s["ratios"] for seed in s["seeds"]]
    jobs += [(task, smallest, seed) for task in s["table6_tasks"] for seed in s["seeds"]]
    payloads = {}
    for name, ratio, seed in progress_bar(exp.order(jobs), desc=NAME, unit="run"):
        tasks = s["tasks"] if name == "multi" else [name]
        payloads[name, ratio, seed] = run(exp, tasks, ratio, seed)

    data: dict[str, Any] = {}
    findings = []
    fig5 = Table(
        f"{focus}: test metrics vs r (units of {s['unit_rows']} training rows)",
        ["r", "train rows", "single: seq. accuracy", "multi: seq. accuracy", "single: loss", "multi: loss"],
        note=f"{s['single_steps']} updates per task in both regimes. Paper Fig. 5 (curves only): multitask "
        "clearly ahead on intersect at small r.",
    )
    sweep: dict[str, dict[str, list[float]]] = {"single task": {"x": [], "mean": [], "std": []}}
    sweep["multitask"] = {"x": [], "mean": [], "std": []}
    for ratio in s["ratios"]:
        cells = {}
        for label, name in (("single", focus), ("multi", "multi")):
            runs = [payloads[name, ratio, seed] for seed in s["seeds"]]
            for metric in ("sequence_accuracy", "loss"):
                cells[label, metric] = summarize([final_metric(p, focus, metric) for p in runs])
                data[f"{focus}/{label}/r{ratio:g}/{metric}"] = cells[label, metric]
            series = sweep["single task" if label == "single" else "multitask"]
            series["x"].append(ratio)
            series["mean"].append(cells[label, "sequence_accuracy"]["mean"])
            series["std"].append(cells[label, "sequence_accuracy"]["std"])
        fig5.add(
            f"{ratio:g}",
            str(train_rows(exp, ratio)),
            *(format_cell(cells[label, m]) for m in ("sequence_accuracy",) for label in ("single", "multi")),
            *(format_cell(cells[label, "loss"]) for label in ("single", "multi")),
        )
        gap = cells["multi", "sequence_accuracy"]["mean"] - cells["single", "sequence_accuracy"]["mean"]
        findings.append(f"{focus}, r = {ratio:g}: multitask − single = {gap:+.3f} sequence accuracy")

    tab6 = Table(
        f"Other tasks at r = {smallest:g} ({train_rows(exp, smallest)} training rows): test loss, "
        "single vs multi (paper Tab. 6 at its '0.08 units')",
        ["task", "single task", "multitask", "paper single", "paper multi"],
        note="The paper reports no change from multitask training on these two tasks.",
    )
    for task in s["table6_tasks"]:
        single = summarize([final_metric(payloads[task, smallest, sd], task, "loss") for sd in s["seeds"]])
        multi = summarize([final_metric(payloads["multi", smallest, sd], task, "loss") for sd in s["seeds"]])
        data[f"{task}/single/r{smallest:g}/loss"], data[f"{task}/multi/r{smallest:g}/loss"] = single, multi
        paper = PAPER_TAB6.get(task, ("-", "-"))
        tab6.add(task, format_cell(single), format_cell(multi), *paper)

    regimes = {"single task": (focus, 1), "multitask": ("multi", len(s["tasks"]))}
    curves = {
        f"{focus}, r = {smallest:g}": {
            label: mean_curve(
                [_per_task_update_curve(payloads[name, smallest, sd], focus, count) for sd in s["seeds"]]
            )
            for label, (name, count) in regimes.items()
        }
    }
    plots = [
        sweep_panels(
            {focus: sweep},
            exp.results_dir / "sweep_sequence_accuracy.png",
            xlabel="r (units of data per task)",
            ylabel="test exact-sequence accuracy",
            title="Multitask vs single task",
            log_x=True,
        ),
        curve_panels(
            curves,
            exp.results_dir / "curves_loss.png",
            ylabel="validation loss",
            xlabel="updates of this task",
        ),
    ]
    path = write_results(
        exp,
        title=TITLE,
        clock=clock,
        tables=[fig5, tab6],
        plots=plots,
        findings=findings,
        data=data,
        runs=list(payloads.values()),
    )
    print(f"wrote {path}")


def _per_task_update_curve(payload: dict[str, Any], task: str, tasks: int) -> tuple[list[int], list[float]]:
    """Validation loss against approximate updates of ``task`` (optimizer steps / number of tasks)."""
    steps, values = metric_curve(payload, task, "loss")
    return [step // tasks for step in steps], values


if __name__ == "__main__":
    main()
