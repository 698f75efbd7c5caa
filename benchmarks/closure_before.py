"""The 2-closure as computed before issue 18: a frozen copy for the before column of orbits.py.

|G^(2)| = |Aut(A^(2))| by partition backtracking, compared with |G|.

A^(2) colors the complete digraph on range(n) (its diagonal carries A^(1)); a permutation p is an
automorphism iff A^(2)[p[i], p[j]] = A^(2)[i, j] for all i, j. The automorphism group's order comes
from a stabilizer chain found by individualization-refinement:

    |Aut_pi| = |orbit of v under Aut_pi| * |Aut_(pi, v)|,

where pi is an equitable coloring, v the first point of its first non-singleton cell, and Aut_(pi, v)
the stabilizer, recursively. Orbits are grown from the generators of G's pointwise stabilizers
(G <= G^(2); a stabilizer chain of G whose base is the search's leftmost path, see ``bsgs.py``) plus
automorphisms found by search; a point of the cell outside the orbit found so far is tested by a
backtrack search for an automorphism mapping v to it. Every automorphism found that way fixes the
points individualized so far without lying in G's stabilizer of them, so it lies outside G.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from asen_fm.orbit_coloring import node_orbits, pair_orbits
from asen_fm.symmetry.bsgs import StabilizerChain
from asen_fm.symmetry.groups import PermGroup

__all__ = ["automorphism_group_order", "two_closure_before"]


def two_closure_before(group: PermGroup) -> tuple[int, int]:
    """(|G|, |G^(2)|) the way the package computed them before issue 18: |G| by SymPy's Schreier-Sims
    (closed form for named groups), |G^(2)| by the backtrack below."""
    order = group._order if group._order is not None else int(group.sympy.order())
    closure_order, _ = automorphism_group_order(pair_orbits(group), known=group, known_order=order)
    return order, closure_order


def automorphism_group_order(
    colors: Any, known: PermGroup | None = None, known_order: int | None = None
) -> tuple[int, list[np.ndarray]]:
    """|Aut(C)| for an n x n color matrix C (diagonal = vertex colors) and automorphisms found by search.

    ``known``, a group of automorphisms of C (its generators are checked), only speeds the search up.
    """
    matrix = np.asarray(colors)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"colors must be a square matrix, got shape {matrix.shape}")
    if not np.issubdtype(matrix.dtype, np.integer):
        raise ValueError(f"colors must be integers, got dtype {matrix.dtype}")
    matrix = matrix.astype(np.int64)
    n = matrix.shape[0]
    if known is not None and known.n != n:
        raise ValueError(f"known group has degree {known.n}, the color matrix has {n} points")
    for k, g in enumerate(known.generators if known is not None else ()):
        if not np.array_equal(matrix[np.ix_(g, g)], matrix):
            raise ValueError(f"generator {k} of the known group is not an automorphism of the colors")
    search = _Search(matrix, known, known_order)
    root = search.refine(np.diag(matrix).copy())
    search.prepare_known(root)
    order = search.stabilizer_order(root, prefix=[])
    return order, search.found


class _Search:
    """Individualization-refinement over one color matrix."""

    def __init__(self, matrix: np.ndarray, known: PermGroup | None, known_order: int | None) -> None:
        self.known_order = known_order
        self.matrix = matrix
        self.n = matrix.shape[0]
        self.known = known
        self.found: list[np.ndarray] = []
        self.strong: list[np.ndarray] = []  # strong generators of ``known`` relative to the search base

    def prepare_known(self, root: np.ndarray) -> None:
        """A BSGS of the known group whose base starts with the points the search individualizes.

        The search fixes the points of its leftmost path one by one, so with that base the strong
        generators fixing the first k of them generate the known group's pointwise stabilizer.
        """
        if self.known is None or not self.known.generators:
            return
        base, colors = [], root
        while (cell := self.target_cell(colors)) is not None:
            base.append(int(cell[0]))
            colors = self.individualize(colors, base[-1])
        chain = StabilizerChain(self.n, self.known.generators, self.known_order or 1, base_prefix=base)
        self.strong = chain.strong

    # ------------------------------------------------------------------ colorings
    def refine(self, colors: np.ndarray) -> np.ndarray:
        """Coarsest equitable refinement: split cells by the multiset {(C[i, j], color[j]) : j}.

        New colors are lexicographic ranks of (old color, sorted signature), an isomorphism invariant.
        """
        colors = np.unique(colors, return_inverse=True)[1].ravel()
        cells = int(colors.max()) + 1
        while True:
            codes = self.matrix * (int(colors.max()) + 1) + colors[None, :]
            rows = np.concatenate([colors[:, None], np.sort(codes, axis=1)], axis=1)
            new = np.unique(rows, axis=0, return_inverse=True)[1].ravel()
            new_cells = int(new.max()) + 1
            if new_cells == cells:
                return new
            colors, cells = new, new_cells

    def individualize(self, colors: np.ndarray, v: int) -> np.ndarray:
        """Give v a color of its own, then refine."""
        marked = 2 * colors
        marked[v] += 1
        return self.refine(marked)

    @staticmethod
    def target_cell(colors: np.ndarray) -> np.ndarray | None:
        """Points of the first non-singleton cell (by color), or None when the coloring is discrete."""
        counts = np.bincount(colors)
        big = np.flatnonzero(counts > 1)
        if big.size == 0:
            return None
        return np.flatnonzero(colors == big[0])

    # ------------------------------------------------------------------ stabilizer chain
    def stabilizer_order(self, colors: np.ndarray, prefix: list[int]) -> int:
        """|Aut_pi| for the equitable coloring pi = colors, whose singletons include ``prefix``."""
        cell = self.target_cell(colors)
        if cell is None:
            return 1
        v = int(cell[0])
        orbit = self.orbit_of(v, prefix)
        for w in cell[1:]:
            if orbit[w]:
                continue
            automorphism = self.find_mapping(colors, v, int(w))
            if automorphism is not None:
                self.found.append(automorphism)
                orbit = self.orbit_of(v, prefix)
        size = int(orbit.sum())
        return size * self.stabilizer_order(self.individualize(colors, v), prefix + [v])

    def orbit_of(self, v: int, prefix: list[int]) -> np.ndarray:
        """Mask of v's orbit under known automorphisms that fix every point of ``prefix``."""
        points = np.asarray(prefix, dtype=np.int64)
        gens = [g for g in self.found + self.strong if np.array_equal(g[points], points)]
        ids = node_orbits((self.n, gens))
        return ids == ids[v]

    # ------------------------------------------------------------------ backtrack for one mapping
    def find_mapping(self, colors: np.ndarray, v: int, w: int) -> np.ndarray | None:
        """An automorphism preserving ``colors`` that maps v to w, or None if there is none."""
        path = [self.individualize(colors, v)]
        while (cell := self.target_cell(path[-1])) is not None:
            path.append(self.individualize(path[-1], int(cell[0])))
        leaf = path[-1]
        start = self.individualize(colors, w)
        return self._descend(start, path, 0, leaf)

    def _descend(self, node: np.ndarray, path: list[np.ndarray], depth: int, leaf: np.ndarray) -> Any:
        if not np.array_equal(np.bincount(node), np.bincount(path[depth])):
            return None
        cell = self.target_cell(node)
        if cell is None:
            mapping = np.argsort(node)[leaf]  # point of color c on the first leaf -> point of color c here
            if np.array_equal(self.matrix[np.ix_(mapping, mapping)], self.matrix):
                return mapping
            return None
        for x in cell:
            result = self._descend(self.individualize(node, int(x)), path, depth + 1, leaf)
            if result is not None:
                return result
        return None
