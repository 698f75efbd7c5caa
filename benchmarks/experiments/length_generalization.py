"""Length generalization (issue 24): train on lengths 8-12, test at 16, 24 and 32, four ways to see position.

Each task is built with rows of lengths drawn from a range (``load_task(task, n=(8, 12))``, the same data for
every arm of a seed) and trained from scratch (``finetune/finetune.py --from_scratch``) under:

    family       the task's family symmetry (reversal(*), dihedral(*), swap_halves(*)): names shared by all n
    trivial      trivial(*): a learned embedding per absolute position (rows past 12 are never trained)
    relative     relative(*): no symmetry, T5-style learned bias per bucket of the signed offset j - i on the
                 same backbone (the relative-position transformer baseline)
    family+kv    the family with pair-orbit key/value embeddings (config.pair_embeddings)

The saved models are then scored on fresh rows of each test length (one data seed for every run). Reported:
per-node accuracy (thresholded accuracy for the invariant task) against length, the best constant
predictor beside it, and the median seconds per optimizer step of each arm (same machine, same run).

    OMP_NUM_THREADS=1 python benchmarks/experiments/length_generalization.py --full     # or --smoke
"""

from __future__ import annotations

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
    """Accuracy of a saved model at each length: per node (token heads), or of output > 0.5 against the 0/1
    target (the invariant regression task)."""
    from asen_fm import AsenForMultiTask

    model = AsenForMultiTask.from_pretrained(model_dir).eval()
    (head,) = model.config.tasks
    accuracy = {}
    for n, batch in batches.items():
        correct = 0
        for start in range(0, len(batch["labels"]), 256):
            ids, labels = batch["input_ids"][start : start + 256], batch["labels"][start : start + 256]
            logits = model(input_ids=ids, task=head).logits
            if logits.dim() == 3:
                correct += int((logits.argmax(-1) == labels).sum())
            else:
                correct += int(((logits.squeeze(-1) > 0.5) == (labels > 0.5)).sum())
        accuracy[n] = correct / batch["labels"].numel()
    return accuracy


def constant_accuracy(batch: dict[str, torch.Tensor]) -> float:
    """Accuracy of the best constant prediction: the majority class over all targets."""
    share = float((batch["labels"] > 0.5).float().mean())
    return max(share, 1 - share)


def main(argv: list[str] | None = None) -> None:
    exp = parse_experiment(NAME, argv, description=__doc__.split("\n")[0])
    clock = Clock()
    s = exp.settings
    jobs = [(task, arm, seed) for task in s["tasks"] for arm in ARMS for seed in s["seeds"]]
    payloads: dict[tuple[str, str, int], dict[str, Any]] = {}
    folders: dict[tuple[str, str, int], Path] = {}
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

    lengths = list(s["test_lengths"])
    data: dict[str, Any] = {}
    tables, findings = [], []
    panels: dict[str, dict[str, dict[str, list[float]]]] = {}
    curves: dict[str, dict[str, dict[str, list[float]]]] = {}
    low, high = s["train_lengths"]
    for task in s["tasks"]:
        batches = {n: test_rows(task, n, s["test_rows"]) for n in [high, *lengths]}
        floor = {n: constant_accuracy(b) for n, b in batches.items()}
        data[f"{task}/constant"] = floor
        table = Table(
            f"{task}: accuracy at each length (mean ± std over {len(s['seeds'])} seeds)",
            ["arm", "symmetry", f"n = {high} (trained)", *[f"n = {n}" for n in lengths], "ms / step",
             f"n = {lengths[-1]} vs family"],
            note=f"Trained on lengths {low}-{high} ({s['train_rows']} rows, {s['max_steps']} steps); "
            f"{s['test_rows']} fresh rows per length. Best constant predictor: "
            + ", ".join(f"n = {n}: {floor[n]:.3f}" for n in floor)
            + ". ms / step: median optimizer step of the training run (CPU, shared machine: noisy).",
        )  # fmt: skip
        per_arm: dict[str, dict[int, list[float]]] = {}
        for arm in ARMS:
            runs = [(seed, payloads[task, arm, seed], folders[task, arm, seed]) for seed in s["seeds"]]
            by_seed = [scores(folder, batches) for _, _, folder in runs]
            per_arm[arm] = {n: [accuracy[n] for accuracy in by_seed] for n in batches}
            cells = {n: summarize(values) for n, values in per_arm[arm].items()}
            step_ms = summarize([1000 * p["median_step_seconds"] for _, p, _ in runs])
            for n, cell in cells.items():
                data[f"{task}/{arm}/{n}"] = cell
            data[f"{task}/{arm}/step_ms"] = step_ms
            versus = (
                "-"
                if arm == "family"
                else ordering(per_arm[arm][lengths[-1]], per_arm["family"][lengths[-1]])
            )
            symmetry = str(runs[0][1]["tasks"][next(iter(runs[0][1]["tasks"]))]["group"])
            table.add(
                arm, symmetry, *[format_cell(cells[n]) for n in batches], f"{step_ms['mean']:.1f}", versus
            )
            panels.setdefault(task, {})[arm] = {
                "steps": list(batches), "mean": [cells[n]["mean"] for n in batches],
                "std": [cells[n]["std"] for n in batches],
            }  # fmt: skip
            metric = "accuracy" if task != "has_palindrome" else "loss"
            curves.setdefault(f"{task} validation {metric}", {})[arm] = mean_curve(
                [metric_curve(p, next(iter(p["tasks"])), metric) for _, p, _ in runs]
            )
        panels[task]["best constant"] = {"steps": list(batches), "mean": list(floor.values()),
                                         "std": [0.0] * len(batches)}  # fmt: skip
        tables.append(table)
        longest = lengths[-1]
        best = max(ARMS, key=lambda arm: float(np.mean(per_arm[arm][longest])))
        findings.append(
            f"{task} at n = {longest}: "
            + ", ".join(f"{arm} {np.mean(per_arm[arm][longest]):.3f}" for arm in ARMS)
            + f" (best constant {floor[longest]:.3f}); highest mean: {best}"
        )
    plots = [
        curve_panels(panels, exp.results_dir / "accuracy_vs_length.png", ylabel="accuracy",
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
