"""Paper Fig. 3 and the sample-efficiency sweep: the task's own group G vs the trivial group, same budget.

For every equivariant task, group in {G, trivial}, training-set size and seed, one single-task model is
trained from scratch (``finetune/finetune.py --from_scratch --group ... --train_size ...``). G is the paper's
group (``paper_groups`` names it where it differs from the task card's, e.g. C_n for cyclic_sum, whose card
says D_n). Sizes count training rows; validation and test come from a task of ``unit_rows`` training rows.
Reported: exact-sequence accuracy and loss on the test split against training rows (the headline sweep),
the validation loss / sequence-accuracy curves at the largest training set (Fig. 3), and our additions
against G: ``extra_groups`` (e.g. D_n) and G with pair-orbit key/value embeddings (``pair_embeddings``).

    OMP_NUM_THREADS=1 python benchmarks/experiments/fig3_equivariance.py --full     # or --smoke
"""

from __future__ import annotations

from typing import Any

import numpy as np
from expkit.plots import curve_panels, sweep_panels
from expkit.report import Clock, Table, write_results
from expkit.runner import common_flags, from_scratch_flags, generated_size, train
from expkit.settings import Experiment, parse_experiment
from expkit.stats import final_metric, format_cell, mean_curve, metric_curve, ordering, summarize

from asen_fm.progress import progress_bar

NAME = "fig3_equivariance"
TITLE = "Equivariant vs non-equivariant (paper Fig. 3) and sample efficiency"
GROUPS = ("own", "trivial")


def best_constant(task: str, size: int, seed: int = 0) -> float:
    """Test sequence accuracy of the best constant output: the share of the most common label vector."""
    from asen_fm.tasks import load_task

    labels = np.asarray(load_task(task, size=size, seed=seed).data["test"]["labels"])
    _, counts = np.unique(labels, axis=0, return_counts=True)
    return float(counts.max() / len(labels))


def group_label(payload: dict[str, Any], task: str) -> str:
    """Legend entry: the group a run used, e.g. "swap_halves(10)" or "trivial(10)"."""
    return str(payload["tasks"][task]["group"])


Key = tuple[int, str, str, int, int]  # (steps, task, variant, train rows, seed)
PAIR_EMBEDDINGS = "own+pair_embeddings"


def variant_group(settings: dict[str, Any], task: str, variant: str) -> str:
    """The --group of a variant: "" (the card's), the paper's group, trivial, or an extra group."""
    if variant == "trivial":
        return "trivial"
    if variant in ("own", PAIR_EMBEDDINGS):
        return settings["paper_groups"].get(task, "")
    return settings["extra_groups"][task][variant]


def grid(settings: dict[str, Any]) -> list[tuple[dict[str, Any], str, str, int, int]]:
    """Every (budget, task, variant, train rows, seed): own vs trivial everywhere, the additions where set."""
    jobs = []
    for budget in settings["budgets"]:
        for task in settings["tasks"]:
            variants = [*GROUPS, *settings["extra_groups"].get(task, {})]
            jobs += [(budget, task, variant, rows, seed) for rows in budget["train_sizes"]
                     for variant in variants for seed in budget["seeds"]]  # fmt: skip
    ablation = settings["pair_embeddings"]
    budget = next(b for b in settings["budgets"] if b["max_steps"] == ablation["max_steps"])
    jobs += [(budget, task, PAIR_EMBEDDINGS, rows, seed) for task in settings["tasks"]
             for rows in ablation["train_sizes"] for seed in ablation["seeds"]]  # fmt: skip
    return jobs


def run_all(exp: Experiment) -> dict[Key, dict[str, Any]]:
    """Train every job of ``grid``; return their metrics payloads."""
    s = exp.settings
    payloads = {}
    for budget, task, variant, rows, seed in progress_bar(exp.order(grid(s)), desc=NAME, unit="run"):
        steps = budget["max_steps"]
        model = {**exp.model, "pair_embeddings": True} if variant == PAIR_EMBEDDINGS else exp.model
        flags = from_scratch_flags(
            model,
            exp.runs_dir,
            **common_flags(exp.optimizer, exp.bookkeeping),
            task=task,
            group=variant_group(s, task, variant),
            size=generated_size(s["unit_rows"]),
            train_size=rows,
            data_seed=seed,
            seed=seed,
            max_steps=steps,
            eval_every=budget["eval_every"],
            backbone_lr_scale=1.0,
        )
        folder = exp.runs_dir / f"steps{steps}" / f"{task}-{variant}-n{rows}-s{seed}"
        payloads[steps, task, variant, rows, seed] = train("finetune", flags, folder).payload
    return payloads


def additions_table(exp: Experiment, payloads: dict[Key, dict[str, Any]], data: dict[str, Any]) -> Table:
    """Our additions (extra groups, pair embeddings) against the paper's group G, cell by cell."""
    table = Table(
        "Our additions against the paper's group G: test exact-sequence accuracy (mean ± std over seeds)",
        ["task", "steps", "train rows", "G (paper)", "variant", "variant", "variant − G", "seeds"],
        note="Not in the paper. D_n for cyclic_sum is the task's full symmetry (reversals too); "
        "own+pair_embeddings is G with one learned key and value vector per pair orbit.",
    )
    done = sorted({(steps, task, variant, rows) for steps, task, variant, rows, _ in payloads
                   if variant not in GROUPS}, key=lambda key: (key[1], key[2], key[0], key[3]))  # fmt: skip
    for steps, task, variant, rows in done:
        seeds = sorted(key[4] for key in payloads if key[:4] == (steps, task, variant, rows))
        values = [final_metric(payloads[steps, task, variant, rows, seed], task, "sequence_accuracy")
                  for seed in seeds]  # fmt: skip
        base = [final_metric(payloads[steps, task, "own", rows, seed], task, "sequence_accuracy")
                for seed in seeds]  # fmt: skip
        cell, own = summarize(values), summarize(base)
        data[f"{steps}/{task}/{variant}/{rows}/sequence_accuracy"] = cell
        label = group_label(payloads[steps, task, variant, rows, seeds[0]], task)
        table.add(task, steps, rows, format_cell(own), f"{variant}: {label}", format_cell(cell),
                  f"{cell['mean'] - own['mean']:+.3f}", ordering(values, base))  # fmt: skip
    return table


