"""|G| from generators only (structure recognition + verified Schreier-Sims) against closed forms and
SymPy; SymPy is the oracle here and nowhere else."""

from __future__ import annotations

from math import factorial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asen_fm.symmetry import PermGroup
from asen_fm.symmetry import families as F
from asen_fm.symmetry.order import group_order
from asen_fm.symmetry.schreier import SchreierSims


def raw(group: PermGroup) -> PermGroup:
    """The same generators without the closed-form order."""
    return PermGroup(group.n, group.generators)


@pytest.mark.parametrize(
    "spec",
    [
        "swap_halves(10)",
        "swap_halves(160)",
        "swap_halves(1000)",
        "block_product(3, 4, 2)",
        "block_product(100, 400, 500)",
        "block_product(9, 9, 9, 1, 12)",
        "grid(6, 6, patch, 2)",
        "grid(9, 9, patch, 3)",
        "alternating(41)",
        "symmetric(300)",
        "dihedral(50)",
        "grid(8, 8, d4)",
        "direct_product(dihedral(5), alternating(9), cyclic(4))",
    ],
)
def test_raw_generators_match_closed_forms(spec: str) -> None:
    named = PermGroup.parse(spec)
    assert raw(named).order() == named.order()


@pytest.mark.parametrize(("d", "k"), [(10, 100), (100, 10), (5, 200), (3, 30), (8, 12), (2, 20)])
def test_wreath_products(d: int, k: int) -> None:
    for inner, inner_order in [
        (PermGroup.symmetric(d), factorial(d)),
        (PermGroup.cyclic(d), d),
        (PermGroup.alternating(d), max(factorial(d) // 2, 1)),
    ]:
        group = F.wreath_imprimitive(raw(inner), k)
        assert group.order() == inner_order**k * factorial(k)


@pytest.mark.parametrize("n", [24, 36])
def test_random_subgroups_match_sympy(n: int) -> None:
    rng = np.random.default_rng(n)
    halves, blocks = PermGroup.swap_halves(n), PermGroup.block_product([n // 2, n // 4, n // 4])
    groups = [
        PermGroup(n, [halves.random_element(rng) for _ in range(2)]),
        PermGroup(n, [blocks.random_element(rng) for _ in range(2)]),
        F.diagonal_copies(PermGroup(n // 2, [rng.permutation(n // 2)]), 2),
        PermGroup(n, [rng.permutation(n) for _ in range(2)]),
    ]
    for group in groups:
        assert group.order() == int(group.sympy.order())


@pytest.mark.parametrize(
    "group",
    [
        F.affine_line(13),
        F.projective_line(9),
        F.projective_plane(3),
        F.two_subsets(7),
        F.rook_product_action(4),
    ],
    ids=str,
)
def test_families_match_sympy(group: PermGroup) -> None:
    assert group.order() == int(group.sympy.order())


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 12).flatmap(lambda n: st.lists(st.permutations(list(range(n))), min_size=1, max_size=3))
)
def test_random_generators_match_sympy(gens: list[list[int]]) -> None:
    group = PermGroup.from_generators(gens)
    assert group_order(group.n, group.generators) == int(group.sympy.order())


@pytest.mark.parametrize("quiet", [0, 1, 12])
def test_schreier_sims_is_exact_however_short_the_random_phase(quiet: int) -> None:
    # quiet=0 stops the random phase at once: the deterministic check must then find the whole chain
    for group in [F.affine_line(11), F.projective_line(7), raw(PermGroup.swap_halves(8))]:
        chain = SchreierSims(group.n, group.generators, quiet=quiet)
        assert chain.order() == int(group.sympy.order())


def test_trivial_and_identity_generators() -> None:
    assert group_order(5, []) == 1
    assert group_order(5, [np.arange(5)]) == 1
    assert PermGroup(7, [np.arange(7)]).order() == 1


def test_copies_of_an_orbit_are_dropped() -> None:
    # S_300 acting on three copies at once: |G| = 300!, found without a 900-point Schreier-Sims
    assert F.diagonal_copies(raw(PermGroup.symmetric(300)), 3).order() == factorial(300)
    rng = np.random.default_rng(5)
    m, relabel = 12, rng.permutation(12)
    base = raw(PermGroup.dihedral(m))
    twisted = PermGroup(
        2 * m, [np.concatenate([g, relabel[g[np.argsort(relabel)]] + m]) for g in base.generators]
    )
    mixed = PermGroup(2 * m, [np.concatenate([g, np.roll(g, 1) + m]) for g in base.generators])  # not copies
    for group in (twisted, mixed):
        assert group.order() == int(group.sympy.order())
