"""Deterministic Schreier-Sims: a base and strong generating set of <generators> without knowing |G|.

Two phases. First, random elements (product replacement) are sifted through the chain and every
non-trivial residue becomes a strong generator, until ``quiet`` sifts in a row come out trivial; this
usually finds the whole chain. Then the chain is verified deterministically, bottom-up: at level i,
every Schreier generator u_{p^s}^{-1} s u_p (p in the basic orbit, s a strong generator fixing
b_1..b_{i-1}) must sift to the identity through the levels below; by Schreier's lemma these generate
the stabilizer of b_i, so a chain passing the test is complete. A residue that does not vanish joins
the strong generators and the check starts again. The answer is therefore exact; randomness only
affects the running time.

Used for the groups that :mod:`asen_fm.symmetry.order` cannot reduce by structure (small degree, or
small order with a short base), where the check is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["SchreierSims", "random_elements"]


class SchreierSims:
    """BSGS of <generators> <= S_n (array form, g[i] is the image of i), built and verified."""

    def __init__(self, n: int, generators: Sequence[np.ndarray], seed: int = 0, quiet: int = 12) -> None:
        self.n = n
        self.identity = np.arange(n, dtype=np.int64)
        gens = [np.asarray(g, dtype=np.int64) for g in generators]
        gens = [g for g in gens if not np.array_equal(g, self.identity)]
        self.base: list[int] = []
        self.strong: list[np.ndarray] = []
        self.depth: list[int] = []  # first base level each strong generator moves
        self.levels: list[dict[int, tuple[np.ndarray, np.ndarray]]] = []  # p -> (u, u^-1), u[b_i] = p
        for g in gens:
            self._add(g)
        if gens:
            trivial = 0
            for g in random_elements(gens, np.random.default_rng(seed)):
                residue, _ = self.sift(g)
                if np.array_equal(residue, self.identity):
                    trivial += 1
                    if trivial >= quiet:
                        break
                else:
                    trivial = 0
                    self._add(residue)
            self._verify()

    def order(self) -> int:
        """|G| = prod_i |b_i^{G_i}|."""
        out = 1
        for level in self.levels:
            out *= len(level)
        return out

    def sift(self, g: np.ndarray, start: int = 0) -> tuple[np.ndarray, int]:
        """Strip g through levels start..: (residue, level where it left its basic orbit or len(base))."""
        for i in range(start, len(self.base)):
            pair = self.levels[i].get(int(g[self.base[i]]))
            if pair is None:
                return g, i
            g = pair[1][g]  # u^{-1} o g fixes b_i
        return g, len(self.base)

    def _add(self, s: np.ndarray) -> None:
        """New strong generator s (fixing b_1..b_{L-1}, moving b_L): grow orbits of levels 0..L."""
        level = next((i for i, b in enumerate(self.base) if s[b] != b), None)
        if level is None:
            self.base.append(int(np.flatnonzero(s != self.identity)[0]))
            level = len(self.base) - 1
        self.strong.append(s)
        self.depth.append(level)
        while len(self.levels) < len(self.base):
            self.levels.append({self.base[len(self.levels)]: (self.identity, self.identity)})
        for i in range(level + 1):
            self._grow(i)

    def _gens(self, i: int) -> list[np.ndarray]:
        return [g for g, d in zip(self.strong, self.depth, strict=True) if d >= i]

    def _grow(self, i: int) -> None:
        """Close the transversal of level i under its strong generators (breadth first)."""
        table, gens = self.levels[i], self._gens(i)
        frontier = list(table)
        while frontier:
            nxt = []
            for p in frontier:
                u = table[p][0]
                for g in gens:
                    q = int(g[p])
                    if q not in table:
                        v = g[u]
                        inv = np.empty_like(v)
                        inv[v] = self.identity
                        table[q] = (v, inv)
                        nxt.append(q)
            frontier = nxt

    def _verify(self) -> None:
        """Sift every Schreier generator, bottom-up; restart after each new strong generator."""
        i = len(self.base) - 1
        while i >= 0:
            residue = self._failing_schreier_generator(i)
            if residue is None:
                i -= 1
                continue
            self._add(residue)
            i = len(self.base) - 1

    def _failing_schreier_generator(self, i: int) -> np.ndarray | None:
        table = self.levels[i]
        for u, _ in list(table.values()):
            for s in self._gens(i):
                su = s[u]
                w_inv = table[int(su[self.base[i]])][1]
                residue, _ = self.sift(w_inv[su], start=i + 1)
                if not np.array_equal(residue, self.identity):
                    return residue
        return None


def random_elements(gens: Sequence[np.ndarray], rng: np.random.Generator, size: int = 10):
    """Endless nearly uniform random elements of <gens> by product replacement (with accumulator)."""
    slots = [np.asarray(gens[k % len(gens)], dtype=np.int64).copy() for k in range(max(size, len(gens)))]
    acc = slots[0].copy()
    count = len(slots)
    step = 0
    while True:
        i, j = rng.choice(count, size=2, replace=False)
        if rng.random() < 0.5:
            slots[i] = slots[i][slots[j]]
        else:
            slots[i] = slots[j][slots[i]]
        acc = acc[slots[i]]
        step += 1
        if step > 40:
            yield acc
