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

from asen_fm.symmetry.bsgs import Chain, random_elements

__all__ = ["SchreierSims", "random_elements"]


class SchreierSims(Chain):
    """BSGS of <generators> <= S_n (array form, g[i] is the image of i), built and verified."""

    def __init__(self, n: int, generators: Sequence[np.ndarray], seed: int = 0, quiet: int = 12) -> None:
        super().__init__(n)
        gens = [np.asarray(g, dtype=np.int64) for g in generators]
        gens = [g for g in gens if not np.array_equal(g, self.identity)]
        for g in gens:
            self.add(g)
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
                    self.add(residue)
            self._verify()

    def _verify(self) -> None:
        """Sift every Schreier generator, bottom-up; restart after each new strong generator."""
        i = len(self.base) - 1
        while i >= 0:
            residue = self._failing_schreier_generator(i)
            if residue is None:
                i -= 1
                continue
            self.add(residue)
            i = len(self.base) - 1

    def _failing_schreier_generator(self, i: int) -> np.ndarray | None:
        table, inverses = self.levels[i], self._inverses[i]
        for u in list(table.values()):
            for s in list(self.level_gens[i]):
                su = s[u]
                residue, _ = self.sift(inverses[int(su[self.base[i]])][su], start=i + 1)
                if not np.array_equal(residue, self.identity):
                    return residue
        return None
