"""PermGroup: constructors, orders, specs, JSON, equality, membership, sampling, bad input."""

from __future__ import annotations

import json
from math import factorial

import numpy as np
import pytest

from asen_fm.symmetry import PermGroup, compose, format_cycles, inverse, parse_cycles, permute

ORDERS = [
    ("trivial(4)", 1),
    ("symmetric(5)", 120),
    ("symmetric(2)", 2),
    ("symmetric(1)", 1),
    ("alternating(5)", 60),
    ("alternating(6)", 360),
    ("cyclic(9)", 9),
    ("dihedral(9)", 18),
    ("dihedral(2)", 2),
    ("reversal(6)", 2),
    ("fix_first(5)", 24),
    ("block_product(2, 3, 4)", 2 * 6 * 24),
    ("block_product([3, 2])", 12),
    ("swap_halves(8)", 24 * 24 * 2),
    ("grid(3, 4, torus)", 12),
    ("grid(4, 4, d4)", 8),
    ("grid(4, 6, patch, 2)", factorial(4) ** 6),
    ("grid(4, 4, patch, 1)", 1),
    ("direct_product(cyclic(3), reversal(4))", 6),
    ("from_cycles(6, '(0 1)(2 3)')", 2),
    ("from_cycles(5, '(0 1 2 3 4)', '(0 1)')", 120),
    ("from_generators([[1, 0, 2], [0, 2, 1]])", 6),
]


@pytest.mark.parametrize(("spec", "order"), ORDERS)
def test_orders_and_spec_round_trip(spec: str, order: int) -> None:
    g = PermGroup.parse(spec)
    assert g.order() == order
    assert PermGroup(g.n, g.generators).order() == order  # closed form agrees with SymPy
    again = PermGroup.parse(str(g))
    assert again == g
    assert [x.tolist() for x in again.generators] == [x.tolist() for x in g.generators]
    from_json = PermGroup.from_json(json.loads(json.dumps(g.to_json())))
    assert from_json == g and str(from_json) == str(g)
    assert PermGroup.parse(json.dumps(g.to_json())) == g


def test_named_specs_print_as_written() -> None:
    assert str(PermGroup.dihedral(12)) == "dihedral(12)"
    assert str(PermGroup.block_product([130, 77])) == "block_product(130, 77)"
    assert str(PermGroup.parse("grid(8,8,torus)")) == "grid(8, 8, torus)"
    assert str(PermGroup.from_cycles(6, "(0 1)(2 3)")) == "from_cycles(6, '(0 1)(2 3)')"
    assert str(PermGroup.from_generators([], n=3)) == "trivial(3)"


def test_generators_are_validated_arrays() -> None:
    g = PermGroup.cyclic(5)
    assert g.n == 5 and isinstance(g.generators, tuple)
    assert g.generators[0].dtype == np.int64
    with pytest.raises(ValueError):
        g.generators[0][0] = 3  # read-only
    assert PermGroup.from_generators([[0, 1, 2]]).generators == ()  # identity dropped


def test_grid_generators_move_cells_as_described() -> None:
    torus = PermGroup.grid(2, 3, "torus")
    down, right = torus.generators
    assert down[0 * 3 + 2] == 1 * 3 + 2 and down[1 * 3 + 0] == 0 * 3 + 0
    assert right[0 * 3 + 2] == 0 * 3 + 0
    rot, flip = PermGroup.grid(3, 3, "d4").generators
    assert rot[0] == 2 and rot[2] == 8 and flip[0] == 2 and flip[4] == 4


def test_direct_product_acts_on_blocks() -> None:
    g = PermGroup.direct_product([PermGroup.cyclic(3), PermGroup.symmetric(2)])
    assert g.n == 5 and g.order() == 6
    assert g.contains([1, 2, 0, 4, 3]) and not g.contains([0, 1, 2, 4, 3][::-1])


def test_equality_is_as_sets_and_hash_agrees() -> None:
    a = PermGroup.symmetric(4)
    b = PermGroup.from_cycles(4, "(0 1)", "(1 2)", "(2 3)")
    assert a == b and hash(a) == hash(b)
    assert a != PermGroup.alternating(4)
    assert PermGroup.cyclic(4) != PermGroup.cyclic(5)
    assert PermGroup.dihedral(4) == PermGroup.from_cycles(4, "(0 1 2 3)", "(0 1)(2 3)")
    assert len({PermGroup.dihedral(6), PermGroup.parse("dihedral(6)")}) == 1


def test_contains_and_random_element() -> None:
    g = PermGroup.dihedral(5)
    assert g.contains([4, 3, 2, 1, 0]) and not g.contains([1, 0, 2, 3, 4])
    rng = np.random.default_rng(1)
    draws = [tuple(g.random_element(rng)) for _ in range(2000)]
    assert all(g.contains(d) for d in set(draws))
    counts = np.array(list({d: draws.count(d) for d in set(draws)}.values()))
    assert len(counts) == 10  # every element of D_5 appears
    assert counts.min() > 120 and counts.max() < 280  # ~200 each (uniform)
    assert PermGroup.trivial(3).random_element(rng).tolist() == [0, 1, 2]


