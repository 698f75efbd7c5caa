"""Twin point classes: collapsed, and automorphisms lifted back, against brute force and SymPy."""

from __future__ import annotations

from itertools import permutations
from math import factorial

import numpy as np

from asen_fm.symmetry import PermGroup, pair_orbits, two_closure
from asen_fm.symmetry import families as F
from asen_fm.symmetry.closure import automorphism_group_order
from asen_fm.symmetry.twins import collapse_twins


def test_copies_collapse_to_one_and_lift_back() -> None:
    group = F.diagonal_copies(F.affine_line(7), 3)
    colors = pair_orbits(group)
    collapsed = collapse_twins(colors)
    np.testing.assert_array_equal(collapsed.kept, np.arange(7))
    for g in group.generators:  # restrict then lift is the identity on G's elements
        np.testing.assert_array_equal(collapsed.lift(collapsed.restrict(g)), g)
    lifted = collapsed.lift(np.roll(np.arange(7), 1))
    np.testing.assert_array_equal(colors[np.ix_(lifted, lifted)], colors)
    assert two_closure(F.diagonal_copies(F.affine_line(61), 2)).closure_order == factorial(61)


def test_twins_against_brute_force() -> None:
    # a 3-cycle on {0,1,2} copied (relabelled) onto {3,4,5}, and a fixed point 6
    group = PermGroup.from_cycles(7, "(0 1 2)(3 5 4)")
    colors = pair_orbits(group)
    assert collapse_twins(colors).kept.tolist() == [0, 1, 2, 6]
    order, generators = automorphism_group_order(colors)
    brute = sum(np.array_equal(colors[np.ix_(p, p)], colors) for p in map(list, permutations(range(7))))
    assert order == brute == 3
    assert int(PermGroup(7, generators).sympy.order()) == 3
