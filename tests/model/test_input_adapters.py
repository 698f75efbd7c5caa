"""Named input adapters: config, forward through each, equivariance, add_task with a new adapter, errors."""

from __future__ import annotations

import json

import pytest
import torch

from asen_fm import AsenConfig, AsenForMultiTask, assert_equivariant

SMALL = {
    "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 32,
    "hidden_dropout_prob": 0.0,
}  # fmt: skip
ADAPTERS = {
    "tokens": {"kind": "tokens", "vocab_size": 5},
    "joints": {"kind": "features", "width": 2, "mean": [0.5, -1.0], "std": [2.0, 0.5]},
    "pixels": {"kind": "features", "width": 1},
}
SYMMETRIES = {"seq": "reversal(6)", "skel": "swap_halves(8)", "img": "grid(3, 3, d4)"}
TASKS = {
    "seq": {"symmetry": "seq", "head": "token", "num_labels": 2, "adapter": "tokens"},
    "pose": {"symmetry": "skel", "head": "node_regression", "num_labels": 3, "adapter": "joints"},
    "digit": {"symmetry": "img", "head": "sequence", "num_labels": 4, "adapter": "pixels"},
}
INPUTS = {
    "seq": {"input_ids": torch.randint(0, 5, (3, 6))},
    "pose": {"node_features": torch.randn(3, 8, 2)},
    "digit": {"node_features": torch.rand(3, 9, 1)},
}


def _model() -> AsenForMultiTask:
    torch.manual_seed(0)
    config = AsenConfig(input_adapters=ADAPTERS, symmetries=SYMMETRIES, tasks=TASKS, **SMALL)
    return AsenForMultiTask(config).eval()


def test_legacy_sizes_map_onto_default_adapters_and_stay_in_sync() -> None:
    config = AsenConfig(vocab_size=7, input_dim=2, symmetries={"s": "cyclic(4)"})
    assert config.input_adapters == {
        "tokens": {"kind": "tokens", "vocab_size": 7},
        "features": {"kind": "features", "width": 2},
    }
    named = AsenConfig(input_adapters={"tokens": {"kind": "tokens", "vocab_size": 9}})
    assert (named.vocab_size, named.input_dim) == (9, 0)
    with pytest.raises(ValueError, match="vocab_size=7 disagrees with input adapter 'tokens'"):
        AsenConfig(vocab_size=7, input_adapters={"tokens": {"kind": "tokens", "vocab_size": 9}})
    with pytest.raises(ValueError, match="input adapter 'x': kind must be one of"):
        AsenConfig(input_adapters={"x": {"kind": "pixels", "width": 1}})
    with pytest.raises(ValueError, match="mean must be a list of 2 numbers"):
        AsenConfig(input_adapters={"x": {"kind": "features", "width": 2, "mean": [0.0], "std": [1.0]}})
    with pytest.raises(
        KeyError, match=r"unknown input adapter 'pix'; this model has tokens: tokens \(vocab 5\)"
    ):
        AsenConfig(
            vocab_size=5, symmetries={"s": "cyclic(4)"}, tasks={"t": {"symmetry": "s", "adapter": "pix"}}
        )


def test_each_task_runs_through_its_adapter_and_standardisation_is_applied() -> None:
    model = _model()
    shapes = {"seq": (3, 6, 2), "pose": (3, 8, 3), "digit": (3, 4)}
    for task, inputs in INPUTS.items():
        assert model(**inputs, task=task).logits.shape == shapes[task]
    adapter = model.asen.input_adapters["joints"]
    x = INPUTS["pose"]["node_features"]
    standardised = (x - torch.tensor([0.5, -1.0])) / torch.tensor([2.0, 0.5])
    torch.testing.assert_close(adapter(x), adapter.projection(standardised))
    groups = model.parameter_groups()
    assert {id(p) for p in groups["embeddings"]} == {id(p) for p in model.asen.input_adapters.parameters()}


@pytest.mark.parametrize(("task", "symmetry"), [("pose", "skel"), ("digit", "img")])
def test_feature_adapters_keep_the_symmetry_and_nothing_more(task: str, symmetry: str) -> None:
    """f(g . x) = g . f(x) for sampled g in G through a features adapter, and broken outside G^(2)."""
    model = _model().double()
    inputs = {"node_features": INPUTS[task]["node_features"].double()}
    errors = assert_equivariant(model, inputs, task=task, samples=6, outside="auto")
    assert errors


def test_wrong_inputs_for_an_adapter_are_refused_with_the_reason() -> None:
    model = _model()
    with pytest.raises(
        ValueError, match=r"input adapter 'joints': takes features of width 2, but the input has width 3"
    ):
        model.asen(node_features=torch.randn(2, 8, 3), symmetry="skel", adapter="joints")
    with pytest.raises(
        ValueError, match=r"input adapter 'tokens': takes tokens \(vocab 5\), not node_features"
    ):
        model.asen(node_features=torch.randn(2, 6, 2), symmetry="seq", adapter="tokens")
    with pytest.raises(
        KeyError,
        match=r"unknown input adapter 'rgb'; this model has tokens: tokens \(vocab 5\), "
        r"joints: features \(width 2, standardised\), pixels: features \(width 1\)",
    ):
        model.asen(node_features=torch.randn(2, 8, 2), symmetry="skel", adapter="rgb")
    with pytest.raises(
        ValueError, match="several adapters take node_features of width 2|no input adapter takes"
    ):
        model.asen(node_features=torch.randn(2, 8, 4), symmetry="skel")
    with pytest.raises(ValueError, match="a mixed batch needs tasks that feed one input adapter"):
        model.add_task("pose_px", symmetry="skel", head="node_regression", num_labels=3, adapter="pixels")
        model(node_features=torch.randn(2, 8, 2), task=["pose", "pose_px"])


def test_add_task_with_a_new_adapter_and_group_saves_and_reloads(tmp_path) -> None:
    model = _model()
    before = {t: model(**INPUTS[t], task=t).logits for t in TASKS}
    ring = [[i, (i + 1) % 5] for i in range(5)]
    model.add_task(
        "sensors", {"group": "cyclic(5)", "edges": ring, "framework": "sparse"}, head="node_regression",
        num_labels=1, adapter={"name": "speeds", "kind": "features", "width": 3},
    )  # fmt: skip
    assert model.config.tasks["sensors"]["adapter"] == "speeds"
    readings = torch.randn(2, 5, 3)
    out = model(node_features=readings, task="sensors").logits
    assert out.shape == (2, 5, 1)
    with pytest.raises(ValueError, match="input adapter 'speeds' already exists"):
        model.add_task("again", "cyclic(5)", adapter={"name": "speeds", "kind": "features", "width": 3})
    with pytest.raises(KeyError, match="unknown input adapter 'nope'"):
        model.add_task("again", "cyclic(5)", adapter="nope")
    assert "again" not in model.config.tasks and "again" not in model.config.symmetries

    model.save_pretrained(tmp_path)
    stored = json.loads((tmp_path / "config.json").read_text())
    assert stored["input_adapters"]["speeds"] == {"kind": "features", "width": 3}
    assert stored["input_adapters"]["joints"]["std"] == [2.0, 0.5]
    loaded = AsenForMultiTask.from_pretrained(tmp_path).eval()
    torch.testing.assert_close(loaded(node_features=readings, task="sensors").logits, out)
    for task, logits in before.items():
        torch.testing.assert_close(loaded(**INPUTS[task], task=task).logits, logits)
