"""Learnability baselines outside ASEN for the image tasks: a small CNN and (digits) logistic regression.

Both read the very task folders the ASEN runs train on (``images.py`` builds them), so the splits are the
same row for row. The CNN sees the ``node_features`` channel (intensity in [0, 1]) as a 1-channel image:
``depth`` blocks of 3 x 3 convolution + ReLU (the width doubling after each of the first ``pools`` 2 x 2
max-pools), a global readout over the map (``mean+max``, the two concatenated, by default; ``mean`` or
``max`` alone for the readout ablation), a linear head; AdamW, cosine decay after
a linear warmup, the step budget and batch of the ASEN runs, validation every ``eval_every`` steps, the
test score of the final model. Logistic regression is scikit-learn's (lbfgs, C chosen on validation from
a small grid) on the 64 pixel values scaled to [0, 1].

    OMP_NUM_THREADS=1 python benchmarks/experiments/image_baselines.py TASK_FOLDER [--model cnn|logreg]
        [--steps 1500] [--batch_size 32] [--lr 0.002] [--width 16] [--depth 3] [--pools 2]
        [--readout mean+max|mean|max] [--seed 0]

prints one JSON line (validation curve and test accuracy). A finished run is cached in ``--cache`` (a JSON
file keyed by its settings and this file's digest), so an interrupted experiment resumes.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import torch
from torch import nn

SOURCE = Path(__file__)


def load_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images float32 [N, h, w] in [0, 1], labels int64 [N]) of one split of a saved task folder."""
    import datasets

    data = datasets.load_from_disk(str(folder / split))
    data = data.with_format("numpy", columns=["node_features", "labels"])
    return np.asarray(data["node_features"], dtype=np.float32)[..., 0], np.asarray(data["labels"])


def splits(folder: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """train / validation / test arrays of ``folder``; ValueError naming the folder if it is not a task."""
    if not (folder / "task_card.json").is_file():
        raise ValueError(f"{folder} is not a task folder (no task_card.json)")
    return {split: load_split(folder, split) for split in ("train", "validation", "test")}


READOUTS = ("mean+max", "mean", "max")
POOLS = {"mean": lambda maps: maps.mean(dim=(2, 3)), "max": lambda maps: maps.amax(dim=(2, 3))}


class SmallCNN(nn.Module):
    """``depth`` blocks of 3 x 3 conv + ReLU, a 2 x 2 max-pool after each of the first ``pools`` blocks (the
    width doubling at each pool), then the ``readout`` over the map (mean and max concatenated, or one of
    them) into a linear head."""

    def __init__(
        self, num_labels: int, width: int = 16, depth: int = 3, pools: int = 2, readout: str = "mean+max"
    ):
        super().__init__()
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
        self.readout_pools = readout.split("+")  # global pools over the map, concatenated in this order
        layers: list[nn.Module] = []
        channels = 1
        for block in range(depth):
            out = width * 2 ** min(block, pools)
            layers += [nn.Conv2d(channels, out, 3, padding=1), nn.ReLU()]
            if block < pools:
                layers.append(nn.MaxPool2d(2))
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(len(self.readout_pools) * channels, num_labels)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        maps = self.features(images[:, None])
        return self.head(torch.cat([POOLS[pool](maps) for pool in self.readout_pools], dim=-1))


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray, batch: int = 512) -> float:
    """Fraction of ``images`` classified as ``labels`` (eval mode, no gradient)."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), batch):
            logits = model(torch.from_numpy(images[start : start + batch]))
            correct += int((logits.argmax(-1).numpy() == labels[start : start + batch]).sum())
    model.train()
    return correct / len(labels)


def train_cnn(
    folder: Path,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    width: int = 16,
    depth: int = 3,
    pools: int = 2,
    warmup: int = 50,
    eval_every: int = 250,
    readout: str = "mean+max",
) -> dict[str, Any]:
    """Train :class:`SmallCNN` on ``folder``'s training split; validation curve, test accuracy, timing."""
    data = splits(folder)
    (x, y), (xv, yv), (xt, yt) = data["train"], data["validation"], data["test"]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SmallCNN(int(max(y.max(), yv.max(), yt.max())) + 1, width, depth, pools, readout)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)

    def rate(step: int) -> float:  # linear warmup, cosine decay to 0.1 of the peak (as the ASEN runs)
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    curve = [{"step": 0, "accuracy": accuracy(model, xv, yv)}]
    order, cursor, started = rng.permutation(len(y)), 0, time.perf_counter()
    for step in range(1, steps + 1):
        if cursor + batch_size > len(order):
            order, cursor = rng.permutation(len(y)), 0
        rows = order[cursor : cursor + batch_size]
        cursor += batch_size
        loss = nn.functional.cross_entropy(model(torch.from_numpy(x[rows])), torch.from_numpy(y[rows]))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if step % eval_every == 0 or step == steps:
            curve.append({"step": step, "accuracy": accuracy(model, xv, yv)})
    seconds = time.perf_counter() - started
    return {
        "model": "cnn",
        "validation": curve,
        "test_accuracy": accuracy(model, xt, yt),
        "parameters": sum(p.numel() for p in model.parameters()),
        "wall_seconds": round(seconds, 2),
        "median_step_seconds": seconds / steps,
    }


