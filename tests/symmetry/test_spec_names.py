"""Spec names beyond the named families: cluster groups, the skeleton groups, CLI answers for huge |G|."""

from __future__ import annotations

import math

import numpy as np
import pytest

from asen_fm.commands.orbits import run
from asen_fm.symmetry import PermGroup


def test_clusters_spec_is_the_product_of_symmetric_groups_on_arbitrary_index_sets() -> None:
    group = PermGroup.parse("clusters([0, 1, 0, 2, 1, 0])")
    assert group.order() == math.factorial(3) * math.factorial(2) == group.sympy.order()
    assert PermGroup.parse(str(group)) == group
    assert PermGroup.clusters(["a", "b", "a", "c", "b", "a"]) == group
    rng = np.random.default_rng(0)
    ids = np.array([0, 1, 0, 2, 1, 0])
    for _ in range(5):
        g = group.random_element(rng)
        assert np.array_equal(ids[g], ids)  # every element keeps each node in its cluster
    with pytest.raises(ValueError, match="non-empty"):
        PermGroup.clusters([])


@pytest.mark.parametrize(
    ("spec", "order"), [("skeleton16_flip()", 2), ("skeleton16_limbs()", 4), ("skeleton16_pairs()", 64)]
)
def test_skeleton_specs_parse_and_round_trip(spec: str, order: int) -> None:
    group = PermGroup.parse(spec)
    assert group.n == 16 and group.order() == order == group.sympy.order()
    assert str(group) == spec


def test_orbits_cli_prints_huge_orders_in_scientific_form(capsys) -> None:
    args = type("Args", (), {"spec": "symmetric(1800)", "closure_max_n": 256, "plot": None})()
    assert run(args) == 0
    out = capsys.readouterr().out
    assert "|G|          " in out and "e5" in out  # 1800! has 5,000+ digits, past str()'s limit


def test_a_degree_glued_to_the_name_gets_the_right_suggestion(capsys) -> None:
    args = type("Args", (), {"spec": "dihedral12", "closure_max_n": 256, "plot": None})()
    assert run(args) == 2
    assert "e.g. dihedral(12)" in capsys.readouterr().err


def test_patch_sizes_that_do_not_divide_the_side_leave_ragged_border_blocks() -> None:
    group = PermGroup.parse("grid(5, 4, patch, 3)")  # row runs 3 + 2, column runs 3 + 1
    assert group.order() == math.factorial(9) * math.factorial(3) * math.factorial(6) * math.factorial(2)
    assert group.order() == group.sympy.order()
    block = np.zeros(20, dtype=int)
    for index, (r0, c0) in enumerate([(0, 0), (0, 3), (3, 0), (3, 3)]):
        for r in range(r0, min(r0 + 3, 5)):
            for c in range(c0, min(c0 + 3, 4)):
                block[r * 4 + c] = index
    rng = np.random.default_rng(1)
    for _ in range(5):
        g = group.random_element(rng)
        assert np.array_equal(block[g], block)
