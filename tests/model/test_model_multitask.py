"""Several symmetries and tasks on one backbone: isolation, parameter groups, growth, save/load."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_models import tiny_config

from asen_fm import AsenConfig, AsenForMultiTask
from asen_fm.equivariance import equivariance_error
from asen_fm.symmetry import PermGroup

TASKS = {
    "intersect": {"symmetry": "intersect", "head": "token", "num_labels": 2},
    "palindrome": {
        "symmetry": "palindrome",
        "head": "sequence",
        "num_labels": 1,
        "problem_type": "regression",
        "loss": "l1",
    },
    "shift": {"symmetry": "shift", "head": "node_regression", "num_labels": 3},
}
SYMMETRIES = {"intersect": "swap_halves(6)", "palindrome": "reversal(6)", "shift": "cyclic(10)"}
LENGTHS = {"intersect": 6, "palindrome": 6, "shift": 10}


def _model() -> AsenForMultiTask:
    torch.manual_seed(0)
    return AsenForMultiTask(tiny_config(SYMMETRIES, tasks=TASKS, initializer_range=0.3))


def _ids(task: str, batch: int = 4) -> torch.Tensor:
    return torch.randint(0, 5, (batch, LENGTHS[task]), generator=torch.Generator().manual_seed(7))


def _labels(task: str, batch: int = 4) -> torch.Tensor:
    n = LENGTHS[task]
    return {
        "intersect": torch.randint(0, 2, (batch, n)),
        "palindrome": torch.rand(batch, 1),
        "shift": torch.randn(batch, n, 3),
    }[task]


def _outputs(model: AsenForMultiTask) -> dict[str, torch.Tensor]:
    model.eval()
    with torch.no_grad():
        return {task: model(input_ids=_ids(task), task=task).logits for task in TASKS}


def test_training_one_embedder_leaves_other_symmetries_unchanged() -> None:
    model = _model()
    before = _outputs(model)
    trainable = model.parameter_groups(symmetries=["palindrome"])["symmetry"]
    for p in model.parameters():
        p.requires_grad_(False)
    for p in trainable:
        p.requires_grad_(True)
    optimizer = torch.optim.SGD(trainable, lr=0.5)
    model.train()
    for _ in range(3):
        loss = model(input_ids=_ids("palindrome"), task="palindrome", labels=_labels("palindrome")).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = _outputs(model)
    assert torch.equal(before["intersect"], after["intersect"])
    assert torch.equal(before["shift"], after["shift"])
    assert not torch.allclose(before["palindrome"], after["palindrome"])


def test_save_load_round_trips_all_symmetries_and_tasks(tmp_path) -> None:
    model = _model()
    before = _outputs(model)
    model.save_pretrained(tmp_path)
    loaded = AsenForMultiTask.from_pretrained(tmp_path)
    assert loaded.config.symmetries == model.config.symmetries
    assert loaded.config.tasks == model.config.tasks
    after = _outputs(loaded)
    for task in TASKS:
        assert torch.equal(before[task], after[task]), task
    assert (tmp_path / "README.md").exists()


def test_parameter_groups_partition_parameters_by_prefix() -> None:
    model = _model()
    groups = model.parameter_groups()
    assert set(groups) == {"backbone", "symmetry", "embeddings", "heads"}
    prefixes = {
        "backbone": "asen.backbone.",
        "symmetry": "asen.symmetry_embedders.",
        "embeddings": "asen.input_adapters.",
        "heads": "heads.",
    }
    names = {id(p): name for name, p in model.named_parameters()}
    for key, prefix in prefixes.items():
        assert {names[id(p)] for p in groups[key]} == {n for n in names.values() if n.startswith(prefix)}
    assert sum(len(v) for v in groups.values()) == len(names)
    only = model.parameter_groups(symmetries=["shift"], heads=["intersect"])
    assert {names[id(p)].split(".")[2] for p in only["symmetry"]} == {"shift"}
    assert {names[id(p)].split(".")[1] for p in only["heads"]} == {"intersect"}
    with pytest.raises(KeyError, match="known"):
        model.parameter_groups(symmetries=["nope"])


def test_add_symmetry_and_add_task_grow_a_trained_model(tmp_path) -> None:
    model = _model()
    before = _outputs(model)
    model.add_task("detect", "dihedral(8)", head="sequence", num_labels=3)
    model.add_task("intersect_seq", symmetry="intersect", head="sequence", num_labels=2)
    assert model.config.symmetries["detect"]["spec"] == "dihedral(8)"
    assert model.config.tasks["intersect_seq"]["symmetry"] == "intersect"
    for task in TASKS:
        assert torch.equal(before[task], _outputs(model)[task])
    ids = torch.randint(0, 5, (2, 8))
    labels = torch.tensor([0, 2])
    out = model(input_ids=ids, task="detect", labels=labels)
    assert out.logits.shape == (2, 3) and out.loss.ndim == 0
    rng = np.random.default_rng(0)
    g = PermGroup.dihedral(8).random_element(rng)
    assert equivariance_error(model, {"input_ids": ids}, g, task="detect") < 1e-5
    model.save_pretrained(tmp_path)
    loaded = AsenForMultiTask.from_pretrained(tmp_path)
    assert set(loaded.config.tasks) == set(TASKS) | {"detect", "intersect_seq"}
    loaded.eval()
    model.eval()
    assert torch.equal(
        loaded(input_ids=ids, task="detect").logits, model(input_ids=ids, task="detect").logits
    )


def test_add_task_errors_name_the_problem() -> None:
    model = _model()
    with pytest.raises(KeyError, match="known symmetries"):
        model.add_task("new", symmetry="missing")
    with pytest.raises(ValueError, match="already exists"):
        model.add_task("intersect", symmetry="intersect")
    with pytest.raises(ValueError, match="already exists"):
        model.add_symmetry("shift", "cyclic(10)")
    with pytest.raises(ValueError, match="head must be one of"):
        model.add_task("odd", symmetry="shift", head="pairwise")


def test_add_symmetry_warns_when_not_two_closed() -> None:
    model = _model()
    with pytest.warns(UserWarning, match="not 2-closed"):
        model.add_symmetry("alt", "alternating(5)")
    assert "alt" in model.config.symmetries


def test_task_losses_follow_the_configured_problem_type() -> None:
    model = _model().eval()
    ids = _ids("palindrome")
    labels = _labels("palindrome")
    out = model(input_ids=ids, task="palindrome", labels=labels)
    assert torch.allclose(out.loss, (out.logits - labels).abs().mean())
    ids, labels = _ids("shift"), _labels("shift")
    out = model(input_ids=ids, task="shift", labels=labels)
    assert torch.allclose(out.loss, ((out.logits - labels) ** 2).mean())
    ids, labels = _ids("intersect"), _labels("intersect")
    labels[0, :3] = -100
    out = model(input_ids=ids, task="intersect", labels=labels)
    keep = labels != -100
    expected = torch.nn.functional.cross_entropy(out.logits[keep], labels[keep])
    assert torch.allclose(out.loss, expected)


def test_multitask_forward_errors() -> None:
    model = _model()
    with pytest.raises(ValueError, match="pass task="):
        model(input_ids=_ids("shift"))
    with pytest.raises(KeyError, match="known tasks"):
        model(input_ids=_ids("shift"), task="nope")
    with pytest.raises(ValueError, match="does not match"):
        model(input_ids=_ids("shift"), task="intersect")


def test_config_rejects_task_with_unknown_symmetry() -> None:
    with pytest.raises(KeyError, match="known symmetries"):
        AsenConfig(vocab_size=3, symmetries={"a": "cyclic(4)"}, tasks={"t": {"symmetry": "b"}})
