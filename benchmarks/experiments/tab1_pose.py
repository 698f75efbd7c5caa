"""Paper Tab. 1: 2-D -> 3-D human pose lifting, 4 symmetry groups x 3 edge frameworks, P-MPJPE / MPJPE in mm.

For every group (I, S_2 = global left/right flip, S_2^2 = arms and legs swapped separately, S_2^6 = each
left/right joint pair on its own), edge framework (full, sparse = skeleton bones only, weakly sparse =
every pair plus an edge flag) and seed, one single-task model is trained from scratch
(``finetune/finetune.py --from_scratch``) with the same model and budget. Every cell keeps G's pair
orbits A^(2) (``"pairs": "orbits"``), as the paper's model has them. The data are the synthetic skeleton
(``asen data build pose-synthetic``); with ``--h36m DIR`` they are Human3.6M from VideoPose3D's files
(``asen data build h36m``), results under ``results/tab1_pose/h36m/``.

    OMP_NUM_THREADS=1 python benchmarks/experiments/tab1_pose.py --full      # or --smoke
    OMP_NUM_THREADS=1 python benchmarks/experiments/tab1_pose.py --full --h36m /path/to/videopose3d/data
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shlex
import sys
from pathlib import Path
from typing import Any

import numpy as np
from expkit.plots import _save, curve_panels, plt
from expkit.report import Clock, Table, write_results
from expkit.runner import common_flags, from_scratch_flags, train
from expkit.settings import Experiment, parse_experiment
from expkit.stats import final_metric, format_cell, mean_curve, metric_curve, summarize

from asen_fm.progress import progress_bar

NAME = "tab1_pose"
TITLE = "Pose lifting: symmetry groups x edge frameworks (paper Tab. 1)"
HEAD = "pose"
GROUP_LABELS = {
    "trivial": "I",
    "skeleton16_flip": "S_2",
    "skeleton16_limbs": "S_2^2",
    "skeleton16_pairs": "S_2^6",
}
FRAMEWORK_LABELS = {"full": "full", "sparse": "sparse", "weakly_sparse": "weakly sparse"}
# Paper Tab. 1 (Human3.6M, GATv2 backbone): P-MPJPE in mm.
PAPER = {
    "trivial": {"full": 34.71, "sparse": 33.39, "weakly_sparse": 34.75},
    "skeleton16_flip": {"full": 39.48, "sparse": 40.52, "weakly_sparse": 38.80},
    "skeleton16_limbs": {"full": 43.24, "sparse": 42.37, "weakly_sparse": 40.67},
    "skeleton16_pairs": {"full": 47.54, "sparse": 49.45, "weakly_sparse": 46.52},
}
DATA_KEYS = ("train_size", "validation_size", "test_size", "noise_px")


# ---------------------------------------------------------------------------------------------- data
def data_digest(settings: dict[str, Any], h36m: Path | None) -> str:
    """Short hash of what the data depend on (sizes, noise, or the Human3.6M folder and stride)."""
    what = (
        {"h36m": str(h36m), "frame_stride": settings.get("h36m_frame_stride")}
        if h36m
        else {k: settings[k] for k in DATA_KEYS}
    )
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:10]


def cell_task_folders(exp: Experiment, h36m: Path | None = None) -> dict[tuple[str, str, int], Path]:
    """A task folder per (group, framework, data seed): one data set per seed, a card per cell.

    A folder that already holds a task card is reused (the folder name carries the data settings' hash).
    """
    from asen_fm.domains.pose.card import pose_task, resolve_group, symmetry_entry

    s = exp.settings
    root = exp.runs_dir / f"data-{data_digest(s, h36m)}"
    seeds = [0] if h36m else s["seeds"]  # Human3.6M is one fixed data set
    folders: dict[tuple[str, str, int], Path] = {}
    for seed in seeds:
        built = None
        for group in s["groups"]:
            for framework in s["frameworks"]:
                folder = root / f"seed{seed}" / f"{group}-{framework}"
                if not (folder / "task_card.json").is_file():
                    if built is None:
                        built = _build_data(s, seed, h36m)
                    data, card = built
                    cell_card = {
                        **card,
                        "symmetry": symmetry_entry(resolve_group(group), framework, "orbits"),
                    }
                    pose_task(data, cell_card).save(folder)
                folders[group, framework, seed] = folder
    return folders


def _build_data(settings: dict[str, Any], seed: int, h36m: Path | None) -> tuple[Any, dict[str, Any]]:
    if h36m is not None:
        from asen_fm.domains.pose.h36m import build_h36m

        return build_h36m(h36m, frame_stride=int(settings["h36m_frame_stride"]))
    from asen_fm.domains.pose.synthetic import build_synthetic_pose

    return build_synthetic_pose(seed=seed, **{k: settings[k] for k in DATA_KEYS})


# ---------------------------------------------------------------------------------------------- runs
def run_grid(exp: Experiment, h36m: Path | None = None) -> dict[tuple[str, str, int], dict[str, Any]]:
    """Train every (group, framework, seed) cell; return the metrics payloads."""
    s = exp.settings
    folders = cell_task_folders(exp, h36m)
    jobs = [(g, f, seed) for g in s["groups"] for f in s["frameworks"] for seed in s["seeds"]]
    payloads = {}
    for group, framework, seed in progress_bar(exp.order(jobs), desc=NAME, unit="run"):
        flags = cell_flags(exp, exp.model, folders[group, framework, 0 if h36m else seed], seed)
        record = train("finetune", flags, exp.runs_dir / f"{group}-{framework}-s{seed}")
        payloads[group, framework, seed] = record.payload
    return payloads


def cell_flags(exp: Experiment, model: dict[str, Any], task_folder: Path, seed: int) -> dict[str, Any]:
    """finetune.py flags of one cell: a fresh ``model`` trained on ``task_folder`` at the grid's budget."""
    return from_scratch_flags(
        model,
        exp.runs_dir,
        **common_flags(exp.optimizer, exp.bookkeeping),
        task=f"{HEAD}={task_folder}",
        seed=seed,
        max_steps=exp.settings["max_steps"],
        eval_every=exp.settings["eval_every"],
        backbone_lr_scale=1.0,
    )


def run_probes(exp: Experiment, h36m: Path | None = None) -> dict[tuple[str, str, int, int], dict[str, Any]]:
    """The depth probes (``settings["probes"]``: group, framework, num_hidden_layers): grid cells again with
    another depth, same data, seeds and budget. Not part of the grid's equal-model comparison."""
    s = exp.settings
    folders = cell_task_folders(exp, h36m)
    jobs = [
        (p["group"], p["framework"], int(p["num_hidden_layers"]), seed)
        for p in s["probes"]
        for seed in s["seeds"]
    ]
    payloads = {}
    for group, framework, layers, seed in progress_bar(exp.order(jobs), desc=f"{NAME} probes", unit="run"):
        if (group, framework, 0 if h36m else seed) not in folders:
            raise ValueError(f"probe {group} / {framework} is not a cell of the grid")
        model = {**exp.model, "num_hidden_layers": layers}
        flags = cell_flags(exp, model, folders[group, framework, 0 if h36m else seed], seed)
        record = train("finetune", flags, exp.runs_dir / f"probe-{group}-{framework}-L{layers}-s{seed}")
        payloads[group, framework, layers, seed] = record.payload
    return payloads


def cell_orders(groups: list[str], frameworks: list[str]) -> dict[tuple[str, str], dict[str, int]]:
    """|G| and the order of the symmetry each cell's breaking input actually has (the model's code)."""
    from asen_fm.domains.pose.frameworks import cell_order
    from asen_fm.domains.pose.skeleton import GROUPS

    return {
        (g, f): {"group_order": GROUPS[g]().order(), "cell_order": cell_order(GROUPS[g](), f)}
        for g in groups
        for f in frameworks
    }


def same_colouring(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Whether two cells give the model the same breaking input up to renaming colours (same partitions)."""
    from asen_fm.domains.pose.frameworks import cell_colouring

    def canonical(cell: tuple[str, str]) -> tuple[Any, ...]:
        nodes, pairs, attend = cell_colouring(*cell)
        parts = []
        for colours in (nodes, pairs):
            flat = np.asarray(colours).ravel()
            _, first = np.unique(flat, return_inverse=True)
            order = {}
            parts.append(tuple(order.setdefault(int(c), len(order)) for c in first))
        parts.append(None if attend is None else tuple(np.asarray(attend).ravel().tolist()))
        return tuple(parts)

    return canonical(a) == canonical(b)


# ---------------------------------------------------------------------------------------------- report
def grid_plot(
    ours: dict[tuple[str, str], dict[str, Any]],
    groups: list[str],
    frameworks: list[str],
    path: Path,
    data_label: str,
) -> Path:
    """Grouped bars (mean ± std over seeds) of ours beside the paper's Tab. 1, P-MPJPE in mm."""
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6), squeeze=False)
    x = np.arange(len(groups))
    width = 0.8 / len(frameworks)
    for ax, (title, source) in zip(
        axes[0], ((f"ours ({data_label})", "ours"), ("paper (Human3.6M, GATv2)", "paper")), strict=True
    ):
        for k, f in enumerate(frameworks):
            if source == "ours":
                mean = [ours[g, f]["mean"] for g in groups]
                std = [ours[g, f]["std"] for g in groups]
            else:
                mean, std = [PAPER[g][f] for g in groups], None
            ax.bar(x + (k - (len(frameworks) - 1) / 2) * width, mean, width, yerr=std, capsize=3,
                   label=FRAMEWORK_LABELS[f])  # fmt: skip
        ax.set_xticks(x, [GROUP_LABELS[g] for g in groups])
        ax.set(title=title, xlabel="group", ylabel="P-MPJPE (mm)")
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=8)
    return _save(fig, path)


