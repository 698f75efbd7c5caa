"""The shipped spec module (group_specs.py): closed forms against the generator-based oracles of asen_fm."""

from __future__ import annotations

import math

import numpy as np
import pytest

from asen_fm.group_specs import named_group
from asen_fm.orbit_coloring import decode_generators, encode_generators, parse_group_json
from asen_fm.symmetry import PermGroup, node_orbits, pair_orbits, two_closure

SPECS = [
    "trivial(5)",
    "symmetric(1)",
    "symmetric(6)",
    "alternating(2)",
    "alternating(3)",
    "alternating(5)",
    "cyclic(1)",
    "cyclic(2)",
    "cyclic(7)",
    "dihedral(2)",
    "dihedral(3)",
    "dihedral(8)",
    "reversal(1)",
    "reversal(2)",
    "reversal(7)",
    "fix_first(5)",
    "block_product(2, 3, 1)",
    "clusters([3, 1, 3, 2, 1])",
    "swap_halves(2)",
    "swap_halves(8)",
    "grid(3, 4, torus)",
    "grid(2, 2, d4)",
    "grid(3, 3, d4)",
    "grid(4, 4, d4)",
    "grid(5, 7, patch, 2)",
    "grid(4, 4, patch, 3)",
    "direct_product(cyclic(3), trivial(2), symmetric(3))",
    "direct_product(dihedral(5), grid(2, 2, d4))",
]


@pytest.mark.parametrize("spec", SPECS)
def test_closed_forms_match_the_generators(spec: str) -> None:
    named, group = named_group(spec), PermGroup.parse(spec)
    assert (named.spec, named.n, named.order) == (str(group), group.n, group.order())
    np.testing.assert_array_equal(named.node_ids(), node_orbits(group))
    pairs = named.pair_ids()
    np.testing.assert_array_equal(pairs, pair_orbits(group))
    assert named.pair_count in (None, int(pairs.max()) + 1)
    closure = two_closure(group)
    if spec != "alternating(5)":
        assert named.two_closed is not None, "every named group here has its 2-closedness in closed form"
    if named.two_closed is not None:
        assert named.two_closed == closure.is_two_closed
        assert named.closure_order == closure.closure_order
    sizes = np.bincount(node_orbits(group))
    assert named.young == (math.prod(math.factorial(int(s)) for s in sizes) == group.order())
    assert PermGroup(group.n, named.generators()) == group


def test_unknown_names_are_left_to_asen_fm() -> None:
    assert named_group("from_cycles(4, '(0 1)')") is None
    assert named_group("direct_product(cyclic(3), skeleton16_flip())") is None
    with pytest.raises(ValueError, match="grid kind 'd4' needs a square grid"):
        named_group("grid(3, 4, d4)")


def test_compact_generators_round_trip_and_refuse_bad_lists() -> None:
    gens = [[1, 2, 0, 3], [0, 1, 3, 2]]
    stored = encode_generators(gens, 4)
    assert stored["dtype"] == "int16"
    assert decode_generators(stored, 4).tolist() == gens
    wide = encode_generators(np.roll(np.arange(40000), 1)[None], 40000)
    assert wide["dtype"] == "int32" and decode_generators(wide, 40000)[0, 0] == 39999
    with pytest.raises(ValueError, match="hold 8 int16 values, not a multiple of n = 3"):
        decode_generators(stored, 3)
    bad = encode_generators([[0, 0, 1, 2]], 4)
    with pytest.raises(ValueError, match="compact generator 0 is not a permutation of range"):
        decode_generators(bad, 4)
    with pytest.raises(ValueError, match="not valid base64"):
        decode_generators({"dtype": "int16", "base64": "!!"}, 4)
    with pytest.raises(ValueError, match="acts on 64 points, but n = 60"):
        parse_group_json({"n": 60, "spec": "grid(8, 8, torus)"})


def test_stored_form_is_the_spec_or_compact_generators() -> None:
    assert PermGroup.grid(64, 64, "patch", 3).to_json() == {"n": 4096, "spec": "grid(64, 64, patch, 3)"}
    raw = PermGroup.from_cycles(5, "(0 1 2)")
    stored = raw.to_json()
    assert set(stored) == {"n", "generators"} and PermGroup.from_json(stored) == raw
    old = {"n": 4, "generators": [[1, 2, 3, 0]], "spec": "cyclic(4)"}  # an older checkpoint's entry
    assert decode_generators(parse_group_json(old)["generators"], 4).tolist() == [[1, 2, 3, 0]]
    assert PermGroup.from_json(old) == PermGroup.cyclic(4)
