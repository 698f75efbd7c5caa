"""Equivariance matrix: f(g.x) = g.f(x) (token), f(g.x) = f(x) (sequence) for g in G; broken outside G^(2)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from tiny_models import GROUP_NAMES, closure_group, matrix_group, permutation_outside, tiny_config

from asen_fm import (
    AsenForNodeRegression,
    AsenForSequenceClassification,
    AsenForTokenClassification,
    AsenModel,
)
from asen_fm.equivariance import act_on_nodes, assert_equivariant, equivariance_error
from asen_fm.symmetry import PermGroup

HEADS = {"token": AsenForTokenClassification, "sequence": AsenForSequenceClassification}
INSIDE_TOL = 1e-5
OUTSIDE_MIN = 1e-3


@pytest.fixture(scope="module")
def matrix_models() -> dict[tuple[int, str], torch.nn.Module]:
    """One float64 model per (n, head) holding all eight symmetries on one backbone.

    A random init with std 0.5 (the HF default 0.02 makes attention nearly uniform, so symmetry breaking
    outside G^(2) would only show at the 1e-4..1e-7 level).
    """
    torch.manual_seed(0)
    models = {}
    for n in (6, 10):
        symmetries = {name: matrix_group(name, n) for name in GROUP_NAMES}
        for head, cls in HEADS.items():
            config = tiny_config(symmetries, num_labels=3, initializer_range=0.5)
            models[n, head] = cls(config).double().eval()
    return models


def _inputs(n: int) -> dict[str, torch.Tensor]:
    return {"input_ids": torch.randint(0, 5, (8, n), generator=torch.Generator().manual_seed(n))}


@pytest.mark.parametrize("name", GROUP_NAMES)
@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("n", [6, 10])
def test_equivariant_for_elements_of_g(matrix_models, n: int, head: str, name: str) -> None:
    group = matrix_group(name, n)
    outside = None if name == "symmetric" else "auto"  # a permutation outside G^(2) must break it
    report = assert_equivariant(
        matrix_models[n, head], _inputs(n), group, symmetry=name, samples=4, outside=outside
    )
    assert report["max_error"] < INSIDE_TOL


@pytest.mark.parametrize("name", [name for name in GROUP_NAMES if name != "symmetric"])
@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("n", [6, 10])
def test_not_equivariant_outside_two_closure(matrix_models, n: int, head: str, name: str) -> None:
    closure = closure_group(matrix_group(name, n))
    rng = np.random.default_rng(2)
    for _ in range(3):
        g = permutation_outside(closure, rng)
        assert equivariance_error(matrix_models[n, head], _inputs(n), g, symmetry=name) > OUTSIDE_MIN


def test_symmetric_group_model_is_fully_permutation_equivariant(matrix_models) -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        g = rng.permutation(10)
        assert (
            equivariance_error(matrix_models[10, "token"], _inputs(10), g, symmetry="symmetric") < INSIDE_TOL
        )


def test_not_two_closed_group_warns_and_model_follows_the_closure() -> None:
    """A_5 is not 2-closed (G^(2) = S_5): the model is equivariant to odd permutations (paper App. C.4)."""
    with pytest.warns(UserWarning, match=r"\|G\| = 60, \|G\^\(2\)\| = 120"):
        config = tiny_config({"alt": "alternating(5)"}, initializer_range=0.5)
    model = AsenForTokenClassification(config).double()
    odd = np.array([1, 0, 2, 3, 4])
    assert not PermGroup.alternating(5).contains(odd)
    assert equivariance_error(model, _inputs(5), odd, symmetry="alt") < INSIDE_TOL


def test_two_closed_group_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny_config({"d": "dihedral(6)"})


def test_node_features_and_node_regression_are_equivariant() -> None:
    torch.manual_seed(0)
    config = tiny_config({"d": "dihedral(8)"}, vocab_size=0, input_dim=2, num_labels=3, initializer_range=0.5)
    model = AsenForNodeRegression(config).double()
    inputs = {"node_features": torch.randn(4, 8, 2, dtype=torch.float64)}
    group = PermGroup.dihedral(8)
    rng = np.random.default_rng(4)
    assert equivariance_error(model, inputs, group.random_element(rng), symmetry="d") < INSIDE_TOL
    outside = permutation_outside(closure_group(group), rng)
    assert equivariance_error(model, inputs, outside, symmetry="d") > OUTSIDE_MIN


def test_base_model_hidden_states_are_equivariant_with_both_input_kinds() -> None:
    torch.manual_seed(0)
    config = tiny_config({"c": "cyclic(7)"}, input_dim=3, initializer_range=0.5)
    model = AsenModel(config).double()
    inputs = {
        "input_ids": torch.randint(0, 5, (2, 7)),
        "node_features": torch.randn(2, 7, 3, dtype=torch.float64),
    }
    g = np.roll(np.arange(7), 3)
    assert equivariance_error(model, inputs, g, symmetry="c") < INSIDE_TOL
    assert equivariance_error(model, inputs, np.array([1, 0, 2, 3, 4, 5, 6]), symmetry="c") > OUTSIDE_MIN


def test_act_on_nodes_follows_the_permutation_convention() -> None:
    """(g . x)[g[i]] = x[i]."""
    g = np.array([2, 0, 3, 1])
    x = torch.tensor([[10, 11, 12, 13]])
    moved = act_on_nodes(x, g)
    for i in range(4):
        assert moved[0, g[i]] == x[0, i]


def test_equivariance_error_rejects_bad_permutations(matrix_models) -> None:
    model = matrix_models[6, "token"]
    with pytest.raises(ValueError, match="not a permutation"):
        equivariance_error(model, _inputs(6), np.array([0, 0, 1, 2, 3, 4]), symmetry="cyclic")
    with pytest.raises(ValueError, match="length n=6"):
        equivariance_error(model, _inputs(6), np.arange(5), symmetry="cyclic")
    with pytest.raises(ValueError, match="inputs must hold"):
        equivariance_error(model, {"ids": torch.zeros(1, 6)}, np.arange(6), symmetry="cyclic")
