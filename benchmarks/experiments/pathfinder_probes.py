"""Why does the ASEN transformer stay at chance on Pathfinder 16 x 16 when a small CNN learns it? (issue 23)

Single-seed probes, each one change against the images experiment's Pathfinder 16 x 16 curve run
(``configs/images.json``, ``full.curves["16"]``: 2-D positions, hidden 64, 2 layers, 8,000 training images,
batch 32, warmup 100, 1,500 steps), trained through ``images.py``'s own cached runs (same task
folders, same flags otherwise), so a finished probe is read back and an interrupted list resumes:

    OMP_NUM_THREADS=1 python benchmarks/experiments/pathfinder_probes.py            # every probe
    OMP_NUM_THREADS=1 python benchmarks/experiments/pathfinder_probes.py lr2e-3 d4  # some

Prints one markdown row per probe: validation accuracy at each evaluation, the mean training loss of the
first and last 100 steps, and the test accuracy. These are probes (one seed, one data set), not table cells.
"""

from __future__ import annotations

import json
import sys
from statistics import mean
from typing import Any

import images
from expkit.probes import commit_text, curve_text, run_probes

# name -> (group, overrides of the curve part; a "model" entry overrides model sizes)
PROBES: dict[str, tuple[str, dict[str, Any]]] = {
    "lr2e-3": ("pos2d", {"lr": 0.002}),
    "layers4": ("pos2d", {"lr": 0.002, "model": {"num_hidden_layers": 4}}),
    "d4": ("d4", {"lr": 0.002}),
    "torus": ("torus", {"lr": 0.002}),
    "patch2": ("patch2", {"lr": 0.002}),
    "lr5e-4": ("pos2d", {"lr": 0.0005, "warmup_steps": 300}),
    "init0.02": ("pos2d", {"lr": 0.002, "model": {"initializer_range": 0.02}}),
    "train1000": ("pos2d", {"lr": 0.002, "train": 1000}),
    "torus-layers4": ("torus", {"lr": 0.002, "model": {"num_hidden_layers": 4}}),
    "sum-pooling": ("pos2d", {"lr": 0.002, "model": {"pooling": "sum"}}),
    "steps4000": ("pos2d", {"lr": 0.002, "max_steps": 4000, "eval_every": 500}),
    # attention only along the grid's 4-neighbour edges (plus self), offsets told apart by the torus's
    # pair orbits: a transformer with a CNN's locality; L layers see L pixels away
    "local-layers4": ("torus-local", {"lr": 0.002, "model": {"num_hidden_layers": 4}}),
    "local-layers8": ("torus-local", {"lr": 0.002, "model": {"num_hidden_layers": 8}}),
    # the CNN learns with a max readout and stays at chance with a mean one (pathfinder_cnn_probes.py)
    "max-pooling": ("pos2d", {"lr": 0.002, "model": {"pooling": "max"}}),
    "max-pooling-layers4": ("pos2d", {"lr": 0.002, "model": {"pooling": "max", "num_hidden_layers": 4}}),
    "max-pooling-torus": ("torus", {"lr": 0.002, "model": {"pooling": "max"}}),
    "local-layers4-max": ("torus-local", {"lr": 0.002, "model": {"num_hidden_layers": 4, "pooling": "max"}}),
    "max-pooling-lr5e-4": ("pos2d", {"lr": 0.0005, "warmup_steps": 300, "model": {"pooling": "max"}}),
    "width128-max": (
        "pos2d",
        {"lr": 0.002, "model": {"hidden_size": 128, "intermediate_size": 256, "pooling": "max"}},
    ),
    "max-pooling-steps6000": (
        "pos2d",
        {"lr": 0.002, "max_steps": 6000, "eval_every": 1000, "model": {"pooling": "max"}},
    ),
    "local-layers8-max": ("torus-local", {"lr": 0.002, "model": {"num_hidden_layers": 8, "pooling": "max"}}),
}


def probe(exp: images.Experiment, name: str) -> dict[str, Any]:
    """Train (or read back) probe ``name``; its summary row."""
    group, overrides = PROBES[name]
    part = {**exp.settings["curves"]["16"], **overrides}
    folder = images.pathfinder_folder(exp, part, 16, part["seed"], group)
    record = images.run_one(exp, part, folder, "pathfinder", part["seed"], f"probe-16-{name}-s{part['seed']}")
    p = record.payload
    losses = [row["loss"] for row in p["train"]]
    evals = [e for e in p["eval"] if e["split"] == "validation"]
    return {
        "probe": name,
        "group": group,
        "overrides": json.dumps(overrides, sort_keys=True),
        "validation accuracy by step": curve_text(evals),
        "train loss first/last 100": f"{mean(losses[:100]):.3f} / {mean(losses[-100:]):.3f}",
        "test accuracy": f"{p['final']['pathfinder']['test']['accuracy']:.3f}",
        "step s": f"{float(p['median_step_seconds']):.3f}",
        "commit": commit_text(p["code"]),
    }


def main(argv: list[str]) -> int:
    return run_probes(argv, PROBES, lambda: images.parse(["--full"]), probe)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
