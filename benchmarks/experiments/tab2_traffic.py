"""Paper Tab. 2: traffic forecasting on a sensor graph with cluster symmetries, full vs sparse frameworks.

On the built-in synthetic 207-sensor highway (a stand-in for METR-LA: two branches of 130 and 77
sensors in nine segments of the paper's cluster sizes), one model per (group, framework, seed) is trained
from scratch with ``pretrain/pretrain.py`` on a task folder: S_n (the DCRNN row's group: no positional
breaking), the 2- and 9-cluster groups S_{C_1} x ... x S_{C_k}, each fully connected and sparse (road
graph), and the trivial group; plus two non-learned baselines (last value, historical average). Scores:
masked MAE / RMSE (mph) and MAPE (%) on the test split, de-normalised.

The sensors are renumbered so that every cluster is a consecutive block (sensor numbering is arbitrary:
nothing a model can learn changes) and the cluster groups are written ``block_product(...)``, whose order
is known in closed form. A cluster group on arbitrary index sets (``cluster_group``) is stored as group
JSON until the spec parser registers ``clusters([...])``, and every model built from that JSON then runs
Schreier-Sims on degree 207 (about 150 s per build here).

    OMP_NUM_THREADS=1 python benchmarks/experiments/tab2_traffic.py --full     # or --smoke
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from expkit.plots import curve_panels
from expkit.report import Clock, Table, write_results
from expkit.runner import common_flags, pretrain_model_flags, train
from expkit.settings import Experiment, parse_experiment
from expkit.stats import mean_curve, summarize

from asen_fm.progress import progress_bar

NAME = "tab2_traffic"
TITLE = "Traffic forecasting with cluster symmetries (paper Tab. 2)"
TASK = "traffic"
# Paper Tab. 2 (METR-LA, MAE in mph); DCRNN is the S_n row.
PAPER = {
    "C2-full": "2.72",
    "C2-sparse": "2.69",
    "C9-full": "2.79",
    "C9-sparse": "2.77",
    "Sn-sparse": "2.77 (DCRNN)",
}
METRICS = ("mae", "rmse", "mape")


def block_sizes(assignment: list[int]) -> list[int]:
    """Sizes of the runs of equal labels (the clusters, once they are consecutive)."""
    sizes: list[int] = []
    for k, label in enumerate(assignment):
        if k and label == assignment[k - 1]:
            sizes[-1] += 1
        else:
            sizes.append(1)
    return sizes


def prepare_task(settings: dict[str, Any]) -> Any:
    """The synthetic task with its sensors renumbered so that the 9 (and so the 2) clusters are blocks."""
    from asen_fm.domains.traffic.task import permute_sensors, traffic_task

    task = traffic_task(
        "traffic-synthetic",
        days=int(settings["days"]),
        seed=int(settings["data_seed"]),
        num_sensors=int(settings["num_sensors"]),
    )
    clusters = task.extra["clusters"]
    order = np.lexsort((np.asarray(clusters["9"]), np.asarray(clusters["2"])))
    return permute_sensors(task, order)


def config_group(task: Any, group: str) -> Any:
    """The PermGroup of a config: symmetric / trivial on n, or the cluster group "2" / "9" as blocks."""
    from asen_fm.domains.traffic.clusters import cluster_group
    from asen_fm.symmetry import PermGroup

    if group in ("symmetric", "trivial"):
        return PermGroup.parse(f"{group}({task.n})")
    assignment = task.extra["clusters"][group]
    sizes = block_sizes(assignment)
    if len(sizes) != len(set(assignment)):
        raise ValueError(f"the {group}-cluster assignment is not consecutive after renumbering")
    blocks = PermGroup.block_product(sizes)
    same = cluster_group(assignment)  # the same group on these (consecutive) index sets
    assert all(same.contains(g) for g in blocks.generators) and all(
        blocks.contains(g) for g in same.generators
    )
    return blocks


def write_task_folders(exp: Experiment, task: Any) -> dict[str, Path]:
    """One task folder per config (same data, its own symmetry entry with ``pairs`` set explicitly)."""
    from asen_fm.domains.traffic.task import with_traffic_symmetry

    folders = {}
    for config in exp.settings["configs"]:
        variant = with_traffic_symmetry(
            task,
            group=config_group(task, config["group"]),
            framework=config["framework"],
            pairs=config["pairs"],
        )
        folder = exp.runs_dir / "data" / config["name"]
        variant.save(folder)  # milliseconds; replaces an older folder atomically
        folders[config["name"]] = folder
    return folders


def split_arrays(task: Any, split: str) -> dict[str, np.ndarray]:
    """node_features [E, N, 6], labels [E, N], label_mask [E, N], time_index [E] of one split."""
    from asen_fm.tasks.task import column_array

    rows = task.data[split].with_format("numpy")
    out = {name: column_array(rows[name]) for name in ("node_features", "labels", "label_mask")}
    out["labels"] = out["labels"].reshape(out["label_mask"].shape)
    out["time_index"] = np.asarray(task.data[split]["time_index"], dtype=np.int64)
    return out


@torch.no_grad()
def predict(model_dir: Path, features: np.ndarray, batch: int = 256) -> np.ndarray:
    """The trained model's normalised predictions [E, N] for ``features`` [E, N, 6]."""
    from asen_fm import AsenForMultiTask

    model = AsenForMultiTask.from_pretrained(model_dir).eval()
    parts = []
    for start in range(0, len(features), batch):
        x = torch.as_tensor(features[start : start + batch], dtype=torch.float32)
        parts.append(model(node_features=x, task=TASK).logits.reshape(len(x), -1).numpy())
    return np.concatenate(parts)


