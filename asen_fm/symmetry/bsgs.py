"""Stabilizer chains (bases and strong generating sets) in NumPy, and the random elements that build them.

A base B = (b_1, ..., b_k) with strong generators S such that S_i = {s in S : s fixes b_1..b_{i-1}}
generates G_i, the pointwise stabilizer of b_1..b_{i-1}; then |G| = prod_i |b_i^{G_i}|. :class:`Chain`
holds one (base, strong generators, transversals) and knows how to sift an element and take in a new
strong generator; the two ways of completing it build on it:

- :class:`StabilizerChain` (here): the order |G| is known. Random elements are sifted through the chain
  and every non-trivial residue becomes a new strong generator; the chain is complete exactly when the
  product of basic orbit lengths reaches |G|, so randomness affects the running time, never the result.
  The stated order must be |G| exactly (``PermGroup.order()``: a closed form or
  :mod:`asen_fm.symmetry.order`): an overstated one ends in RuntimeError, an understated one is caught
  only when the chain overshoots it.
- :class:`asen_fm.symmetry.schreier.SchreierSims`: the order is unknown; the chain is verified with
  Schreier generators.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

__all__ = ["Chain", "StabilizerChain", "random_elements"]


class Chain:
    """A partial BSGS of a subgroup of S_n: base, strong generators and one transversal per base point.

    ``levels[i]`` maps each point p of the i-th basic orbit to u with u[b_i] = p; ``depth[k]`` is the first
    base level the k-th strong generator moves.
    """

    def __init__(self, n: int, base_prefix: Sequence[int] = ()) -> None:
        self.n = n
        self.identity = np.arange(n, dtype=np.int64)
        self.base: list[int] = []
        self.strong: list[np.ndarray] = []
        self.depth: list[int] = []
        self.levels: list[dict[int, np.ndarray]] = []
        self.level_gens: list[list[np.ndarray]] = []  # strong generators fixing b_1..b_{i-1}
        self._inverses: list[dict[int, np.ndarray]] = []  # the same transversals, inverted
        for b in base_prefix:
            self._new_level(int(b))

    def order(self) -> int:
        """prod_i |b_i^{G_i}| of the chain built so far."""
        out = 1
        for level in self.levels:
            out *= len(level)
        return out

    def sift(self, g: np.ndarray, start: int = 0) -> tuple[np.ndarray, int]:
        """Strip g through levels start..: (residue, level where it left its basic orbit or len(base))."""
        for i in range(start, len(self.base)):
            inverse = self._inverses[i].get(int(g[self.base[i]]))
            if inverse is None:
                return g, i
            g = inverse[g]  # u^{-1} o g now fixes b_i
        return g, len(self.base)

    def stabilizer_generators(self, points: Sequence[int]) -> list[np.ndarray]:
        """Generators of the pointwise stabilizer of ``points`` when they are a prefix of the base."""
        points = [int(p) for p in points]
        if self.base[: len(points)] != points:
            raise ValueError(f"points {points} are not a prefix of the base {self.base[: len(points)]}")
        return [s for s, d in zip(self.strong, self.depth, strict=True) if d >= len(points)]

    def add(self, s: np.ndarray) -> None:
        """Add a strong generator, extending the base if s fixes all of it, and grow the transversals.

        s fixes b_1..b_{L-1} and moves b_L, so it belongs to S_1..S_L: those basic orbits may grow.
        """
        level = next((i for i, b in enumerate(self.base) if s[b] != b), None)
        if level is None:
            self._new_level(int(np.flatnonzero(s != self.identity)[0]))
            level = len(self.base) - 1
        self.strong.append(s)
        self.depth.append(level)
        for i in range(level + 1):
            self.level_gens[i].append(s)
            self._grow(i, s)

    def _new_level(self, b: int) -> None:
        self.base.append(b)
        self.levels.append({b: self.identity})
        self._inverses.append({b: self.identity})
        self.level_gens.append([])

    def _grow(self, i: int, new: np.ndarray) -> None:
        """Extend the transversal of level i after ``new`` joined its generators (breadth first)."""
        table, inverses, gens = self.levels[i], self._inverses[i], self.level_gens[i]

        def put(q: int, u: np.ndarray) -> None:
            table[q] = u
            inverse = np.empty_like(u)
            inverse[u] = self.identity
            inverses[q] = inverse

        frontier = []
        for p, u in list(table.items()):
            q = int(new[p])
            if q not in table:
                put(q, new[u])
                frontier.append(q)
        while frontier:
            nxt = []
            for p in frontier:
                u = table[p]
                for g in gens:
                    q = int(g[p])
                    if q not in table:
                        put(q, g[u])
                        nxt.append(q)
            frontier = nxt


class StabilizerChain(Chain):
    """BSGS of <generators> <= S_n whose base starts with ``base_prefix``; needs the exact order."""

    def __init__(
        self,
        n: int,
        generators: Sequence[np.ndarray],
        order: int,
        base_prefix: Sequence[int] = (),
        seed: int = 0,
        max_sifts: int = 100_000,
    ) -> None:
        super().__init__(n, base_prefix)
        gens = [np.asarray(g, dtype=np.int64) for g in generators if not np.array_equal(g, self.identity)]
        for g in gens:
            self.add(g)
        pool = random_elements(gens or [self.identity], np.random.default_rng(seed))
        sifts = 0
        while self.order() < order:
            residue, _ = self.sift(next(pool))
            if not np.array_equal(residue, self.identity):
                self.add(residue)
            sifts += 1
            if sifts > max_sifts:
                raise RuntimeError(f"Schreier-Sims did not reach order {order} after {max_sifts} sifts")
        if self.order() != order:
            raise ValueError(f"the generators generate a group larger than the stated order {order}")


def random_elements(
    gens: Sequence[np.ndarray], rng: np.random.Generator, size: int = 10, warmup: int = 40
) -> Iterator[np.ndarray]:
    """Endless nearly uniform random elements of <gens> by product replacement (with accumulator)."""
    slots = [np.asarray(gens[k % len(gens)], dtype=np.int64).copy() for k in range(max(size, len(gens)))]
    acc = slots[0].copy()
    step = 0
    while True:
        i, j = rng.choice(len(slots), size=2, replace=False)
        if rng.random() < 0.5:
            slots[i] = slots[i][slots[j]]
        else:
            slots[i] = slots[j][slots[i]]
        acc = acc[slots[i]]
        step += 1
        if step > warmup:
            yield acc
