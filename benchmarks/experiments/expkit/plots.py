"""Small PNG figures (matplotlib, Agg backend): curves with seed bands, sweeps with error bars, heatmaps."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402

DPI = 90


def _save(fig: Any, path: Path) -> Path:
    """Write the PNG via a temporary file and ``os.replace`` (two processes may finish one experiment)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}.png")
    fig.savefig(tmp, dpi=DPI)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def curve_panels(
    panels: dict[str, dict[str, dict[str, list[float]]]],
    path: Path,
    *,
    ylabel: str,
    title: str = "",
    xlabel: str = "optimizer step",
    log_y: bool = False,
) -> Path:
    """One panel per key; one line per label ``{"steps", "mean", "std"}``, with a +-std band."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.3), squeeze=False)
    for ax, (panel, lines) in zip(axes[0], panels.items(), strict=True):
        for label, curve in lines.items():
            steps, mean, std = (np.asarray(curve[k], dtype=float) for k in ("steps", "mean", "std"))
            ax.plot(steps, mean, label=label)
            ax.fill_between(steps, mean - std, mean + std, alpha=0.2)
        ax.set(title=panel, xlabel=xlabel, ylabel=ylabel)
        if log_y:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def sweep_panels(
    panels: dict[str, dict[str, dict[str, list[float]]]],
    path: Path,
    *,
    xlabel: str,
    ylabel: str,
    title: str = "",
    log_x: bool = True,
    references: dict[str, tuple[str, float]] | None = None,
) -> Path:
    """One panel per key; one line per label ``{"x", "mean", "std"[, "linestyle", "color"]}`` with bars.

    ``references[panel] = (label, y)`` draws a dashed grey horizontal line (e.g. a constant predictor).
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    for ax, (panel, lines) in zip(axes[0], panels.items(), strict=True):
        for label, series in lines.items():
            style = {"ls": series.get("linestyle", "-"), "color": series.get("color")}
            ax.errorbar(
                series["x"], series["mean"], yerr=series["std"], marker="o", capsize=3, label=label, **style
            )
        if references and panel in references:
            name, value = references[panel]
            ax.axhline(value, ls="--", color="grey", lw=1, label=name)
        ax.set(title=panel, xlabel=xlabel, ylabel=ylabel)
        if log_x:
            ax.set_xscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def matrix_panels(
    matrices: dict[str, np.ndarray],
    path: Path,
    *,
    labels: Sequence[str],
    title: str = "",
    cmap: str = "viridis",
) -> Path:
    """Side-by-side heatmaps of square matrices sharing tick ``labels`` (e.g. distances before/after)."""
    fig, axes = plt.subplots(1, len(matrices), figsize=(4.4 * len(matrices), 4.0), squeeze=False)
    for ax, (name, matrix) in zip(axes[0], matrices.items(), strict=True):
        image = ax.imshow(np.asarray(matrix), cmap=cmap)
        ax.set_xticks(range(len(labels)), labels, rotation=60, fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        ax.set_title(name)
        fig.colorbar(image, ax=ax, fraction=0.046)
    if title:
        fig.suptitle(title)
    return _save(fig, path)
