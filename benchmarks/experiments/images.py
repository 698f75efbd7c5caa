"""Images as node sets (issues 13, 23): which symmetry-breaking input helps on real digits and on Pathfinder.

Four parts, each a list of cached runs (``finetune/finetune.py --from_scratch`` on a task folder whose
card carries the symmetry entry; a finished run is read back, so the experiment resumes where it stopped):

- ``tuning``: the learning rate and warmup, chosen once on validation (digits, all rows, one group, one
  seed) and then used by every group alike;
- ``curves``: one seed of the best- and worst-expected breaking choice on digits and on Pathfinder 16 x 16
  for a long budget, validation every few hundred steps, with the CNN's curve beside them: the tables'
  step budgets are read off these curves (where the better arm has plateaued);
- ``digits``: scikit-learn's 8 x 8 digits at 100, 300 and all (1,078) training rows with seven groups:
  trivial (1-D positions: one learned embedding per pixel, node-only), 2-D positions (row + column
  embeddings), torus translations and D4 (pair-orbit tables), patch-local 2 x 2 and 4 x 4 (node-only,
  exact) and S_64 (no positional information at all);
- ``pathfinder``: Pathfinder (own generator, level ``baseline``) with 1-D positions, 2-D positions,
  patch-local 2 x 2 and patch-local 3 x 3 with ragged border blocks (:mod:`asen_fm.domains.images.groups`).

Beside every table, baselines outside ASEN on the same task folders (``image_baselines.py``): a small CNN,
and for digits logistic regression. Test accuracy, mean ± std over seeds.

    OMP_NUM_THREADS=1 python benchmarks/experiments/images.py --full     # or --smoke

Pathfinder-64 on a GPU (not run here) is :data:`GPU_COMMAND`.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from expkit.plots import curve_panels, sweep_panels
from expkit.report import Clock, Table, write_results
from expkit.runner import common_flags, from_scratch_flags, train
from expkit.settings import Experiment, parse_experiment
from expkit.stats import final_metric, format_cell, mean_curve, metric_curve, summarize

from asen_fm.progress import progress_bar

NAME = "images"
TITLE = "Images as node sets: digits and Pathfinder (issues 13, 23)"
# The paper summary's Pathfinder-64 test accuracies (its training budget, not ours).
PAPER_PATHFINDER64 = {
    "pos1d": "0.656",
    "pos2d": "0.818",
    "patch2": "0.824 ((S_4)^1024)",
    "patch3": "0.827 ((S_9)^455)",
}
# A Pathfinder run has left chance when its best validation accuracy exceeds this (0.5 = constant prediction).
OFF_CHANCE = 0.55
# Pathfinder-64 on a GPU (the settings' "pathfinder64" part: 4 groups x 3 seeds, hidden 128, 4 layers, bf16).
GPU_COMMAND = "python benchmarks/experiments/images.py --full --pathfinder64"
LABELS = {
    "pos1d": "trivial, 1-D positions",
    "pos2d": "2-D positions (row + column)",
    "torus": "torus translations",
    "d4": "D4",
    "patch2": "patch-local 2x2",
    "patch3": "patch-local 3x3 (ragged border)",
    "patch4": "patch-local 4x4",
    "sym": "S_n (no positions)",
    "torus-local": "torus translations, attention along grid edges only",
}


def symmetry_entry(group: str, h: int, w: int) -> str | dict[str, Any]:
    """The card's symmetry entry for ``group`` on an h x w image (node-only where that is exact)."""
    n = h * w
    if group == "pos1d":
        return {"group": f"trivial({n})", "pairs": "none"}
    if group == "pos2d":
        return {"group": f"trivial({n})", "positions": [h, w]}
    if group in ("torus", "d4"):
        return f"grid({h}, {w}, {group})"
    if group == "torus-local":  # a convolution-like transformer: each pixel attends to its 4 neighbours
        return {"group": f"grid({h}, {w}, torus)", "edges": grid_edges(h, w), "framework": "sparse"}
    if group == "sym":
        return f"symmetric({n})"
    if group.startswith("patch"):
        p = int(group[len("patch") :])
        if h % p or w % p:
            from asen_fm.domains.images.groups import ragged_patch_symmetry

            return ragged_patch_symmetry(h, w, p)
        return {"group": f"grid({h}, {w}, patch, {p})", "pairs": "none"}
    raise ValueError(f"unknown group {group!r}; known: {', '.join(LABELS)}")