def rank_findings(
    ours: dict[tuple[str, str], dict[str, Any]], groups: list[str], frameworks: list[str]
) -> list[str]:
    """Best cell, per-framework group order vs the paper's, and whether the gaps exceed the seed spread."""
    findings = []
    best = min(ours, key=lambda cell: ours[cell]["mean"])
    paper_best = min(((g, f) for g in groups for f in frameworks), key=lambda c: PAPER[c[0]][c[1]])
    findings.append(
        f"lowest P-MPJPE: {GROUP_LABELS[best[0]]} / {FRAMEWORK_LABELS[best[1]]} "
        f"({ours[best]['mean']:.1f} mm); the paper's lowest among these cells: "
        f"{GROUP_LABELS[paper_best[0]]} / {FRAMEWORK_LABELS[paper_best[1]]} "
        f"({PAPER[paper_best[0]][paper_best[1]]})"
    )
    for f in frameworks:
        order = sorted(groups, key=lambda g: ours[g, f]["mean"])
        paper_order = sorted(groups, key=lambda g: PAPER[g][f])
        steps, within = [], []
        for a, b in zip(order, order[1:], strict=False):
            tied = ours[b, f]["values"] == ours[a, f]["values"]
            steps.append(" = " if tied else " < ")
            noisy = ours[b, f]["mean"] - ours[a, f]["mean"] <= ours[a, f]["std"] + ours[b, f]["std"]
            if not tied and noisy and min(ours[a, f]["n"], ours[b, f]["n"]) > 1:
                within.append(f"{GROUP_LABELS[a]} vs {GROUP_LABELS[b]}")
        ranked = GROUP_LABELS[order[0]] + f" {ours[order[0], f]['mean']:.1f}"
        for step, g in zip(steps, order[1:], strict=True):
            ranked += f"{step}{GROUP_LABELS[g]} {ours[g, f]['mean']:.1f}"
        if "=" in "".join(steps):
            same = "identical runs tie where the paper has " + " < ".join(
                GROUP_LABELS[g] for g in paper_order
            )
        elif order == paper_order:
            same = "the paper's order"
        else:
            same = "paper: " + " < ".join(GROUP_LABELS[g] for g in paper_order)
        noise = f"; within the summed seed std: {', '.join(within)}" if within else ""
        findings.append(f"{FRAMEWORK_LABELS[f]}: {ranked} ({same}){noise}")
    if "trivial" in groups and len(groups) > 1:
        wins = [f for f in frameworks if min(groups, key=lambda g: ours[g, f]["mean"]) == "trivial"]
        findings.append(
            f"trivial group lowest in {len(wins)} of {len(frameworks)} frameworks "
            f"(the paper: in all {len(frameworks)})"
        )
    return findings


