"""Patch-local groups on images whose patch size need not divide the side (ragged blocks at the border).

These are the spec ``grid(h, w, patch, p)`` of ``asen_fm.symmetry``: rows and columns are cut into runs of
p from the top left, the last run shorter (16 = 5 * 3 + 1, 32 = 10 * 3 + 2); block (i, j) is row run i x
column run j, and the group is the product of the symmetric groups on the blocks, its order in closed form
(prod over blocks of (cells in the block)!). Its node coloring (one color per block) pins it exactly, so
the model uses node-only breaking (``pairs="none"``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from asen_fm.symmetry import PermGroup, named

__all__ = ["patch_blocks", "ragged_patch_group", "ragged_patch_symmetry"]


def patch_blocks(h: int, w: int, p: int) -> list[np.ndarray]:
    """The blocks (sorted node ids r * w + c), row-major over blocks: p x p inside, ragged at the border."""
    for value, what in ((h, "height h"), (w, "width w"), (p, "patch size p")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return named.patch_blocks(int(h), int(w), int(p))


def ragged_patch_group(h: int, w: int, p: int) -> PermGroup:
    """prod over the blocks of :func:`patch_blocks` of S_(block): the spec ``grid(h, w, patch, p)``."""
    patch_blocks(h, w, p)  # argument checks
    return PermGroup.grid(int(h), int(w), "patch", int(p))


def ragged_patch_symmetry(h: int, w: int, p: int) -> dict[str, Any]:
    """A task card / model ``symmetries`` entry: the group as JSON (no spec: none parses yet), node-only.

    ``pairs="none"`` is exact here (the node orbits are the blocks and G is the full product of symmetric
    groups on them), and the pair table would have about (h w / p^2)^2 rows.
    """
    return {"group": str(ragged_patch_group(h, w, p)), "pairs": "none"}
