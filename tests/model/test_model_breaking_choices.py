"""Node-only breaking, a coarser pair group, and row/column positions: each choice's symmetry, both ways."""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import pytest
import torch
from tiny_models import tiny_config

from asen_fm import AsenForSequenceClassification, AsenForTokenClassification
from asen_fm.configuration_asen import format_order
from asen_fm.equivariance import equivariance_error
from asen_fm.symmetry import PermGroup, node_orbits
from asen_fm.symmetry.breaking import node_only_is_exact, pair_table_size, symmetry_order

EXACT = ["trivial(9)", "block_product(3, 6)", "grid(4, 4, patch, 2)", "fix_first(9)"]
NOT_EXACT = ["cyclic(9)", "dihedral(9)", "swap_halves(8)", "grid(4, 4, torus)"]


def _inputs(n: int) -> dict[str, torch.Tensor]:
    return {"input_ids": torch.randint(0, 5, (3, n), generator=torch.Generator().manual_seed(n))}


@pytest.mark.parametrize("spec", EXACT + NOT_EXACT)
def test_node_only_exactness_matches_the_order_of_the_node_coloring_automorphisms(spec) -> None:
    group = PermGroup.parse(spec)
    entry = group.to_json()
    sizes = np.bincount(node_orbits(group))
    assert node_only_is_exact(entry) == (group.order() == math.prod(math.factorial(int(s)) for s in sizes))
    assert node_only_is_exact(entry) == (spec in EXACT)


@pytest.mark.parametrize("spec", EXACT)
@pytest.mark.parametrize("cls", [AsenForTokenClassification, AsenForSequenceClassification])
def test_node_only_is_exactly_g_equivariant(spec, cls) -> None:
    group = PermGroup.parse(spec)
    torch.manual_seed(0)
    config = tiny_config({"s": {"group": spec, "pairs": "none"}}, initializer_range=0.5)
    model = cls(config).double()
    embedder = model.asen.symmetry_embedders["s"]
    assert embedder.pair_bias is None and embedder.pair_ids is None
    rng = np.random.default_rng(0)
    for _ in range(4):
        assert equivariance_error(model, _inputs(group.n), group.random_element(rng), symmetry="s") < 1e-9
    outside = next(g for g in (rng.permutation(group.n) for _ in range(200)) if not group.contains(g))
    assert equivariance_error(model, _inputs(group.n), outside, symmetry="s") > 1e-4


def test_node_only_is_the_default_where_exact_and_the_pair_table_would_grow() -> None:
    config = tiny_config(
        {"t": "trivial(9)", "p": "grid(4, 4, patch, 2)", "s": "symmetric(6)", "d": "dihedral(9)"}
    )
    assert config.symmetries["t"]["pairs"] == "none"  # 81 pair orbits > 9 nodes
    assert config.symmetries["p"]["pairs"] == "none"
    assert "pairs" not in config.symmetries["s"]  # exact, but its 2 pair orbits are cheap: kept
    assert "pairs" not in config.symmetries["d"]  # not exact: the pair orbits are needed
    assert pair_table_size(config.symmetries["s"]) == 2
    assert pair_table_size(PermGroup.parse("trivial(9)").to_json()) == 81


def test_node_only_where_it_is_not_exact_warns_with_the_larger_order() -> None:
    with pytest.warns(UserWarning, match=r"node-only breaking .* \(order 362880\), which is larger than G"):
        config = tiny_config({"c": {"group": "cyclic(9)", "pairs": "none"}})
    assert symmetry_order(config.symmetries["c"]) == 362880
    with pytest.raises(ValueError, match="cannot carry the sparse framework"):
        tiny_config({"c": {"group": "cyclic(4)", "edges": [[0, 1]], "framework": "sparse", "pairs": "none"}})
    with pytest.raises(ValueError, match="pairs must be one of"):
        tiny_config({"c": {"group": "cyclic(4)", "pairs": "some"}})


def test_a_coarser_pair_group_keeps_g_and_its_own_symmetry() -> None:
    """C_8's node orbits with D_8's pair colors: equivariant to all of D_8, nothing more."""
    torch.manual_seed(0)
    config = tiny_config({"c": {"group": "cyclic(8)", "pair_group": "dihedral(8)"}}, initializer_range=0.5)
    model = AsenForTokenClassification(config).double()
    assert symmetry_order(config.symmetries["c"]) == 16
    dihedral = PermGroup.dihedral(8)
    rng = np.random.default_rng(0)
    for _ in range(4):
        assert equivariance_error(model, _inputs(8), dihedral.random_element(rng), symmetry="c") < 1e-9
    outside = next(g for g in (rng.permutation(8) for _ in range(200)) if not dihedral.contains(g))
    assert equivariance_error(model, _inputs(8), outside, symmetry="c") > 1e-4
    with pytest.raises(ValueError, match="pair_group must contain G"):
        tiny_config({"d": {"group": "dihedral(8)", "pair_group": "cyclic(8)"}})


def test_row_column_positions_are_the_2d_baseline() -> None:
    torch.manual_seed(0)
    config = tiny_config({"img": {"group": "trivial(12)", "positions": [3, 4]}}, initializer_range=0.5)
    model = AsenForSequenceClassification(config).double()
    embedder = model.asen.symmetry_embedders["img"]
    assert embedder.row_embedding.weight.shape == (3, 16) and embedder.column_embedding.weight.shape == (
        4,
        16,
    )
    table = embedder.node_table()
    assert torch.allclose(
        table[1 * 4 + 2], embedder.row_embedding.weight[1] + embedder.column_embedding.weight[2]
    )
    assert config.symmetries["img"]["pairs"] == "none" and symmetry_order(config.symmetries["img"]) == 1
    transpose_like = np.roll(np.arange(12), 1)
    assert equivariance_error(model, _inputs(12), transpose_like, symmetry="img") > 1e-4
    with pytest.raises(ValueError, match="use them with the trivial group"):
        tiny_config({"img": {"group": "cyclic(12)", "positions": [3, 4]}})
    with pytest.raises(ValueError, match=r"h \* w = n = 12"):
        tiny_config({"img": {"group": "trivial(12)", "positions": [3, 5]}})


def test_an_o_n2_pair_table_is_announced(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="transformers"):
        AsenForTokenClassification(tiny_config({"big": {"group": "trivial(40)", "pairs": "orbits"}}))
    assert "pair-orbit table has 1600 rows for n = 40 nodes" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="transformers"), warnings.catch_warnings():
        AsenForTokenClassification(tiny_config({"small": "trivial(40)"}))
    assert "pair-orbit table" not in caplog.text


def test_node_only_cards_skip_the_two_closure_and_ragged_patches_stay_exact(tmp_path) -> None:
    config = tiny_config({"p": "grid(7, 5, patch, 3)", "pos": {"group": "trivial(35)", "positions": [7, 5]}})
    assert config.symmetries["p"]["pairs"] == "none" and config.symmetries["pos"]["pairs"] == "none"
    AsenForSequenceClassification(config).save_pretrained(tmp_path)
    card = (tmp_path / "README.md").read_text()
    assert "- (node-only breaking)" in card
    # rows cut 3 + 3 + 1, columns 3 + 2: blocks of 9, 6, 9, 6, 3 and 2 pixels
    order = math.factorial(9) ** 2 * math.factorial(6) ** 2 * math.factorial(3) * math.factorial(2)
    assert PermGroup.parse("grid(7, 5, patch, 3)").order() == order
    assert f"| p | `grid(7, 5, patch, 3)` | 35 | {format_order(order)} |" in card and "8.192e17" in card
