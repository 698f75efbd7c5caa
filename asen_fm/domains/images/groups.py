"""Patch-local groups whose patch size need not divide the image side (ragged blocks at the border).

``grid(h, w, patch, p)`` needs p | h and p | w. Pathfinder at 16 x 16 or 32 x 32 with 3 x 3 patches does
not divide, so here the rows (and columns) are cut into runs of p from the top (left), the last run
shorter (16 = 5 * 3 + 1, 32 = 10 * 3 + 2); block (i, j) is row run i x column run j, and the group is the
product of the symmetric groups on the blocks: full p x p blocks inside, smaller blocks along the bottom
and right edges, a single fixed pixel at the corner when the remainder is 1.

It is built as a :class:`PermGroup` from generators (a transposition and a full cycle through each block
of 3 or more cells, a transposition for a 2-cell block: they generate S_k on the block) with its order
in closed form, prod over blocks of (cells in the block)!, so nothing needs Schreier-Sims. Its node
coloring (one color per block) pins it exactly, so the model uses node-only breaking (``pairs="none"``).

The spec this should become in ``asen_fm.symmetry``: ``grid(h, w, patch, p)`` accepting sides that p does
not divide, with these ragged last blocks.
"""

from __future__ import annotations

from math import factorial, prod
from typing import Any

import numpy as np

from asen_fm.symmetry import PermGroup

__all__ = ["patch_blocks", "ragged_patch_group", "ragged_patch_symmetry"]


def _runs(side: int, p: int) -> list[np.ndarray]:
    return [np.arange(start, min(start + p, side)) for start in range(0, side, p)]


def patch_blocks(h: int, w: int, p: int) -> list[np.ndarray]:
    """The blocks (sorted node ids r * w + c), row-major over blocks: p x p inside, ragged at the border."""
    for value, what in ((h, "height h"), (w, "width w"), (p, "patch size p")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return [(rows[:, None] * w + cols[None, :]).ravel() for rows in _runs(h, p) for cols in _runs(w, p)]


def _cycle(cells: np.ndarray, n: int) -> np.ndarray:
    perm = np.arange(n, dtype=np.int64)
    perm[cells] = np.roll(cells, -1)
    return perm


def ragged_patch_group(h: int, w: int, p: int) -> PermGroup:
    """prod over the blocks of :func:`patch_blocks` of S_(block): a PermGroup with its order preset."""
    blocks = patch_blocks(h, w, p)
    n = h * w
    gens = []
    for cells in blocks:
        if len(cells) >= 2:
            gens.append(_cycle(cells[:2], n))
        if len(cells) >= 3:
            gens.append(_cycle(cells, n))
    group = PermGroup(n, gens)
    group._order = prod(factorial(len(cells)) for cells in blocks)  # closed form (as block_product does)
    return group


def ragged_patch_symmetry(h: int, w: int, p: int) -> dict[str, Any]:
    """A task card / model ``symmetries`` entry: the group as JSON (no spec: none parses yet), node-only.

    ``pairs="none"`` is exact here (the node orbits are the blocks and G is the full product of symmetric
    groups on them), and the pair table would have about (h w / p^2)^2 rows.
    """
    group = ragged_patch_group(h, w, p)
    return {"group": {"n": group.n, "generators": [g.tolist() for g in group.generators]}, "pairs": "none"}
