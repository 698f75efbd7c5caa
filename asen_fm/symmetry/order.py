"""|G| for a group given only by generators, exact, without SymPy.

Large groups of real use (products of symmetric groups on orbits or blocks, wreath products, random
subgroups of S_n) have huge bases, so a plain Schreier-Sims is slow there. Their structure is cheap to
recognise and each step below is a proof, not a guess:

* Jordan certificate: if G is transitive on a set P (|P| = m) and has an element with one cycle of
  prime length p, m/2 < p <= m - 3, inside P and no other cycle of length divisible by p anywhere,
  then a power of it is a p-cycle, G is primitive on P (a p-cycle with p > m/2 cannot permute
  non-trivial blocks), and Jordan's theorem gives Alt(P) <= G. If the element's other cycles avoid P
  only, the same holds for the pointwise stabilizer of the rest, so Alt(P) x 1 <= G.
* Copies: an orbit on which G acts as on an earlier one (an isomorphic G-set) is dropped; G still
  acts faithfully on the rest.
* Invariant partitions: the orbits of G, or a block system of a transitive G (then every block looks
  like the first). Each part P is "full" when the elements of G supported on P already give the whole
  action of P's setwise stabilizer on P (H x 1 <= G with H that action: compared by order, computed
  recursively on |P| points), "alt" when Alt(P) x 1 <= G (Jordan, or such elements generating at
  least Alt(P)), else "none". The kernel of G acting on {full parts} ∪ {(alt part, parity)} ∪
  {points of the other parts} is exactly the product of those H and Alt(P), so |G| = their orders
  times |image|, and the image has smaller degree: recurse.
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
from asen_fm.symmetry.structure import (
    block_stabilizer_on_block,
    block_system,
    copied_orbits,
    orbits,
    part_labels,
    restrict,
)

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
        gens = restrict(gens, moved)
    m = gens.shape[1]
    if m < _MIN_JORDAN:
        return SchreierSims(m, list(gens)).order()
    sample = _Sample(gens, rng)
    parts = orbits(gens)
    if len(parts) > 1:
        copies = copied_orbits(gens, parts)
        if copies:  # G acts on those orbits as on earlier ones: dropping them keeps the action faithful
            keep = np.setdiff1d(np.arange(m), np.concatenate([parts[k] for k in copies]))
            return _order(restrict(gens, keep), rng)
        labels = part_labels(parts, m)
        kinds = [_kind(gens, sample, labels, k, part, restrict(gens, part)) for k, part in enumerate(parts)]
        return _reduce(gens, parts, kinds)
    if any(_jordan_part(cycles, 0, m) for _, cycles in sample.elements):
        return _alt_order(m) * (2 if _has_odd(gens) else 1)
    blocks = block_system(gens)
    if blocks is None:
        return SchreierSims(m, list(gens)).order()
    # G permutes the blocks transitively: every block looks like block 0.
    labels = part_labels(blocks, m)
    kind = _kind(gens, sample, labels, 0, blocks[0], block_stabilizer_on_block(gens, blocks, labels))
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
    labels = part_labels(parts, m)
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
