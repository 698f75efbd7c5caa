"""Example grids of the image tasks as PNGs: ``python -m asen_fm.domains.images.examples OUT_DIR``."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from asen_fm.domains.images.pathfinder import generate_pathfinder
from asen_fm.domains.images.plot import plot_examples

__all__ = ["write_examples"]

PATHFINDER_NAMES = ["different paths", "same path"]


def write_examples(out_dir: str | Path, count: int = 16, seed: int = 0) -> list[Path]:
    """Pathfinder grids (32 x 32 at each level, 16 / 64 / 128 at one level each) and, if scikit-learn is
    installed, the digits; returns the PNG paths."""
    out = Path(out_dir)
    written = []
    cases = [(32, "baseline"), (32, "contour_length_9"), (32, "contour_length_14")]
    cases += [(16, "baseline"), (64, "contour_length_14"), (128, "contour_length_14")]
    for resolution, level in cases:
        batch = generate_pathfinder(count, resolution, level, seed=seed)
        title = f"Pathfinder {resolution}x{resolution}, {level} ({batch.style.dashes} dashes per path)"
        path = out / f"pathfinder{resolution}_{level}.png"
        names = PATHFINDER_NAMES
        written.append(plot_examples(batch.images, batch.labels, path, title=title, label_names=names))
    try:
        from asen_fm.domains.images.digits import load_digits_arrays

        images, labels = load_digits_arrays()
    except ImportError:
        return written
    rows = np.random.default_rng(seed).choice(len(labels), count, replace=False)
    title = "scikit-learn 8x8 digits (values 0..16)"
    written.append(plot_examples(images[rows], labels[rows], out / "digits8x8.png", title=title))
    return written


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m asen_fm.domains.images.examples OUT_DIR")
    for written_path in write_examples(sys.argv[1]):
        print(written_path)