def grid_edges(h: int, w: int) -> list[list[int]]:
    """The 4-neighbour edges of an h x w pixel grid (no wrap-around), nodes numbered row-major."""
    across = [[r * w + c, r * w + c + 1] for r in range(h) for c in range(w - 1)]
    down = [[r * w + c, (r + 1) * w + c] for r in range(h - 1) for c in range(w)]
    return across + down


def task_folder(root: Path, name: str, build: Any, group: str, h: int, w: int) -> Path:
    """Build (once) the task folder ``root/data/name-group``: the task with ``group``'s symmetry entry.

    The data are generated once per ``name`` (``root/data/name``, the task's own card) and re-saved with
    each group's symmetry entry, so the groups of one cell train on the same rows."""
    from asen_fm.tasks import Task

    folder = root / "data" / f"{name}-{group}"
    if not (folder / "task_card.json").exists():
        base = root / "data" / name
        if not (base / "task_card.json").exists():
            build().save(base)
        Task.load(base).with_group(symmetry_entry(group, h, w)).save(folder)
    return folder


def digits_builder(rows: int | None, seed: int) -> Any:
    """A zero-argument builder of the digits task (``rows`` training rows, split seed ``seed``)."""

    def build() -> Any:
        from asen_fm.domains.images.build import build_image_task

        return build_image_task("digits", {} if rows is None else {"train_rows": rows}, seed)

    return build


def pathfinder_builder(resolution: int, sizes: dict[str, int], seed: int) -> Any:
    """A zero-argument builder of Pathfinder (level baseline) with these split sizes and data seed."""

    def build() -> Any:
        from asen_fm.domains.images.pathfinder_task import pathfinder_task
        from asen_fm.tasks import Task

        data, card = pathfinder_task(resolution=resolution, level="baseline", sizes=sizes, seed=seed)
        return Task.from_card(data, card)

    return build


def run_one(exp: Experiment, part: dict[str, Any], folder: Path, head: str, seed: int, run: str) -> Any:
    """``finetune.py --from_scratch`` on ``folder`` (task named ``head``) with the part's budget.

    A part may override the learning rate (``lr``), model sizes (``model``), ``mixed_precision`` and
    ``eval_batch_size`` (the GPU run).
    """
    return train("finetune", run_flags(exp, part, folder, head, seed), exp.runs_dir / run)


def run_flags(exp: Experiment, part: dict[str, Any], folder: Path, head: str, seed: int) -> dict[str, Any]:
    """The finetune.py flags of :func:`run_one`."""
    overrides = {key: part.get(key) for key in ("lr", "mixed_precision", "eval_batch_size")}
    return from_scratch_flags(
        {**exp.model, **part.get("model", {})},
        exp.runs_dir,
        **common_flags(
            exp.optimizer,
            exp.bookkeeping,
            batch_size=part["batch_size"],
            warmup_steps=part["warmup_steps"],
            **overrides,
        ),
        task=f"{head}={folder}",
        seed=seed,
        max_steps=part["max_steps"],
        eval_every=part["eval_every"],
        eval_size=part.get("eval_size", 0),
        backbone_lr_scale=1.0,
    )


def digits_folder(exp: Experiment, rows: int | None, seed: int, group: str) -> Path:
    """The digits task folder (``rows`` training rows, split seed ``seed``) with ``group``'s entry."""
    tag = "all" if rows is None else str(rows)
    return task_folder(exp.runs_dir, f"digits-{tag}-s{seed}", digits_builder(rows, seed), group, 8, 8)


def pathfinder_folder(exp: Experiment, cell: dict[str, Any], res: int, seed: int, group: str) -> Path:
    """The Pathfinder task folder at ``res`` (``cell``'s split sizes ``train`` and ``held_out``, data seed
    ``seed``) for ``group``; cells with the same sizes and seed share the data."""
    sizes = {"train": cell["train"], "validation": cell["held_out"], "test": cell["held_out"]}
    name = f"pathfinder{res}-t{cell['train']}-h{cell['held_out']}-s{seed}"
    return task_folder(exp.runs_dir, name, pathfinder_builder(res, sizes, seed), group, res, res)


