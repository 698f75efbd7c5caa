"""``asen select --candidates auto`` on intersect (150 training rows), pose and digits, timed: RESULTS.md.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/select_results.py            # all three
    OMP_NUM_THREADS=1 python benchmarks/select_results.py --only pose           # one of them
    python benchmarks/select_results.py --report                                # rewrite the fragment only
    python benchmarks/select_results.py --collect     # store finished selections, then rewrite the fragment

Each selection runs as the shell command a user would type (``asen data build`` first where the task is a
folder); its wall and CPU time are measured around that command. Each finished selection's JSON, timing,
best-constant baseline and plot are kept under ``benchmarks/results/select/``, from which the fragment
``benchmarks/results/select.md`` is written (commands, times, tables, verdicts, plots, and the readings in
``benchmarks/results/select_notes.txt``). A rerun reads finished runs back; the time of the invocation
that trained them is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT = Path("runs/select")
FRAGMENT = REPO / "benchmarks" / "results" / "select.md"
STORED = REPO / "benchmarks" / "results" / "select"  # each selection's JSON, timing, baseline and plot
SMALL = ["--hidden_size", "64", "--intermediate_size", "128", "--lr", "0.002"]  # the experiments' model

SELECTIONS: dict[str, dict[str, list[list[str]] | list[str] | str]] = {
    "intersect": {
        "build": [],
        "select": ["--task", "intersect", "--train_size", "150", "--candidates", "auto", "--seeds", "3",
                   "--max_steps", "350", "--num_layers", "2", *SMALL, "--metric", "sequence_accuracy"],
        "about": "Intersect (n = 10, built in), 150 training rows, the Fig. 3 budget (350 steps).",
    },
    "pose": {
        "build": [["asen", "data", "build", "pose-synthetic", "--train_size", "6000",
                   "--validation_size", "500", "--test_size", "2000", "--seed", "0",
                   "--out", str(ROOT / "data" / "pose")]],
        "select": ["--task", str(ROOT / "data" / "pose"), "--train_size", "2000", "--candidates", "auto",
                   "--seeds", "2", "--max_steps", "200", "--num_layers", "3", "--dropout", "0", *SMALL,
                   "--jobs", "2"],
        "about": "Synthetic 16-joint pose lifting (n = 16; the card's graph: the skeleton, full framework), "
        "the Tab. 1 model (3 layers, no dropout) at a smaller budget than Tab. 1's (2000 of the 6000 "
        "training rows, 200 steps instead of 400, 2 seeds instead of 3: the machine was shared by six jobs).",
    },
    "digits": {
        "build": [["asen", "data", "build", "digits", "--out", str(ROOT / "data" / "digits")]],
        "select": ["--task", str(ROOT / "data" / "digits"), "--candidates", "auto", "--seeds", "2",
                   "--max_steps", "150", "--num_layers", "1", "--hidden_size", "32", "--intermediate_size",
                   "64", "--batch_size", "32", "--lr", "0.003", "--jobs", "2"],
        "about": "scikit-learn's 8 x 8 digits as 64 pixel nodes (1079 training rows) at a deliberately short "
        "budget (a 1-layer, hidden-32 model, 150 steps of batch 32, 2 seeds) that fitted the shared machine "
        "in the time left; issue 13's notes found 150 steps far from converged on digits.",
    },
}  # fmt: skip


def _run(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command's processes: user + system) of one shell command."""
    print("$", shlex.join(argv), flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, cwd=REPO)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_selection(name: str) -> None:
    spec = SELECTIONS[name]
    out = ROOT / name
    for build in spec["build"]:  # type: ignore[union-attr]
        if not (REPO / build[-1] / "task_card.json").is_file():
            _run(list(build))
    command = ["asen", "select", *spec["select"], "--output_dir", str(out)]  # type: ignore[misc]
    seconds, cpu = _run(command)
    report = json.loads((REPO / out / "selection.json").read_text())
    timing_file = REPO / ROOT / f"timing_{name}.json"
    if report["runs"]["trained"] or not timing_file.is_file():
        trained = report["runs"]["trained"]
        timing = {"seconds": seconds, "cpu_seconds": cpu, "trained": trained, "command": shlex.join(command)}
        timing_file.write_text(json.dumps(timing, indent=2) + "\n")
    collect(name)


def collect(name: str) -> None:
    """Keep a finished selection's JSON, timing, constant baseline and plot in benchmarks/results/select."""
    folder = REPO / ROOT / name
    report = json.loads((folder / "selection.json").read_text())
    timing_file = REPO / ROOT / f"timing_{name}.json"
    timing = json.loads(timing_file.read_text()) if timing_file.is_file() else {}
    STORED.mkdir(parents=True, exist_ok=True)
    record = {"selection": report, "timing": timing, "constant_baseline": constant_baseline(report)}
    (STORED / f"{name}.json").write_text(json.dumps(record, indent=2) + "\n")
    shutil.copyfile(folder / "selection.png", STORED / f"{name}.png")