def train_logreg(folder: Path, seed: int) -> dict[str, Any]:
    """Logistic regression on the flattened pixels, C chosen on validation from 10^-2 .. 10^2."""
    from sklearn.linear_model import LogisticRegression

    data = splits(folder)
    flat = {split: (images.reshape(len(images), -1), labels) for split, (images, labels) in data.items()}
    started = time.perf_counter()
    best = None
    for c in (0.01, 0.1, 1.0, 10.0, 100.0):
        model = LogisticRegression(C=c, max_iter=5000, random_state=seed).fit(*flat["train"])
        score = model.score(*flat["validation"])
        if best is None or score > best[0]:
            best = (score, c, model)
    assert best is not None
    score, c, model = best
    return {
        "model": "logreg",
        "C": c,
        "validation": [{"step": 0, "accuracy": score}],
        "test_accuracy": float(model.score(*flat["test"])),
        "wall_seconds": round(time.perf_counter() - started, 2),
    }


def source_digest() -> str:
    """SHA-256 of this file: a cached result is reused only if the baseline code is byte for byte the same."""
    return hashlib.sha256(SOURCE.read_bytes()).hexdigest()


def cached_run(cache: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """The result of one baseline run, read from the JSON ``cache`` when it holds it, else computed and added.

    ``settings``: ``folder``, ``model`` (cnn | logreg), ``seed``, and for the CNN ``steps``, ``batch_size``,
    ``lr``, ``width``, ``depth``, ``pools``, ``warmup``, ``eval_every``. The entry records this file's digest
    and the package's code version. Each run holds a lock file while it trains (two processes sharing an
    experiment never train it twice) and the cache is rewritten under a second lock (no entry is lost).
    """
    key = json.dumps({**settings, "source": source_digest()}, sort_keys=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(key.encode()).hexdigest()[:16]
    with open(cache.parent / f".{cache.stem}-{name}.lock", "w") as run_lock:
        fcntl.flock(run_lock, fcntl.LOCK_EX)
        stored = json.loads(cache.read_text()) if cache.is_file() else {}
        if key in stored:
            return stored[key]
        result = run_baseline(settings)
        with open(cache.parent / f".{cache.stem}.lock", "w") as cache_lock:
            fcntl.flock(cache_lock, fcntl.LOCK_EX)
            stored = json.loads(cache.read_text()) if cache.is_file() else {}
            stored[key] = result
            tmp = cache.with_name(f".{cache.name}.tmp-{os.getpid()}")
            tmp.write_text(json.dumps(stored, indent=1) + "\n")
            tmp.replace(cache)  # never a half-written cache
    return result


def run_baseline(settings: dict[str, Any]) -> dict[str, Any]:
    """Train one baseline (see :func:`cached_run`); its result with the settings and code version."""
    args = {k: v for k, v in settings.items() if k not in ("folder", "model")}
    folder = Path(settings["folder"])
    if settings["model"] == "cnn":
        torch.set_num_threads(1)
        result = train_cnn(folder, **args)
    elif settings["model"] == "logreg":
        result = train_logreg(folder, seed=settings["seed"])
    else:
        raise ValueError(f"model must be cnn or logreg, got {settings['model']!r}")
    from asen_fm.training.outputs import code_version

    return {**result, "settings": settings, "code": {**code_version(), "baseline_sha256": source_digest()}}


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad flag as one line on stderr and exits 2 (no usage block)."""

    def error(self, message: str) -> NoReturn:
        print(f"image_baselines.py: {message}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="a task folder (asen data build digits|pathfinder ...)")
    parser.add_argument("--model", choices=("cnn", "logreg"), default="cnn")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--pools", type=int, default=2, help="2 x 2 max-pools (after the first blocks)")
    parser.add_argument(
        "--readout", choices=READOUTS, default="mean+max", help="global pooling before the head"
    )
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--eval_every", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=None, help="JSON file of finished runs (resumes)")
    args = parser.parse_args(argv)
    if not 0 <= args.pools <= args.depth:
        print("image_baselines.py: --pools must lie in 0..--depth", file=sys.stderr)
        return 2
    for name in ("steps", "batch_size", "width", "depth", "eval_every"):
        if getattr(args, name) < 1:
            print(f"image_baselines.py: --{name} must be at least 1", file=sys.stderr)
            return 2
    if not (args.folder / "task_card.json").is_file():
        print(f"image_baselines.py: {args.folder} is not a task folder (no task_card.json)", file=sys.stderr)
        return 2
    settings: dict[str, Any] = {"folder": str(args.folder), "model": args.model, "seed": args.seed}
    if args.model == "cnn":
        settings.update(
            steps=args.steps,
            batch_size=args.batch_size,
            lr=args.lr,
            width=args.width,
            depth=args.depth,
            pools=args.pools,
            readout=args.readout,
            warmup=args.warmup,
            eval_every=args.eval_every,
        )
    cache = args.cache or Path("/tmp") / "asen_image_baselines.json"
    result = cached_run(cache, settings)
    print(json.dumps({k: v for k, v in result.items() if k != "code"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
