"""Images as node sets (issue 13): which symmetry-breaking input helps on real digits and on Pathfinder.

(a) scikit-learn's 8 x 8 digits at 100, 300 and all (1,078) training rows with seven groups: trivial
(1-D positions: one learned embedding per pixel, node-only), 2-D positions (row + column embeddings),
torus translations and D4 (pair-orbit tables), patch-local 2 x 2 and 4 x 4 (node-only, exact) and S_64
(no positional information at all). (b) Pathfinder (own generator, level ``baseline``) at 16 x 16 and
32 x 32 with 1-D positions, 2-D positions, patch-local 2 x 2 and patch-local 3 x 3 with ragged border
blocks (:mod:`asen_fm.domains.images.groups`). Every run is ``finetune/finetune.py --from_scratch`` on a
task folder whose card carries the symmetry entry; test accuracy, mean ± std over seeds.

    OMP_NUM_THREADS=1 python benchmarks/experiments/images.py --full     # or --smoke

The CPU budget (about 25 minutes on one shared core) is far below the paper's: see the table notes.
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
TITLE = "Images as node sets: digits and Pathfinder (issue 13)"
# The paper summary's Pathfinder-64 test accuracies (its training budget, not ours).
PAPER_PATHFINDER64 = {
    "pos1d": "0.656",
    "pos2d": "0.818",
    "patch2": "0.824 ((S_4)^1024)",
    "patch3": "0.827 ((S_9)^455)",
}
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
    if group == "sym":
        return f"symmetric({n})"
    if group.startswith("patch"):
        p = int(group[len("patch") :])
        if h % p or w % p:
            from asen_fm.domains.images.groups import ragged_patch_symmetry

            return ragged_patch_symmetry(h, w, p)
        return {"group": f"grid({h}, {w}, patch, {p})", "pairs": "none"}
    raise ValueError(f"unknown group {group!r}; known: {', '.join(LABELS)}")


def task_folder(root: Path, name: str, build: Any, group: str, h: int, w: int) -> Path:
    """Build (once) the task folder ``root/data/name-group``: the task with ``group``'s symmetry entry."""
    folder = root / "data" / f"{name}-{group}"
    if not (folder / "task_card.json").exists():
        build().with_group(symmetry_entry(group, h, w)).save(folder)
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

    A part may override model sizes (``model``), ``mixed_precision`` and ``eval_batch_size`` (the GPU run).
    """
    overrides = {key: part.get(key) for key in ("mixed_precision", "eval_batch_size")}
    flags = from_scratch_flags(
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
    return train("finetune", flags, exp.runs_dir / run)


def digits_jobs(s: dict[str, Any]) -> list[tuple[str, Any, str, int]]:
    """(part, rows, group, seed) of the digits grid (none when the settings have no digits part)."""
    d = s.get("digits")
    if not d:
        return []
    return [
        ("digits", rows, group, seed)
        for rows in d["train_rows"]
        for group in d["groups"]
        for seed in d["seeds"]
    ]


def pathfinder_jobs(s: dict[str, Any]) -> list[tuple[str, Any, str, int]]:
    """(part, resolution, group, seed) of the Pathfinder grid (each resolution its own seeds)."""
    p = s["pathfinder"]
    return [
        ("pathfinder", int(res), group, seed)
        for res, cell in p["resolutions"].items()
        for group in p["groups"]
        for seed in cell["seeds"]
    ]


def pathfinder_part(s: dict[str, Any], res: int) -> dict[str, Any]:
    """The Pathfinder settings with the resolution's own overrides (steps, batch, sizes)."""
    p = s["pathfinder"]
    return {**{k: v for k, v in p.items() if k != "resolutions"}, **p["resolutions"][str(res)]}


def run_grid(exp: Experiment) -> dict[tuple[str, Any, str, int], Any]:
    """Train every run of both grids (digits first); return their RunRecords."""
    s = exp.settings
    records = {}
    for part, size, group, seed in progress_bar(
        exp.order(digits_jobs(s) + pathfinder_jobs(s)), desc=NAME, unit="run"
    ):
        if part == "digits":
            tag = "all" if size is None else str(size)
            folder = task_folder(
                exp.runs_dir, f"digits-{tag}-s{seed}", digits_builder(size, seed), group, 8, 8
            )
            records[part, size, group, seed] = run_one(
                exp, s["digits"], folder, "digits", seed, f"digits-{tag}-{group}-s{seed}"
            )
        else:
            cell = pathfinder_part(s, size)
            sizes = {"train": cell["train"], "validation": cell["held_out"], "test": cell["held_out"]}
            build = pathfinder_builder(size, sizes, seed)
            folder = task_folder(exp.runs_dir, f"pathfinder{size}-s{seed}", build, group, size, size)
            records[part, size, group, seed] = run_one(
                exp, cell, folder, "pathfinder", seed, f"pathfinder{size}-{group}-s{seed}"
            )
    return records


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
    s = exp.settings
    data: dict[str, Any] = {}
    findings: list[str] = []
    tables, plots = [], []
    if s.get("digits"):
        tables_digits, plot = digits_report(exp, records, data, findings)
        tables.append(tables_digits)
        plots.append(plot)
    table, plot = pathfinder_report(exp, records, data, findings)
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
        runs=[r.payload for r in records.values()],
    )
    print(f"wrote {path}")