def _cell(stats: dict) -> str:
    values = stats["values"]
    if len(values) < 2:
        return f"{stats['mean']:.4f}"
    return f"{stats['mean']:.4f} ± {stats['std']:.4f} ({len(values)})"


def fragment() -> str:
    lines = [
        "## Symmetry selection: `asen select --candidates auto` (issue 27)",
        "",
        "Generated by `python benchmarks/select_results.py` from the selections' `selection.json`. Each "
        "selection trains every proposed candidate from scratch with 2 or 3 seeds (same data and budget) and "
        "ranks them by the validation metric; *vs best* is the mean ± sd of the per-seed paired difference, "
        "with the two-sided paired t-test's p (2-3 seeds: low power). Times: wall clock and, "
        "where recorded, CPU time (user + system of the command's processes), on the shared 2-core machine "
        "(OMP_NUM_THREADS=1, nice 10; `--jobs` as in the command) while five other helpers' jobs "
        "ran (load average about 10): wall time overstates the cost, CPU time is the better measure.",
        "",
    ]
    for name, spec in SELECTIONS.items():
        path = STORED / f"{name}.json"
        lines += [f"### {name}", "", str(spec["about"]), ""]
        if not path.is_file():
            lines += ["Not run yet.", ""]
            continue
        stored = json.loads(path.read_text())
        report, timing = stored["selection"], stored["timing"]
        builds = [shlex.join(b) for b in spec["build"]]  # type: ignore[union-attr]
        lines += ["```bash", *builds, report["command"], "```", ""]
        if timing:
            lines.append(
                f"Time: {timing['seconds']:.0f} s wall"
                + (f", {timing['cpu_seconds'] / 60:.1f} CPU-minutes" if "cpu_seconds" in timing else "")
                + f" for the `asen select` command ({timing['trained']} runs trained)."
                f" Code: commit {report['code'].get('git_commit')}"
                f"{' (dirty)' if report['code'].get('git_dirty') else ''}."
            )
            lines.append("")
        metric = report["metric"]
        lines += [
            f"| rank | candidate | validation {metric} | test {metric} | vs best | p | status | \\|G\\| | "
            "model's \\|Aut\\| | 2-closed | parameters | step (ms) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in report["candidates"]:
            versus = row["versus_best"]
            diff = "-"
            if versus is not None:
                diff = f"{versus['mean_difference']:+.4f} ± {versus['std_difference']:.4f}"
            p = "-" if versus is None or versus["p"] is None else f"{versus['p']:.3f}"
            lines.append(
                f"| {row['rank']} | `{row['label']}` | {_cell(row['validation'])} | {_cell(row['test'])} "
                f"| {diff} | {p} | {row['status']} | {_order(row['order'])} | "
                f"{_order(row['model_symmetry_order'])} | "
                f"{'yes' if row['two_closed'] else 'no'} | {row['parameters']:,} | "
                f"{1000 * row['median_step_seconds']:.1f} |"
            )
        floor = stored["constant_baseline"]
        lines += [
            "",
            f"Best constant predictor (no model; per-output majority class or training mean), test {metric}: "
            f"{floor:.4f}.",
            "",
            f"**Verdict.** {report['verdict']}",
            "",
        ]
        if (STORED / f"{name}.png").is_file():
            lines += [f"![{name}: metric per candidate](results/select/{name}.png)", ""]
    notes = REPO / "benchmarks" / "results" / "select_notes.txt"
    if notes.is_file():
        lines += [notes.read_text().strip(), ""]
    return "\n".join(lines)


def constant_baseline(report: dict) -> float:
    """The test metric of the best constant: per-output majority class (classification) or training mean."""
    import torch

    from asen_fm.metrics import compute
    from asen_fm.selection.runs import load_selection_task
    from asen_fm.training.data import task_tensors

    f = report["flags"]
    task = load_selection_task(f["task"], f["n"], f["size"], f["data_seed"], f["train_size"])
    splits = task_tensors(task).splits
    train, test = splits["train"]["labels"], splits["test"]["labels"]
    if task.problem_type == "regression":
        constant = train.double().mean(dim=0)
    else:
        constant = torch.mode(train, dim=0).values
    return compute(report["metric"], constant.expand_as(test).to(test.dtype), test)


def _order(text: str) -> str:
    from asen_fm.configuration_asen import format_order

    return format_order(int(text))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=sorted(SELECTIONS), action="append", help="run only these")
    parser.add_argument("--report", action="store_true", help="rewrite the fragment without running")
    parser.add_argument(
        "--collect", action="store_true", help="store the finished selections under runs/select, no training"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    os.chdir(REPO)  # the selections' task folders are relative to the repository
    for name in args.only or list(SELECTIONS):
        if args.collect:
            collect(name)
        elif not args.report:
            run_selection(name)
    FRAGMENT.write_text(fragment())
    print(f"wrote {FRAGMENT}")


if __name__ == "__main__":
    main()
