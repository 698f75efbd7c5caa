"""Length generalization (issue 24): train on lengths 8-12, test at 16, 24 and 32, four ways to see position.

Each task is built with rows of lengths drawn from a range (``load_task(task, n=(8, 12))``, the same data for
every arm of a seed) and trained from scratch (``finetune/finetune.py --from_scratch``) under:

    family       the task's family symmetry (reversal(*), dihedral(*), swap_halves(*)): names shared by all n
    trivial      trivial(*): a learned embedding per absolute position (rows past 12 are never trained)
    relative     relative(*): no symmetry, T5-style learned bias per bucket of the signed offset j - i on the
                 same backbone (the relative-position transformer baseline)
    family+kv    the family with pair-orbit key/value embeddings (config.pair_embeddings)

The saved models are then scored on fresh rows of each test length (one data seed for every run). Reported:
per-node accuracy (token tasks) or mean absolute error (the invariant regression task) against length, the
best constant predictor beside it (majority class; the training labels' median), and the cost of a training
step of each arm, measured apart from the runs: the arms' models interleaved on one batch, medians.

    OMP_NUM_THREADS=1 python benchmarks/experiments/length_generalization.py --full     # or --smoke
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from expkit.plots import curve_panels
from expkit.report import Clock, Table, write_results
from expkit.runner import common_flags, from_scratch_flags, generated_size, train
from expkit.settings import Experiment, parse_experiment
from expkit.stats import format_cell, mean_curve, metric_curve, ordering, summarize
from tqdm.auto import tqdm

from asen_fm.tasks import Task

NAME = "length_generalization"
TITLE = "Length generalization: trained on lengths 8-12, tested at 16, 24, 32 (issue 24)"
ARMS: dict[str, dict[str, Any]] = {
    "family": {"group": "", "pair_embeddings": False},
    "trivial": {"group": "trivial", "pair_embeddings": False},
    "relative": {"group": "relative(*)", "pair_embeddings": False},
    "family+kv": {"group": "", "pair_embeddings": True},
}
TEST_SEED = 10_000  # the test rows of every length: one data seed shared by all runs


def training_folder(exp: Experiment, task: str, seed: int) -> Path:
    """The mixed-length task folder of (task, data seed), written once and shared by every arm."""
    from asen_fm.tasks import load_task

    s = exp.settings
    folder = exp.runs_dir / "data" / f"{task}-{s['train_lengths'][0]}-{s['train_lengths'][1]}-s{seed}"
    if not (folder / "task_card.json").exists():
        size = generated_size(s["train_rows"])
        load_task(task, n=tuple(s["train_lengths"]), size=size, seed=seed).save(folder)
    return folder


def test_rows(task: str, n: int, rows: int) -> dict[str, torch.Tensor]:
    """``rows`` fresh test rows of ``task`` at length n (input_ids, labels as tensors)."""
    from asen_fm.tasks import TASKS
    from asen_fm.tasks.dataset import task_rng

    spec = TASKS[task]
    data = spec.generate(n, rows, task_rng(f"{task}-length-test", TEST_SEED + n), **spec.resolve_params())
    return {key: torch.as_tensor(value) for key, value in data.items()}


@torch.no_grad()
def scores(model_dir: Path, batches: dict[int, dict[str, torch.Tensor]]) -> dict[int, float]:
    """A saved model's score at each length: per-node accuracy (token heads) or mean absolute error."""
    from asen_fm import AsenForMultiTask

    model = AsenForMultiTask.from_pretrained(model_dir).eval()
    (head,) = model.config.tasks
    result = {}
    for n, batch in batches.items():
        total = 0.0
        for start in range(0, len(batch["labels"]), 256):
            ids, labels = batch["input_ids"][start : start + 256], batch["labels"][start : start + 256]
            logits = model(input_ids=ids, task=head).logits
            if logits.dim() == 3:
                total += float((logits.argmax(-1) == labels).sum())
            else:
                total += float((logits.squeeze(-1) - labels).abs().sum())
        result[n] = total / batch["labels"].numel()
    return result


def constant_score(batch: dict[str, torch.Tensor], train_labels: np.ndarray) -> float:
    """The best constant prediction's score: majority-class accuracy, or the MAE of the training median."""
    labels = batch["labels"].double()
    if labels.dim() == 2:
        share = float(labels.mean())
        return max(share, 1 - share)
    return float((labels - float(np.median(train_labels))).abs().mean())


def step_costs(exp: Experiment, task: str, folder: Path, repeats: int) -> dict[str, float]:
    """Median seconds of one training step (forward, backward, AdamW) of each arm's model on one batch of the
    training rows, the arms interleaved so that the machine's load hits them alike."""
    from asen_fm import AsenConfig, AsenForMultiTask
    from asen_fm.training.data import task_tensors

    task_data = Task.load(folder)
    rows = task_tensors(task_data).splits["train"]
    batch = {key: value[: exp.optimizer["batch_size"]] for key, value in rows.items()}
    models, optimizers = {}, {}
    for arm, spec in ARMS.items():
        torch.manual_seed(0)
        model = AsenForMultiTask(AsenConfig(**{**exp.model, "pair_embeddings": spec["pair_embeddings"]}))
        regrouped = task_data.with_group(spec["group"]) if spec["group"] else task_data
        model.add_task(task, regrouped.symmetry, **regrouped.task_entry())
        models[arm], optimizers[arm] = model.train(), torch.optim.AdamW(model.parameters(), lr=1e-4)
    times: dict[str, list[float]] = {arm: [] for arm in ARMS}
    for _ in range(repeats + 1):  # the first round warms up and is dropped
        for arm, model in models.items():
            start = time.perf_counter()
            model(**batch, task=task).loss.backward()
            optimizers[arm].step()
            optimizers[arm].zero_grad()
            times[arm].append(time.perf_counter() - start)
    return {arm: float(np.median(values[1:])) for arm, values in times.items()}


