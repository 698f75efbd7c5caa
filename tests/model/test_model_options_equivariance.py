"""Every model option with every head: equivariant for sampled g in G, broken by a g outside G.

The symmetry is C_6 acting regularly on 6 nodes: one node orbit, so the node embeddings alone would leave
the model S_6-symmetric and only the pair-orbit path (bias table, shared or per layer, its scale, pair
embeddings) can break it. The models are float64 with every weight perturbed away from its initial
value (zero-initialized tables included), so a broken path shows far above the float64 tolerance.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from tiny_models import tiny_config

from asen_fm import (
    AsenForMultiTask,
    AsenForNodeRegression,
    AsenForSequenceClassification,
    AsenForTokenClassification,
    AsenModel,
)
from asen_fm.equivariance import assert_equivariant, equivariance_error
from asen_fm.symmetry import PermGroup

N = 6
SYMMETRIES = {"c": f"cyclic({N})"}
OPTIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "share_orbit_bias": {"share_orbit_bias": True},
    "sum_pooling": {"pooling": "sum"},
    "max_pooling": {"pooling": "max"},
    "orbit_bias_scale": {"orbit_bias_scale": 2.5},
    "pair_embeddings": {"pair_embeddings": True},
}
TASKS = {
    "tok": {"symmetry": "c", "head": "token", "num_labels": 2},
    "seq": {"symmetry": "c", "head": "sequence", "num_labels": 3},
    "reg": {"symmetry": "c", "head": "node_regression", "num_labels": 2},
}
# head -> (model class, node features instead of tokens, the selector passed to the model)
HEADS: dict[str, tuple[type, bool, dict[str, str]]] = {
    "base": (AsenModel, False, {"symmetry": "c"}),
    "token": (AsenForTokenClassification, False, {"symmetry": "c"}),
    "sequence": (AsenForSequenceClassification, False, {"symmetry": "c"}),
    "node_regression": (AsenForNodeRegression, True, {"symmetry": "c"}),
    "multitask_token": (AsenForMultiTask, False, {"task": "tok"}),
    "multitask_sequence": (AsenForMultiTask, True, {"task": "seq"}),
    "multitask_regression": (AsenForMultiTask, False, {"task": "reg"}),
}


def perturbed_model(head: str, options: dict[str, Any], seed: int = 0) -> torch.nn.Module:
    cls, features, _ = HEADS[head]
    torch.manual_seed(seed)
    extra = {"tasks": TASKS} if cls is AsenForMultiTask else {"num_labels": 3}
    config = tiny_config(SYMMETRIES, input_dim=3, initializer_range=0.5, **extra, **options)
    model = cls(config).double().eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.3 * torch.randn_like(parameter))
    return model


def inputs_for(head: str) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(3)
    if HEADS[head][1]:
        return {"node_features": torch.randn(4, N, 3, generator=generator, dtype=torch.float64)}
    return {"input_ids": torch.randint(0, 5, (4, N), generator=generator)}


def outside_elements(count: int, seed: int = 1) -> list[np.ndarray]:
    """Random permutations of 6 nodes outside C_6 (C_6 is regular, hence 2-closed)."""
    group, rng, found = PermGroup.cyclic(N), np.random.default_rng(seed), []
    while len(found) < count:
        g = rng.permutation(N)
        if not group.contains(g):
            found.append(g)
    return found


@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("option", list(OPTIONS))
def test_equivariant_inside_g_and_broken_outside(option: str, head: str) -> None:
    model = perturbed_model(head, OPTIONS[option])
    selector = HEADS[head][2]
    inputs = inputs_for(head)
    report = assert_equivariant(model, inputs, SYMMETRIES["c"], samples=4, **selector)
    assert report["max_error"] < 1e-9
    for g in outside_elements(3):
        assert equivariance_error(model, inputs, g, **selector) > 1e-3, (option, head, g.tolist())
