"""Paper Fig. 4: can ASEN learn a symmetry that the encoded group lacks?

intersect is invariant under G = S5 x S5 x S2 (swap_halves(10)), but the model is given only G' = S5 x S5.
G' has 6 pair orbits; the swap of halves pairs them up (diagonal A <-> diagonal B, inside A <-> inside B,
A->B <-> B->A). If training discovers the S2, the learned bias rows of partner orbits move together:
partner distance / other distance falls from about 1 (random init) towards 0. Same for the two node orbits.

    OMP_NUM_THREADS=1 python benchmarks/experiments/fig4_discovery.py --full     # or --smoke

Both stages are ``asen select`` calls (``asen_fm.selection.select``) with the one candidate S5 x S5, from
scratch with the experiments' common model and optimizer, data drawn per seed (``vary_data_seed``: data
seed = seed, as before the port); the learned rows are read from each run's saved model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from expkit.plots import matrix_panels
from expkit.report import Clock, Table, write_results
from expkit.settings import Experiment, parse_experiment
from expkit.stats import format_cell, summarize

from asen_fm.selection import select
from asen_fm.selection.runs import HEAD

NAME = "fig4_discovery"
TITLE = "Symmetry discovery: S2 learned on top of an encoded S5 x S5 (paper Fig. 4)"
# One step at this rate moves every weight by at most ~1e-30: the randomly initialised orbit embeddings keep
# their exact float32 values, so the "untrained" run's saved weights are the seed's initialisation.
UNTRAINED_LR = 1e-30


def orbit_layout(group: str) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(pair orbit ids [n, n], a label "(i,j)" per orbit, partner orbit under swapping the two halves)."""
    from asen_fm.symmetry import PermGroup, pair_orbits

    ids = pair_orbits(PermGroup.parse(group))
    n = ids.shape[0]
    swap = (np.arange(n) + n // 2) % n
    count = int(ids.max()) + 1
    labels, partner = [""] * count, np.zeros(count, dtype=int)
    for i in range(n):
        for j in range(n):
            orbit = ids[i, j]
            if not labels[orbit]:
                labels[orbit] = f"({i},{j})"
                partner[orbit] = ids[swap[i], swap[j]]
    return ids, labels, partner


def select_flags(exp: Experiment, **overrides: Any) -> dict[str, Any]:
    """``select`` flags for the experiments' common model and optimizer (checked to be expressible)."""
    from asen_fm.training.scripts import TrainingFlags

    model, optimizer, defaults = exp.model, exp.optimizer, TrainingFlags()
    fixed = {"min_lr_ratio": optimizer["min_lr_ratio"], "max_grad_norm": optimizer["max_grad_norm"]}
    if fixed != {key: getattr(defaults, key) for key in fixed} or model["orbit_bias_scale"] != 10.0:
        raise ValueError(
            f"select trains with the default min_lr_ratio, max_grad_norm and orbit_bias_scale: {fixed}"
        )
    return {
        "vocab_size": model["vocab_size"], "hidden_size": model["hidden_size"],
        "num_layers": model["num_hidden_layers"], "num_heads": model["num_attention_heads"],
        "intermediate_size": model["intermediate_size"], "dropout": model["hidden_dropout_prob"],
        "batch_size": optimizer["batch_size"], "lr": optimizer["lr"],
        "warmup_steps": optimizer["warmup_steps"], "weight_decay": optimizer["weight_decay"],
        "mixed_precision": exp.bookkeeping["mixed_precision"],
        "backbone_lr_scale": 1.0, **overrides,
    }  # fmt: skip


def learned_rows(model_dir: Path, task: str) -> tuple[np.ndarray, np.ndarray]:
    """(pair-orbit bias rows [orbits, layers*heads], node-orbit embedding rows [node orbits, hidden])."""
    from asen_fm import AsenForMultiTask

    model = AsenForMultiTask.from_pretrained(model_dir)
    embedder = model.asen.symmetry_embedders[model.config.tasks[task]["symmetry"]]
    bias = embedder.pair_bias.detach().double()
    if bias.dim() == 3:  # [layers, orbits, heads] -> [orbits, layers * heads]
        bias = bias.permute(1, 0, 2).reshape(bias.shape[1], -1)
    return bias.numpy(), embedder.node_embedding.weight.detach().double().numpy()


def distances(rows: np.ndarray) -> np.ndarray:
    """Euclidean distance matrix between rows."""
    diff = rows[:, None, :] - rows[None, :, :]
    return np.sqrt((diff**2).sum(-1))


def partner_ratio(dist: np.ndarray, partner: np.ndarray) -> float:
    """mean distance to the S2 partner / mean distance to every other orbit (1 = no structure, 0 = tied)."""
    count = len(partner)
    own = [dist[o, partner[o]] for o in range(count) if partner[o] != o]
    rest = [dist[o, p] for o in range(count) for p in range(count) if p not in (o, partner[o])]
    return float(np.mean(own) / np.mean(rest))


def node_gap(nodes: np.ndarray) -> float:
    """|e_A - e_B| / mean(|e_A|, |e_B|) for the two node orbits (0 = the halves look the same)."""
    norms = np.linalg.norm(nodes, axis=1)
    return float(np.linalg.norm(nodes[0] - nodes[1]) / norms.mean())


def main(argv: list[str] | None = None) -> None:
    exp = parse_experiment(NAME, argv, description=__doc__.split("\n")[0])
    clock = Clock()
    s = exp.settings
    task, group = s["task"], s["group"]
    _, labels, partner = orbit_layout(group)
    measures: dict[str, dict[str, list[float]]] = {
        stage: {"pair": [], "node": []} for stage in ("before", "after")
    }
    matrices: dict[str, list[np.ndarray]] = {"before": [], "after": []}
    seeds = list(s["seeds"])
    if seeds != list(range(len(seeds))):
        raise ValueError(f"select numbers seeds 0..k-1; the config has {seeds}")
    data = dict(size=s["size"], data_seed=0, vary_data_seed=True)  # data seed = seed, as the runs always had
    budgets = {"before": dict(lr=UNTRAINED_LR, max_steps=1), "after": dict(max_steps=s["max_steps"])}
    accuracy, used = [], []
    for stage, budget in budgets.items():
        selection = select(
            task, [group], seeds=len(seeds), output_dir=exp.runs_dir / stage, metric="sequence_accuracy",
            reuse_stale=exp.reuse_stale, rerun_stale=not exp.reuse_stale, command=exp.command,
            **select_flags(exp, **data, **budget),
        )  # fmt: skip
        (row,) = selection.rows
        used += selection.run_payloads(row)
        if stage == "after":
            accuracy = row.test
        for folder in selection.run_folders(row):
            pair_rows, node_rows = learned_rows(folder / "model", HEAD)
            dist = distances(pair_rows)
            offdiag = dist[~np.eye(len(dist), dtype=bool)].mean()
            matrices[stage].append(dist / offdiag)
            measures[stage]["pair"].append(partner_ratio(dist, partner))
            measures[stage]["node"].append(node_gap(node_rows))

    table = Table(
        f"{task} with only {group} encoded: is the swap of halves learned? (mean ± std over seeds)",
        ["quantity", "untrained", "trained", "meaning"],
        note="Paper Fig. 4 (heatmaps only): the cross-half quadrants acquire the checkerboard in training. "
        f"Trained test sequence accuracy: {format_cell(summarize(accuracy))}.",
    )
    data: dict[str, Any] = {"orbit_labels": labels, "partner": partner.tolist(),
                            "test_sequence_accuracy": summarize(accuracy)}  # fmt: skip
    for key, meaning in (
        ("pair", "partner-orbit / other-orbit bias distance (1 = no S2 structure, 0 = S2 tied)"),
        ("node", "|e_A - e_B| / mean |e| of the two half embeddings (0 = halves alike)"),
    ):
        cells = {stage: summarize(measures[stage][key]) for stage in measures}
        data[key] = cells
        table.add(f"{key} orbits", format_cell(cells["before"]), format_cell(cells["after"]), meaning)
    before, after = data["pair"]["before"]["mean"], data["pair"]["after"]["mean"]
    findings = [f"pair-orbit partner ratio {before:.3f} untrained -> {after:.3f} trained "
                f"({'S2 structure emerged' if after < before else 'no S2 structure emerged'})"]  # fmt: skip
    order = sorted(range(len(partner)), key=lambda o: (min(o, partner[o]), o))  # S2 partners side by side
    plots = [
        matrix_panels(
            {
                f"{stage} training": np.mean(matrices[stage], axis=0)[np.ix_(order, order)]
                for stage in ("before", "after")
            },
            exp.results_dir / "pair_bias_distances.png",
            labels=[labels[o] for o in order],
            title=f"Distances between pair-orbit bias rows ({group}; normalised, mean over seeds)",
        )
    ]
    path = write_results(
        exp, title=TITLE, clock=clock, tables=[table], plots=plots, findings=findings, data=data, runs=used
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