def digits_jobs(s: dict[str, Any]) -> list[tuple[str, Any, str, int]]:
    """(part, rows, group, seed) of the digits grid (none when the settings have no digits part)."""
    d = s.get("digits")
    if not d:
        return []
    seeds = sorted({seed for rows in d["train_rows"] for seed in digits_seeds(d, rows)})
    return [  # seed-major: an interrupted grid has whole seeds done
        ("digits", rows, group, seed)
        for seed in seeds
        for rows in d["train_rows"]
        if seed in digits_seeds(d, rows)
        for group in d["groups"]
    ]


def digits_seeds(d: dict[str, Any], rows: int | None) -> list[int]:
    """The seeds of the digits cells with ``rows`` training rows (``seeds_by_rows`` overrides ``seeds``)."""
    return d.get("seeds_by_rows", {}).get("all" if rows is None else str(rows), d["seeds"])


def pathfinder_jobs(s: dict[str, Any]) -> list[tuple[str, Any, str, int]]:
    """(part, resolution, group, seed) of the Pathfinder grid (each resolution its own groups and seeds)."""
    p = s.get("pathfinder") or {"resolutions": {}}
    return [
        ("pathfinder", int(res), group, seed)
        for res, cell in p["resolutions"].items()
        for seed in cell["seeds"]
        for group in cell.get("groups", p["groups"])
    ]


def tuning_jobs(s: dict[str, Any]) -> list[tuple[str, Any, str, int]]:
    """(part, (lr, warmup), group, seed) of the learning-rate / warmup grid (none without a tuning part)."""
    t = s.get("tuning")
    if not t:
        return []
    return [("tuning", (lr, warmup), t["group"], t["seed"]) for lr in t["lr"] for warmup in t["warmup_steps"]]


def curve_jobs(s: dict[str, Any]) -> list[tuple[str, Any, str, int]]:
    """(part, task, group, seed) of the learning curves: task ``digits`` or a Pathfinder resolution."""
    c = s.get("curves")
    if not c:
        return []
    return [("curves", task, group, cell["seed"]) for task, cell in c.items() for group in cell["groups"]]


def pathfinder_part(s: dict[str, Any], res: int) -> dict[str, Any]:
    """The Pathfinder settings with the resolution's own overrides (steps, batch, sizes)."""
    p = s["pathfinder"]
    return {**{k: v for k, v in p.items() if k != "resolutions"}, **p["resolutions"][str(res)]}


def train_job(exp: Experiment, job: tuple[str, Any, str, int]) -> Any:
    """Train (or read back) one run of any part; its RunRecord."""
    s = exp.settings
    part, size, group, seed = job
    if part == "digits":
        tag = "all" if size is None else str(size)
        folder = digits_folder(exp, size, seed, group)
        return run_one(exp, s["digits"], folder, "digits", seed, f"digits-{tag}-{group}-s{seed}")
    if part == "pathfinder":
        cell = pathfinder_part(s, size)
        folder = pathfinder_folder(exp, cell, size, seed, group)
        return run_one(exp, cell, folder, "pathfinder", seed, f"pathfinder{size}-{group}-s{seed}")
    if part == "tuning":
        t = s["tuning"]
        lr, warmup = size
        tuned = {**t, "lr": lr, "warmup_steps": warmup}
        folder = digits_folder(exp, t["rows"], seed, group)
        return run_one(exp, tuned, folder, "digits", seed, f"tuning-digits-{group}-lr{lr}-w{warmup}-s{seed}")
    cell = s["curves"][size]
    if size == "digits":
        folder = digits_folder(exp, cell["rows"], seed, group)
    else:
        folder = pathfinder_folder(exp, cell, int(size), seed, group)
    head = "digits" if size == "digits" else "pathfinder"
    return run_one(exp, cell, folder, head, seed, f"curves-{size}-{group}-s{seed}")


def run_grid(exp: Experiment) -> dict[tuple[str, Any, str, int], Any]:
    """Train every run of every part (tuning, curves, digits, Pathfinder); return their RunRecords."""
    s = exp.settings
    jobs = tuning_jobs(s) + curve_jobs(s) + digits_jobs(s) + pathfinder_jobs(s)
    return {job: train_job(exp, job) for job in progress_bar(exp.order(jobs), desc=NAME, unit="run")}


