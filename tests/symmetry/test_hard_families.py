"""2-closures of the hard families (small 2-transitive and rank-3 groups, products) with known answers.

|AGL(1, p)^(2)| = p!, PSL(2, q) on q + 1 points and PSL(3, p) on the projective plane are 2-transitive,
hence not 2-closed (G^(2) = S_n); S_m on 2-subsets, S_m wr S_2 in product action and the Paley groups
are 2-closed rank-3 groups; A_m on 2-subsets has index 2. The extra generators are checked with SymPy.
"""

from __future__ import annotations

from itertools import permutations
from math import factorial, gcd

import numpy as np
import pytest

from asen_fm.symmetry import PermGroup, pair_orbits, two_closure
from asen_fm.symmetry import families as F
from asen_fm.symmetry.closure import automorphism_group_order


@pytest.mark.parametrize("p", [5, 7, 11, 47, 53])
def test_affine_line_closure_is_symmetric(p: int) -> None:
    result = two_closure(F.affine_line(p))
    assert result.order == p * (p - 1)
    assert result.closure_order == factorial(p) and not result.is_two_closed


@pytest.mark.parametrize("q", [5, 7, 9, 11, 25, 27, 49])
def test_projective_line_is_not_two_closed(q: int) -> None:
    result = two_closure(F.projective_line(q))
    assert result.order == q * (q * q - 1) // 2
    assert result.closure_order == factorial(q + 1)


@pytest.mark.parametrize("p", [2, 3, 7])
def test_projective_plane_is_not_two_closed(p: int) -> None:
    result = two_closure(F.projective_plane(p))
    assert result.order == p**3 * (p**3 - 1) * (p**2 - 1) // gcd(3, p - 1)
    assert result.closure_order == factorial(p * p + p + 1)


@pytest.mark.parametrize("p", [13, 17, 29, 97])
def test_paley_groups_are_two_closed(p: int) -> None:
    result = two_closure(F.paley_group(p))
    assert result.order == p * (p - 1) // 2 and result.is_two_closed
    assert result.pair_orbit_count == 3


@pytest.mark.parametrize("m", [5, 7, 14])
def test_two_subsets(m: int) -> None:
    symmetric, alternating = two_closure(F.two_subsets(m)), two_closure(F.two_subsets(m, alternating=True))
    assert symmetric.order == symmetric.closure_order == factorial(m)
    assert alternating.order == factorial(m) // 2 and alternating.closure_order == factorial(m)


@pytest.mark.parametrize("m", [3, 5, 10])
def test_rook_product_action_is_two_closed(m: int) -> None:
    result = two_closure(F.rook_product_action(m))
    assert result.order == result.closure_order == 2 * factorial(m) ** 2


def test_products_and_diagonal_copies() -> None:
    product = two_closure(F.direct_product_raw([F.affine_line(31), F.affine_line(31)]))
    assert product.order == 930**2 and product.closure_order == factorial(31) ** 2
    diagonal = two_closure(F.diagonal_copies(F.affine_line(31), 2))
    assert diagonal.order == 930 and diagonal.closure_order == factorial(31)  # S_31 acting on both copies
    wreath = two_closure(F.wreath_imprimitive(F.affine_line(5), 3))
    assert wreath.order == 20**3 * 6 and wreath.closure_order == factorial(5) ** 3 * 6


@pytest.mark.parametrize(
    "group",
    [
        F.affine_line(7),
        F.projective_line(5),
        F.two_subsets(5, alternating=True),
        F.diagonal_copies(F.affine_line(5), 2),
        F.direct_product_raw([F.affine_line(5), PermGroup.cyclic(4)]),
        F.wreath_imprimitive(PermGroup.cyclic(3), 2),
        F.wreath_imprimitive(F.affine_line(5), 2),
    ],
    ids=str,
)
def test_extra_generators_generate_the_closure(group: PermGroup) -> None:
    result = two_closure(group)
    colors = pair_orbits(group)
    for extra in result.extra_generators:
        np.testing.assert_array_equal(colors[np.ix_(extra, extra)], colors)
        assert not group.contains(extra)
    closure = PermGroup(group.n, list(group.generators) + list(result.extra_generators))
    assert int(closure.sympy.order()) == result.closure_order


def test_family_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="prime"):
        F.affine_line(4)
    with pytest.raises(ValueError, match="1 mod 4"):
        F.paley_group(7)
    with pytest.raises(ValueError, match="prime power"):
        F.galois_field(6)
    with pytest.raises(ValueError, match="odd q"):
        F.projective_line(8)


def test_block_colorings_have_wreath_closed_forms() -> None:
    # one point class, "same block" vs "different block": Aut = S_2 wr S_2 x S_3 for blocks 2, 2, 3
    blocks = np.array([0, 0, 1, 1, 2, 2, 2])
    colors = np.where(blocks[:, None] == blocks[None, :], 1, 2)
    np.fill_diagonal(colors, 0)
    order, generators = automorphism_group_order(colors)
    brute = sum(np.array_equal(colors[np.ix_(p, p)], colors) for p in map(list, permutations(range(7))))
    assert order == brute == 48
    assert int(PermGroup(7, generators).sympy.order()) == 48
    big = two_closure(F.wreath_imprimitive(F.affine_line(19), 5))
    assert big.closure_order == factorial(19) ** 5 * factorial(5)
    assert two_closure(PermGroup(256, PermGroup.swap_halves(256).generators)).is_two_closed
