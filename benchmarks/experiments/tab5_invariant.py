"""Paper Tab. 5: invariant tasks (L1 regression) with the task's own group vs the trivial group.

For every invariant task, data amount (units of 8000 training rows, as in the paper), group and seed, one
single-task model is trained from scratch (``finetune/finetune.py --from_scratch``) for a number of epochs
of its training rows; the test L1 loss is compared with the paper's. A constant predictor (the median
training label) is listed as the floor any model must beat. The losses are also given divided by the
training labels' range (max - min): the L1 a run would show on labels rescaled onto [0, 1] (the same
predictions, rescaled), the scale the paper's numbers appear to be on.

    OMP_NUM_THREADS=1 python benchmarks/experiments/tab5_invariant.py --full     # or --smoke
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from expkit.plots import curve_panels
from expkit.report import Clock, Table, write_results
from expkit.runner import common_flags, from_scratch_flags, generated_size, train
from expkit.settings import Experiment, parse_experiment
from expkit.stats import final_metric, format_cell, mean_curve, metric_curve, ordering, summarize

from asen_fm.progress import progress_bar

NAME = "tab5_invariant"
TITLE = "Invariant tasks, own group vs trivial (paper Tab. 5)"
GROUPS = ("own", "trivial")
# Paper Tab. 5 (test L1 loss, mean ± std over 3 seeds) at 1, 1.5 and 2 units.
PAPER = {
    "intersect_size": {"own": ("0.076", "0.061", "0.060"), "trivial": ("0.081", "0.078", "0.077")},
    "has_palindrome": {"own": ("0.250", "0.170", "0.125"), "trivial": ("0.270", "0.250", "0.132")},
    "detect_capital": {"own": ("0.053", "0.056", "0.068"), "trivial": ("0.075", "0.066", "0.063")},
    "longest_palindrome": {"own": ("0.138", "0.110", "0.110"), "trivial": ("0.152", "0.130", "0.130")},
}
PAPER_UNITS = (1.0, 1.5, 2.0)


def paper_value(task: str, group: str, units: float) -> str:
    """The paper's Tab. 5 entry, or "-" where the paper has none."""
    if task not in PAPER or units not in PAPER_UNITS:
        return "-"
    return PAPER[task][group][PAPER_UNITS.index(units)]


@cache
def task_labels(task: str, rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training labels kept, test labels) of a cell's data, exactly as its run sees them.

    Cached: the median baseline and the label range of a cell read the same generated data."""
    from asen_fm.tasks import load_task

    data = load_task(task, size=generated_size(rows), seed=seed).with_train_rows(rows).data
    train, test = (np.asarray(data[split]["labels"], dtype=float) for split in ("train", "test"))
    return train, test


def median_baseline(task: str, rows: int, seed: int) -> float:
    """Test L1 of predicting the median training label (a constant): the floor a model must beat."""
    train_labels, test_labels = task_labels(task, rows, seed)
    return float(np.abs(test_labels - np.median(train_labels)).mean())


def label_range(task: str, rows: int, seed: int) -> float:
    """max - min of the training labels: the divisor that puts a run's L1 on labels rescaled onto [0, 1]."""
    train_labels, _ = task_labels(task, rows, seed)
    return float(train_labels.max() - train_labels.min())


def cell_rows(settings: dict[str, Any], cell: dict[str, Any]) -> int:
    """Training rows of a grid cell: its units times the unit."""
    return int(round(cell["units"] * settings["unit_rows"]))


