"""Pathfinder as a task: a ``datasets.DatasetDict`` (train / validation / test) and its card.

The label (are the two dots on one path?) is unchanged by the square's rotations and reflections, and
the generator's distribution is too (uniform directions, uniform placement), so the card's default
symmetry is ``grid(R, R, d4)``; experiments choose their own groups. Torus translations are *not* a
symmetry of the task (wrapping a path across the border changes what the picture shows).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import datasets
import numpy as np
from tqdm.auto import tqdm

from asen_fm.domains.images.common import image_card, image_features, image_split, quantise
from asen_fm.domains.images.pathfinder import generate_pathfinder, iter_pathfinder
from asen_fm.domains.images.pathfinder_style import pathfinder_style

__all__ = ["DEFAULT_SIZES", "pathfinder_task"]

SPLITS = ("train", "validation", "test")
DEFAULT_SIZES = {"train": 8000, "validation": 1000, "test": 1000}
# Splits with more rows are written chunk by chunk to an Arrow file (datasets' cache) instead of being built
# in RAM: Pathfinder-64's 160,000 training images are 5.2 GB as int32 tokens + float32 features.
STREAM_ROWS = 8192


def pathfinder_task(
    resolution: int = 32,
    level: str = "baseline",
    sizes: dict[str, int] | None = None,
    seed: int = 0,
    levels: int = 16,
    node_features: bool = True,
    intensity: tuple[int, int] = (255, 255),
    **style_overrides: float,
) -> tuple[datasets.DatasetDict, dict[str, Any]]:
    """Pathfinder splits (each exactly balanced) and the task card.

    ``sizes`` maps each of train / validation / test to a row count (default 8000 / 1000 / 1000); each
    split is its own stream of the seed, so changing one size leaves the others' rows unchanged.
    ``levels`` is the token vocabulary (intensities quantised into that many equal bins; with the default
    intensity the images use tokens 0 and levels - 1 only). ``node_features`` adds the [h, w, 1] float
    column. ``style_overrides`` go to :func:`generate_pathfinder`. A split of more than ``STREAM_ROWS``
    rows is streamed to disk chunk by chunk (same rows; a progress bar shows the image rate).
    """
    sizes = dict(DEFAULT_SIZES if sizes is None else sizes)
    if sorted(sizes) != sorted(SPLITS):
        raise ValueError(f"sizes must give exactly {list(SPLITS)}, got {sorted(sizes)}")
    splits = {}
    style = pathfinder_style(resolution, level, **style_overrides)
    for stream, split in enumerate(SPLITS):
        if sizes[split] > STREAM_ROWS:
            splits[split] = _streamed_split(
                sizes[split],
                resolution,
                level,
                seed,
                intensity,
                stream,
                levels,
                node_features,
                style_overrides,
            )
            continue
        batch = generate_pathfinder(
            sizes[split], resolution, level, seed, intensity, stream=stream, **style_overrides
        )
        features = (batch.images.astype(np.float32) / 255.0)[..., None] if node_features else None
        splits[split] = image_split(quantise(batch.images, levels), features, batch.labels)
    card = image_card(
        name=f"pathfinder{resolution}_{style.level}",
        shape=(resolution, resolution),
        vocab_size=levels,
        num_labels=2,
        symmetry=f"grid({resolution}, {resolution}, d4)",
        description=(
            f"Pathfinder {resolution}x{resolution}, level {style.level} ({style.dashes} dashes per path): "
            "label 1 iff the two marker dots lie on the same dashed path (Linsley et al. 2018 / LRA), "
            "own generator asen_fm.domains.images.pathfinder; classes balanced per split."
        ),
        resolution=resolution,
        level=style.level,
        seed=int(seed),
        sizes=sizes,
        intensity=list(intensity),
        style=style.to_dict(),
    )
    return datasets.DatasetDict(splits), card


def _streamed_split(
    count: int,
    resolution: int,
    level: str,
    seed: int,
    intensity: tuple[int, int],
    stream: int,
    levels: int,
    node_features: bool,
    style_overrides: dict[str, float],
) -> datasets.Dataset:
    """One split written by ``Dataset.from_generator`` from :func:`iter_pathfinder`'s chunks: the rows of
    the in-memory path, with memory bounded by one chunk (memory-mapped afterwards, cached by its
    arguments in datasets' cache)."""
    return datasets.Dataset.from_generator(
        _pathfinder_rows,
        features=image_features(resolution, resolution, node_features),
        gen_kwargs={
            "count": count,
            "resolution": resolution,
            "level": level,
            "seed": seed,
            "intensity": tuple(intensity),
            "stream": stream,
            "levels": levels,
            "node_features": node_features,
            "style_overrides": dict(style_overrides),
        },
    )


def _pathfinder_rows(
    count: int,
    resolution: int,
    level: str,
    seed: int,
    intensity: tuple[int, int],
    stream: int,
    levels: int,
    node_features: bool,
    style_overrides: dict[str, float],
) -> Iterator[dict[str, Any]]:
    progress = tqdm(total=count, desc=f"pathfinder{resolution} stream {stream}", unit="img")
    for batch in iter_pathfinder(count, resolution, level, seed, intensity, stream=stream, **style_overrides):
        tokens = quantise(batch.images, levels).astype(np.int32)
        pixels = (batch.images.astype(np.float32) / 255.0)[..., None]
        for k in range(len(batch)):
            row = {"input_ids": tokens[k], "labels": int(batch.labels[k])}
            if node_features:
                row["node_features"] = pixels[k]
            yield row
        progress.update(len(batch))
    progress.close()