def baselines(task: Any, test: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Last value and historical average (slot x weekday/weekend of the training targets), in mph."""
    from asen_fm.domains.traffic.baselines import historical_average, last_value, scores_mph
    from asen_fm.domains.traffic.synthetic import START, STEPS_PER_DAY

    train_split = split_arrays(task, "train")
    first_weekday = int((START.astype("datetime64[D]").astype(np.int64) + 3) % 7)  # 1970-01-01: Thursday
    history = historical_average(
        train_split["labels"], train_split["label_mask"], train_split["time_index"], test["time_index"],
        steps_per_day=STEPS_PER_DAY, first_weekday=first_weekday,
    )  # fmt: skip
    norm = task.extra["normalization"]
    return {
        "last value": scores_mph(last_value(test["node_features"]), test["labels"], test["label_mask"], norm),
        "historical average": scores_mph(history, test["labels"], test["label_mask"], norm),
    }


def run_grid(exp: Experiment, folders: dict[str, Path], task: Any) -> dict[tuple[str, int], dict[str, Any]]:
    """Train every (config, seed); score the test split in mph from the saved model's predictions."""
    from asen_fm.domains.traffic.baselines import scores_mph

    s = exp.settings
    test = split_arrays(task, "test")
    norm = task.extra["normalization"]
    jobs = [(config["name"], seed) for config in s["configs"] for seed in s["seeds"]]
    out = {}
    for name, seed in progress_bar(exp.order(jobs), desc=NAME, unit="run"):
        flags = {
            **pretrain_model_flags(exp.model),
            **common_flags(exp.optimizer, exp.bookkeeping),
            "tasks": f"{TASK}={folders[name]}",
            "max_steps": s["max_steps"],
            "eval_every": 0,
            "seed": seed,
            "log_every": max(1, s["max_steps"] // 10),
        }
        record = train("pretrain", flags, exp.runs_dir / f"{name}-s{seed}")
        prediction = predict(record.model_dir, test["node_features"])
        scores = scores_mph(prediction, test["labels"], test["label_mask"], norm)
        # The loop's own masked test MAE (normalised units) must agree with ours after de-normalising.
        loop_mae = float(record.payload["final"][TASK]["test"]["mae"]) * float(norm["std"])
        if abs(loop_mae - scores["mae"]) > 1e-3 * max(1.0, scores["mae"]):
            raise AssertionError(
                f"{name} seed {seed}: loop MAE {loop_mae:.4f} != predicted {scores['mae']:.4f}"
            )
        out[name, seed] = {"payload": record.payload, "scores": scores, "warnings": record.warnings}
    return out


def main(argv: list[str] | None = None) -> None:
    exp = parse_experiment(NAME, argv, description=__doc__.split("\n")[0])
    clock = Clock()
    s = exp.settings
    task = prepare_task(s)
    folders = write_task_folders(exp, task)
    runs = run_grid(exp, folders, task)
    floors = baselines(task, split_arrays(task, "test"))

    configs = {c["name"]: c for c in s["configs"]}
    batch = int(exp.optimizer["batch_size"])
    table = Table(
        f"Test MAE / RMSE (mph) and MAPE (%), masked, mean ± std over seeds (count in brackets), "
        f"{task.n} sensors, {s['max_steps']} steps of batch {batch}",
        ["model", "group", "framework", "pairs", "MAE", "RMSE", "MAPE", "paper MAE (METR-LA)"],
        note="Synthetic stand-in network, not METR-LA: compare rows with each other, not with the paper's "
        "column. Cluster groups are block_product(...) on sensors renumbered so the clusters are "
        "consecutive (the same groups as cluster_group on the original numbering). The sparse framework "
        "attends along road-graph edges; the cluster groups move edges, so there the model is equivariant "
        "to Aut(colors, graph), not to the whole group (the model warns).",
    )
    data: dict[str, Any] = {}
    throughput: dict[str, dict[str, float]] = {}
    curves: dict[str, dict[str, list[float]]] = {}
    for name, config in configs.items():
        cell = {m: summarize([runs[name, seed]["scores"][m] for seed in s["seeds"]]) for m in METRICS}
        data[name] = {**cell, "warnings": runs[name, s["seeds"][0]]["warnings"]}
        payloads = [runs[name, seed]["payload"] for seed in s["seeds"]]
        sps = float(np.mean([p["steps_per_second"] for p in payloads]))
        throughput[name] = {"steps_per_second": sps, "examples_per_second": sps * batch}
        group = str(payloads[0]["tasks"][TASK]["group"])
        table.add(
            name, group if len(group) <= 48 else group[:45] + "...", config["framework"], config["pairs"],
            *(_cell(cell[m]) for m in METRICS), PAPER.get(name, "-"),
        )  # fmt: skip
        steps = [int(r["step"]) for r in payloads[0]["train"]]
        losses = [[float(r["loss"]) for r in p["train"]] for p in payloads]
        curves[name] = mean_curve([(steps, loss) for loss in losses])
    for name, scores in floors.items():
        table.add(name, "-", "-", "-", *(f"{scores[m]:.3f}" for m in METRICS), "-")
        data[name] = scores
    speed = Table(
        f"Training throughput at n = {task.n} (one CPU core, hidden {exp.model['hidden_size']}, "
        f"{exp.model['num_hidden_layers']} layers, batch {batch}; mean over seeds)",
        ["model", "steps/s", "examples/s"],
        note="From pretrain.py's metrics.json (steps_per_second, training steps only, no evaluation).",
    )
    for name, value in throughput.items():
        speed.add(name, f"{value['steps_per_second']:.2f}", f"{value['examples_per_second']:.1f}")
    data["throughput"] = throughput
    data["normalization"] = task.extra["normalization"]
    data["split_sizes"] = {split: len(rows) for split, rows in task.data.items()}

    best = min(configs, key=lambda name: data[name]["mae"]["mean"])
    findings = [f"lowest learned test MAE: {best} ({_cell(data[best]['mae'])} mph)"]
    for name in configs:
        if name.startswith("C"):
            for ref in ("Sn-" + name.split("-")[1], "trivial-full"):
                if ref in configs:
                    findings.append(_compare(data, name, ref))
    ha = floors["historical average"]["mae"]
    findings.append(
        f"historical average {ha:.3f} mph vs best learned {data[best]['mae']['mean']:.3f} mph: "
        + ("the learned model is lower" if data[best]["mae"]["mean"] < ha else "the baseline is lower")
    )
    plots = [
        curve_panels(
            {"training loss (L1, normalised)": curves},
            exp.results_dir / "train_loss.png",
            ylabel="L1 (normalised speed)",
            title=f"mean ± std over {len(s['seeds'])} seed(s)",
        )
    ]
    path = write_results(
        exp, title=TITLE, clock=clock, tables=[table, speed], plots=plots, findings=findings, data=data,
        runs=[run["payload"] for run in runs.values()],
    )  # fmt: skip
    print(f"wrote {path}")


def _cell(summary: dict[str, Any]) -> str:
    from expkit.stats import format_cell

    return format_cell(summary, digits=3)


def _compare(data: dict[str, Any], name: str, ref: str) -> str:
    """'A vs B: difference d mph, seed spreads s1 / s2 (within noise | lower | higher)'."""
    a, b = data[name]["mae"], data[ref]["mae"]
    diff = a["mean"] - b["mean"]
    noise = max(a["std"], b["std"])
    verdict = "within the seed spread" if abs(diff) <= noise else ("lower" if diff < 0 else "higher")
    return f"{name} − {ref}: {diff:+.3f} mph MAE (larger seed std {noise:.3f}): {name} {verdict}"


if __name__ == "__main__":
    main()
