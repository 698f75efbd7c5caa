"""AsenConfig is JSON-plain and validated; bad inputs fail with errors that name the problem; head losses."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from tiny_models import tiny_config

from asen_fm import (
    AsenConfig,
    AsenForNodeRegression,
    AsenForSequenceClassification,
    AsenForTokenClassification,
)
from asen_fm.equivariance import equivariance_error
from asen_fm.orbit_coloring import decode_generators
from asen_fm.symmetry import PermGroup

TWO = {"dihedral": "dihedral(6)", "cyclic": "cyclic(8)"}


def test_config_stores_groups_as_json_and_round_trips() -> None:
    config = tiny_config(
        {"d": "dihedral(6)", "p": PermGroup.reversal(4), "j": {"n": 3, "generators": [[1, 2, 0]]}}
    )
    text = config.to_json_string()
    stored = json.loads(text)["symmetries"]
    assert stored["d"] == PermGroup.dihedral(6).to_json() == {"n": 6, "spec": "dihedral(6)"}
    assert stored["p"] == {"n": 4, "spec": "reversal(4)"}
    assert stored["j"]["n"] == 3 and decode_generators(stored["j"]["generators"], 3).tolist() == [[1, 2, 0]]
    again = AsenConfig.from_dict(json.loads(text))
    assert again.symmetries == config.symmetries
    assert PermGroup.from_json(again.symmetries["d"]) == PermGroup.dihedral(6)


@pytest.mark.parametrize(
    ("symmetries", "match"),
    [
        ({"a.b": "cyclic(4)"}, "letters, digits"),
        ({"a": {"n": 3, "generators": [[0, 0, 1]]}}, "not a bijection"),
        ({"a": {"n": 3}}, r"needs 'n' and 'spec' or 'generators', missing \['spec or generators'\]"),
        ({"a": 3}, "expected a spec string"),
    ],
)
def test_config_rejects_bad_symmetries(symmetries: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        tiny_config(symmetries)


def test_config_rejects_unparseable_spec() -> None:
    with pytest.raises(ValueError):
        tiny_config({"a": "no_such_group(4)"})


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"hidden_size": 10, "num_attention_heads": 4}, "not a multiple"),
        ({"pooling": "median"}, "pooling must be one of"),
        ({"regression_loss": "huber"}, "regression_loss must be one of"),
        ({"tasks": {"t": {"symmetry": "a", "head": "edge"}}}, "head must be one of"),
        (
            {
                "tasks": {
                    "t": {
                        "symmetry": "a",
                        "head": "node_regression",
                        "problem_type": "multi_label_classification",
                    }
                }
            },
            "needs problem_type 'regression'",
        ),
        ({"tasks": {"t": {"symmetry": "a", "colour": 1}}}, "unknown keys"),
    ],
)
def test_config_rejects_bad_sizes_and_tasks(overrides: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        tiny_config({"a": "cyclic(4)"}, **overrides)


def test_model_needs_an_input_kind() -> None:
    with pytest.raises(ValueError, match="vocab_size > 0"):
        AsenForTokenClassification(tiny_config(TWO, vocab_size=0))


def test_forward_input_errors_name_the_problem() -> None:
    model = AsenForTokenClassification(tiny_config(TWO))
    ids6 = torch.randint(0, 5, (2, 6))
    with pytest.raises(ValueError, match=r"sequence length 6 does not match symmetry 'cyclic' of degree n=8"):
        model(input_ids=ids6, symmetry="cyclic")
    with pytest.raises(
        KeyError, match=r"unknown symmetry 'square'; known symmetries: \['cyclic', 'dihedral'\]"
    ):
        model(input_ids=ids6, symmetry="square")
    with pytest.raises(ValueError, match="pass symmetry="):
        model(input_ids=ids6)
    with pytest.raises(ValueError, match=r"pass input_ids \[B, n\] and/or node_features"):
        model(symmetry="dihedral")
    with pytest.raises(ValueError, match="input_dim=0"):
        model(node_features=torch.randn(2, 6, 3), symmetry="dihedral")
    with pytest.raises(ValueError, match=r"input_ids must be \[batch, n\]"):
        model(input_ids=torch.randint(0, 5, (6,)), symmetry="dihedral")


def test_all_ones_masks_change_nothing_and_masks_beyond_the_degree_are_refused() -> None:
    model = AsenForTokenClassification(tiny_config(TWO)).eval()
    ids = torch.randint(0, 5, (2, 6))
    mask = torch.ones(2, 6, dtype=torch.long)
    expected = model(input_ids=ids, symmetry="dihedral").logits
    assert torch.allclose(model(input_ids=ids, symmetry="dihedral", attention_mask=mask).logits, expected)
    padded = torch.cat([ids, torch.zeros(2, 2, dtype=torch.long)], dim=1)
    with pytest.raises(
        ValueError, match="marks node 6 of example 0 as real, but its symmetry 'dihedral' has degree 6"
    ):
        model(input_ids=padded, symmetry="dihedral", attention_mask=torch.ones(2, 8, dtype=torch.long))
    with pytest.raises(ValueError, match=r"attention_mask must be \[batch, n\]"):
        model(input_ids=ids, symmetry="dihedral", attention_mask=mask[:, :5])


def test_node_feature_shape_errors() -> None:
    model = AsenForNodeRegression(tiny_config({"d": "dihedral(6)"}, vocab_size=4, input_dim=2))
    with pytest.raises(ValueError, match=r"node_features must be \[batch, n, 2\]"):
        model(node_features=torch.randn(2, 6, 3))
    with pytest.raises(ValueError, match="disagree"):
        model(input_ids=torch.randint(0, 4, (2, 6)), node_features=torch.randn(3, 6, 2))
    with pytest.raises(ValueError, match="does not match logits"):
        model(node_features=torch.randn(2, 6, 2), labels=torch.randn(2, 5))


def test_single_symmetry_can_be_omitted() -> None:
    model = AsenForTokenClassification(tiny_config({"d": "dihedral(6)"})).eval()
    ids = torch.randint(0, 5, (2, 6))
    assert torch.equal(model(input_ids=ids).logits, model(input_ids=ids, symmetry="d").logits)


@pytest.mark.parametrize("loss_name", ["l1", "mse"])
def test_sequence_regression_loss(loss_name: str) -> None:
    model = AsenForSequenceClassification(tiny_config(TWO, num_labels=1, regression_loss=loss_name))
    labels = torch.rand(3)
    out = model(input_ids=torch.randint(0, 5, (3, 6)), symmetry="dihedral", labels=labels)
    diff = out.logits.squeeze(-1) - labels
    expected = diff.abs().mean() if loss_name == "l1" else (diff**2).mean()
    assert torch.allclose(out.loss, expected)


def test_sequence_classification_losses() -> None:
    model = AsenForSequenceClassification(tiny_config(TWO, num_labels=3))
    ids = torch.randint(0, 5, (4, 6))
    labels = torch.tensor([0, 2, 1, 1])
    out = model(input_ids=ids, symmetry="dihedral", labels=labels)
    assert torch.allclose(out.loss, torch.nn.functional.cross_entropy(out.logits, labels))
    model.config.problem_type = "multi_label_classification"
    targets = torch.randint(0, 2, (4, 3)).float()
    out = model(input_ids=ids, symmetry="dihedral", labels=targets)
    assert torch.allclose(out.loss, torch.nn.functional.binary_cross_entropy_with_logits(out.logits, targets))


def test_sum_pooling_is_invariant() -> None:
    torch.manual_seed(0)
    model = AsenForSequenceClassification(tiny_config(TWO, pooling="sum", initializer_range=0.5)).double()
    g = PermGroup.dihedral(6).random_element(np.random.default_rng(0))
    assert (
        equivariance_error(model, {"input_ids": torch.randint(0, 5, (3, 6))}, g, symmetry="dihedral") < 1e-5
    )


def test_return_dict_false_gives_tuples() -> None:
    model = AsenForTokenClassification(tiny_config(TWO)).eval()
    ids = torch.randint(0, 5, (2, 6))
    labels = torch.randint(0, 2, (2, 6))
    loss, logits = model(input_ids=ids, symmetry="dihedral", labels=labels, return_dict=False)
    assert loss.ndim == 0 and logits.shape == (2, 6, 2)
    (last,) = model.asen(input_ids=ids, symmetry="dihedral", return_dict=False)
    assert last.shape == (2, 6, 16)
    out = model.asen(input_ids=ids, symmetry="dihedral", output_hidden_states=True)
    assert len(out.hidden_states) == 3 and torch.equal(out.hidden_states[-1], out.last_hidden_state)
