"""Bring your own data end to end: a dataset of one's own (node features [n, 3], a group from generators,
optionally a graph, per-node vector targets) saved with its card, pretrained on beside a built-in task,
finetuned from the checkpoint, and loaded with ``AutoModel...(trust_remote_code=True)``."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch
from transformers import AutoModel

from asen_fm.equivariance import equivariance_error
from asen_fm.symmetry import PermGroup
from asen_fm.tasks import Task

from .conftest import TINY

FINETUNE_TINY = TINY[8:]  # the model sizes come from the checkpoint

N = 6
ROTATE = [1, 2, 3, 4, 5, 0]  # the cyclic group C_6 from one generator; it preserves the ring below
RING = [[i, (i + 1) % N] for i in range(N)]


def _split(rows: int, seed: int) -> datasets.Dataset:
    """Points x [n, 3]; target: each point minus its ring neighbours' mean (a C_6-equivariant map)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, N, 3)).astype(np.float32)
    y = x - 0.5 * (np.roll(x, 1, axis=1) + np.roll(x, -1, axis=1))
    return datasets.Dataset.from_dict({"node_features": x.tolist(), "labels": y.tolist()})


def make_task(folder: Path, graph: bool) -> Path:
    data = datasets.DatasetDict(train=_split(96, 0), validation=_split(24, 1), test=_split(24, 2))
    graph_args = {"edges": RING, "framework": "sparse"} if graph else {}
    task = Task.from_dataset(
        data, group=PermGroup.from_generators([ROTATE]), head="node_regression", loss="mse",
        name="ring", description="each point minus the mean of its two ring neighbours", **graph_args,
    )  # fmt: skip
    return task.save(folder)


@pytest.mark.parametrize("graph", [False, True], ids=["group", "graph"])
def test_own_points_pretrain_finetune_and_load(
    pretrain_script, finetune_script, tmp_path: Path, graph: bool
) -> None:
    folder = make_task(tmp_path / "ring", graph)
    pre = pretrain_script.main(
        [*TINY, "--tasks", f"intersect,{folder}", "--size", "200", "--max_steps", "6", "--eval_every", "3",
         "--save_every", "3", "--output_dir", str(tmp_path / "pre")]
    )  # fmt: skip
    assert set(pre["tasks"]) == {"intersect", "ring"}
    ring = pre["final"]["ring"]["test"]
    assert set(ring) == {"loss", "mae", "mse", "mpjpe", "p_mpjpe"} and ring["loss"] == pytest.approx(
        ring["mse"]
    )
    assert pre["tasks"]["ring"]["symmetry_entry"] == Task.load(folder).symmetry
    assert (tmp_path / "pre" / "checkpoints" / "step_00000006" / "run_config.json").is_file()

    ft = finetune_script.main(
        [*FINETUNE_TINY, "--model", str(tmp_path / "pre"), "--task", f"ring2={folder}", "--max_steps", "4",
         "--backbone_lr_scale", "0.5", "--output_dir", str(tmp_path / "ft")]
    )  # fmt: skip
    saved = json.loads((tmp_path / "ft" / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(ft))
    assert set(saved["final"]["ring2"]["validation"]) == {"loss", "mae", "mse", "mpjpe", "p_mpjpe"}
    assert saved["code"]["package_version"] and "git_commit" in saved["code"]

    # The finetuned folder loaded as a user would, then float64 and perturbed weights, so that a model that
    # had lost its symmetry breaking (fully S_6-symmetric) fails the outside checks by orders of magnitude.
    model = AutoModel.from_pretrained(tmp_path / "ft" / "model", trust_remote_code=True)
    model = model.double().eval()
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.3 * torch.randn_like(parameter))
    points = torch.as_tensor(
        np.asarray(Task.load(folder).data["test"]["node_features"][:2]), dtype=torch.float64
    )
    assert model(node_features=points, symmetry="ring2").last_hidden_state.shape == (2, N, 32)
    inputs = {"node_features": points}
    for k in range(1, N):  # every rotation: C_6-equivariant to float64 precision
        assert equivariance_error(model, inputs, np.roll(np.arange(N), k), symmetry="ring2") < 1e-9
    reflection = (-np.arange(N)) % N  # preserves the ring, lies outside C_6
    assert equivariance_error(model, inputs, reflection, symmetry="ring2") > 1e-3
    assert equivariance_error(model, inputs, np.array([1, 0, 2, 3, 4, 5]), symmetry="ring2") > 1e-3