def baseline_jobs(s: dict[str, Any]) -> list[tuple[str, str, Any, int]]:
    """(model, part, size, seed) of the baselines outside ASEN: the CNN on every cell of the digits and
    Pathfinder tables and beside the curves, logistic regression on the digits cells."""
    b = s.get("baselines")
    if not b:
        return []
    jobs: list[tuple[str, str, Any, int]] = []
    if s.get("digits"):
        d = s["digits"]
        cells = [(rows, seed) for rows in d["train_rows"] for seed in digits_seeds(d, rows)]
        jobs += [(model, "digits", rows, seed) for model in ("cnn", "logreg") for rows, seed in cells]
    for res, cell in s.get("pathfinder", {}).get("resolutions", {}).items():
        jobs += [("cnn", "pathfinder", int(res), seed) for seed in cell["seeds"]]
    jobs += [("cnn", "curves", task, cell["seed"]) for task, cell in s.get("curves", {}).items()]
    return jobs


def baseline_settings(exp: Experiment, job: tuple[str, str, Any, int]) -> dict[str, Any]:
    """``image_baselines.cached_run`` settings of one baseline job (the ASEN cell's folder and budget)."""
    s = exp.settings
    model, part, size, seed = job
    if part == "digits":
        folder, budget = digits_folder(exp, size, seed, "pos2d"), s["digits"]
    elif part == "pathfinder":
        budget = pathfinder_part(s, size)
        folder = pathfinder_folder(exp, budget, size, seed, "pos2d")
    else:
        budget = s["curves"][size]
        folder = (
            digits_folder(exp, budget["rows"], seed, "pos2d")
            if size == "digits"
            else pathfinder_folder(exp, budget, int(size), seed, "pos2d")
        )
    settings: dict[str, Any] = {"folder": str(folder), "model": model, "seed": seed}
    if model == "cnn":
        cnn = s["baselines"]["cnn"]
        settings.update(
            steps=budget["max_steps"],
            batch_size=budget["batch_size"],
            lr=budget.get("lr", exp.optimizer["lr"]),
            warmup=budget["warmup_steps"],
            eval_every=budget["eval_every"],
            width=cnn["width"],
            depth=cnn["depth"],
            pools=cnn["pools"],
        )
    return settings


def run_baselines(exp: Experiment) -> dict[tuple[str, str, Any, int], dict[str, Any]]:
    """Every baseline run (cached in ``runs_dir/baselines.json``, so they resume too)."""
    from image_baselines import cached_run

    cache = exp.runs_dir / "baselines.json"
    jobs = baseline_jobs(exp.settings)
    return {
        job: cached_run(cache, baseline_settings(exp, job))
        for job in progress_bar(exp.order(jobs), desc=f"{NAME} baselines", unit="run")
    }


def cnn_curve(run: dict[str, Any]) -> tuple[list[int], list[float]]:
    """(steps, validation accuracies) of a CNN baseline run."""
    return [int(p["step"]) for p in run["validation"]], [float(p["accuracy"]) for p in run["validation"]]


def parameters(record: Any) -> int:
    """Trainable parameters of a run's model (its metrics payload)."""
    value = record.payload["parameters"]
    return int(value["total"] if isinstance(value, dict) else value)


