"""|Aut(M)| of a color matrix by individualization-refinement, with a stabilizer chain along one path.

The first path of the search tree is computed once: pi_0 = refine(diagonal colors), and
pi_{i+1} = individualize(pi_i, b_i) with b_i the first point of pi_i's target cell, down to a discrete
leaf. Then, deepest level first (as in nauty),

    |Aut_(b_0..b_{i-1})| = |orbit of b_i under Aut_(b_0..b_{i-1})| * |Aut_(b_0..b_i)|.

The orbit is grown from the automorphisms known to fix b_0..b_{i-1}: generators of a known subgroup's
pointwise stabilizers (a stabilizer chain whose base is the path) and automorphisms found so far. A
point w of the target cell outside that orbit is tested by a depth-first search for an automorphism
fixing b_0..b_{i-1} and mapping b_i to w; the search compares each node with the stored path (same
cell sizes) and tries the path's own point first, so automorphisms that move few points are found at
the first leaf. When none exists, every point in w's orbit is skipped as well.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from asen_fm.symmetry.bsgs import StabilizerChain
from asen_fm.symmetry.refine import Refiner, cells_of, first_target_cell

__all__ = ["search_automorphisms"]


def search_automorphisms(
    matrix: np.ndarray, known: Sequence[np.ndarray] = (), known_order: int | None = None
) -> tuple[int, list[np.ndarray]]:
    """(|Aut(M)|, automorphisms found by search) for a square int matrix M (diagonal = point colors).

    ``known``: generators of a group of automorphisms of M with order ``known_order`` (both or
    neither); they only speed the search up. Found automorphisms lie outside the known group.
    """
    return _Search(matrix, list(known), known_order).run()


class _Search:
    def __init__(self, matrix: np.ndarray, known: list[np.ndarray], known_order: int | None) -> None:
        self.matrix = matrix
        self.n = matrix.shape[0]
        self.refiner = Refiner(matrix)
        self.known = known
        self.known_order = known_order
        self.found: list[np.ndarray] = []
        self.found_depth: list[int] = []  # number of leading base points each found one fixes

    def run(self) -> tuple[int, list[np.ndarray]]:
        path = [self.refiner.refine(np.diag(self.matrix).astype(np.int64))]
        base: list[int] = []
        targets: list[int] = []
        while (cell := first_target_cell(path[-1])) is not None:
            targets.append(cell)
            base.append(int(cells_of(path[-1], cell)[0]))
            path.append(self.refiner.individualize(path[-1], base[-1]))
        self.path, self.base, self.targets = path, base, targets
        self.leaf_inverse = np.argsort(path[-1])  # leaf is discrete: color -> point
        self.counts = [np.bincount(c, minlength=self.n) for c in path]
        strong: list[np.ndarray] = []
        depths: list[int] = []
        known_orbits: list[set[int]] = [{b} for b in base]  # b_i's orbit under the known stabilizer
        if self.known and base:
            chain = StabilizerChain(self.n, self.known, int(self.known_order or 0), base_prefix=base)
            strong = chain.strong
            depths = [_fixed_prefix(s, base) for s in strong]
            known_orbits = [set(level) for level in chain.levels[: len(base)]]
        order = 1
        for i in range(len(base) - 1, -1, -1):
            cell = cells_of(path[i], targets[i])
            if known_orbits[i].issuperset(cell.tolist()):  # the known group already fills the cell
                order *= len(cell)
                continue
            gens = [g for g, d in zip(strong, depths, strict=True) if d >= i]
            gens += [g for g, d in zip(self.found, self.found_depth, strict=True) if d >= i]
            labels = _orbit_labels(self.n, gens)
            failed: list[int] = []  # points b_i cannot reach; so is everything in their orbits
            for w in cell[1:]:
                w = int(w)
                if labels[w] == labels[base[i]] or any(labels[w] == labels[f] for f in failed):
                    continue
                automorphism = self.find(i, w)
                if automorphism is None:
                    failed.append(w)
                    continue
                self.found.append(automorphism)
                self.found_depth.append(i)
                gens.append(automorphism)
                labels = _orbit_labels(self.n, gens)
            order *= int(np.count_nonzero(labels == labels[base[i]]))
        return order, self.found

    def find(self, i: int, w: int) -> np.ndarray | None:
        """An automorphism fixing base[:i] and mapping base[i] to w, or None (exhaustive search)."""
        start = self.refiner.individualize(self.path[i], w)
        return self._descend(start, i + 1)

    def _descend(self, col: np.ndarray, depth: int) -> np.ndarray | None:
        if not np.array_equal(np.bincount(col, minlength=self.n), self.counts[depth]):
            return None
        if depth == len(self.base):
            mapping = np.argsort(col)[self.path[-1]]  # leaf point of color c -> point of color c here
            if np.array_equal(self.matrix[np.ix_(mapping, mapping)], self.matrix):
                return mapping
            return None
        cell = cells_of(col, self.targets[depth])
        b = self.base[depth]
        candidates = [b] + [int(x) for x in cell if x != b] if col[b] == self.targets[depth] else cell
        for x in candidates:
            result = self._descend(self.refiner.individualize(col, int(x)), depth + 1)
            if result is not None:
                return result
        return None


def _fixed_prefix(g: np.ndarray, base: list[int]) -> int:
    """Number of leading base points g fixes."""
    for k, b in enumerate(base):
        if g[b] != b:
            return k
    return len(base)


def _orbit_labels(n: int, gens: list[np.ndarray]) -> np.ndarray:
    """Orbit representative (smallest point) of every point under <gens>."""
    parent = np.arange(n)
    if not gens:
        return parent
    while True:
        before = parent.copy()
        for g in gens:
            a, b = parent, parent[g]
            low = np.minimum(a, b)
            np.minimum.at(parent, a, low)
            np.minimum.at(parent, b, low)
        while True:
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt
        if np.array_equal(parent, before):
            return parent
