"""Families across sizes: each family's coloring against pair_orbits of the named group at n = 3..40, names
shared across n, bounded tables, the automorphism group of bucketed colorings, spec parsing and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from asen_fm.family_coloring import FAMILIES
from asen_fm.orbit_coloring import canonical_ids, node_orbits, pair_orbits
from asen_fm.symmetry import PermGroup, registry
from asen_fm.symmetry.closure import automorphism_group_order
from asen_fm.symmetry.sizes import Family, is_family_spec, register_family
from asen_fm.symmetry.specs import FREE, parse_spec

ONE_DIMENSIONAL = ("reversal", "cyclic", "dihedral", "symmetric", "swap_halves", "trivial")


def degrees(name: str) -> list[int]:
    return [n for n in range(3, 41) if name != "swap_halves" or n % 2 == 0]


def refines(fine: np.ndarray, coarse: np.ndarray) -> bool:
    """Whether every class of ``fine`` lies inside one class of ``coarse``."""
    pairs = canonical_ids(fine.astype(np.int64) * (int(coarse.max()) + 1) + coarse)
    return int(pairs.max()) == int(fine.max())


@pytest.mark.parametrize("name", ONE_DIMENSIONAL)
def test_exact_bounds_give_exactly_the_orbits_of_the_named_group(name: str) -> None:
    family = Family.parse(f"{name}(*)", max_n=64, exact=64, pairs="orbits")
    for n in degrees(name):
        group = getattr(PermGroup, name)(n)
        assert family.group(n) == group
        nodes, pairs = family.coloring(n)
        assert family.exact_at(n)
        np.testing.assert_array_equal(canonical_ids(nodes), node_orbits(group), err_msg=f"{name} n={n}")
        np.testing.assert_array_equal(canonical_ids(pairs), pair_orbits(group), err_msg=f"{name} n={n}")


@pytest.mark.parametrize("name", ("reversal", "cyclic", "dihedral"))
def test_default_buckets_are_exact_where_claimed_and_coarser_elsewhere(name: str) -> None:
    family = Family.parse(f"{name}(*)", exact=8)
    claims = []
    for n in degrees(name):
        group = family.group(n)
        nodes, pairs = family.coloring(n)
        orbits = pair_orbits(group)
        exact = np.array_equal(canonical_ids(pairs), orbits) and np.array_equal(
            canonical_ids(nodes), node_orbits(group)
        )
        assert exact == family.exact_at(n), f"{name} n={n}: claims exact={family.exact_at(n)}"
        assert refines(orbits, pairs) and refines(node_orbits(group), nodes)  # G_n-invariant either way
        claims.append(exact)
    assert claims[0] and not claims[-1]  # both regimes are exercised


@pytest.mark.parametrize(
    ("spec", "size"),
    [
        ("reversal(*)", 9),
        ("reversal(*)", 14),
        ("cyclic(*)", 13),
        ("dihedral(*)", 12),
        ("grid(*, *, torus)", (6, 7)),
        ("relative(*)", 9),  # T5-style signed offsets: far coarser than trivial(9)'s orbits, same Aut
    ],
)
def test_bucketed_colorings_still_pin_exactly_g_n(spec: str, size) -> None:
    """Past ``exact`` buckets merge orbits, but offsets +-1 keep their rows: Aut(colors) is still G_n."""
    family = Family.parse(spec, exact=2)
    assert not family.exact_at(size)
    nodes, pairs = family.coloring(size)
    colors = (pairs + 1) * (int(nodes.max()) + 1) + nodes[:, None] * np.eye(len(nodes), dtype=np.int64)
    order, _ = automorphism_group_order(colors)
    assert order == family.group(size).order()


def test_names_are_shared_across_lengths() -> None:
    reversal = Family.parse("reversal(*)")
    short, long = reversal.coloring(6), reversal.coloring(31)
    assert short[0][0] == long[0][0] == long[0][-1]  # an end is an end at every length
    assert short[1][0, 1] == long[1][0, 1] == long[1][30, 29]  # "next node, away from the end"
    cyclic = Family.parse("cyclic(*)")
    for n in (4, 9, 40):
        nodes, pairs = cyclic.coloring(n)
        assert pairs[0, 1] == cyclic.coloring(5)[1][2, 3] and pairs[1, 0] == cyclic.coloring(5)[1][3, 2]
        assert pairs[0, 1] != pairs[1, 0]
    dihedral = Family.parse("dihedral(*)")
    assert dihedral.coloring(7)[1][0, 6] == dihedral.coloring(30)[1][4, 5]  # distance 1 around the cycle


@pytest.mark.parametrize("name", ONE_DIMENSIONAL + ("grid",))
def test_tables_are_bounded_and_every_row_is_in_them(name: str) -> None:
    spec = "grid(*, *, torus)" if name == "grid" else f"{name}(*)"
    family = Family.parse(spec, max_n=48, exact=8, pairs="orbits")
    node_rows, pair_rows = family.table_sizes()
    sizes = [(6, 8), (3, 16), (48, 1)] if name == "grid" else [n for n in (4, 16, 48) if n >= family.min_n]
    for size in sizes:
        nodes, pairs = family.coloring(size)
        assert 0 <= nodes.min() and nodes.max() < node_rows
        assert 0 <= pairs.min() and pairs.max() < pair_rows


@pytest.mark.parametrize("size", [(3, 4), (4, 4), (5, 3), (2, 6)])
def test_grid_torus_family_against_the_grid_group(size: tuple[int, int]) -> None:
    family = Family.parse("grid(*, *, torus)")
    group = PermGroup.grid(*size, "torus")
    nodes, pairs = family.coloring(size)
    np.testing.assert_array_equal(canonical_ids(pairs), pair_orbits(group))
    np.testing.assert_array_equal(canonical_ids(nodes), node_orbits(group))
    fixed = Family.parse(f"grid(*, {size[1]}, torus)")
    assert fixed.size(size[0] * size[1]) == size  # one side fixed: the size follows from n


def test_family_specs_go_through_the_one_spec_parser() -> None:
    assert parse_spec("reversal(*)").args == (FREE,)
    assert parse_spec("grid(*, 8, torus)").args == (FREE, 8, "torus")
    assert is_family_spec("dihedral( * )") and not is_family_spec("dihedral(8)")
    with pytest.raises(ValueError, match="family across sizes"):
        PermGroup.parse("reversal(*)")
    assert Family.parse("cyclic(*)", max_n=100).entry == {
        "spec": "cyclic(*)", "max_n": 100, "exact": 32,
    }  # fmt: skip
    assert Family.parse("trivial(*)").entry["pairs"] == "none"  # absolute positions, node-only (exact)


@pytest.mark.parametrize(
    ("spec", "bounds", "message"),
    [
        ("rotation(*)", {}, "no family named 'rotation'"),
        ("reversal(*, 3)", {}, "takes only the free degree"),
        ("grid(*, *, d4)", {}, "grid\\(\\*, \\*, torus\\)"),
        ("cyclic(*)", {"max_n": 1}, "max_n must be an int >= 2"),
        ("cyclic(*)", {"pairs": "some"}, "pairs must be"),
        ("cyclic(8)", {}, "no free degree"),
    ],
)
def test_bad_family_specs_name_the_problem(spec: str, bounds: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Family.parse(spec, **bounds)


@pytest.mark.parametrize(
    ("spec", "n", "message"),
    [
        ("dihedral(*)", 2, "defined for n >= 3"),
        ("swap_halves(*)", 7, "n must be even"),
        ("reversal(*)", 65, "past the family bound max_n = 64"),
    ],
)
def test_sizes_outside_the_family_are_refused(spec: str, n: int, message: str) -> None:
    family = Family.parse(spec, max_n=64)
    with pytest.raises(ValueError, match=message):
        family.coloring(n)
    with pytest.raises(ValueError, match=message):
        family.check(n, where="row 3")


def test_user_defined_families_from_a_function_or_a_registered_group() -> None:
    register_family("fix_first")  # the registered group fix_first(n), as a family
    register_family(
        "pinned_last", lambda n: PermGroup.from_generators(PermGroup.fix_first(n).generators[::-1], n)
    )
    try:
        family = Family.parse("fix_first(*)", max_n=24)
        for n in range(3, 25):
            group = PermGroup.fix_first(n)
            nodes, pairs = family.coloring(n)
            np.testing.assert_array_equal(canonical_ids(pairs), pair_orbits(group))
            np.testing.assert_array_equal(nodes, node_orbits(group))
        assert family.coloring(5)[1][0, 1] == family.coloring(20)[1][0, 7]  # "pinned -> free" at every n
        assert Family.parse("pinned_last(*)").group(6) == PermGroup.fix_first(6)
        assert PermGroup.parse("pinned_last(7)").order() == 720  # the function is a group spec too
        with pytest.raises(ValueError, match="must be a new identifier"):
            register_family("reversal")
        with pytest.raises(ValueError, match="no group 'nameless' is registered"):
            register_family("nameless")
    finally:
        FAMILIES.pop("fix_first")
        FAMILIES.pop("pinned_last")
        registry._BUILDERS.pop("pinned_last")
