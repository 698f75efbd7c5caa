"""Collapsing twin point classes of a color matrix before the automorphism search.

Two point classes A and B (equal diagonal colors) are twins when some color of the block C[A, B]
appears exactly once in every row and every column: it is the graph of a bijection phi: A -> B, and
every automorphism p satisfies p(phi(a)) = phi(p(a)) (p preserves classes and colors). So B carries no
freedom of its own: deleting B and recording, for the points x, y left, the whole block
C[fiber(x), fiber(y)] (fiber(a) = (a, phi_1(a), ..., phi_r(a)) on A, (x) elsewhere) as one new color
gives a smaller matrix whose automorphisms are exactly the restrictions of those of C. For an orbit
coloring, twins are orbits on which G acts as on an earlier one (G on several copies of its points).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Collapsed", "collapse_twins"]


@dataclass
class Collapsed:
    """The reduced matrix on the points ``kept`` (original indices, ascending) and the bijections
    removed, in order: each (a_points, b_points) means p(b_points[i]) = phi(p(a_points[i]))."""

    n: int
    matrix: np.ndarray
    kept: np.ndarray
    links: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def lift(self, perm: np.ndarray) -> np.ndarray:
        """The automorphism of the full matrix restricting to ``perm`` (indices into ``kept``)."""
        full = np.arange(self.n, dtype=np.int64)
        full[self.kept] = self.kept[np.asarray(perm)]
        for a_points, b_points in reversed(self.links):
            phi = np.full(self.n, -1, dtype=np.int64)
            phi[a_points] = b_points
            full[b_points] = phi[full[a_points]]
        return full

    def restrict(self, perm: np.ndarray) -> np.ndarray:
        """An automorphism of the full matrix as a permutation of ``kept`` (indices into ``kept``)."""
        index = np.full(self.n, -1, dtype=np.int64)
        index[self.kept] = np.arange(self.kept.size)
        return index[np.asarray(perm)[self.kept]]


def collapse_twins(matrix: np.ndarray) -> Collapsed:
    """Remove twin classes (see the module docstring) until none is left."""
    n = matrix.shape[0]
    out = Collapsed(n=n, matrix=matrix, kept=np.arange(n, dtype=np.int64))
    while True:
        found = _first_twins(out.matrix)
        if found is None:
            return out
        a_points, twins = found
        for b_points in twins:
            out.links.append((out.kept[a_points], out.kept[b_points]))
        out.matrix, keep = _merge(out.matrix, a_points, twins)
        out.kept = out.kept[keep]


def _first_twins(matrix: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]] | None:
    """(A, [phi_1(A), phi_2(A), ...]) for the first class A with twins, points in matching order."""
    classes = np.unique(np.diag(matrix), return_inverse=True)[1].ravel()
    members = [np.flatnonzero(classes == c) for c in range(int(classes.max()) + 1)]
    by_size: dict[int, list[int]] = {}
    for c, points in enumerate(members):
        if points.size >= 2:
            by_size.setdefault(points.size, []).append(c)
    for group in by_size.values():
        for i, c in enumerate(group):
            a_points = members[c]
            twins = [
                img for d in group[i + 1 :] if (img := _bijection(matrix, a_points, members[d])) is not None
            ]
            if twins:
                return a_points, twins
    return None


def _bijection(matrix: np.ndarray, a_points: np.ndarray, b_points: np.ndarray) -> np.ndarray | None:
    """phi(A) as an array aligned with A, for the first color of C[A, B] that is a bijection's graph."""
    block = matrix[np.ix_(a_points, b_points)]
    values, counts = np.unique(block, return_counts=True)
    for value in values[counts == a_points.size]:
        mask = block == value
        if np.all(mask.sum(axis=1) == 1) and np.all(mask.sum(axis=0) == 1):
            return b_points[mask.argmax(axis=1)]
    return None


def _merge(
    matrix: np.ndarray, a_points: np.ndarray, twins: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The matrix without the twins' points, each entry coding the block between the two fibers."""
    n = matrix.shape[0]
    removed = np.concatenate(twins)
    keep = np.setdiff1d(np.arange(n), removed)
    fibers = np.stack([a_points, *twins], axis=1)  # (|A|, r + 1)
    in_a = np.isin(keep, a_points)
    a_keep = np.flatnonzero(in_a)  # positions in keep of A's points
    rest_keep = np.flatnonzero(~in_a)
    fiber_of = {int(a): row for a, row in zip(a_points, fibers, strict=True)}
    a_fibers = np.stack([fiber_of[int(keep[k])] for k in a_keep])  # rows in keep order
    rest = keep[rest_keep]
    out = np.empty((keep.size, keep.size), dtype=np.int64)
    offset = 0

    def put(rows: np.ndarray, cols: np.ndarray, entries: np.ndarray) -> None:
        nonlocal offset
        if entries.size == 0:
            return
        flat = entries.reshape(rows.size * cols.size, -1)
        ids = np.unique(flat, axis=0, return_inverse=True)[1].ravel()
        out[np.ix_(rows, cols)] = (ids + offset).reshape(rows.size, cols.size)
        offset += int(ids.max()) + 1

    aa = matrix[a_fibers[:, None, :, None], a_fibers[None, :, None, :]]  # (s, s, r+1, r+1)
    put(a_keep, a_keep, aa)
    put(a_keep, rest_keep, np.transpose(matrix[a_fibers][:, :, rest], (0, 2, 1)))  # (s, rest, r+1)
    put(rest_keep, a_keep, matrix[rest][:, a_fibers])  # (rest, s, r+1)
    put(rest_keep, rest_keep, matrix[np.ix_(rest, rest)][:, :, None])
    return out, keep
