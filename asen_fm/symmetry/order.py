"""|G| for a group given only by generators, exact, without SymPy.

Large groups of real use (products of symmetric groups on orbits or blocks, wreath products, random
subgroups of S_n) have huge bases, so a plain Schreier-Sims is slow there. Their structure is cheap to
recognise and each step below is a proof, not a guess:

* Jordan certificate: if G is transitive on a set P (|P| = m) and has an element with one cycle of
  prime length p, m/2 < p <= m - 3, inside P and no other cycle of length divisible by p anywhere,
  then a power of it is a p-cycle, G is primitive on P (a p-cycle with p > m/2 cannot permute
  non-trivial blocks), and Jordan's theorem gives Alt(P) <= G. If the element's other cycles avoid P
  only, the same holds for the pointwise stabilizer of the rest, so Alt(P) x 1 <= G.
* Invariant partitions: the orbits of G, or a block system of a transitive G. If Alt(P) x 1 <= G for
  every certified part P, the kernel of the action of G on {(part, parity)} ∪ (uncertified points) is
  exactly the product of those Alt(P), so |G| = prod |P|!/2 x |image|, and the image has smaller
  degree: recurse.
* Everything else (small degree, primitive non-giant groups, which have short bases) goes to the
  deterministic Schreier-Sims of :mod:`asen_fm.symmetry.schreier`.

Random elements (product replacement) are only used to find certificates; an unlucky draw makes the
computation slower (Schreier-Sims), never wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from math import factorial

import numpy as np

from asen_fm.symmetry.schreier import SchreierSims, random_elements

__all__ = ["group_order"]

_MIN_JORDAN = 8  # smallest part size with a prime p, m/2 < p <= m - 3
_TRIES = 120  # random elements drawn per level when looking for Jordan certificates


def group_order(n: int, generators: Sequence[np.ndarray], seed: int = 0) -> int:
    """|<generators>| for permutations of range(n) in array form (already validated)."""
    gens = _clean(np.arange(n, dtype=np.int64), generators)
    if not gens:
        return 1
    return _order(np.stack(gens), np.random.default_rng(seed))


def _clean(identity: np.ndarray, generators: Sequence[np.ndarray]) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    seen: set[bytes] = set()
    for g in generators:
        g = np.asarray(g, dtype=np.int64)
        key = g.tobytes()
        if key not in seen and not np.array_equal(g, identity):
            seen.add(key)
            out.append(g)
    return out


def _order(gens: np.ndarray, rng: np.random.Generator) -> int:
    """|<rows of gens>|, gens of shape (k, m), none the identity."""
    moved = np.flatnonzero(np.any(gens != np.arange(gens.shape[1]), axis=0))
    if moved.size < gens.shape[1]:  # drop common fixed points
        gens = _restrict(gens, moved)
    m = gens.shape[1]
    if m < _MIN_JORDAN:
        return SchreierSims(m, list(gens)).order()
    sample = _Sample(gens, rng)
    parts = _orbits(gens)
    if len(parts) > 1:
        copies = _copied_orbits(gens, parts)
        if copies:  # G acts on those orbits as on earlier ones: dropping them keeps the action faithful
            keep = np.setdiff1d(np.arange(m), np.concatenate([parts[k] for k in copies]))
            return _order(_restrict(gens, keep), rng)
        labels = _labels(parts, m)
        kinds = [_kind(gens, sample, labels, k, part, _restrict(gens, part)) for k, part in enumerate(parts)]
        return _reduce(gens, parts, kinds)
    if any(_jordan_part(cycles, 0, m) for _, cycles in sample.elements):
        return _alt_order(m) * (2 if _has_odd(gens) else 1)
    blocks = _block_system(gens)
    if blocks is None:
        return SchreierSims(m, list(gens)).order()
    # G permutes the blocks transitively: every block looks like block 0.
    labels = _labels(blocks, m)
    kind = _kind(gens, sample, labels, 0, blocks[0], _block_stabilizer_on_block(gens, blocks, labels))
    return _reduce(gens, blocks, [kind] * len(blocks))


class _Sample:
    """Random elements of <gens> with their cycles, drawn on first use only."""

    def __init__(self, gens: np.ndarray, rng: np.random.Generator) -> None:
        self.gens, self.rng = gens, rng

    @cached_property
    def elements(self) -> list[tuple[np.ndarray, list[tuple[int, int]]]]:
        return _sample(self.gens, self.rng)


def _kind(
    gens: np.ndarray,
    sample: _Sample,
    labels: np.ndarray,
    k: int,
    part: np.ndarray,
    constituent: np.ndarray,
) -> tuple[str, int]:
    """How part k sits in G: ("full", |H|) when the elements of G supported on the part (H) already
    give the whole setwise stabilizer's action on it (``constituent``, generators on the part), so
    H x 1 is the kernel's share there; ("alt", |Alt(P)|) when Alt(P) x 1 <= G; else ("none", 1).
    Generators are tried first; random elements only when they do not settle it."""
    d = len(part)
    if d == 1:
        return "full", 1
    outside = np.flatnonzero(labels != k)
    local = np.full(labels.shape[0], -1, dtype=np.int64)
    local[part] = np.arange(d)
    whole = _clean(np.arange(d, dtype=np.int64), list(constituent))
    whole_order = _order(np.stack(whole), np.random.default_rng(d)) if whole else 1

    def supported_order(elements: list[np.ndarray]) -> int:
        inside = [local[x[part]] for x in elements if np.array_equal(x[outside], outside)]
        inner = _clean(np.arange(d, dtype=np.int64), inside)
        return _order(np.stack(inner), np.random.default_rng(d)) if inner else 1

    inner_order = supported_order(list(gens))
    if inner_order < whole_order and d >= _MIN_JORDAN:
        inner_order = supported_order(list(gens) + [x for x, _ in sample.elements])
    if inner_order == whole_order:
        return "full", inner_order
    if inner_order >= _alt_order(d):
        return "alt", _alt_order(d)
    if d >= _MIN_JORDAN and any(_jordan_part(cycles, labels, d, which=k) for _, cycles in sample.elements):
        return "alt", _alt_order(d)
    return "none", 1


def _copied_orbits(gens: np.ndarray, parts: list[np.ndarray]) -> list[int]:
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


def _block_stabilizer_on_block(gens: np.ndarray, blocks: list[np.ndarray], labels: np.ndarray) -> np.ndarray:
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


def _reduce(gens: np.ndarray, parts: list[np.ndarray], kinds: list[tuple[str, int]]) -> int:
    """|G| = prod of the kernel's shares x |G acting on the collapsed parts|: a "full" part becomes
    one point, an "alt" part two (its parity), a "none" part keeps its points."""
    m = gens.shape[1]
    sizes = {"full": 1, "alt": 2}
    widths = [sizes.get(kind, len(part)) for part, (kind, _) in zip(parts, kinds, strict=True)]
    new_degree = sum(widths)
    if new_degree >= m:
        return SchreierSims(m, list(gens)).order()
    offsets = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)
    labels = _labels(parts, m)
    rank = np.empty(m, dtype=np.int64)  # position of each point inside its (sorted) part
    for part in parts:
        rank[part] = np.arange(len(part))
    images = []
    for g in gens:
        image = np.empty(new_degree, dtype=np.int64)
        for k, (part, (kind, _)) in enumerate(zip(parts, kinds, strict=True)):
            target = offsets[int(labels[g[part[0]]])]
            if kind == "full":
                image[offsets[k]] = target
            elif kind == "alt":
                odd = _parity(rank[g[part]])
                image[offsets[k]] = target + odd
                image[offsets[k] + 1] = target + 1 - odd
            else:
                image[offsets[k] : offsets[k] + len(part)] = target + rank[g[part]]
        images.append(image)
    kernel = 1
    for _, share in kinds:
        kernel *= share
    rest = _clean(np.arange(new_degree, dtype=np.int64), images)
    return kernel * (_order(np.stack(rest), np.random.default_rng(len(rest))) if rest else 1)


# ---------------------------------------------------------------------- certificates
def _sample(gens: np.ndarray, rng: np.random.Generator) -> list[tuple[np.ndarray, list[tuple[int, int]]]]:
    """Random elements with their cycles (a list of (cycle length, a point on it))."""
    out = []
    source = random_elements(list(gens), rng)
    for _ in range(_TRIES):
        g = next(source).copy()
        out.append((g, _cycles(g)))
    return out


def _cycles(g: np.ndarray) -> list[tuple[int, int]]:
    seen = np.zeros(g.shape[0], dtype=bool)
    out = []
    perm = g.tolist()
    for start in range(len(perm)):
        if seen[start]:
            continue
        length, x = 0, start
        while not seen[x]:
            seen[x] = True
            x = perm[x]
            length += 1
        if length > 1:
            out.append((length, start))
    return out


def _jordan_part(cycles: list[tuple[int, int]], labels: np.ndarray | int, size: int, which: int = 0) -> bool:
    """A cycle of prime length p, size/2 < p <= size - 3, inside part ``which`` (``labels`` an int: the
    whole set) and no other cycle anywhere of length divisible by p. Other cycles inside the part are
    shorter than p, so the right power of the element is that p-cycle alone."""
    if size < _MIN_JORDAN:
        return False
    for length, point in cycles:
        in_part = isinstance(labels, int) or labels[point] == which
        if in_part and 2 * length > size and length <= size - 3 and _is_prime(length):
            return not any(c % length == 0 for c, q in cycles if q != point)
    return False


def _is_prime(p: int) -> bool:
    return p >= 2 and all(p % d for d in range(2, int(p**0.5) + 1))


def _has_odd(gens: np.ndarray) -> bool:
    return any(_parity(g) for g in gens)


def _parity(g: np.ndarray) -> int:
    """0 for an even permutation of range(len(g)), 1 for an odd one."""
    return sum(length - 1 for length, _ in _cycles(np.asarray(g))) % 2


def _alt_order(m: int) -> int:
    return factorial(m) // 2 if m >= 2 else 1


# ---------------------------------------------------------------------- orbits and blocks
def _restrict(gens: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Generators restricted to an invariant set ``points`` (sorted), renumbered 0..len-1."""
    index = np.full(gens.shape[1], -1, dtype=np.int64)
    index[points] = np.arange(points.size)
    return index[gens[:, points]]


def _orbits(gens: np.ndarray) -> list[np.ndarray]:
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


def _labels(parts: list[np.ndarray], m: int) -> np.ndarray:
    labels = np.empty(m, dtype=np.int64)
    for k, part in enumerate(parts):
        labels[part] = k
    return labels


def _block_system(gens: np.ndarray, candidates: int = 24) -> list[np.ndarray] | None:
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