def parse(argv: list[str] | None) -> Experiment:
    """The experiment; ``--pathfinder64`` swaps in the settings' ``pathfinder64`` part alone (the GPU run),
    with its own runs and results folders (``.../images/pathfinder64``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    gpu = "--pathfinder64" in argv
    exp = parse_experiment(
        NAME, [a for a in argv if a != "--pathfinder64"], description=__doc__.split("\n")[0]
    )
    if not gpu:
        return exp
    return replace(
        exp,
        settings={"pathfinder": exp.settings["pathfinder64"]},
        runs_dir=exp.runs_dir / "pathfinder64",
        results_dir=exp.results_dir / "pathfinder64",
        command=exp.command + " --pathfinder64",
    )


def main(argv: list[str] | None = None) -> None:
    exp = parse(argv)
    clock = Clock()
    records = run_grid(exp)
    baselines = run_baselines(exp)
    s = exp.settings
    data: dict[str, Any] = {}
    findings: list[str] = []
    tables, plots = [], []
    if s.get("tuning"):
        tables.append(tuning_report(exp, records, data, findings))
    if s.get("curves"):
        table, plot = curves_report(exp, records, baselines, data, findings)
        tables.append(table)
        plots.append(plot)
    if s.get("digits"):
        table, plot = digits_report(exp, records, baselines, data, findings)
        tables.append(table)
        plots.append(plot)
    if s.get("pathfinder", {}).get("resolutions"):
        table, plot = pathfinder_report(exp, records, baselines, data, findings)
        tables.append(table)
        plots.append(plot)
    data["gpu_command"] = GPU_COMMAND
    path = write_results(
        exp,
        title=TITLE,
        clock=clock,
        tables=tables,
        plots=plots,
        findings=findings,
        data=data,
        runs=[r.payload for r in records.values()] + list(baselines.values()),
    )
    print(f"wrote {path}")


def validation(record: Any, head: str) -> tuple[list[int], list[float]]:
    """(steps, validation accuracies) of one ASEN run."""
    return metric_curve(record.payload, head, "accuracy")


def plateau_step(steps: list[int], values: list[float], tolerance: float) -> int:
    """The first evaluated step whose value is within ``tolerance`` of the best value of the curve."""
    best = max(values)
    return next(step for step, value in zip(steps, values, strict=True) if value >= best - tolerance)


def tuning_report(exp: Experiment, records: dict, data: dict[str, Any], findings: list[str]) -> Table:
    """The learning-rate / warmup grid: final validation accuracy per setting (one seed)."""
    t = exp.settings["tuning"]
    rows = "all" if t["rows"] is None else t["rows"]
    table = Table(
        f"Tuning (digits, {rows} training rows, {LABELS[t['group']]}, seed {t['seed']}): validation "
        "accuracy after the budget",
        ["lr", *[f"warmup {w}" for w in t["warmup_steps"]]],
        note=f"{t['max_steps']} steps at batch {t['batch_size']}; the best cell's lr and warmup are used by "
        "every group of every table below (the tables' settings say which were used).",
    )
    scores = {}
    for lr in t["lr"]:
        cells = []
        for warmup in t["warmup_steps"]:
            record = records["tuning", (lr, warmup), t["group"], t["seed"]]
            score = final_metric(record.payload, "digits", "accuracy", split="validation")
            scores[lr, warmup] = score
            cells.append(f"{score:.3f}")
        table.add(lr, *cells)
    best = max(scores, key=lambda key: scores[key])
    used = (
        (exp.optimizer["lr"], exp.settings["digits"]["warmup_steps"]) if exp.settings.get("digits") else None
    )
    data["tuning"] = {f"lr={lr},warmup={w}": v for (lr, w), v in scores.items()}
    findings.append(
        f"tuning: best validation accuracy {scores[best]:.3f} at lr {best[0]}, warmup {best[1]}"
        + (f"; the tables use lr {used[0]}, digits warmup {used[1]}" if used else "")
    )
    return table


def curves_report(
    exp: Experiment, records: dict, baselines: dict, data: dict[str, Any], findings: list[str]
) -> tuple[Table, Path]:
    """Learning curves (one seed) of the two arms and the CNN per task; the plateau step of each."""
    c = exp.settings["curves"]
    table = Table(
        "Learning curves (one seed): validation accuracy at the plateau and at the end",
        ["task", "arm", "best validation accuracy", "first step within 0.01 of it", "at the last step"],
        note="; ".join(
            f"{task}: {cell['max_steps']} steps at batch {cell['batch_size']}, validation every "
            f"{cell['eval_every']} steps"
            for task, cell in c.items()
        )
        + ". The tables' step budgets are read off these curves.",
    )
    panels: dict[str, dict[str, dict[str, list[float]]]] = {}
    for task, cell in c.items():
        title = "digits (all rows)" if task == "digits" else f"Pathfinder {task}x{task}"
        head = "digits" if task == "digits" else "pathfinder"
        lines = {}
        for group in cell["groups"]:
            lines[LABELS[group]] = validation(records["curves", task, group, cell["seed"]], head)
        cnn = baselines.get(("cnn", "curves", task, cell["seed"]))
        if cnn is not None:
            lines["CNN (outside ASEN)"] = cnn_curve(cnn)
        panels[title] = {}
        for label, (steps, values) in lines.items():
            plateau = plateau_step(steps, values, 0.01)
            table.add(title, label, f"{max(values):.3f}", plateau, f"{values[-1]:.3f}")
            data[f"curves/{task}/{label}"] = {"steps": steps, "accuracy": values, "plateau_step": plateau}
            panels[title][label] = {"steps": steps, "mean": values, "std": [0.0] * len(values)}
        best = max(lines, key=lambda label: max(lines[label][1]))
        findings.append(
            f"curves, {title}: best arm {best} reaches {max(lines[best][1]):.3f} (validation) first within "
            f"0.01 at step {plateau_step(*lines[best], 0.01)} of {cell['max_steps']}"
        )
    plot = curve_panels(
        panels,
        exp.results_dir / "learning_curves.png",
        ylabel="validation accuracy",
        title="one seed; the tables' budgets come from where the better arm plateaus",
    )
    return table, plot


def beyond_noise(a: dict[str, Any], b: dict[str, Any]) -> str:
    """Whether two cells differ "beyond noise": the mean gap exceeds twice its standard error."""
    if a["n"] < 2 or b["n"] < 2:
        return "one seed, no spread"
    se = (a["std"] ** 2 / a["n"] + b["std"] ** 2 / b["n"]) ** 0.5
    return "beyond noise" if abs(a["mean"] - b["mean"]) > 2 * se else "within noise"


def baseline_summary(baselines: dict, model: str, part: str, size: Any, seeds: list[int]) -> dict[str, Any]:
    """Mean ± std of a baseline's test accuracy over the cell's seeds."""
    return summarize([float(baselines[model, part, size, seed]["test_accuracy"]) for seed in seeds])


def compare_to_pos2d(
    data: dict[str, Any], key: str, groups: list[str], findings: list[str], what: str
) -> None:
    """One finding per group: its gap to 2-D positions and whether that is beyond noise."""
    if "pos2d" not in groups:
        return
    ref = data[f"{key}/pos2d"]
    parts = []
    for group in groups:
        if group == "pos2d":
            continue
        cell = data[f"{key}/{group}"]
        parts.append(f"{LABELS[group]} {cell['mean'] - ref['mean']:+.3f} ({beyond_noise(cell, ref)})")
    findings.append(f"{what}, against 2-D positions ({ref['mean']:.3f}): " + "; ".join(parts))


def digits_report(
    exp: Experiment, records: dict, baselines: dict, data: dict[str, Any], findings: list[str]
) -> tuple[Table, Path]:
    """The digits table (CNN and logistic regression beside) and accuracy-vs-rows plot."""
    d = exp.settings["digits"]
    sizes = [("all" if r is None else str(r)) for r in d["train_rows"]]
    lr = d.get("lr", exp.optimizer["lr"])
    digits = Table(
        "Digits 8x8: test accuracy (mean ± std over seeds; seed count in brackets)",
        ["group", *[f"{t} train rows" for t in sizes], "parameters", "step s (median)"],
        note=f"{d['max_steps']} steps at batch {d['batch_size']} from scratch (lr {lr}, warmup "
        f"{d['warmup_steps']}), hidden {exp.model['hidden_size']}, {exp.model['num_hidden_layers']} layers, "
        f"initializer_range {exp.model.get('initializer_range', 0.02)}; the seed is both the split's and the "
        "model's; test = 359 images. 'all' = 1,078 training rows. The CNN trains with the same steps, batch, "
        "lr and warmup; logistic regression's C is chosen on validation.",
    )
    sweep: dict[str, dict[str, Any]] = {"digits 8x8": {}}
    for group in d["groups"]:
        cells, means, stds = [], [], []
        for rows, tag in zip(d["train_rows"], sizes, strict=True):
            runs = [records["digits", rows, group, seed] for seed in digits_seeds(d, rows)]
            summary = summarize([final_metric(r.payload, "digits", "accuracy") for r in runs])
            data[f"digits/{tag}/{group}"] = summary
            cells.append(format_cell(summary))
            means.append(summary["mean"])
            stds.append(summary["std"])
        step = sorted(
            float(records["digits", rows, group, seed].payload["median_step_seconds"])
            for rows in d["train_rows"]
            for seed in digits_seeds(d, rows)
        )
        digits.add(LABELS[group], *cells, parameters(runs[0]), f"{step[len(step) // 2]:.3f}")
        sweep["digits 8x8"][LABELS[group]] = {
            "x": [1078 if r is None else r for r in d["train_rows"]],
            "mean": means,
            "std": stds,
        }
    if exp.settings.get("baselines"):
        for model, label in (("cnn", "CNN (outside ASEN)"), ("logreg", "logistic regression (outside ASEN)")):
            cells, means, stds = [], [], []
            for rows, tag in zip(d["train_rows"], sizes, strict=True):
                summary = baseline_summary(baselines, model, "digits", rows, digits_seeds(d, rows))
                data[f"digits/{tag}/{model}"] = summary
                cells.append(format_cell(summary))
                means.append(summary["mean"])
                stds.append(summary["std"])
            first = baselines[model, "digits", d["train_rows"][0], d["seeds"][0]]
            step = f"{first['median_step_seconds']:.3f}" if "median_step_seconds" in first else "-"
            digits.add(label, *cells, first.get("parameters", 650), step)
            sweep["digits 8x8"][label] = {
                "x": [1078 if r is None else r for r in d["train_rows"]],
                "mean": means,
                "std": stds,
                "linestyle": "--",
            }
    for tag in sizes:
        ranked = sorted(d["groups"], key=lambda g: -data[f"digits/{tag}/{g}"]["mean"])
        best, worst = data[f"digits/{tag}/{ranked[0]}"], data[f"digits/{tag}/{ranked[-1]}"]
        findings.append(
            f"digits, {tag} rows: best {LABELS[ranked[0]]} {best['mean']:.3f} ± {best['std']:.3f}, worst "
            f"{LABELS[ranked[-1]]} {worst['mean']:.3f} ± {worst['std']:.3f}"
            + (
                f"; CNN {data[f'digits/{tag}/cnn']['mean']:.3f}, logistic regression "
                f"{data[f'digits/{tag}/logreg']['mean']:.3f}"
                if f"digits/{tag}/cnn" in data
                else ""
            )
        )
        compare_to_pos2d(data, f"digits/{tag}", d["groups"], findings, f"digits, {tag} rows")
    plot = sweep_panels(
        sweep,
        exp.results_dir / "digits_accuracy.png",
        xlabel="training rows",
        ylabel="test accuracy",
        title=f"{d['max_steps']} steps, mean ± std over seeds",
    )
    return digits, plot


def pathfinder_report(
    exp: Experiment, records: dict, baselines: dict, data: dict[str, Any], findings: list[str]
) -> tuple[Table, Path]:
    """The Pathfinder table (CNN row, paper summary's Pathfinder-64 beside); validation curves plot."""
    s = exp.settings
    p = s["pathfinder"]
    resolutions = list(p["resolutions"])
    pathfinder = Table(
        "Pathfinder (level baseline): test accuracy (mean ± std over seeds; seed count in brackets)",
        [
            "group",
            *[f"{r}x{r}" for r in resolutions],
            "parameters (per resolution)",
            "step s (per resolution)",
            "runs off chance (per resolution)",
            "paper, 64x64",
        ],
        note="; ".join(
            f"{r}x{r}: {c['max_steps']} steps at batch {c['batch_size']}, {c['train']} training images, "
            f"test {c['held_out']}"
            for r, c in ((r, pathfinder_part(s, int(r))) for r in resolutions)
        )
        + ". The paper summary's Pathfinder-64 accuracies (right column) come from its own training budget "
        "and 64 x 64 images; these are miniatures. Its (S_9)^455 has 455 * 9 = 4095 points, so its 9-pixel "
        "blocks are probably runs of the flattened sequence; ours are 3 x 3 squares. A group not run at a "
        "resolution reads 'not run'. Chance = 0.5. A run is off chance when its best validation accuracy "
        f"exceeds {OFF_CHANCE} (the validation split is balanced: 0.5 is the constant prediction, and a "
        "binomial standard deviation at 1,000 images is 0.016).",
    )
    groups = list(dict.fromkeys(g for r in resolutions for g in pathfinder_part(s, int(r))["groups"]))
    for group in groups:
        cells, params, steps, off = [], [], [], []
        for res in resolutions:
            cell = pathfinder_part(s, int(res))
            if group not in cell["groups"]:
                cells.append("not run")
                params.append("-")
                steps.append("-")
                off.append("-")
                continue
            runs = [records["pathfinder", int(res), group, seed] for seed in cell["seeds"]]
            left = sum(max(validation(r, "pathfinder")[1]) > OFF_CHANCE for r in runs)
            data[f"pathfinder/{res}/{group}/off_chance"] = left
            off.append(f"{left} of {len(runs)}")
            summary = summarize([final_metric(r.payload, "pathfinder", "accuracy") for r in runs])
            data[f"pathfinder/{res}/{group}"] = summary
            cells.append(format_cell(summary))
            params.append(str(parameters(runs[0])))
            steps.append(f"{float(runs[0].payload['median_step_seconds']):.3f}")
        paper = PAPER_PATHFINDER64.get(group, "-")
        pathfinder.add(LABELS[group], *cells, " / ".join(params), " / ".join(steps), " / ".join(off), paper)
    if s.get("baselines"):
        cells, params, steps, off = [], [], [], []
        for res in resolutions:
            cell = pathfinder_part(s, int(res))
            runs = [baselines["cnn", "pathfinder", int(res), seed] for seed in cell["seeds"]]
            off.append(f"{sum(max(cnn_curve(r)[1]) > OFF_CHANCE for r in runs)} of {len(runs)}")
            summary = baseline_summary(baselines, "cnn", "pathfinder", int(res), cell["seeds"])
            data[f"pathfinder/{res}/cnn"] = summary
            cells.append(format_cell(summary))
            first = baselines["cnn", "pathfinder", int(res), cell["seeds"][0]]
            params.append(str(first["parameters"]))
            steps.append(f"{first['median_step_seconds']:.3f}")
        columns = (" / ".join(params), " / ".join(steps), " / ".join(off))
        pathfinder.add("CNN (outside ASEN)", *cells, *columns, "-")
    for res in resolutions:
        cell = pathfinder_part(s, int(res))
        ranked = sorted(cell["groups"], key=lambda g: -data[f"pathfinder/{res}/{g}"]["mean"])
        top = data[f"pathfinder/{res}/{ranked[0]}"]
        low = data[f"pathfinder/{res}/{ranked[-1]}"]
        cnn = data.get(f"pathfinder/{res}/cnn")
        findings.append(
            f"Pathfinder {res}x{res}: best {LABELS[ranked[0]]} {top['mean']:.3f} ± {top['std']:.3f}, worst "
            f"{LABELS[ranked[-1]]} {low['mean']:.3f} ± {low['std']:.3f} (chance 0.5)"
            + (f"; CNN {cnn['mean']:.3f} ± {cnn['std']:.3f}" if cnn else "")
        )
        compare_to_pos2d(data, f"pathfinder/{res}", cell["groups"], findings, f"Pathfinder {res}x{res}")
    curves: dict[str, dict[str, Any]] = {}
    for res in resolutions:
        cell = pathfinder_part(s, int(res))
        panel = {}
        for group in cell["groups"]:
            runs = [records["pathfinder", int(res), group, seed] for seed in cell["seeds"]]
            panel[LABELS[group]] = mean_curve([validation(run, "pathfinder") for run in runs])
        if s.get("baselines"):
            runs = [baselines["cnn", "pathfinder", int(res), seed] for seed in cell["seeds"]]
            panel["CNN (outside ASEN)"] = mean_curve([cnn_curve(run) for run in runs])
        curves[f"Pathfinder {res}x{res}"] = panel
    plot = curve_panels(
        curves,
        exp.results_dir / "pathfinder_accuracy.png",
        ylabel="validation accuracy",
        title="mean ± std over seeds; chance = 0.5",
    )
    return pathfinder, plot


if __name__ == "__main__":
    main()