def digits_report(
    exp: Experiment, records: dict, data: dict[str, Any], findings: list[str]
) -> tuple[Table, Path]:
    """The digits table and accuracy-vs-rows plot; fills ``data`` and ``findings``."""
    s = exp.settings
    d = s["digits"]
    sizes = [("all" if r is None else str(r)) for r in d["train_rows"]]
    digits = Table(
        "Digits 8x8: test accuracy (mean ± std over seeds; seed count in brackets)",
        ["group", *[f"{t} train rows" for t in sizes], "parameters", "step s (median)"],
        note=f"{d['max_steps']} steps at batch {d['batch_size']} from scratch, hidden "
        f"{exp.model['hidden_size']}, {exp.model['num_hidden_layers']} layers; the seed is both the split's "
        "and the model's; test = 359 "
        "images. 'all' = 1,078 training rows.",
    )
    sweep: dict[str, dict[str, Any]] = {"digits 8x8": {}}
    for group in d["groups"]:
        cells, means, stds = [], [], []
        for rows, tag in zip(d["train_rows"], sizes, strict=True):
            runs = [records["digits", rows, group, seed] for seed in d["seeds"]]
            summary = summarize([final_metric(r.payload, "digits", "accuracy") for r in runs])
            data[f"digits/{tag}/{group}"] = summary
            cells.append(format_cell(summary))
            means.append(summary["mean"])
            stds.append(summary["std"])
        step = sorted(
            float(records["digits", rows, group, seed].payload["median_step_seconds"])
            for seed in d["seeds"]
            for rows in d["train_rows"]
        )
        digits.add(LABELS[group], *cells, parameters(runs[0]), f"{step[len(step) // 2]:.3f}")
        sweep["digits 8x8"][LABELS[group]] = {
            "x": [1078 if r is None else r for r in d["train_rows"]],
            "mean": means,
            "std": stds,
        }
    for tag in sizes:
        ranked = sorted(d["groups"], key=lambda g: -data[f"digits/{tag}/{g}"]["mean"])
        best, second = data[f"digits/{tag}/{ranked[0]}"], data[f"digits/{tag}/{ranked[1]}"]
        gap = best["mean"] - second["mean"]
        noise = max(best["std"], second["std"])
        verdict = "one seed, no spread" if best["n"] < 2 else ("beyond" if gap > noise else "within")
        findings.append(
            f"digits, {tag} rows: best {LABELS[ranked[0]]} {best['mean']:.3f}, next {LABELS[ranked[1]]} "
            f"{second['mean']:.3f} (gap {gap:+.3f}; {verdict} one std {noise:.3f}); worst "
            f"{LABELS[ranked[-1]]} {data[f'digits/{tag}/{ranked[-1]}']['mean']:.3f}"
        )
    plot = sweep_panels(
        sweep,
        exp.results_dir / "digits_accuracy.png",
        xlabel="training rows",
        ylabel="test accuracy",
        title=f"{d['max_steps']} steps, mean ± std over {len(d['seeds'])} seeds",
    )
    return digits, plot


def pathfinder_report(
    exp: Experiment, records: dict, data: dict[str, Any], findings: list[str]
) -> tuple[Table, Path]:
    """The Pathfinder table (paper summary's Pathfinder-64 beside); fills ``data`` and ``findings``."""
    s = exp.settings
    p = s["pathfinder"]
    pathfinder = Table(
        "Pathfinder (level baseline): test accuracy (mean ± std over seeds; seed count in brackets)",
        [
            "group",
            *[f"{r}x{r}" for r in p["resolutions"]],
            "parameters (per resolution)",
            "step s (per resolution)",
            "paper, 64x64",
        ],
        note="; ".join(
            f"{r}x{r}: {c['max_steps']} steps at batch {c['batch_size']}, {c['train']} training images, "
            f"test {c['held_out']}"
            for r, c in ((r, pathfinder_part(s, int(r))) for r in p["resolutions"])
        )
        + ". The paper summary's Pathfinder-64 accuracies (right column) come from its own training budget, "
        "which the summary does not state; these CPU runs see a few thousand images for tens of steps. "
        "Its (S_9)^455 has 455 * 9 = 4095 points, so its 9-pixel blocks are probably runs of the flattened "
        "sequence; ours are 3 x 3 squares. Chance = 0.5.",
    )
    for group in p["groups"]:
        cells, params, steps = [], [], []
        for res, cell in p["resolutions"].items():
            runs = [records["pathfinder", int(res), group, seed] for seed in cell["seeds"]]
            summary = summarize([final_metric(r.payload, "pathfinder", "accuracy") for r in runs])
            data[f"pathfinder/{res}/{group}"] = summary
            cells.append(format_cell(summary))
            params.append(str(parameters(runs[0])))
            steps.append(f"{float(runs[0].payload['median_step_seconds']):.2f}")
        paper = PAPER_PATHFINDER64.get(group, "-")
        pathfinder.add(LABELS[group], *cells, " / ".join(params), " / ".join(steps), paper)
    for res in p["resolutions"]:
        ranked = sorted(p["groups"], key=lambda g: -data[f"pathfinder/{res}/{g}"]["mean"])
        top = data[f"pathfinder/{res}/{ranked[0]}"]
        low = data[f"pathfinder/{res}/{ranked[-1]}"]
        findings.append(
            f"Pathfinder {res}x{res}: best {LABELS[ranked[0]]} {top['mean']:.3f} ± {top['std']:.3f}, worst "
            f"{LABELS[ranked[-1]]} {low['mean']:.3f} ± {low['std']:.3f} (chance 0.5)"
        )
    curves = {
        f"Pathfinder {res}x{res}": {
            LABELS[group]: mean_curve(
                [
                    metric_curve(
                        records["pathfinder", int(res), group, seed].payload, "pathfinder", "accuracy"
                    )
                    for seed in cell["seeds"]
                ]
            )
            for group in p["groups"]
        }
        for res, cell in p["resolutions"].items()
    }
    plot = curve_panels(
        curves,
        exp.results_dir / "pathfinder_accuracy.png",
        ylabel="validation accuracy",
        title="chance = 0.5",
    )
    return pathfinder, plot


if __name__ == "__main__":
    main()
