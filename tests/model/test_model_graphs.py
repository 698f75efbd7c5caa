"""Edge frameworks: the colorings against pair_orbits, the symmetry against a brute-force automorphism search,
and the model equivariant exactly inside Aut(node colors, pair colors, graph)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch
from tiny_models import tiny_config

from asen_fm import (
    AsenConfig,
    AsenForSequenceClassification,
    AsenForTokenClassification,
    assert_equivariant,
)
from asen_fm.equivariance import equivariance_error
from asen_fm.model_card import model_card_text
from asen_fm.orbit_coloring import edge_support, symmetry_coloring
from asen_fm.symmetry import PermGroup, pair_orbits
from asen_fm.symmetry.breaking import symmetry_order

PATH5 = [[0, 1], [1, 2], [2, 3], [3, 4]]  # reversal(5) preserves it, cyclic(5) does not
HEADS = {"token": AsenForTokenClassification, "sequence": AsenForSequenceClassification}
FRAMEWORKS = ("full", "sparse", "weakly_sparse")


def _entry(group: str, framework: str, edges=PATH5) -> dict:
    config = tiny_config({"s": {"group": group, "edges": edges, "framework": framework}})
    return config.symmetries["s"]


def _automorphisms(entry: dict) -> list[np.ndarray]:
    """Every p in S_n with C[p(i), p(j)] = C[i, j] for the model's full breaking input C (brute force)."""
    nodes, pairs, attend = symmetry_coloring(entry)
    colors = pairs.astype(np.int64) + 1
    if attend is not None:
        colors = np.where(attend, colors, 0)
    colors = colors * 1000 + nodes[:, None]
    n = entry["n"]
    found = []
    for p in itertools.permutations(range(n)):
        p = np.array(p)
        if np.array_equal(colors[np.ix_(p, p)], colors):  # C[p(i), p(j)] = C[i, j]
            found.append(p)
    return found


@pytest.mark.filterwarnings("ignore:symmetry 's'")
@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("group", ["reversal(5)", "cyclic(5)", "dihedral(5)", "symmetric(5)"])
def test_colorings_follow_pair_orbits_and_the_symmetry_order_is_the_brute_force_one(group, framework) -> None:
    entry = _entry(group, framework)
    nodes, pairs, attend = symmetry_coloring(entry)
    G = PermGroup.parse(group)
    support = edge_support(5, PATH5)
    if framework == "full":
        np.testing.assert_array_equal(pairs, pair_orbits(G))
        assert attend is None
    elif framework == "sparse":
        np.testing.assert_array_equal(pairs, pair_orbits(G, support=support))
        np.testing.assert_array_equal(attend, support)
    else:
        np.testing.assert_array_equal(pairs, pair_orbits(G, support=support, combine=True))
    assert symmetry_order(entry) == len(_automorphisms(entry))


def test_a_group_that_moves_an_edge_warns_with_a_generator_the_edge_and_the_remaining_order() -> None:
    with pytest.warns(UserWarning, match=r"maps edge \[3, 4\] to \[4, 0\].*Aut\(colors, graph\) of order 1"):
        tiny_config({"s": {"group": "cyclic(5)", "edges": PATH5, "framework": "sparse"}})
    with pytest.warns(UserWarning, match="does not preserve the graph"):
        tiny_config({"s": "cyclic(5)"}).add_symmetry("t", "cyclic(5)", edges=PATH5, framework="weakly_sparse")
    # A group that keeps the graph, or the full framework (the graph plays no part there): no warning.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny_config({"s": {"group": "reversal(5)", "edges": PATH5, "framework": "sparse"}})
        tiny_config({"s": {"group": "cyclic(5)", "edges": PATH5, "framework": "full"}})


@pytest.mark.filterwarnings("ignore:symmetry 's'")
@pytest.mark.parametrize("pair_embeddings", [False, True])
@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_model_is_equivariant_inside_aut_and_broken_outside(framework, head, pair_embeddings) -> None:
    """dihedral(6) on a path graph 0-1-2-3-4-5: the reflection keeps the path, rotations move its ends."""
    path6 = [[i, i + 1] for i in range(5)]
    entry_input = {"group": "dihedral(6)", "edges": path6, "framework": framework}
    torch.manual_seed(0)
    config = tiny_config({"s": entry_input}, initializer_range=0.5, pair_embeddings=pair_embeddings)
    model = HEADS[head](config).double().eval()
    entry = config.symmetries["s"]
    inputs = {"input_ids": torch.randint(0, 5, (4, 6), generator=torch.Generator().manual_seed(1))}
    automorphisms = {tuple(p) for p in _automorphisms(entry)}
    rng = np.random.default_rng(0)
    reflection = np.arange(6)[::-1].copy()
    rotation = np.roll(np.arange(6), 1)
    assert tuple(reflection) in automorphisms
    for p in automorphisms:
        assert equivariance_error(model, inputs, np.array(p), symmetry="s") < 1e-9
    if framework == "full":  # the graph plays no part: all of G^(2) = D_6 is a symmetry
        assert tuple(rotation) in automorphisms
        assert equivariance_error(model, inputs, rotation, symmetry="s") < 1e-9
    else:  # G^(2) ∩ Aut(path) = {id, reflection}: the rotation in G breaks it
        assert tuple(rotation) not in automorphisms and len(automorphisms) == 2
        assert equivariance_error(model, inputs, rotation, symmetry="s") > 1e-4
    outside = next(p for p in (rng.permutation(6) for _ in range(100)) if tuple(p) not in automorphisms)
    assert equivariance_error(model, inputs, outside, symmetry="s") > 1e-4


