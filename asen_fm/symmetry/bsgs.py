"""Base and strong generating set of a group of known order (random Schreier-Sims, NumPy).

A base B = (b_1, ..., b_k) with strong generators S such that S_i = {s in S : s fixes b_1..b_{i-1}}
generates G_i, the pointwise stabilizer of b_1..b_{i-1}; then |G| = prod_i |b_i^{G_i}|. Random elements
are sifted through the chain and every non-trivial residue becomes a new strong generator. Because
|G| is known, the chain is complete exactly when the product of basic orbit lengths reaches |G|, so
the randomness affects the running time, never the result. The stated order must be |G| exactly
(``PermGroup.order()``: a closed form or :mod:`asen_fm.symmetry.order`): an overstated one ends in
RuntimeError, an understated one is caught only when the chain overshoots it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["StabilizerChain"]


class StabilizerChain:
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
        self.n = n
        self.identity = np.arange(n, dtype=np.int64)
        gens = [np.asarray(g, dtype=np.int64) for g in generators if not np.array_equal(g, self.identity)]
        self.base: list[int] = [int(b) for b in base_prefix]
        self.strong: list[np.ndarray] = []
        self.depth: list[int] = []  # first base level each strong generator moves
        self.levels: list[dict[int, np.ndarray]] = []  # point -> u with u[b_i] = point
        self.level_gens: list[list[np.ndarray]] = []  # strong generators fixing b_1..b_{i-1}
        for b in self.base:
            self.levels.append({b: self.identity})
            self.level_gens.append([])
        for g in gens:
            self._add(g)
        rng = np.random.default_rng(seed)
        pool = _ProductReplacement(gens or [self.identity], rng)
        sifts = 0
        while self.order() < order:
            residue, _ = self.sift(pool.next())
            if not np.array_equal(residue, self.identity):
                self._add(residue)
            sifts += 1
            if sifts > max_sifts:
                raise RuntimeError(f"Schreier-Sims did not reach order {order} after {max_sifts} sifts")
        if self.order() != order:
            raise ValueError(f"the generators generate a group larger than the stated order {order}")

    def order(self) -> int:
        """prod_i |b_i^{G_i}| of the chain built so far."""
        out = 1
        for level in self.levels:
            out *= len(level)
        return out

    def sift(self, g: np.ndarray) -> tuple[np.ndarray, int]:
        """Strip g through the chain: (residue, level where it left the basic orbit or len(base))."""
        for i, b in enumerate(self.base):
            image = int(g[b])
            u = self.levels[i].get(image)
            if u is None:
                return g, i
            inv = np.empty_like(u)
            inv[u] = self.identity
            g = inv[g]  # u^{-1} o g now fixes b
        return g, len(self.base)

    def stabilizer_generators(self, points: Sequence[int]) -> list[np.ndarray]:
        """Generators of the pointwise stabilizer of ``points`` when they are a prefix of the base."""
        points = [int(p) for p in points]
        if self.base[: len(points)] != points:
            raise ValueError(f"points {points} are not a prefix of the base {self.base[: len(points)]}")
        return [s for s, d in zip(self.strong, self.depth, strict=True) if d >= len(points)]

    def _add(self, s: np.ndarray) -> None:
        """Add a strong generator, extending the base if s fixes all of it, and grow the transversals.

        s fixes b_1..b_{L-1} and moves b_L, so it belongs to S_1..S_L: those basic orbits may grow.
        """
        level = next((i for i, b in enumerate(self.base) if s[b] != b), None)
        if level is None:
            self.base.append(int(np.flatnonzero(s != self.identity)[0]))
            level = len(self.base) - 1
        self.strong.append(s)
        self.depth.append(level)
        while len(self.levels) < len(self.base):
            b = self.base[len(self.levels)]
            self.levels.append({b: self.identity})
            self.level_gens.append([])
        for i in range(level + 1):
            self.level_gens[i].append(s)
            _grow(self.levels[i], s, self.level_gens[i])


def _grow(table: dict[int, np.ndarray], new: np.ndarray, gens: list[np.ndarray]) -> None:
    """Extend the transversal ``table`` (point p -> u with u[b] = p) after ``new`` joined ``gens``."""
    frontier = []
    for p, u in list(table.items()):
        q = int(new[p])
        if q not in table:
            table[q] = new[u]
            frontier.append(q)
    while frontier:
        nxt = []
        for p in frontier:
            u = table[p]
            for g in gens:
                q = int(g[p])
                if q not in table:
                    table[q] = g[u]
                    nxt.append(q)
        frontier = nxt


class _ProductReplacement:
    """Nearly uniform random group elements by the product replacement algorithm."""

    def __init__(self, gens: list[np.ndarray], rng: np.random.Generator, size: int = 10) -> None:
        self.rng = rng
        self.slots = [gens[k % len(gens)].copy() for k in range(max(size, len(gens)))]
        self.acc = self.slots[0].copy()
        for _ in range(50):
            self.next()

    def next(self) -> np.ndarray:
        i, j = self.rng.choice(len(self.slots), size=2, replace=False)
        if self.rng.random() < 0.5:
            self.slots[i] = self.slots[i][self.slots[j]]
        else:
            self.slots[i] = self.slots[j][self.slots[i]]
        self.acc = self.acc[self.slots[i]]
        return self.acc