def cell_steps(settings: dict[str, Any], cell: dict[str, Any], batch_size: int) -> int:
    """Optimizer steps of a grid cell: its epochs (or the experiment's) over its training rows."""
    epochs = cell.get("epochs", settings["epochs"])
    return -(-int(epochs * cell_rows(settings, cell)) // batch_size)


def run_grid(exp: Experiment) -> dict[tuple[str, str, float, int, int], dict[str, Any]]:
    """Train every (task, group, units, steps, seed) of the config grid; return their metrics payloads."""
    s, batch = exp.settings, exp.optimizer["batch_size"]
    jobs = [
        (task, group, cell, seed)
        for cell in s["grid"]
        for task in s["tasks"]
        for group in GROUPS
        for seed in cell["seeds"]
    ]
    payloads = {}
    for task, group, cell, seed in progress_bar(exp.order(jobs), desc=NAME, unit="run"):
        rows, steps = cell_rows(s, cell), cell_steps(s, cell, batch)
        flags = from_scratch_flags(
            exp.model,
            exp.runs_dir,
            **common_flags(exp.optimizer, exp.bookkeeping),
            task=task,
            group="" if group == "own" else group,
            size=generated_size(rows),
            train_size=rows,
            data_seed=seed,
            seed=seed,
            max_steps=steps,
            eval_every=max(1, steps // s["evaluations"]),
            backbone_lr_scale=1.0,
        )
        folder = exp.runs_dir / f"{task}-{group}-u{cell['units']:g}-t{steps}-s{seed}"
        payloads[task, group, cell["units"], steps, seed] = train("finetune", flags, folder).payload
    return payloads


def main(argv: list[str] | None = None) -> None:
    exp = parse_experiment(NAME, argv, description=__doc__.split("\n")[0])
    clock = Clock()
    payloads = run_grid(exp)
    s, batch = exp.settings, exp.optimizer["batch_size"]
    model = exp.model
    table = Table(
        "Test L1 loss (mean ± std over seeds; seed count in brackets) and the paper's Tab. 5",
        [
            "task",
            "units",
            "train rows",
            "steps (epochs)",
            "own group",
            "paper (invariant)",
            "trivial",
            "paper (non-invariant)",
            "seeds",
            "median predictor",
            "own / range",
            "trivial / range",
            "median / range",
        ],  # fmt: skip
        note=f"Model: hidden {model['hidden_size']}, {model['num_hidden_layers']} layers, MLP "
        f"{model['intermediate_size']} (the paper: hidden 128, 4 layers). Batch {batch}; 1 unit = "
        f"{s['unit_rows']} training rows (the paper's unit). The paper trains 80 epochs at every size. "
        "'seeds': how the own group's seeds lie against the trivial group's. '/ range': the same losses "
        "divided by the training labels' max − min, i.e. on labels rescaled onto [0, 1].",
    )
    data: dict[str, Any] = {}
    findings = []
    curves: dict[str, dict[str, dict[str, list[float]]]] = {}
    longest = max(s["grid"], key=lambda cell: cell_steps(s, cell, batch))
    for task in s["tasks"]:
        curves[task] = {}
        for cell in s["grid"]:
            units, seeds = cell["units"], cell["seeds"]
            rows, steps = cell_rows(s, cell), cell_steps(s, cell, batch)
            losses = {
                group: [
                    final_metric(payloads[task, group, units, steps, seed], task, "loss") for seed in seeds
                ]
                for group in GROUPS
            }
            ranges = [label_range(task, rows, seed) for seed in seeds]
            medians = [median_baseline(task, rows, seed) for seed in seeds]
            summary = {group: summarize(values) for group, values in losses.items()}
            scaled = {
                group: summarize([v / r for v, r in zip(values, ranges, strict=True)])
                for group, values in losses.items()
            }
            floor, floor_scaled = (
                summarize(medians),
                summarize([m / r for m, r in zip(medians, ranges, strict=True)]),
            )
            for group in GROUPS:
                data[f"{task}/{group}/{units:g}/{steps}"] = summary[group]
                data[f"{task}/{group}/{units:g}/{steps}/per_range"] = scaled[group]
            data[f"{task}/median/{units:g}"] = floor
            data[f"{task}/median/{units:g}/per_range"] = floor_scaled
            order = ordering(losses["own"], losses["trivial"], lower_is_better=True)
            table.add(
                task,
                f"{units:g}",
                rows,
                f"{steps} ({steps * batch / rows:.1f})",
                format_cell(summary["own"]),
                paper_value(task, "own", units),
                format_cell(summary["trivial"]),
                paper_value(task, "trivial", units),
                order,
                f"{floor['mean']:.3f}",
                format_cell(scaled["own"]),
                format_cell(scaled["trivial"]),
                f"{floor_scaled['mean']:.3f}",
            )
            gap = summary["trivial"]["mean"] - summary["own"]["mean"]
            verdict = "own group lower" if gap > 0 else "trivial lower or equal"
            findings.append(
                f"{task}, {units:g} units, {steps} steps: {verdict} (trivial − own = {gap:+.3f} L1; {order})"
            )
        for group in GROUPS:
            steps = cell_steps(s, longest, batch)
            runs = [payloads[task, group, longest["units"], steps, seed] for seed in longest["seeds"]]
            label = str(runs[0]["tasks"][task]["group"])
            curves[task][label] = mean_curve([metric_curve(p, task, "loss") for p in runs])
    plots = [
        curve_panels(
            curves,
            exp.results_dir / "curves_l1.png",
            ylabel="validation L1",
            title=f"{longest['units']:g} unit(s), {cell_steps(s, longest, batch)} steps",
            log_y=True,
        )
    ]
    path = write_results(
        exp,
        title=TITLE,
        clock=clock,
        tables=[table],
        plots=plots,
        findings=findings,
        data=data,
        runs=list(payloads.values()),
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