def test_random_element_is_reproducible() -> None:
    g = PermGroup.swap_halves(6)
    x = g.random_element(np.random.default_rng(7))
    y = g.random_element(np.random.default_rng(7))
    np.testing.assert_array_equal(x, y)


def test_permute_follows_the_convention() -> None:
    g = np.array([2, 0, 1])
    x = np.array([10, 11, 12])
    y = permute(x, g)
    assert y[g[0]] == x[0] and y[g[1]] == x[1]  # (g . x)[g[i]] = x[i]
    np.testing.assert_array_equal(y, x[np.argsort(g)])
    h = np.array([1, 0, 2])
    np.testing.assert_array_equal(permute(permute(x, h), g), permute(x, compose(g, h)))
    table = np.arange(9).reshape(3, 3)
    moved = permute(permute(table, g, axis=0), g, axis=1)
    assert moved[g[0], g[2]] == table[0, 2]
    np.testing.assert_array_equal(compose(g, inverse(g)), np.arange(3))
    with pytest.raises(ValueError, match="length n=3"):
        permute(x, [0, 1])


def test_cycle_notation_round_trip() -> None:
    g = parse_cycles(6, "(0 1)(2 3 4)")
    assert g.tolist() == [1, 0, 3, 4, 2, 5]
    assert format_cycles(g) == "(0 1)(2 3 4)"
    assert format_cycles(np.arange(3)) == "()"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("dihedrall(4)", "unknown group name 'dihedrall'"),
        ("dihedral(4, 5)", "wrong arguments for dihedral"),
        ("dihedral()", "wrong arguments for dihedral"),
        ("dihedral(0)", "n must be >= 1"),
        ("dihedral(-3)", "n must be >= 1"),
        ("dihedral(2.5)", "cannot read argument '2.5'"),
        ("dihedral('4')", "n must be an integer"),
        ("swap_halves(7)", "even n"),
        ("grid(4, 5, d4)", "square grid"),
        ("grid(4, 4, hex)", "unknown grid kind 'hex'"),
        ("grid(4, 4, patch, 0)", "patch size must be >= 1"),
        ("grid(4, 4, patch)", "needs a patch size"),
        ("block_product()", "non-empty"),
        ("block_product(3, 0)", "block size 1 must be >= 1"),
        ("from_cycles(3, '(0 5)')", "outside range"),
        ("from_cycles(3, '(0 1)(1 2)')", "appears twice"),
        ("from_cycles(3, '0 1')", "stray text"),
        ("dihedral", "needs arguments"),
        ("dihedral(n=4)", "keyword arguments"),
        ("dihedral(4", "cannot parse"),
        ("os.system('x')", "must look like name"),
        ("direct_product(3)", "factor 0 is a int"),
    ],
)
def test_bad_specs_name_the_problem(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PermGroup.parse(spec)


def test_bad_generators_and_json() -> None:
    with pytest.raises(ValueError, match="generator 1 is not a bijection"):
        PermGroup.from_generators([[1, 0, 2], [0, 0, 2]])
    with pytest.raises(ValueError, match="generator 1 must be a 1-D sequence of length n=3"):
        PermGroup.from_generators([[1, 0, 2], [0, 1]])
    with pytest.raises(ValueError, match="needs n"):
        PermGroup.from_generators([])
    with pytest.raises(ValueError, match=r"missing \['n'\]"):  # one parser, one kind of error
        PermGroup.from_json({"generators": []})
    with pytest.raises(ValueError, match="does not describe"):
        PermGroup.from_json({"n": 4, "generators": [[1, 0, 2, 3]], "spec": "cyclic(4)"})
    with pytest.raises(ValueError, match="could not be decoded"):
        PermGroup.parse("{not json")
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        PermGroup.cyclic(3).random_element(0)  # type: ignore[arg-type]


def test_json_with_other_generators_of_the_same_group_keeps_the_name() -> None:
    obj = {"n": 4, "generators": [[3, 0, 1, 2]], "spec": "cyclic(4)"}  # rotation the other way
    g = PermGroup.from_json(obj)
    assert str(g) == "cyclic(4)" and g.generators[0].tolist() == [3, 0, 1, 2]


@pytest.mark.parametrize(
    "name", ["trivial", "symmetric", "alternating", "cyclic", "dihedral", "reversal", "fix_first"]
)
def test_closed_form_orders_agree_with_sympy_for_small_n(name: str) -> None:
    for n in range(1, 8):
        g = getattr(PermGroup, name)(n)
        assert g.order() == PermGroup(g.n, g.generators).order(), (name, n)


@pytest.mark.parametrize(
    ("h", "w", "kind", "patch"),
    [
        (1, 1, "d4", None),
        (2, 2, "d4", None),
        (1, 5, "torus", None),
        (2, 2, "torus", None),
        (2, 4, "patch", 2),
    ],
)
def test_grid_orders_agree_with_sympy_in_corner_cases(h: int, w: int, kind: str, patch: int | None) -> None:
    g = PermGroup.grid(h, w, kind, patch)
    assert g.order() == PermGroup(g.n, g.generators).order()
    assert PermGroup.swap_halves(2).order() == PermGroup(2, PermGroup.swap_halves(2).generators).order() == 2