def twin_findings(
    ours: dict[tuple[str, str], dict[str, Any]], groups: list[str], frameworks: list[str]
) -> list[str]:
    """Cells that give the model the same breaking input (same colour partitions), and their results."""
    classes: list[list[tuple[str, str]]] = []
    for cell in ((g, f) for g in groups for f in frameworks):
        for members in classes:
            if same_colouring(members[0], cell):
                members.append(cell)
                break
        else:
            classes.append([cell])
    findings = []
    for members in (m for m in classes if len(m) > 1):
        names = ", ".join(f"{GROUP_LABELS[g]} / {FRAMEWORK_LABELS[f]}" for g, f in members)
        identical = all(ours[c]["values"] == ours[members[0]]["values"] for c in members)
        outcome = (
            "and the same seeds give bit-identical results"
            if identical
            else "P-MPJPE " + ", ".join(f"{ours[c]['mean']:.1f}" for c in members) + " mm"
        )
        findings.append(f"same breaking input (same colour partitions): {names}; {outcome}")
    return findings


def parse_args(argv: list[str] | None) -> tuple[Path | None, list[str] | None]:
    """Split off ``--h36m DIR`` (this experiment's own flag) from the common experiment flags."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--h36m", type=Path, default=None)
    known, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    return known.h36m, rest


def main(argv: list[str] | None = None) -> None:
    h36m, rest = parse_args(argv)
    exp = parse_experiment(NAME, rest, description=__doc__.split("\n")[0])
    if h36m is not None:
        h36m = h36m.expanduser().resolve()
        exp = dataclasses.replace(
            exp,
            runs_dir=exp.runs_dir / "h36m",
            results_dir=exp.results_dir / "h36m",
            command=f"{exp.command} --h36m {shlex.quote(str(h36m))}",
        )
    clock = Clock()
    payloads = run_grid(exp, h36m)
    probes = run_probes(exp, h36m)
    s = exp.settings
    groups, frameworks, seeds = s["groups"], s["frameworks"], s["seeds"]
    data_label = "Human3.6M" if h36m else "synthetic skeleton"
    scale = 1000.0  # labels in metres -> mm (the task card's metric_scale)
    summary = {
        metric: {
            (g, f): summarize([scale * final_metric(payloads[g, f, seed], HEAD, metric) for seed in seeds])
            for g in groups
            for f in frameworks
        }
        for metric in ("p_mpjpe", "mpjpe")
    }
    orders = cell_orders(groups, frameworks)
    ours_columns = [FRAMEWORK_LABELS[f] for f in frameworks]
    grid = Table(
        f"P-MPJPE (mm) on the {data_label}, mean ± std over seeds (count in brackets), beside the paper's "
        "Tab. 1",
        ["group", *ours_columns, *(f"paper {c}" for c in ours_columns)],
        note=f"Test split ({'subjects S9, S11' if h36m else str(s['test_size']) + ' examples'}); "
        f"{s['max_steps']} steps of "
        f"batch {exp.optimizer['batch_size']}, hidden {exp.model['hidden_size']}, "
        f"{exp.model['num_hidden_layers']} layers; the paper's numbers are Human3.6M with a GATv2 backbone.",
    )  # fmt: skip
    for g in groups:
        grid.add(
            GROUP_LABELS[g],
            *[format_cell(summary["p_mpjpe"][g, f], 1) for f in frameworks],
            *[f"{PAPER[g][f]:.2f}" for f in frameworks],
        )
    cells = Table(
        "Every cell: the symmetry it actually has, P-MPJPE and MPJPE (mm, mean ± std over seeds)",
        ["group", "framework", "|G|", "cell symmetry order", "P-MPJPE", "MPJPE", "paper P-MPJPE"],
        note="cell symmetry order: |Aut| of the model's whole breaking input (node colours, pair colours "
        "and the graph), from asen_fm.symmetry.breaking.symmetry_order; every cell keeps G's pair orbits.",
    )
    data: dict[str, Any] = {}
    for g in groups:
        for f in frameworks:
            cells.add(
                GROUP_LABELS[g],
                FRAMEWORK_LABELS[f],
                orders[g, f]["group_order"],
                orders[g, f]["cell_order"],
                format_cell(summary["p_mpjpe"][g, f], 1),
                format_cell(summary["mpjpe"][g, f], 1),
                f"{PAPER[g][f]:.2f}",
            )
            data[f"{g}/{f}"] = {
                **orders[g, f],
                "p_mpjpe_mm": summary["p_mpjpe"][g, f],
                "mpjpe_mm": summary["mpjpe"][g, f],
                "paper_p_mpjpe_mm": PAPER[g][f],
            }
    findings = rank_findings(summary["p_mpjpe"], groups, frameworks)
    findings += twin_findings(summary["p_mpjpe"], groups, frameworks)
    every_run = [*payloads.values(), *probes.values()]
    commits = sorted({str(p.get("code", {}).get("git_commit")) for p in every_run})
    data["git_commits"] = commits
    data["dirty_runs"] = sum(1 for p in every_run if p.get("code", {}).get("git_dirty"))
    data["source_sha256"] = sorted({str(p.get("code", {}).get("source_sha256")) for p in every_run})
    data["data"] = data_label
    curves = {
        FRAMEWORK_LABELS[f]: {
            GROUP_LABELS[g]: mean_curve(
                [
                    (steps, [scale * v for v in values])
                    for steps, values in (
                        metric_curve(payloads[g, f, seed], HEAD, "p_mpjpe") for seed in seeds
                    )
                ]
            )
            for g in groups
        }
        for f in frameworks
    }
    plots = [
        grid_plot(summary["p_mpjpe"], groups, frameworks, exp.results_dir / "grid_p_mpjpe.png", data_label),
        curve_panels(
            curves,
            exp.results_dir / "curves_p_mpjpe.png",
            ylabel="validation P-MPJPE (mm)",
            title=f"{data_label}, mean ± std over {len(seeds)} seed(s)",
        ),
    ]
    tables = [grid, cells]
    if probes:
        base_layers = exp.model["num_hidden_layers"]
        depth = Table(
            "Depth probe, outside the equal-model grid: the same cells with more layers (mm, mean ± std)",
            ["group", "framework", "layers", "P-MPJPE", "MPJPE", f"grid ({base_layers} layers)"],
            note="Same data, seeds, steps and optimizer as the grid; only num_hidden_layers differs. "
            "Under the sparse framework a layer moves information one bone further; the skeleton is "
            "8 bones from a foot to the opposite wrist.",
        )
        for g, f, layers in dict.fromkeys((g, f, L) for g, f, L, _ in probes):
            cell = {
                m: summarize([scale * final_metric(probes[g, f, layers, seed], HEAD, m) for seed in seeds])
                for m in ("p_mpjpe", "mpjpe")
            }
            data[f"probe/{g}/{f}/L{layers}"] = {"p_mpjpe_mm": cell["p_mpjpe"], "mpjpe_mm": cell["mpjpe"]}
            depth.add(
                GROUP_LABELS[g],
                FRAMEWORK_LABELS[f],
                layers,
                format_cell(cell["p_mpjpe"], 1),
                format_cell(cell["mpjpe"], 1),
                format_cell(summary["p_mpjpe"][g, f], 1),
            )
            base = summary["p_mpjpe"][g, f]
            change = cell["p_mpjpe"]["mean"] - base["mean"]
            noisy = abs(change) <= cell["p_mpjpe"]["std"] + base["std"]
            findings.append(
                f"depth probe {GROUP_LABELS[g]} / {FRAMEWORK_LABELS[f]}: {layers} layers "
                f"{cell['p_mpjpe']['mean']:.1f} mm vs {base_layers} layers {base['mean']:.1f} mm "
                f"({change:+.1f} mm, {'within' if noisy else 'beyond'} the summed seed std)"
            )
        tables.append(depth)
    path = write_results(
        exp,
        title=TITLE,
        clock=clock,
        tables=tables,
        plots=plots,
        findings=findings,
        data=data,
        runs=list(payloads.values()) + list(probes.values()),
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