def test_sparse_attention_only_runs_along_edges_and_self_loops() -> None:
    torch.manual_seed(0)
    config = tiny_config({"s": {"group": "trivial(5)", "edges": PATH5, "framework": "sparse"}})
    model = AsenForTokenClassification(config).eval()
    model.set_attn_implementation("eager")
    out = model(input_ids=torch.randint(0, 5, (2, 5)), output_attentions=True)
    weights = out.attentions[0]
    support = torch.as_tensor(edge_support(5, PATH5))
    assert torch.all(weights[..., ~support] < 1e-30)
    assert torch.all(weights[..., support] > 0)


def test_assert_equivariant_passes_inside_and_catches_a_claim_that_is_too_big() -> None:
    torch.manual_seed(0)
    path6 = [[i, i + 1] for i in range(5)]
    with pytest.warns(UserWarning, match="does not preserve the graph"):
        config = tiny_config(
            {"s": {"group": "dihedral(6)", "edges": path6, "framework": "sparse"}}, initializer_range=0.5
        )
    model = AsenForTokenClassification(config).double()
    inputs = {"input_ids": torch.randint(0, 5, (3, 6))}
    report = assert_equivariant(
        model, inputs, group="reversal(6)", samples=4, outside=np.roll(np.arange(6), 1)
    )
    assert report["max_error"] < 1e-9 < report["outside_error"]
    with pytest.raises(AssertionError, match="not equivariant"):
        assert_equivariant(model, inputs, group="dihedral(6)", samples=16)


def test_graph_symmetry_round_trips_through_config_json_and_shows_in_the_card(tmp_path) -> None:
    entry = {"group": "reversal(5)", "edges": PATH5, "framework": "weakly_sparse"}
    model = AsenForTokenClassification(tiny_config({"s": entry}))
    model.save_pretrained(tmp_path)
    stored = json.loads((tmp_path / "config.json").read_text())["symmetries"]["s"]
    assert stored["edges"] == PATH5 and stored["framework"] == "weakly_sparse"
    loaded = AsenForTokenClassification.from_pretrained(tmp_path)
    ids = torch.randint(0, 5, (2, 5))
    model.eval(), loaded.eval()
    assert torch.equal(model(input_ids=ids).logits, loaded(input_ids=ids).logits)
    card = (tmp_path / "README.md").read_text()
    assert "weakly_sparse" in card and "| 4 |" in card
    assert "weakly_sparse" in model_card_text(loaded.config)


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        ({"group": "cyclic(4)", "framework": "sparse"}, "needs edges"),
        ({"group": "cyclic(4)", "edges": [[0, 1]], "framework": "dense"}, "framework must be one of"),
        ({"group": "cyclic(4)", "edges": [[0, 4]]}, r"edge \[0, 4\] has a node outside range\(4\)"),
        ({"group": "cyclic(4)", "edges": [[0, 1, 2]]}, r"list of \[i, j\] pairs"),
        ({"group": "cyclic(4)", "edges": [[0, 1]], "colour": 1}, "unknown keys"),
        ({"group": "cyclic(4)", "edges": [[0, 1]], "directed": "yes"}, "directed must be true or false"),
    ],
)
def test_bad_graph_symmetries_name_the_problem(entry, match) -> None:
    with pytest.raises(ValueError, match=match):
        tiny_config({"s": entry})


def test_directed_edges_keep_their_orientation() -> None:
    config = AsenConfig(
        vocab_size=3, symmetries={"s": {"group": "trivial(3)", "edges": [[1, 0]], "directed": True}}
    )
    assert config.symmetries["s"]["edges"] == [[1, 0]] and config.symmetries["s"]["directed"] is True
    support = edge_support(3, [[1, 0]], directed=True)
    assert support[1, 0] and not support[0, 1]