def main(argv: list[str] | None = None) -> None:
    exp = parse_experiment(NAME, argv, description=__doc__.split("\n")[0])
    clock = Clock()
    payloads = run_all(exp)
    s = exp.settings
    tables, data, findings = [], {}, []
    sweep_plot: dict[str, dict[str, dict[str, Any]]] = {task: {} for task in s["tasks"]}
    for number, budget in enumerate(s["budgets"]):
        steps, seeds, sizes = budget["max_steps"], budget["seeds"], budget["train_sizes"]
        sweep = Table(
            f"{steps} steps: test exact-sequence accuracy vs training rows (mean ± std over seeds)",
            ["task", "train rows", "own group", "trivial group", "own − trivial", "seeds", "best constant"],
            note=f"{steps} optimizer steps of batch {exp.optimizer['batch_size']} at every size. Paper "
            "Fig. 3 shows curves only (no table), with the equivariant model ahead on every task.",
        )
        for task in s["tasks"]:
            floor = best_constant(task, generated_size(s["unit_rows"]))
            data[f"{task}/best_constant"] = floor
            cells = {}
            for group in GROUPS:
                series: dict[str, Any] = {"x": [], "mean": [], "std": []}
                series.update(linestyle="-:"[number % 2], color=f"C{GROUPS.index(group)}")
                for rows in sizes:
                    runs = [payloads[steps, task, group, rows, seed] for seed in seeds]
                    for metric in ("sequence_accuracy", "loss"):
                        cell = summarize([final_metric(p, task, metric) for p in runs])
                        data[f"{steps}/{task}/{group}/{rows}/{metric}"] = cell
                    cells[group, rows] = cell = data[f"{steps}/{task}/{group}/{rows}/sequence_accuracy"]
                    series["x"].append(rows)
                    series["mean"].append(cell["mean"])
                    series["std"].append(cell["std"])
                label = group_label(payloads[steps, task, group, sizes[0], seeds[0]], task)
                sweep_plot[task][f"{label}, {steps} steps"] = series
            for rows in sizes:
                own, trivial = cells["own", rows], cells["trivial", rows]
                gap = own["mean"] - trivial["mean"]
                order = ordering(own["values"], trivial["values"])
                sweep.add(task, rows, format_cell(own), format_cell(trivial), f"{gap:+.3f}", order,
                          f"{floor:.3f}")  # fmt: skip
                verdict = "own group ahead" if gap > 0 else "trivial ahead or equal"
                findings.append(
                    f"{task}, {rows} rows, {steps} steps: {verdict} ({gap:+.3f} sequence accuracy; {order})"
                )
        tables.append(sweep)
    tables.append(additions_table(exp, payloads, data))

    longest = max(s["budgets"], key=lambda b: b["max_steps"])
    steps, seeds, full_rows = longest["max_steps"], longest["seeds"], max(longest["train_sizes"])
    final = Table(
        f"Test metrics at {full_rows} training rows after {steps} steps",
        ["task", "group", "test loss", "token accuracy", "sequence accuracy"],
        note="Paper (Fig. 3): the equivariant model converges faster and to a lower test loss on all three "
        "tasks.",
    )
    loss_curves: dict[str, dict[str, dict[str, list[float]]]] = {task: {} for task in s["tasks"]}
    acc_curves: dict[str, dict[str, dict[str, list[float]]]] = {task: {} for task in s["tasks"]}
    for task in s["tasks"]:
        for group in GROUPS:
            runs = [payloads[steps, task, group, full_rows, seed] for seed in seeds]
            label = group_label(runs[0], task)
            loss_curves[task][label] = mean_curve([metric_curve(p, task, "loss") for p in runs])
            acc_curves[task][label] = mean_curve([metric_curve(p, task, "sequence_accuracy") for p in runs])
            metrics = ("loss", "accuracy", "sequence_accuracy")
            final.add(
                task,
                label,
                *(format_cell(summarize([final_metric(p, task, m) for p in runs])) for m in metrics),
            )
    tables.append(final)

    out = exp.results_dir
    title = f"{full_rows} training rows, {steps} steps"
    plots = [
        sweep_panels(
            sweep_plot,
            out / "sweep_sequence_accuracy.png",
            xlabel="training examples",
            ylabel="test exact-sequence accuracy",
            title="Right symmetry vs none: sample efficiency (solid: short budget, dotted: long budget)",
            references={task: ("best constant", data[f"{task}/best_constant"]) for task in s["tasks"]},
        ),
        curve_panels(loss_curves, out / "curves_loss.png", ylabel="validation loss", title=title, log_y=True),
        curve_panels(acc_curves, out / "curves_sequence_accuracy.png", ylabel="validation sequence accuracy",
                     title=title),
    ]  # fmt: skip
    path = write_results(
        exp,
        title=TITLE,
        clock=clock,
        tables=tables,
        plots=plots,
        findings=findings,
        data=data,
        runs=list(payloads.values()),
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
