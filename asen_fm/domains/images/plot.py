"""A PNG grid of example images with their labels (matplotlib's Agg canvas, no global backend change)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["plot_examples"]


def plot_examples(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    path: str | Path,
    columns: int = 8,
    title: str | None = None,
    label_names: Sequence[str] | None = None,
) -> Path:
    """Save ``images`` ([N, h, w], any numeric dtype; grey levels scaled per grid) with labels as a PNG."""
    from matplotlib.figure import Figure

    images = np.asarray(images)
    labels = np.asarray(labels)
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"plot path must end in .png, got {str(path)!r}")
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"images must have shape [N, h, w] with N >= 1, got {images.shape}")
    if labels.shape != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},), got {labels.shape}")
    if columns < 1:
        raise ValueError(f"columns must be >= 1, got {columns}")
    columns = min(columns, len(images))
    rows = -(-len(images) // columns)
    fig = Figure(figsize=(1.4 * columns, 1.55 * rows + (0.4 if title else 0.0)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    vmax = float(images.max()) or 1.0
    for ax, k in zip(axes, range(rows * columns), strict=True):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= len(images):
            ax.set_axis_off()
            continue
        ax.imshow(images[k], cmap="gray", vmin=0.0, vmax=vmax, interpolation="nearest")
        name = label_names[int(labels[k])] if label_names is not None else str(int(labels[k]))
        ax.set_title(name, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path
