"""Shared pieces of the image tasks: quantisation, image-shaped ``datasets`` splits, the task card.

Columns of every split: ``input_ids`` int32 [h, w] (token per pixel, ``0 .. vocab_size - 1``),
``node_features`` float32 [h, w, 1] (intensity in [0, 1]) and ``labels`` int64. Pixel (r, c) is node
``r * w + c`` of the ``grid(h, w, ...)`` groups (row-major), so ``input_ids.reshape(-1)`` is the sequence.
"""

from __future__ import annotations

from typing import Any

import datasets
import numpy as np

__all__ = ["image_card", "image_split", "quantise"]


def quantise(pixels: np.ndarray, levels: int) -> np.ndarray:
    """uint8 intensities 0..255 -> tokens 0..levels-1 (equal-width bins: ``pixel * levels // 256``)."""
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or not 2 <= levels <= 256:
        raise ValueError(f"levels must be an integer in 2..256, got {levels!r}")
    if pixels.dtype != np.uint8:
        raise ValueError(f"pixels must be uint8 (0..255), got dtype {pixels.dtype}")
    return (pixels.astype(np.int32) * int(levels)) // 256


def image_split(
    input_ids: np.ndarray,
    node_features: np.ndarray | None,
    labels: np.ndarray,
    extra: dict[str, np.ndarray] | None = None,
) -> datasets.Dataset:
    """A ``datasets.Dataset`` with image-shaped columns (module docstring); ``extra`` adds 1-D columns."""
    count, h, w = input_ids.shape
    if labels.shape != (count,):
        raise ValueError(f"labels must have shape ({count},), got {labels.shape}")
    columns: dict[str, Any] = {"input_ids": input_ids.astype(np.int32)}
    if node_features is not None:
        if node_features.shape != (count, h, w, 1):
            raise ValueError(f"node_features must have shape {(count, h, w, 1)}, got {node_features.shape}")
        columns["node_features"] = node_features.astype(np.float32)
    columns["labels"] = labels.astype(np.int64)
    for name, values in (extra or {}).items():
        columns[name] = np.asarray(values)
    extra_types = {name: str(columns[name].dtype) for name in extra or {}}
    return datasets.Dataset.from_dict(
        columns, features=image_features(h, w, node_features is not None, extra_types)
    )


def image_features(
    h: int, w: int, node_features: bool, extra: dict[str, str] | None = None
) -> datasets.Features:
    """The columns of :func:`image_split`: input_ids [h, w] int32, node_features [h, w, 1] float32 (when
    asked for), labels int64, and ``extra`` 1-D columns by dtype name."""
    features: dict[str, Any] = {"input_ids": datasets.Array2D(shape=(h, w), dtype="int32")}
    if node_features:
        features["node_features"] = datasets.Array3D(shape=(h, w, 1), dtype="float32")
    features["labels"] = datasets.Value("int64")
    features.update({name: datasets.Value(dtype) for name, dtype in (extra or {}).items()})
    return datasets.Features(features)


def image_card(
    name: str,
    shape: tuple[int, int],
    vocab_size: int,
    num_labels: int,
    symmetry: str,
    description: str,
    **extra: Any,
) -> dict[str, Any]:
    """A JSON-plain task card for an invariant (sequence-head) image classification task."""
    h, w = shape
    return {
        "name": name,
        "symmetry": symmetry,
        "head": "sequence",
        "num_labels": int(num_labels),
        "problem_type": "single_label_classification",
        "loss": "ce",
        "metrics": ["accuracy"],
        "description": description,
        "image_shape": [int(h), int(w)],
        "n": int(h * w),
        "vocab_size": int(vocab_size),
        "input_dim": 1,
        **extra,
    }
