"""Does a data-driven prior get ASEN off chance on Pathfinder 16 x 16? (issue 23)

Every ASEN probe trained from scratch stays at chance on Pathfinder 16 x 16 where a small CNN learns it
(``pathfinder_probes.py``). Amos, Berant and Gupta (ICLR 2024, "Never Train from Scratch") report that
transformers trained from scratch on Long Range Arena's Pathfinder are held back by the missing prior, and
that self-pretraining on the task's own training inputs (no labels) closes most of the gap. This probe tests
that with the package's own pretrain-then-finetune path, at the curve run's data and budget:

1. *masked pixels*: the 8,000 training images (and the validation images for its validation split), each
   in ``copies`` copies with a fresh random ``rate`` of its pixels masked (value 0.5, between background
   0 and ink 1); the target is every masked pixel's value (a token head, scored only where masked;
   ``label_mask``). No Pathfinder label is used.
2. ``finetune.py --from_scratch`` on that task (the probe's group and model, ``pretrain_steps`` steps),
3. ``finetune.py --model`` that run on the Pathfinder task (the whole model at the curve run's lr, 1,500
   steps) with ``--reuse_symmetry masked``: the Pathfinder head reads the same learned node and pair-orbit
   embeddings (``fresh_embedder`` probes: the package's default, a new embedder, so only the backbone
   carries over), beside the from-scratch run of the same group and model (``pathfinder_probes.py``).

    OMP_NUM_THREADS=1 python benchmarks/experiments/pathfinder_selfpretrain.py            # every probe
    OMP_NUM_THREADS=1 python benchmarks/experiments/pathfinder_selfpretrain.py torus-max  # some

Runs are cached like every images run (``runs/experiments/full/images/selfpretrain-*``); prints one markdown
row per probe: the masked-pixel accuracy reached, and the Pathfinder validation curve and test accuracy.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import images
import numpy as np
from expkit.probes import commit_text, curve_text, run_probes
from expkit.runner import train

# name -> (group, model overrides, masked-pixel settings)
PROBES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "torus-max": ("torus", {"pooling": "max"}, {"rate": 0.25, "copies": 2, "pretrain_steps": 1500}),
    "pos2d-max": ("pos2d", {"pooling": "max"}, {"rate": 0.25, "copies": 2, "pretrain_steps": 1500}),
    "pos2d-max-pre6000": ("pos2d", {"pooling": "max"}, {"rate": 0.25, "copies": 2, "pretrain_steps": 6000}),
    "torus-max-fresh": (
        "torus",
        {"pooling": "max"},
        {"rate": 0.25, "copies": 2, "pretrain_steps": 1500, "fresh_embedder": True},
    ),
}
MASKED = 0.5  # the value a masked pixel is given (background 0, ink 1)


def masked_split(images_: np.ndarray, rate: float, copies: int, seed: int) -> dict[str, Any]:
    """``copies`` masked copies of ``images_`` [N, n, 1] (n pixels, row-major): features, per-pixel targets
    and the mask."""
    rng = np.random.default_rng(seed)
    stacked = np.concatenate([images_] * copies)
    mask = rng.random(stacked.shape[:2]) < rate
    features = np.where(mask[..., None], MASKED, stacked).astype(np.float32)
    return {
        "node_features": features.tolist(),
        "labels": np.rint(stacked[..., 0]).astype(np.int64).tolist(),
        "scored": mask.tolist(),
    }


def masked_task_folder(exp: images.Experiment, source: Path, group: str, masking: dict[str, Any]) -> Path:
    """Build (once) the masked-pixel task from ``source``'s train and validation images, with ``group``."""
    import datasets

    from asen_fm.tasks import Task

    tag = f"r{masking['rate']}-c{masking['copies']}"
    folder = exp.runs_dir / "data" / f"{source.name}-masked-{tag}-{group}"
    if (folder / "task_card.json").exists():
        return folder
    splits = {}
    for offset, split in enumerate(("train", "validation")):
        data = datasets.load_from_disk(str(source / split)).with_format("numpy", columns=["node_features"])
        pixels = np.asarray(data["node_features"], dtype=np.float32)
        pixels = pixels.reshape(len(pixels), -1, pixels.shape[-1])  # [N, h, w, 1] -> [N, n, 1], row-major
        splits[split] = datasets.Dataset.from_dict(
            masked_split(pixels, masking["rate"], masking["copies"], seed=offset)
        )
    splits["test"] = splits["validation"]
    n = pixels.shape[1]
    side = int(round(n**0.5))
    task = Task.from_dataset(
        datasets.DatasetDict(splits), group=f"trivial({n})", head="token", num_labels=2,
        label_mask="scored", name="masked_pixels",
        description="predict the masked pixels of a Pathfinder image (self-pretraining; no label used)",
    )  # fmt: skip
    return task.with_group(images.symmetry_entry(group, side, side)).save(folder)


def probe(exp: images.Experiment, name: str) -> dict[str, Any]:
    """Self-pretrain (or read back) probe ``name`` and finetune it on Pathfinder; its summary row."""
    group, model, masking = PROBES[name]
    part = {**exp.settings["curves"]["16"], "lr": 0.002, "model": model}
    folder = images.pathfinder_folder(exp, part, 16, part["seed"], group)
    masked = masked_task_folder(exp, folder, group, masking)
    pre_part = {**part, "max_steps": masking["pretrain_steps"]}
    pre = images.run_one(exp, pre_part, masked, "masked", part["seed"], f"selfpretrain-{name}-pre")
    flags = images.run_flags(exp, part, folder, "pathfinder", part["seed"])
    flags = {key: value for key, value in flags.items() if key != "from_scratch"}
    flags["model"] = str(pre.output_dir / "model")
    if not masking.get("fresh_embedder"):
        flags["reuse_symmetry"] = "masked"
    ft = train("finetune", flags, exp.runs_dir / f"selfpretrain-{name}-ft")
    pre_eval = [e for e in pre.payload["eval"] if e["split"] == "validation"]
    evals = [e for e in ft.payload["eval"] if e["split"] == "validation"]
    code = ft.payload["code"]
    return {
        "probe": name,
        "group": group,
        "model": str(model or "mean pooling"),
        "masked-pixel accuracy (validation, last)": f"{pre_eval[-1]['accuracy']:.3f}",
        "Pathfinder validation by step": curve_text(evals),
        "test accuracy": f"{ft.payload['final']['pathfinder']['test']['accuracy']:.3f}",
        "commit": commit_text(code),
    }


def main(argv: list[str]) -> int:
    return run_probes(argv, PROBES, lambda: images.parse(["--full"]), probe)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
