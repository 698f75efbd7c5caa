"""What does the small CNN need to learn Pathfinder 16 x 16? (issue 23; the CNN side of the ASEN probes)

The CNN of ``image_baselines.py`` learns Pathfinder 16 x 16 (3 conv blocks, two 2 x 2 max-pools, mean and
max readout) where every ASEN transformer probe stays at chance. Each probe here changes one thing of that
CNN (its receptive field, its readout, its budget) on the same 8,000 training images and the ASEN curve
run's budget (1,500 steps unless the probe says otherwise, batch 32, lr 0.002), so the ingredient the
transformer lacks can be named:

    OMP_NUM_THREADS=1 python benchmarks/experiments/pathfinder_cnn_probes.py            # every probe
    OMP_NUM_THREADS=1 python benchmarks/experiments/pathfinder_cnn_probes.py mean-only  # some

Finished probes are cached in the images experiment's ``baselines-probes.json`` (one seed each); prints one
markdown row per probe. A probe's receptive field is the side of the input square one output cell sees.
"""

from __future__ import annotations

import sys
from typing import Any

import image_baselines
import images
from expkit.probes import commit_text, curve_text, run_probes

# name -> changes to the table's CNN (width 16, depth 3, pools 2, readout mean+max)
PROBES: dict[str, dict[str, Any]] = {
    "table-cnn": {},
    "mean-only": {"readout": "mean"},
    "max-only": {"readout": "max"},
    "no-pool-depth3": {"pools": 0},
    "no-pool-depth6": {"pools": 0, "depth": 6},
    "no-pool-depth6-mean": {"pools": 0, "depth": 6, "readout": "mean"},
    "no-pool-depth10": {"pools": 0, "depth": 10},
    "no-pool-depth6-steps6000": {"pools": 0, "depth": 6, "steps": 6000},
    "no-pool-depth3-steps6000": {"pools": 0, "depth": 3, "steps": 6000},
}


def receptive_field(depth: int, pools: int) -> int:
    """Side of the input square that one cell of the last map sees (3 x 3 convs, 2 x 2 pools, stride 2)."""
    field, jump = 1, 1
    for block in range(depth):
        field += 2 * jump
        if block < pools:
            field, jump = field + jump, jump * 2
    return field


def probe(exp: images.Experiment, name: str) -> dict[str, Any]:
    """Train (or read back) CNN probe ``name``; its summary row."""
    part = exp.settings["curves"]["16"]
    folder = images.pathfinder_folder(exp, part, 16, part["seed"], "pos2d")
    cnn = {"width": 16, "depth": 3, "pools": 2, "readout": "mean+max", **PROBES[name]}
    steps = cnn.pop("steps", part["max_steps"])
    settings = {
        "folder": str(folder),
        "model": "cnn",
        "seed": part["seed"],
        "steps": steps,
        "batch_size": part["batch_size"],
        "lr": 0.002,
        "warmup": part["warmup_steps"],
        "eval_every": part["eval_every"],
        **cnn,
    }
    result = image_baselines.cached_run(exp.runs_dir / "baselines-probes.json", settings)
    return {
        "probe": name,
        "depth / pools / readout": f"{cnn['depth']} / {cnn['pools']} / {cnn['readout']}",
        "steps": steps,
        "receptive field": receptive_field(cnn["depth"], cnn["pools"]),
        "validation accuracy by step": curve_text(result["validation"]),
        "test accuracy": f"{result['test_accuracy']:.3f}",
        "parameters": result["parameters"],
        "commit": commit_text(result["code"]),
    }


def main(argv: list[str]) -> int:
    return run_probes(argv, PROBES, lambda: images.parse(["--full"]), probe)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
