"""|Aut(C)| of a color matrix C, split into independent pieces with closed forms where they exist.

Twin point classes (one determined by another through a bijection) are collapsed first, see
:mod:`asen_fm.symmetry.twins`.

Automorphisms preserve the point classes (equal diagonal colors). Two classes A, B are linked when the
block C[A, B] or C[B, A] holds more than one color. Classes not linked (directly or through others)
are independent: any choice of automorphisms of the pieces is an automorphism, so Aut(C) is the direct
product of the pieces' groups. A piece that is a single class whose off-diagonal entries share one
color (for an orbit coloring: G is 2-transitive on that orbit) has the full symmetric group. Other
pieces go to the partition backtrack.
"""

from __future__ import annotations

from math import factorial
from typing import Any

import numpy as np

from asen_fm.symmetry.backtrack import search_automorphisms
from asen_fm.symmetry.order import group_order
from asen_fm.symmetry.twins import collapse_twins

__all__ = ["automorphism_group_order", "independent_pieces"]


def automorphism_group_order(colors: Any, known: Any = None) -> tuple[int, list[np.ndarray]]:
    """(|Aut(C)|, generators) for an n x n integer color matrix C (diagonal = point colors).

    ``known``: a group of automorphisms of C (a PermGroup, or anything with ``.n``, ``.generators`` and
    ``.order()``); its generators are checked, and it only speeds the search up. The returned
    automorphisms together with ``known``'s generators generate Aut(C).
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
    known_gens = [np.asarray(g, dtype=np.int64) for g in (known.generators if known is not None else ())]
    for k, g in enumerate(known_gens):
        if not np.array_equal(matrix[np.ix_(g, g)], matrix):
            raise ValueError(f"generator {k} of the known group is not an automorphism of the colors")
    collapsed = collapse_twins(matrix)  # Aut(C) acts faithfully on the points kept
    reduced = collapsed.matrix
    known_gens = [collapsed.restrict(g) for g in known_gens]
    pieces = independent_pieces(reduced)
    order = 1
    generators: list[np.ndarray] = []
    for piece in pieces:
        sub = reduced[np.ix_(piece, piece)]
        local = [_restrict(g, piece) for g in known_gens]
        piece_order, piece_gens = _piece(sub, local, known, len(pieces) == 1)
        order *= piece_order
        for g in piece_gens:
            full = np.arange(reduced.shape[0], dtype=np.int64)
            full[piece] = piece[g]
            generators.append(collapsed.lift(full))
    return order, generators


def independent_pieces(matrix: np.ndarray) -> list[np.ndarray]:
    """Point sets of the independent pieces (unions of linked point classes), by smallest point."""
    n = matrix.shape[0]
    classes = np.unique(np.diag(matrix), return_inverse=True)[1].ravel()
    k = int(classes.max()) + 1
    if k == 1:
        return [np.arange(n)]
    order = np.argsort(classes, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(classes[order]) != 0])
    rows = matrix[order]
    low = np.minimum.reduceat(np.minimum.reduceat(rows, starts, axis=0)[:, order], starts, axis=1)
    high = np.maximum.reduceat(np.maximum.reduceat(rows, starts, axis=0)[:, order], starts, axis=1)
    varied = low != high
    np.fill_diagonal(varied, False)
    linked = varied | varied.T
    parent = list(range(k))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in zip(*np.nonzero(np.triu(linked)), strict=True):
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(int(c)) for c in classes])
    _, first = np.unique(roots, return_index=True)
    return [np.flatnonzero(roots == roots[f]) for f in np.sort(first)]


def _restrict(g: np.ndarray, piece: np.ndarray) -> np.ndarray:
    index = np.full(g.shape[0], -1, dtype=np.int64)
    index[piece] = np.arange(piece.size)
    return index[g[piece]]


def _block_closed_form(sub: np.ndarray) -> tuple[int, list[np.ndarray]] | None:
    """Aut of a one-class symmetric piece with two off-diagonal colors, one of them an equivalence
    relation with blocks B_j: the permutations preserving the blocks, prod_d S_d wr S_(k_d) over block
    sizes d occurring k_d times. None when the piece is not of that shape."""
    m = sub.shape[0]
    eye = np.eye(m, dtype=bool)
    diagonal = np.diag(sub)
    if not np.all(diagonal == diagonal[0]) or not np.array_equal(sub, sub.T):
        return None
    values = np.unique(sub[~eye])
    if values.size != 2:
        return None
    for value in values:
        relation = (sub == value) | eye
        rows, inverse = np.unique(relation, axis=0, return_inverse=True)
        if not (np.all(rows.sum(axis=0) == 1) and np.array_equal(rows[inverse.ravel()], relation)):
            continue
        blocks = [np.flatnonzero(row) for row in rows]
        order, gens = 1, []
        for d in sorted({len(b) for b in blocks}):
            same = [b for b in blocks if len(b) == d]
            order *= factorial(d) ** len(same) * factorial(len(same))
            for b in same[:1]:  # Sym of one block; the block permutations carry it to the others
                gens += [_cycle(m, b[:2]), _cycle(m, b)] if d > 1 else []
            if len(same) > 1:
                gens.append(_cycle(m, np.stack(same[:2]).T.ravel(), step=2))  # swap two blocks
                gens.append(_cycle(m, np.stack(same).T.ravel(), step=len(same)))  # rotate the blocks
        return order, [g for g in gens if not np.array_equal(g, np.arange(m))]
    return None


def _cycle(m: int, points: np.ndarray, step: int = 1) -> np.ndarray:
    """The cycle (points) for step = 1; for step = s, the points read as rows of s, each row a cycle."""
    g = np.arange(m, dtype=np.int64)
    rows = np.asarray(points).reshape(-1, step) if step > 1 else np.asarray(points)[None, :]
    for row in rows:
        g[row] = np.roll(row, -1)
    return g


def _piece(sub: np.ndarray, local: list[np.ndarray], known: Any, whole: bool) -> tuple[int, list[np.ndarray]]:
    """(|Aut(sub)|, generators) of one piece; closed form for a symmetric group."""
    m = sub.shape[0]
    if m == 1:
        return 1, []
    diagonal = np.diag(sub)
    off = sub[~np.eye(m, dtype=bool)]
    if np.all(diagonal == diagonal[0]) and np.all(off == off[0]):
        transposition = np.arange(m, dtype=np.int64)
        transposition[[0, 1]] = [1, 0]
        return factorial(m), [transposition, np.roll(np.arange(m, dtype=np.int64), -1)]
    blocks = _block_closed_form(sub)
    if blocks is not None:
        return blocks
    identity = np.arange(m)
    local = [g for g in local if not np.array_equal(g, identity)]
    if known is None or not local:
        return search_automorphisms(sub)
    local_order = known.order() if whole else group_order(m, local)
    order, found = search_automorphisms(sub, local, local_order)
    return order, found if whole else found + local
