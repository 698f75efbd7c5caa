"""Orbit colorings: counts for named groups, canonical ids, sparse frameworks, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from asen_fm import group_specs, orbit_coloring
from asen_fm.orbit_coloring import canonical_ids, coloring_from_json, node_orbits, pair_orbits
from asen_fm.symmetry import PermGroup, permute

PAIR_ORBIT_COUNTS = [
    ("cyclic(7)", 7),
    ("cyclic(12)", 12),
    ("dihedral(7)", 7 // 2 + 1),
    ("dihedral(12)", 12 // 2 + 1),
    ("symmetric(6)", 2),
    ("trivial(5)", 25),
    ("reversal(8)", 8 * 8 // 2),
    ("reversal(7)", (7 * 7 + 1) // 2),  # the centre pair (3, 3) is fixed
    ("swap_halves(10)", 3),
    ("block_product(3, 4)", 6),  # two diagonals, two within-block, two cross-block directions
    ("fix_first(6)", 5),
    ("alternating(5)", 2),
    ("grid(4, 4, torus)", 16),
]


@pytest.mark.parametrize(("spec", "count"), PAIR_ORBIT_COUNTS)
def test_pair_orbit_counts_of_named_groups(spec: str, count: int) -> None:
    ids = pair_orbits(PermGroup.parse(spec))
    assert ids.dtype == np.int32
    assert ids.max() + 1 == count
    assert set(np.unique(ids)) == set(range(count))


def test_node_orbits_of_block_product_are_the_blocks() -> None:
    np.testing.assert_array_equal(node_orbits(PermGroup.block_product([2, 3, 1])), [0, 0, 1, 1, 1, 2])
    np.testing.assert_array_equal(node_orbits(PermGroup.fix_first(4)), [0, 1, 1, 1])
    np.testing.assert_array_equal(node_orbits(PermGroup.trivial(3)), [0, 1, 2])


def test_ids_are_canonical_whatever_the_generators() -> None:
    # D_6 from its usual generators and from a redundant, shuffled set: byte-equal colorings.
    g = PermGroup.dihedral(6)
    rot, flip = g.generators
    other = PermGroup.from_generators([flip[rot], rot[rot[rot]], flip, rot])
    assert pair_orbits(g).tobytes() == pair_orbits(other).tobytes()
    assert node_orbits(g).tobytes() == node_orbits(other).tobytes()
    ids = pair_orbits(g).ravel()
    first_seen = ids[np.sort(np.unique(ids, return_index=True)[1])]
    np.testing.assert_array_equal(first_seen, np.arange(ids.max() + 1))


def test_coloring_is_invariant_under_the_group() -> None:
    g = PermGroup.parse("swap_halves(8)")
    a1, a2 = node_orbits(g), pair_orbits(g)
    rng = np.random.default_rng(0)
    for _ in range(5):
        s = g.random_element(rng)
        np.testing.assert_array_equal(permute(a1, s), a1)
        np.testing.assert_array_equal(permute(permute(a2, s, axis=0), s, axis=1), a2)


def test_plain_pair_and_json_inputs_match_the_group() -> None:
    g = PermGroup.dihedral(5)
    np.testing.assert_array_equal(pair_orbits((g.n, [x.tolist() for x in g.generators])), pair_orbits(g))
    a1, a2 = coloring_from_json(g.to_json())
    np.testing.assert_array_equal(a1, node_orbits(g))
    np.testing.assert_array_equal(a2, pair_orbits(g))
    a1_text, _ = coloring_from_json(json.dumps(g.to_json()))
    np.testing.assert_array_equal(a1_text, a1)


def test_sparse_support_gives_one_no_edge_id() -> None:
    g = PermGroup.cyclic(6)
    ring = np.zeros((6, 6), dtype=bool)
    for i in range(6):
        ring[i, (i + 1) % 6] = ring[(i + 1) % 6, i] = True
    ids = pair_orbits(g, support=ring)
    assert len(np.unique(ids[~ring])) == 1
    assert ids.max() + 1 == 3  # no-edge, forward edge, backward edge
    full = pair_orbits(g)
    assert len(np.unique(ids[ring])) == len(np.unique(full[ring]))


def test_weakly_sparse_refines_orbits_by_support() -> None:
    g = PermGroup.symmetric(4)
    path = np.zeros((4, 4), dtype=bool)
    path[0, 1] = path[1, 0] = True
    ids = pair_orbits(g, support=path, combine=True)
    # diagonal; off-diagonal edges; off-diagonal non-edges
    assert ids.max() + 1 == 3
    assert ids[0, 1] == ids[1, 0] != ids[0, 2]


def test_canonical_ids_first_occurrence() -> None:
    np.testing.assert_array_equal(canonical_ids(np.array([[7, 7], [-1, 7]])), [[0, 0], [1, 0]])


@pytest.mark.parametrize(
    ("group", "message"),
    [
        ((3, [[0, 0, 1]]), "generator 0 is not a bijection"),
        ((3, [[0, 1, 2], [0, 1]]), "generator 1 must be a 1-D sequence of length n=3"),
        ((3, [[0, 1, 3]]), "outside range"),
        ((0, []), "positive integer"),
        ("dihedral(4)", "expected a PermGroup"),
    ],
)
def test_bad_groups_are_rejected(group: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pair_orbits(group)


def test_bad_support_is_rejected() -> None:
    g = PermGroup.cyclic(4)
    with pytest.raises(ValueError, match=r"shape \(4, 4\)"):
        pair_orbits(g, support=np.ones((3, 3), dtype=bool))
    with pytest.raises(ValueError, match="only 0 and 1"):
        pair_orbits(g, support=np.full((4, 4), 2))
    with pytest.raises(ValueError, match="needs a support"):
        pair_orbits(g, combine=True)


def test_json_without_generators_is_a_value_error_naming_the_key() -> None:
    with pytest.raises(ValueError, match=r"missing \['spec or generators'\]"):
        coloring_from_json({"n": 3})


def test_module_is_numpy_only(tmp_path: Path) -> None:
    """orbit_coloring.py and the group_specs.py it imports, copied alone into a package (as next to the
    weights), build colorings from generators and from specs with NumPy only."""
    package = tmp_path / "shipped"
    package.mkdir()
    for module in (orbit_coloring, group_specs):
        shutil.copy(module.__file__, package / Path(module.__file__).name)
    (package / "__init__.py").write_text("")
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "from shipped import orbit_coloring as m\n"
        "print(m.pair_orbits((4, [[1, 2, 3, 0]])).max() + 1)\n"
        "print(m.coloring_from_json({'n': 9, 'spec': 'grid(3, 3, torus)'})[1].max() + 1)\n"
        "bad = [k for k in sys.modules if k.split('.')[0] in ('torch', 'sympy', 'scipy', 'asen_fm')]\n"
        "assert not bad, bad\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["4", "9"]
