"""Padded and mixed-symmetry batches: every example's output at its real nodes equals its output run alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_models import tiny_config

from asen_fm import (
    AsenDataCollator,
    AsenForMultiTask,
    AsenForNodeRegression,
    AsenForSequenceClassification,
    AsenForTokenClassification,
    AsenModel,
)

SYMMETRIES = {
    "c6": "cyclic(6)",
    "d9": "dihedral(9)",
    "path": {"group": "reversal(7)", "edges": [[i, i + 1] for i in range(6)], "framework": "sparse"},
}
NAMES = ["c6", "d9", "path", "d9", "c6"]
HEADS = {"token": AsenForTokenClassification, "sequence": AsenForSequenceClassification}


def _examples(seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    degree = {"c6": 6, "d9": 9, "path": 7}
    return [
        {
            "input_ids": rng.integers(0, 5, degree[name]).tolist(),
            "symmetry": name,
            "labels": int(rng.integers(2)),
        }
        for name in NAMES
    ]


@pytest.mark.parametrize("pair_embeddings", [False, True])
@pytest.mark.parametrize("implementation", ["eager", "sdpa"])
@pytest.mark.parametrize("head", list(HEADS))
def test_mixed_padded_batch_equals_each_example_alone(head, implementation, pair_embeddings) -> None:
    torch.manual_seed(0)
    config = tiny_config(SYMMETRIES, initializer_range=0.5, pair_embeddings=pair_embeddings)
    model = HEADS[head](config).double().eval()
    model.set_attn_implementation(implementation)
    examples = _examples()
    batch = AsenDataCollator()([{k: v for k, v in e.items() if k != "labels"} for e in examples])
    assert batch["input_ids"].shape == (5, 9) and batch["attention_mask"].sum(1).tolist() == [6, 9, 7, 9, 6]
    with torch.no_grad():
        together = model(**batch).logits
        for b, example in enumerate(examples):
            alone = model(input_ids=torch.tensor([example["input_ids"]]), symmetry=example["symmetry"]).logits
            n = len(example["input_ids"])
            got = together[b, :n] if head == "token" else together[b]
            assert torch.allclose(got, alone[0], atol=1e-10), (b, example["symmetry"])


@pytest.mark.parametrize("pooling", ["sum", "max"])
def test_padding_never_enters_the_pooled_readout(pooling: str) -> None:
    torch.manual_seed(0)
    model = AsenForSequenceClassification(tiny_config(SYMMETRIES, initializer_range=0.5, pooling=pooling))
    model = model.double().eval()
    examples = _examples()
    batch = AsenDataCollator()([{k: v for k, v in e.items() if k != "labels"} for e in examples])
    with torch.no_grad():
        together = model(**batch).logits
        for b, example in enumerate(examples):
            alone = model(input_ids=torch.tensor([example["input_ids"]]), symmetry=example["symmetry"]).logits
            assert torch.allclose(together[b], alone[0], atol=1e-10), (pooling, b)


def test_padded_node_regression_loss_leaves_padding_out() -> None:
    torch.manual_seed(0)
    config = tiny_config({"c6": "cyclic(6)", "d9": "dihedral(9)"}, vocab_size=0, input_dim=3, num_labels=3)
    model = AsenForNodeRegression(config).double().eval()
    rng = np.random.default_rng(0)
    examples = [
        {"node_features": rng.normal(size=(n, 3)), "labels": rng.normal(size=(n, 3)), "symmetry": name}
        for name, n in (("c6", 6), ("d9", 9))
    ]
    batch = AsenDataCollator()(examples)
    assert batch["labels"].shape == (2, 9, 3) and torch.all(batch["labels"][0, 6:] == 0)
    out = model(**batch)
    errors = []
    for example in examples:
        alone = model(
            node_features=torch.tensor(example["node_features"])[None], symmetry=example["symmetry"]
        )
        errors.append((alone.logits[0] - torch.tensor(example["labels"])) ** 2)
    assert torch.allclose(out.loss, torch.cat(errors).mean())


def test_token_labels_are_padded_with_minus_100_and_the_loss_ignores_them() -> None:
    torch.manual_seed(0)
    model = AsenForTokenClassification(tiny_config(SYMMETRIES)).double().eval()
    rng = np.random.default_rng(1)
    examples = [{"input_ids": rng.integers(0, 5, 6), "labels": rng.integers(0, 2, 6), "symmetry": "c6"}]
    examples.append({"input_ids": rng.integers(0, 5, 9), "labels": rng.integers(0, 2, 9), "symmetry": "d9"})
    batch = AsenDataCollator()(examples)
    assert batch["labels"][0, 6:].tolist() == [-100] * 3
    out = model(**batch)
    logits = [
        model(input_ids=torch.as_tensor(e["input_ids"])[None], symmetry=e["symmetry"]).logits[0]
        for e in examples
    ]
    labels = torch.cat([torch.as_tensor(e["labels"]) for e in examples])
    assert torch.allclose(out.loss, torch.nn.functional.cross_entropy(torch.cat(logits), labels))


def test_single_symmetry_with_padding_mask_equals_the_unpadded_run() -> None:
    torch.manual_seed(0)
    model = AsenModel(tiny_config({"c6": "cyclic(6)"})).double().eval()
    ids = torch.randint(0, 5, (2, 6))
    padded = torch.cat([ids, torch.zeros(2, 3, dtype=torch.long)], dim=1)
    mask = torch.cat([torch.ones(2, 6), torch.zeros(2, 3)], dim=1).long()
    with torch.no_grad():
        expected = model(input_ids=ids).last_hidden_state
        got = model(input_ids=padded, attention_mask=mask).last_hidden_state[:, :6]
    assert torch.allclose(got, expected, atol=1e-12)


def test_multitask_takes_a_list_of_tasks() -> None:
    torch.manual_seed(0)
    tasks = {"a": {"symmetry": "c6", "head": "sequence", "num_labels": 2}}
    tasks["b"] = {"symmetry": "d9", "head": "sequence", "num_labels": 2}
    model = AsenForMultiTask(tiny_config(SYMMETRIES, tasks=tasks)).double().eval()
    examples = [
        {"input_ids": [1, 2, 3, 4, 0, 1], "task": "a"},
        {"input_ids": [0, 1, 2, 3, 4, 0, 1, 2, 3], "task": "b"},
    ]
    batch = AsenDataCollator()(examples)
    batch["labels"] = torch.tensor([1, 0])
    out = model(**batch)
    alone = [model(input_ids=torch.tensor([e["input_ids"]]), task=e["task"]) for e in examples]
    assert torch.allclose(out.logits, torch.cat([a.logits for a in alone]))
    losses = [
        torch.nn.functional.cross_entropy(a.logits, torch.tensor([y]))
        for a, y in zip(alone, [1, 0], strict=True)
    ]
    assert torch.allclose(out.loss, torch.stack(losses).mean())
    model.add_task("t", symmetry="c6", head="token")
    with pytest.raises(ValueError, match="one head kind and num_labels"):
        model(input_ids=torch.zeros(2, 6, dtype=torch.long), task=["a", "t"])


def test_collator_errors_name_the_problem() -> None:
    collate = AsenDataCollator()
    with pytest.raises(ValueError, match="empty"):
        collate([])
    with pytest.raises(ValueError, match="example 1 has columns"):
        collate([{"input_ids": [1]}, {"input_ids": [1], "symmetry": "x"}])
    with pytest.raises(ValueError, match="input_ids and/or node_features"):
        collate([{"labels": 1}])
    with pytest.raises(ValueError, match="disagree on node counts"):
        collate([{"input_ids": [1, 2], "node_features": [[0.0]]}])


def test_mask_and_symmetry_list_errors() -> None:
    model = AsenForTokenClassification(tiny_config(SYMMETRIES))
    ids = torch.zeros(2, 9, dtype=torch.long)
    with pytest.raises(ValueError, match="symmetry lists 3 names for a batch of 2"):
        model(input_ids=ids, symmetry=["c6", "d9", "c6"])
    with pytest.raises(KeyError, match="unknown symmetry 'c7'"):
        model(input_ids=ids, symmetry=["c6", "c7"])
    with pytest.raises(ValueError, match="does not match symmetry 'd9' of degree n=9"):
        model(input_ids=ids[:, :7], symmetry=["c6", "d9"])
    mask = torch.ones(2, 9, dtype=torch.long)
    with pytest.raises(
        ValueError, match="marks node 6 of example 0 as real, but its symmetry 'c6' has degree 6"
    ):
        model(input_ids=ids, symmetry=["c6", "d9"], attention_mask=mask)


def test_label_mask_leaves_unscored_targets_out_of_the_loss_and_pads_as_false() -> None:
    torch.manual_seed(0)
    config = tiny_config({"c6": "cyclic(6)", "d9": "dihedral(9)"}, vocab_size=0, input_dim=2, num_labels=1)
    model = AsenForNodeRegression(config).double().eval()
    rng = np.random.default_rng(2)
    examples = []
    for name, n in (("c6", 6), ("d9", 9)):
        keep = rng.random(n) > 0.3
        examples.append(
            {"node_features": rng.normal(size=(n, 2)), "labels": rng.normal(size=(n, 1)), "label_mask": keep}
        )
        examples[-1]["symmetry"] = name
    batch = AsenDataCollator()(examples)
    assert batch["label_mask"].dtype == torch.bool and not batch["label_mask"][0, 6:].any()
    out = model(**batch)
    squared = []
    for example in examples:
        alone = model(
            node_features=torch.tensor(example["node_features"])[None], symmetry=example["symmetry"]
        )
        keep = torch.as_tensor(example["label_mask"])
        squared.append(((alone.logits[0] - torch.tensor(example["labels"])) ** 2)[keep])
    assert torch.allclose(out.loss, torch.cat(squared).mean())
    with pytest.raises(ValueError, match="label_mask must be"):
        model(**{**batch, "label_mask": batch["label_mask"][:, :5]})