def run_all(
    exp: Experiment,
) -> tuple[dict[tuple[str, str, int], dict[str, Any]], dict[tuple[str, str, int], Path]]:
    """Train every (task, arm, seed); return the metrics payloads and saved model folders."""
    s = exp.settings
    # seed-major: every task and arm of one seed before the next seed
    jobs = [(task, arm, seed) for seed in s["seeds"] for task in s["tasks"] for arm in ARMS]
    payloads, folders = {}, {}
    for task, arm, seed in tqdm(exp.order(jobs), desc=NAME, unit="run"):
        model = {**exp.model, "pair_embeddings": ARMS[arm]["pair_embeddings"]}
        flags = from_scratch_flags(
            model,
            exp.runs_dir,
            **common_flags(exp.optimizer, exp.bookkeeping),
            task=str(training_folder(exp, task, seed)),
            group=ARMS[arm]["group"],
            seed=seed,
            max_steps=s["max_steps"],
            eval_every=s["eval_every"],
            backbone_lr_scale=1.0,
        )
        record = train("finetune", flags, exp.runs_dir / f"{task}-{arm}-s{seed}")
        payloads[task, arm, seed], folders[task, arm, seed] = record.payload, record.model_dir
    return payloads, folders


def main(argv: list[str] | None = None) -> None:
    exp = parse_experiment(NAME, argv, description=__doc__.split("\n")[0])
    clock = Clock()
    s = exp.settings
    payloads, folders = run_all(exp)
    lengths, (low, high) = list(s["test_lengths"]), s["train_lengths"]
    data: dict[str, Any] = {}
    tables, findings = [], []
    panels: dict[str, dict[str, dict[str, list[float]]]] = {}
    curves: dict[str, dict[str, dict[str, list[float]]]] = {}
    for task in s["tasks"]:
        batches = {n: test_rows(task, n, s["test_rows"]) for n in [high, *lengths]}
        folder = training_folder(exp, task, s["seeds"][0])
        train_labels = np.concatenate([np.ravel(row) for row in Task.load(folder).data["train"]["labels"]])
        floor = {n: constant_score(b, train_labels) for n, b in batches.items()}
        regression = batches[high]["labels"].dim() == 1
        metric = "MAE, lower is better" if regression else "per-node accuracy"
        costs = step_costs(exp, task, folder, s["cost_repeats"])
        data[f"{task}/constant"], data[f"{task}/step_ms"] = floor, {a: 1000 * c for a, c in costs.items()}
        table = Table(
            f"{task}: {metric} at each length (mean ± std over {len(s['seeds'])} seeds)",
            ["arm", "symmetry", f"n = {high} (trained)", *[f"n = {n}" for n in lengths], "ms / step",
             f"n = {lengths[-1]} vs family"],
            note=f"Trained on lengths {low}-{high} ({s['train_rows']} rows, {s['max_steps']} steps); "
            f"{s['test_rows']} fresh rows per length. Best constant predictor: "
            + ", ".join(f"n = {n}: {floor[n]:.3f}" for n in floor)
            + f". ms / step: median of {s['cost_repeats']} training steps of each arm's model on one batch "
            f"of {exp.optimizer['batch_size']} training rows, the arms interleaved (CPU, shared machine).",
        )  # fmt: skip
        per_arm: dict[str, dict[int, list[float]]] = {}
        label = f"{task} ({metric})"
        panels[label] = {}
        for arm in ARMS:
            runs = [(payloads[task, arm, seed], folders[task, arm, seed]) for seed in s["seeds"]]
            by_seed = [scores(folder, batches) for _, folder in runs]
            per_arm[arm] = {n: [score[n] for score in by_seed] for n in batches}
            cells = {n: summarize(values) for n, values in per_arm[arm].items()}
            for n, cell in cells.items():
                data[f"{task}/{arm}/{n}"] = cell
            versus = "-"
            if arm != "family":
                versus = ordering(per_arm[arm][lengths[-1]], per_arm["family"][lengths[-1]], regression)
            head = next(iter(runs[0][0]["tasks"]))
            table.add(arm, runs[0][0]["tasks"][head]["group"], *[format_cell(cells[n]) for n in batches],
                      f"{1000 * costs[arm]:.1f}", versus)  # fmt: skip
            panels[label][arm] = {"steps": list(batches), "mean": [cells[n]["mean"] for n in batches],
                                  "std": [cells[n]["std"] for n in batches]}  # fmt: skip
            curve = "mae" if regression else "accuracy"
            curves.setdefault(f"{task} validation {curve}", {})[arm] = mean_curve(
                [metric_curve(p, next(iter(p["tasks"])), curve) for p, _ in runs]
            )
        panels[label]["best constant"] = {"steps": list(batches), "mean": list(floor.values()),
                                          "std": [0.0] * len(batches)}  # fmt: skip
        tables.append(table)
        longest, sign = lengths[-1], -1 if regression else 1
        best = max(ARMS, key=lambda arm: sign * float(np.mean(per_arm[arm][longest])))
        findings.append(
            f"{task} at n = {longest} ({metric}): "
            + ", ".join(f"{arm} {np.mean(per_arm[arm][longest]):.3f}" for arm in ARMS)
            + f" (best constant {floor[longest]:.3f}); best mean: {best}"
        )
    plots = [
        curve_panels(panels, exp.results_dir / "accuracy_vs_length.png", ylabel="accuracy / MAE",
                     xlabel="sequence length (trained: 8-12)", title=TITLE),
        curve_panels(curves, exp.results_dir / "curves.png", ylabel="value",
                     title="validation curves (lengths 8-12)"),
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
