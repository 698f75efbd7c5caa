"""``asen data build digits|pathfinder`` task folders; the ragged patch-local group (3 x 3, border)."""

from __future__ import annotations

import itertools
import json
from math import factorial

import numpy as np
import pytest
import torch

from asen_fm.cli import main as cli
from asen_fm.domains.images.groups import patch_blocks, ragged_patch_group, ragged_patch_symmetry
from asen_fm.symmetry import PermGroup
from asen_fm.tasks import Task
from asen_fm.training.data import task_tensors


def test_digits_folder_builds_and_loads(tmp_path, capsys):
    out = tmp_path / "digits100"
    assert (
        cli(["data", "build", "digits", "--param", "train_rows=100", "--seed", "1", "--out", str(out)]) == 0
    )
    assert "wrote digits (train 100, validation 359, test 359)" in capsys.readouterr().out
    task = Task.load(out)
    assert task.n == 64 and task.head == "sequence" and task.num_labels == 10 and task.loss == "ce"
    assert str(task.group) == "trivial(64)" and task.vocab_size == 17 and task.input_dim == 1
    labels = np.asarray(task.data["train"]["labels"])
    assert np.bincount(labels, minlength=10).min() >= 9  # stratified: every class, about 10 each
    tensors = task_tensors(task).splits["train"]
    assert tensors["input_ids"].shape == (100, 64)
    assert tensors["node_features"].shape == (100, 64, 1)  # width-1 features stay [rows, n, 1]
    torch.testing.assert_close(tensors["node_features"][..., 0], tensors["input_ids"].float() / 16)


def test_pathfinder_folder_builds_and_loads_with_an_entry_group(tmp_path):
    out = tmp_path / "pf16"
    entry = {"group": "trivial(256)", "positions": [16, 16]}
    argv = ["data", "build", "pathfinder", "--param", "resolution=16", "--param", "dashes=9"]
    assert cli([*argv, "--size", "40", "--group", json.dumps(entry), "--out", str(out)]) == 0
    task = Task.load(out)
    assert task.symmetry == entry and task.n == 256 and task.num_labels == 2
    assert task.extra["level"] == "contour_length_9" and task.extra["style"]["dashes"] == 9
    assert {split: len(rows) for split, rows in task.data.items()} == {
        "train": 32,
        "validation": 4,
        "test": 4,
    }
    assert sum(task.data["train"]["labels"]) == 16  # balanced split
    assert np.asarray(task.data["train"]["input_ids"]).shape == (32, 16, 16)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["digits", "--size", "5"], "fixed size"),
        (["digits", "--n", "3"], "--n is not accepted"),
        (["digits", "--param", "foo=1"], "unknown: foo"),
        (["pathfinder", "--param", "dashes=7"], "dashes must be one of 6, 9, 14"),
        (
            ["pathfinder", "--param", "resolution=16", "--param", "dashes=14", "--size", "9"],
            "too long for 16 x 16",
        ),
        (["pathfinder", "--param", "resolution=16", "--size", "9", "--group", "cyclic(5)"], "acts on 5"),
    ],
)
def test_bad_flags_exit_2_with_one_line(tmp_path, capsys, argv, message):
    assert cli(["data", "build", *argv, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("asen data build: ") and message in err and "\n" not in err
    assert not (tmp_path / "x").exists()


def test_ragged_blocks_tile_the_grid():
    blocks = patch_blocks(16, 16, 3)
    assert len(blocks) == 36
    assert sorted(np.concatenate(blocks).tolist()) == list(range(256))
    assert sorted(len(b) for b in blocks) == [1] + [3] * 10 + [9] * 25  # 16 = 5 * 3 + 1
    rows, cols = np.divmod(blocks[7], 16)  # second block row, second block column: rows 3..5, cols 3..5
    assert sorted(set(rows)) == [3, 4, 5] and sorted(set(cols)) == [3, 4, 5]
    sizes32 = sorted(len(b) for b in patch_blocks(32, 32, 3))
    assert sizes32 == [4] + [6] * 20 + [9] * 100  # 32 = 10 * 3 + 2
    with pytest.raises(ValueError, match="patch size"):
        patch_blocks(4, 4, 0)


@pytest.mark.parametrize(("h", "w", "p"), [(16, 16, 3), (7, 5, 3), (32, 32, 3)])
def test_ragged_group_preserves_its_blocks(h, w, p):
    group = ragged_patch_group(h, w, p)
    block_of = np.empty(h * w, dtype=np.int64)
    for k, cells in enumerate(patch_blocks(h, w, p)):
        block_of[cells] = k
    for g in group.generators:
        np.testing.assert_array_equal(block_of[g], block_of)
    from asen_fm.orbit_coloring import node_orbits

    orbits = node_orbits(group)  # one orbit per block of 2+ cells (a 1-cell block is its own orbit)
    assert len(np.unique(orbits)) == len(patch_blocks(h, w, p))


@pytest.mark.parametrize(("h", "w"), [(7, 5), (5, 4), (10, 10)])
def test_ragged_group_order_matches_sympy(h, w):
    group = ragged_patch_group(h, w, 3)
    expected = int(group.sympy.order())  # Schreier-Sims on the generators, not the preset closed form
    assert group.order() == expected
    assert expected == np.prod([factorial(len(b)) for b in patch_blocks(h, w, 3)], dtype=object)


def test_ragged_group_order_by_brute_force():
    group = ragged_patch_group(2, 3, 2)  # blocks {0,1,3,4} and {2,5}: S_4 x S_2, 48 elements
    elements = {tuple(range(6))}
    frontier = list(elements)
    while frontier:
        new = []
        for e in frontier:
            for g in group.generators:
                h = tuple(int(g[i]) for i in e)
                if h not in elements:
                    elements.add(h)
                    new.append(h)
        frontier = new
    assert len(elements) == group.order() == 48
    blocks = [set(b.tolist()) for b in patch_blocks(2, 3, 2)]
    assert all({e[i] for i in b} == b for e in elements for b in blocks)
    preserving = [e for e in itertools.permutations(range(6)) if all({e[i] for i in b} == b for b in blocks)]
    assert set(preserving) == elements  # exactly the block-preserving permutations


def test_ragged_entry_is_node_only_exact_and_the_model_respects_it():
    from asen_fm import AsenConfig, AsenForSequenceClassification
    from asen_fm.equivariance import assert_equivariant
    from asen_fm.symmetry.breaking import node_only_is_exact

    entry = ragged_patch_symmetry(7, 5, 3)
    assert entry["pairs"] == "none" and node_only_is_exact(PermGroup.parse(entry["group"]).to_json())
    torch.manual_seed(0)
    config = AsenConfig(
        vocab_size=4, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        num_labels=2, symmetries={"img": entry},
    )  # fmt: skip
    model = AsenForSequenceClassification(config).double()
    inputs = {"input_ids": torch.randint(0, 4, (3, 35))}
    swap_across = np.arange(35)
    swap_across[[0, 34]] = [34, 0]  # pixel (0, 0) and (6, 4) lie in different blocks
    report = assert_equivariant(
        model, inputs, ragged_patch_group(7, 5, 3), symmetry="img", outside=swap_across
    )
    assert report["outside_error"] > 100 * report["tolerance"]
