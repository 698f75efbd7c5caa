"""The 16-joint skeleton, its four groups (orders against SymPy) and which of them keep the skeleton edges."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sympy.combinatorics import Permutation, PermutationGroup

from asen_fm.domains.pose.skeleton import (
    EDGES,
    GROUPS,
    JOINTS,
    LEFT_RIGHT_PAIRS,
    PARENTS,
    adjacency,
    edge_stabilizer,
    group_elements,
    preserves_edges,
)
from asen_fm.symmetry import PermGroup, pair_orbits

ORDERS = {"trivial": 1, "skeleton16_flip": 2, "skeleton16_limbs": 4, "skeleton16_pairs": 64}


def test_layout_is_the_issue_s() -> None:
    assert JOINTS[:4] == ("Hip", "RHip", "RKnee", "RFoot") and JOINTS[9] == "Head" and JOINTS[15] == "RWrist"
    assert PARENTS == (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 8, 10, 11, 8, 13, 14)
    assert len(EDGES) == 15 and len({frozenset(e) for e in EDGES}) == 15
    for right, left in LEFT_RIGHT_PAIRS:  # names pair up R<->L
        assert JOINTS[right][0] == "R" and JOINTS[left] == "L" + JOINTS[right][1:]


@pytest.mark.parametrize("name", list(GROUPS))
def test_group_orders_match_sympy(name: str) -> None:
    group = GROUPS[name]()
    assert group.n == 16 and group.order() == ORDERS[name]
    gens = [Permutation(g.tolist()) for g in group.generators] or [Permutation(list(range(16)))]
    assert PermutationGroup(gens).order() == ORDERS[name]
    assert len(group_elements(group)) == ORDERS[name]
    assert PermGroup.parse(str(group)) == group  # the spec (or cycle fallback) parses back


def _brute_force_preserving(group: PermGroup) -> list[np.ndarray]:
    edges = {frozenset(e) for e in EDGES}
    return [
        g for g in group_elements(group) if {frozenset((int(g[i]), int(g[j]))) for i, j in EDGES} == edges
    ]


@pytest.mark.parametrize(
    "name, preserving",
    [("trivial", 1), ("skeleton16_flip", 2), ("skeleton16_limbs", 4), ("skeleton16_pairs", 4)],
)
def test_which_groups_preserve_the_skeleton(name: str, preserving: int) -> None:
    group = GROUPS[name]()
    kept = _brute_force_preserving(group)
    assert len(kept) == preserving
    assert preserves_edges(group) == (preserving == group.order())
    stab = edge_stabilizer(group)
    assert stab.order() == preserving
    assert all(stab.contains(g) for g in kept)


def test_pairs_shrinks_to_limbs_and_one_knee_swap_breaks_an_edge() -> None:
    assert edge_stabilizer(GROUPS["skeleton16_pairs"]()) == GROUPS["skeleton16_limbs"]()
    knees = np.arange(16)
    knees[[2, 5]] = [5, 2]
    a = adjacency()
    assert a[1, 2] and not a[1, 5]  # RHip-RKnee is a bone, RHip-LKnee is not
    assert not preserves_edges(PermGroup(16, [knees]))


def test_pair_orbits_of_edge_preserving_groups_never_mix_bones_and_non_bones() -> None:
    a = adjacency()
    for name in ("skeleton16_flip", "skeleton16_limbs"):
        orbits = pair_orbits(GROUPS[name]())
        for k in range(int(orbits.max()) + 1):
            assert len(set(a[orbits == k].tolist())) == 1


def test_adjacency_rejects_bad_edges() -> None:
    with pytest.raises(ValueError, match="outside"):
        adjacency([(0, 16)])
    with pytest.raises(ValueError, match="pair"):
        adjacency([(0, 1, 2)])


def test_group_elements_refuses_large_groups() -> None:
    with pytest.raises(ValueError, match="too large"):
        group_elements(PermGroup.symmetric(10), limit=100)


def test_flip_swaps_every_pair_at_once() -> None:
    (g,) = GROUPS["skeleton16_flip"]().generators
    for right, left in LEFT_RIGHT_PAIRS:
        assert g[right] == left and g[left] == right
    assert all(g[j] == j for j in (0, 7, 8, 9))
    assert list(itertools.chain.from_iterable(LEFT_RIGHT_PAIRS)) == [1, 4, 2, 5, 3, 6, 13, 10, 14, 11, 15, 12]
