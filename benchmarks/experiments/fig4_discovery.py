"""Paper Fig. 4: can ASEN learn a symmetry that the encoded group lacks?

intersect is invariant under G = S5 x S5 x S2 (swap_halves(10)), but the model is given only G' = S5 x S5.
G' has 6 pair orbits; the swap of halves pairs them up (diagonal A <-> diagonal B, inside A <-> inside B,
A->B <-> B->A). If training discovers the S2, the learned bias rows of partner orbits move together:
partner distance / other distance falls from about 1 (random init) towards 0. Same for the two node orbits.

    OMP_NUM_THREADS=1 python benchmarks/experiments/fig4_discovery.py --full     # or --smoke
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from expkit.plots import matrix_panels
from expkit.report import Clock, Table, write_results
from expkit.runner import common_flags, from_scratch_flags, train
from expkit.settings import parse_experiment
from expkit.stats import final_metric, format_cell, summarize

from asen_fm.progress import progress_bar

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
    accuracy, used = [], []
    for seed in progress_bar(exp.order(s["seeds"]), desc=NAME, unit="seed"):
        base = dict(task=task, group=group, size=s["size"], data_seed=seed, seed=seed, backbone_lr_scale=1.0)
        shared = common_flags(exp.optimizer, exp.bookkeeping)
        runs = {
            "before": train(
                "finetune",
                from_scratch_flags(exp.model, exp.runs_dir, **{**shared, "lr": UNTRAINED_LR}, **base,
                                   max_steps=1, eval_every=0),
                exp.runs_dir / f"untrained-s{seed}",
            ),
            "after": train(
                "finetune",
                from_scratch_flags(exp.model, exp.runs_dir, **shared, **base, max_steps=s["max_steps"],
                                   eval_every=s["eval_every"]),
                exp.runs_dir / f"trained-s{seed}",
            ),
        }  # fmt: skip
        accuracy.append(final_metric(runs["after"].payload, task, "sequence_accuracy"))
        used += [record.payload for record in runs.values()]
        for stage, record in runs.items():
            pair_rows, node_rows = learned_rows(record.model_dir, task)
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
