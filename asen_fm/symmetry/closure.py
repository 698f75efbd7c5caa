"""The 2-closure diagnostic: |G^(2)| = |Aut(A^(2))|, compared with |G|.

A^(2) colors the complete digraph on range(n) (its diagonal carries A^(1)); a permutation p is an
automorphism iff A^(2)[p[i], p[j]] = A^(2)[i, j] for all i, j. The cost follows the coloring's
structure (see :mod:`asen_fm.symmetry.pieces`): independent pieces give a direct product, a piece that
is one point class with a single off-diagonal color is a symmetric group (a 2-transitive orbit gives
Sym of it, and a union of such blocks a Young subgroup), and only the remaining pieces go to the
partition backtrack of :mod:`asen_fm.symmetry.backtrack`, with G's own stabilizer chain for pruning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from asen_fm.orbit_coloring import node_orbits, pair_orbits
from asen_fm.symmetry.groups import PermGroup
from asen_fm.symmetry.pieces import automorphism_group_order

__all__ = ["TwoClosure", "automorphism_group_order", "two_closure"]


@dataclass(frozen=True)
class TwoClosure:
    """Result of :func:`two_closure`: |G|, |G^(2)| and orbit counts; ``extra_generators`` (computed on
    first use) are automorphisms in G^(2) but not in G that together with G's generators generate G^(2)."""

    n: int
    order: int
    closure_order: int
    node_orbit_count: int
    pair_orbit_count: int
    candidates: tuple[np.ndarray, ...] = field(default=(), repr=False, compare=False)
    group: PermGroup | None = field(default=None, repr=False, compare=False)

    @property
    def is_two_closed(self) -> bool:
        """G = G^(2), i.e. the orbit coloring breaks S_n down to exactly G."""
        return self.order == self.closure_order

    @property
    def index(self) -> int:
        """[G^(2) : G], 1 iff G is 2-closed."""
        return self.closure_order // self.order

    @cached_property
    def extra_generators(self) -> tuple[np.ndarray, ...]:
        """Generators of G^(2) outside G (membership tests need G's stabilizer chain, hence lazy)."""
        if self.is_two_closed:
            return ()
        if self.group is None:
            return self.candidates
        return tuple(g for g in self.candidates if not self.group.contains(g))


def two_closure(group: PermGroup | str | Any) -> TwoClosure:
    """|G| (closed form or the package's own stabilizer chain) and |G^(2)| = |Aut(A^(1), A^(2))|."""
    group = PermGroup.parse(group)
    colors = pair_orbits(group)
    order = group.order()
    closure_order, generators = automorphism_group_order(colors, known=group)
    if closure_order % order:
        raise AssertionError(f"|G^(2)| = {closure_order} is not a multiple of |G| = {order}")
    return TwoClosure(
        n=group.n,
        order=order,
        closure_order=closure_order,
        node_orbit_count=int(node_orbits(group).max()) + 1,
        pair_orbit_count=int(colors.max()) + 1,
        candidates=tuple(generators),
        group=group,
    )
