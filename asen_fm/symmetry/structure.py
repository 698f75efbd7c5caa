"""Orbits, block systems and copied orbits of a permutation group given by generators (rows of an
int array), for :mod:`asen_fm.symmetry.order`."""

from __future__ import annotations

import numpy as np

__all__ = ["block_stabilizer_on_block", "block_system", "copied_orbits", "orbits", "part_labels", "restrict"]


def restrict(gens: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Generators restricted to an invariant set ``points`` (sorted), renumbered 0..len-1."""
    index = np.full(gens.shape[1], -1, dtype=np.int64)
    index[points] = np.arange(points.size)
    return index[gens[:, points]]


def orbits(gens: np.ndarray) -> list[np.ndarray]:
    """Orbits of <gens> (sorted arrays, ordered by smallest point)."""
    return _components(gens.shape[1], gens, np.arange(gens.shape[1]))


def _components(m: int, gens: np.ndarray, start: np.ndarray) -> list[np.ndarray]:
    parent = start.copy()
    while True:
        before = parent.copy()
        for g in gens:  # hook roots: parent[root(x)] = min(root(x), root(g x))
            a, b = parent, parent[g]
            low = np.minimum(a, b)
            np.minimum.at(parent, a, low)
            np.minimum.at(parent, b, low)
        while True:  # pointer jumping
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt
        if np.array_equal(parent, before):
            break
    roots = np.unique(parent)
    return [np.flatnonzero(parent == r) for r in roots]


def part_labels(parts: list[np.ndarray], m: int) -> np.ndarray:
    labels = np.empty(m, dtype=np.int64)
    for k, part in enumerate(parts):
        labels[part] = k
    return labels


def block_system(gens: np.ndarray, candidates: int = 24) -> list[np.ndarray] | None:
    """A non-trivial block system of the transitive <gens> (minimal block of {0, x}), or None.

    Tries x = 1..candidates and a few spread-out points and returns the first found; None means none
    gave one (G may still be imprimitive; the caller then uses Schreier-Sims, which is always correct).
    """
    m = gens.shape[1]
    xs = list(range(1, min(m, candidates + 1))) + list(range(candidates + 1, m, max(1, m // candidates)))
    for x in xs:
        blocks = _minimal_block(gens, x)
        if blocks is not None:
            return blocks
    return None


def _minimal_block(gens: np.ndarray, x: int) -> list[np.ndarray] | None:
    """Atkinson: the finest G-invariant partition with 0 and x in one part; None if it is trivial."""
    m = gens.shape[1]
    parent = list(range(m))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    rows = gens.tolist()
    queue = [(0, x)]
    parent[x] = 0
    while queue:
        a, b = queue.pop()
        for g in rows:
            ra, rb = find(g[a]), find(g[b])
            if ra != rb:
                if ra > rb:
                    ra, rb = rb, ra
                parent[rb] = ra
                queue.append((ra, rb))
    roots = np.array([find(a) for a in range(m)])
    parts = [np.flatnonzero(roots == r) for r in np.unique(roots)]
    if len(parts) == 1:
        return None
    return parts


def copied_orbits(gens: np.ndarray, parts: list[np.ndarray]) -> list[int]:
    """Indices of orbits that are isomorphic G-sets of an earlier orbit (phi(g x) = g phi(x)).

    If orbit B is a copy of orbit A, an element fixing A pointwise fixes B pointwise too, so G acts
    faithfully on the points outside B. Candidates for phi(a_0) must share a_0's cycle lengths under
    every generator; each is checked by following the generators from a_0.
    """
    lengths = np.stack([_cycle_length_of_points(g) for g in gens], axis=1)  # (m, k)
    signature = [tuple(sorted(map(tuple, lengths[part].tolist()))) for part in parts]
    copies: list[int] = []
    for b in range(1, len(parts)):
        for a in range(b):
            if a in copies or signature[a] != signature[b]:
                continue
            x0 = int(parts[a][0])
            candidates = parts[b][np.all(lengths[parts[b]] == lengths[x0], axis=1)]
            if any(_isomorphism(gens, x0, int(y)) for y in candidates):
                copies.append(b)
                break
    return copies


def _cycle_length_of_points(g: np.ndarray) -> np.ndarray:
    out = np.ones(g.shape[0], dtype=np.int64)
    perm = g.tolist()
    seen = np.zeros(g.shape[0], dtype=bool)
    for start in range(len(perm)):
        if seen[start]:
            continue
        cycle, x = [], start
        while not seen[x]:
            seen[x] = True
            cycle.append(x)
            x = perm[x]
        out[cycle] = len(cycle)
    return out


def _isomorphism(gens: np.ndarray, x0: int, y0: int) -> bool:
    """Whether x0 -> y0 extends to a bijection phi of their orbits with phi(g x) = g phi(x)."""
    rows = gens.tolist()
    phi, used, stack = {x0: y0}, {y0}, [x0]
    while stack:
        x = stack.pop()
        y = phi[x]
        for g in rows:
            gx, gy = g[x], g[y]
            seen = phi.get(gx)
            if seen is None:
                if gy in used:
                    return False
                phi[gx] = gy
                used.add(gy)
                stack.append(gx)
            elif seen != gy:
                return False
    return True


def block_stabilizer_on_block(gens: np.ndarray, blocks: list[np.ndarray], labels: np.ndarray) -> np.ndarray:
    """Schreier generators of the stabilizer of block 0 (for the action on blocks), on block 0."""
    first = [int(b[0]) for b in blocks]
    transversal: dict[int, np.ndarray] = {0: np.arange(gens.shape[1], dtype=np.int64)}
    inverses: dict[int, np.ndarray] = {0: transversal[0]}
    frontier, out = [0], []
    local = np.full(gens.shape[1], -1, dtype=np.int64)
    local[blocks[0]] = np.arange(len(blocks[0]))
    while frontier:
        nxt = []
        for block in frontier:
            u = transversal[block]
            for s in gens:
                su = s[u]
                target = int(labels[su[first[0]]])
                if target not in transversal:
                    transversal[target] = su
                    inverse = np.empty_like(su)
                    inverse[su] = np.arange(su.shape[0])
                    inverses[target] = inverse
                    nxt.append(target)
                else:
                    out.append(local[inverses[target][su[blocks[0]]]])
        frontier = nxt
    return np.stack(out) if out else np.arange(len(blocks[0]), dtype=np.int64)[None, :]
