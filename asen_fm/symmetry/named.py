"""Generators (array form) of the named permutation groups; ``PermGroup`` wraps each as a constructor.

Every builder checks its arguments and raises ValueError naming the bad one.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import factorial, prod
from typing import Any

import numpy as np

__all__ = [
    "GRID_KINDS",
    "alternating_generators",
    "block_generators",
    "check_degree",
    "cyclic_generators",
    "dihedral_generators",
    "grid_generators",
    "grid_order",
    "reversal_generators",
    "swap_halves_generators",
    "symmetric_generators",
]

Gens = list[np.ndarray]
GRID_KINDS = ("torus", "d4", "patch")


def check_degree(value: Any, what: str = "n", minimum: int = 1) -> int:
    """``value`` as an int >= minimum, else ValueError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value}")
    return int(value)


def _cycle_on(points: np.ndarray, n: int) -> np.ndarray:
    """The cycle (p0 p1 ... pk) on the given points, identity elsewhere."""
    g = np.arange(n, dtype=np.int64)
    g[points] = np.roll(points, -1)
    return g


def symmetric_generators(
    n: int, offset: int = 0, degree: int | None = None, points: np.ndarray | None = None
) -> Gens:
    """S_n on points offset..offset+n-1 (or on ``points``) of range(degree): a transposition, an n-cycle."""
    degree = n if degree is None else degree
    points = np.arange(offset, offset + n, dtype=np.int64) if points is None else np.asarray(points)
    if n < 2:
        return []
    gens = [_cycle_on(points[:2], degree)]
    if n > 2:
        gens.append(_cycle_on(points, degree))
    return gens


def alternating_generators(n: int) -> Gens:
    """A_n: the 3-cycle (0 1 2) and an even long cycle, (0 ... n-1) for odd n, (1 ... n-1) for even n."""
    if n < 3:
        return []
    gens = [_cycle_on(np.arange(3), n)]
    if n > 3:
        long_cycle = np.arange(n) if n % 2 == 1 else np.arange(1, n)
        gens.append(_cycle_on(long_cycle, n))
    return gens


def cyclic_generators(n: int) -> Gens:
    """C_n: the rotation i -> i + 1 mod n."""
    return [] if n < 2 else [np.roll(np.arange(n, dtype=np.int64), -1)]


def reversal_generators(n: int) -> Gens:
    """The order-2 reversal i -> n - 1 - i."""
    return [] if n < 2 else [np.arange(n - 1, -1, -1, dtype=np.int64)]


def dihedral_generators(n: int) -> Gens:
    """D_n: rotation and reversal."""
    return cyclic_generators(n) + reversal_generators(n)


def block_generators(sizes: Sequence[int]) -> tuple[int, Gens]:
    """S_{n1} x S_{n2} x ... on consecutive blocks; returns (degree, generators)."""
    if isinstance(sizes, (int, np.integer)) or not isinstance(sizes, Sequence) or len(sizes) == 0:
        raise ValueError(f"block sizes must be a non-empty list of positive integers, got {sizes!r}")
    sizes = [check_degree(s, what=f"block size {k}") for k, s in enumerate(sizes)]
    degree = sum(sizes)
    gens: Gens = []
    offset = 0
    for size in sizes:
        gens += symmetric_generators(size, offset=offset, degree=degree)
        offset += size
    return degree, gens


def swap_halves_generators(n: int) -> Gens:
    """S_{n/2} x S_{n/2} x S_2: each half permuted freely, and the two halves swapped."""
    if n % 2:
        raise ValueError(f"swap_halves needs an even n, got {n}")
    half = n // 2
    _, gens = block_generators([half, half])
    return gens + [np.roll(np.arange(n, dtype=np.int64), half)]


def grid_generators(h: int, w: int, kind: str, patch: int | None) -> Gens:
    """Groups on an h x w grid, node r * w + c (row-major).

    torus: translations (r, c) -> (r + 1, c) and (r, c + 1) mod (h, w); d4: the square's rotation by 90
    degrees and its left-right flip (h == w); patch: S_{p*p} inside each p x p patch, where p need not
    divide the sides: rows and columns are cut into runs of p from the top left, the last run shorter
    (a 32 x 32 grid with p = 3 has 10 x 10 full patches, and 3 x 2, 2 x 3 and 2 x 2 blocks at the border).
    """
    rows, cols = np.divmod(np.arange(h * w, dtype=np.int64), w)
    if kind not in GRID_KINDS:
        raise ValueError(f"unknown grid kind {kind!r}; known kinds: {', '.join(GRID_KINDS)}")
    if kind != "patch" and patch is not None:
        raise ValueError(f"grid kind {kind!r} takes no patch size (got {patch!r})")
    if kind == "torus":
        gens = [((rows + 1) % h) * w + cols, rows * w + (cols + 1) % w]
    elif kind == "d4":
        if h != w:
            raise ValueError(f"grid kind 'd4' needs a square grid, got {h} x {w}")
        gens = [cols * w + (h - 1 - rows), rows * w + (w - 1 - cols)]
    else:
        if patch is None:
            raise ValueError("grid kind 'patch' needs a patch size p, e.g. grid(8, 8, patch, 2)")
        gens = []
        for cells in patch_blocks(h, w, check_degree(patch, what="patch size")):
            # S_(block) on each block: a transposition and a full cycle through the block's cells.
            if len(cells) > 1:
                gens += [_cycle_on(cells[:2], h * w)] + ([_cycle_on(cells, h * w)] if len(cells) > 2 else [])
    return [g for g in gens if not np.array_equal(g, np.arange(h * w))]


def patch_blocks(h: int, w: int, p: int) -> list[np.ndarray]:
    """The patches of grid(h, w, patch, p): node ids of each block, blocks row-major, ragged at the border."""

    def runs(side: int) -> list[np.ndarray]:
        return [np.arange(start, min(start + p, side)) for start in range(0, side, p)]

    return [(rows[:, None] * w + cols[None, :]).ravel() for rows in runs(h) for cols in runs(w)]


def grid_order(h: int, w: int, kind: str, patch: int | None) -> int:
    """|G| for :func:`grid_generators` (arguments already checked): hw, 8 (or 1) or prod |block|!."""
    if kind == "torus":
        return h * w
    if kind == "d4":
        return 8 if h > 1 else 1
    return prod(factorial(len(cells)) for cells in patch_blocks(h, w, int(patch)))  # type: ignore[arg-type]
