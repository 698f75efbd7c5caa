"""Colorings of the points of a color matrix M (n x n ints) and their refinement, for the backtrack.

A coloring is an int64 array ``col`` of dense cell ids 0..c-1. Every function here is an isomorphism
invariant: if p is an automorphism of M mapping coloring a to coloring b (b[p[x]] = a[x]), the refined
colorings again satisfy that relation. That is all the backtrack needs; refinement may be weaker than
the coarsest equitable one (hash collisions merely fail to split a cell), never wrong.

Refinement rounds hash, for every point v, the multiset {(M[v, w], col[w]) : w} (a sum of mixed 64-bit
values, one vectorised pass over the matrix) and split every cell by that hash.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Refiner", "cells_of", "first_target_cell"]

_MIX1 = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
_MIX3 = np.uint64(0x94D049BB133111EB)


def _rank(col: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Dense ids of the tuples (col, *keys), ordered lexicographically (col first)."""
    order = np.lexsort((*reversed(keys), col))
    change = col[order][1:] != col[order][:-1]
    for key in keys:
        change |= key[order][1:] != key[order][:-1]
    ids = np.empty(col.shape[0], dtype=np.int64)
    ids[order] = np.concatenate([[0], np.cumsum(change)])
    return ids


class Refiner:
    """Refinement of colorings against one color matrix (kept as uint64 codes M * n for hashing)."""

    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = matrix
        self.n = matrix.shape[0]
        self.symmetric = bool(np.array_equal(matrix, matrix.T))
        self._codes = matrix.astype(np.uint64) * np.uint64(self.n)
        self._codes_t = self._codes if self.symmetric else np.ascontiguousarray(self._codes.T)

    def _hash(self, codes: np.ndarray, col: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            h = (codes + col.astype(np.uint64)[None, :]) * _MIX1
            h ^= h >> np.uint64(29)
            h *= _MIX2
            h ^= h >> np.uint64(32)
            h *= _MIX3
            return h.sum(axis=1, dtype=np.uint64)

    def refine(self, col: np.ndarray) -> np.ndarray:
        """Split cells by hashed color multisets until the number of cells stops growing."""
        col = _rank(col)
        cells = int(col.max()) + 1
        while cells < self.n:
            keys = [self._hash(self._codes, col)]
            if not self.symmetric:
                keys.append(self._hash(self._codes_t, col))
            new = _rank(col, *keys)
            new_cells = int(new.max()) + 1
            if new_cells == cells:
                return new
            col, cells = new, new_cells
        return col

    def individualize(self, col: np.ndarray, v: int) -> np.ndarray:
        """Give v a cell of its own (ordered just before the rest of its old cell), then refine.

        The first split uses v's row and column exactly; hashing rounds follow.
        """
        marked = 2 * col + 1
        marked[v] -= 1
        keys = [self.matrix[:, v]] if self.symmetric else [self.matrix[:, v], self.matrix[v, :]]
        return self.refine(_rank(marked, *keys))


def first_target_cell(col: np.ndarray) -> int | None:
    """Id of the first non-singleton cell (the target cell), None when the coloring is discrete."""
    counts = np.bincount(col)
    big = np.flatnonzero(counts > 1)
    return int(big[0]) if big.size else None


def cells_of(col: np.ndarray, cell: int) -> np.ndarray:
    """Points of cell ``cell``, ascending."""
    return np.flatnonzero(col == cell)
