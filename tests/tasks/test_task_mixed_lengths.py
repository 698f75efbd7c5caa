"""Tasks whose rows differ in length under a family symmetry: built from a range, validated per row, saved and
loaded, padded as tensors, and refused (one line, exit 2 from the CLI) where the family cannot hold them."""

from __future__ import annotations

import datasets
import numpy as np
import pytest
import torch

from asen_fm.cli import main as asen
from asen_fm.tasks import TASKS, Task, TaskError, load_task
from asen_fm.training.data import task_tensors


def rows_of(lengths: list[int], seed: int = 0, label_shift: dict | None = None) -> datasets.Dataset:
    """Token rows of the given lengths; labels 1 where a token equals its mirror (equivariant).
    ``label_shift`` drops label entries of chosen rows (a row whose labels do not fit its length)."""
    rng = np.random.default_rng(seed)
    ids, labels = [], []
    for row, n in enumerate(lengths):
        x = rng.integers(0, 4, n)
        y = (x == x[::-1]).astype(int)
        ids.append(x.tolist())
        labels.append(y[: n - (label_shift or {}).get(row, 0)].tolist())
    return datasets.Dataset.from_dict({"input_ids": ids, "labels": labels})


def dataset(train: list[int], **kwargs) -> datasets.DatasetDict:
    return datasets.DatasetDict(
        train=rows_of(train, 0, **kwargs), validation=rows_of([5, 9], 1), test=rows_of([7, 12], 2)
    )


def test_range_of_lengths_builds_a_family_task_whose_labels_are_right(tmp_path) -> None:
    task = load_task("palindrome", n=(6, 14), size=300, seed=3)
    assert task.symmetry == "reversal(*)" and task.n is None and str(task.family) == "reversal(*)"
    spec = TASKS["palindrome"]
    lengths = set()
    for row in task.data["train"]:
        x = np.asarray(row["input_ids"])[None]
        np.testing.assert_array_equal(spec.label(x, **spec.resolve_params())[0], row["labels"])
        lengths.add(len(row["input_ids"]))
    assert lengths == set(range(6, 15))
    assert task.source["n"] == [6, 14]
    loaded = Task.load(task.save(tmp_path / "pal"))
    assert (
        loaded.symmetry == "reversal(*)"
        and loaded.data["test"]["input_ids"] == task.data["test"]["input_ids"]
    )
    even = load_task("intersect", n=(6, 14), size=100)  # halves: even lengths only
    assert even.symmetry == "swap_halves(*)" and {len(r) for r in even.data["train"]["input_ids"]} <= {
        6,
        8,
        10,
        12,
        14,
    }
    assert load_task("palindrome", n=(6, 14), size=50, group="trivial").symmetry == "trivial(*)"


def test_from_dataset_takes_rows_of_different_lengths_with_a_family() -> None:
    task = Task.from_dataset(dataset([4, 9, 6, 11]), group="reversal(*)")
    assert task.num_labels == 2 and task.vocab_size == 4 and task.family.group(9).order() == 2
    bounded = Task.from_dataset(dataset([4, 9]), group={"group": "reversal(*)", "max_n": 12})
    assert bounded.card()["symmetry"] == {"group": "reversal(*)", "max_n": 12}
    assert task.with_group("cyclic").symmetry == "cyclic(*)"


@pytest.mark.parametrize(
    ("train", "group", "message"),
    [
        (
            [4, 9, 6, 11],
            "reversal(9)",
            "row 0 has n = 4 nodes but the task's group reversal\\(9\\) has the fixed degree 9",
        ),
        (
            [4, 9, 6, 11],
            {"group": "reversal(*)", "max_n": 10},
            "train: row 3: n = 11 is past the family bound max_n = 10",
        ),
        ([4, 2, 6], "dihedral(*)", "train: row 1: dihedral\\(\\*\\) is defined for n >= 3, got n = 2"),
        ([4, 5, 6], "swap_halves(*)", "train: row 1: swap_halves\\(\\*\\) splits the nodes into two halves"),
    ],
)
def test_rows_the_group_cannot_hold_are_named(train, group, message: str) -> None:
    with pytest.raises(TaskError, match=message):
        Task.from_dataset(dataset(train), group=group)


def test_per_row_validation_names_the_row_in_the_whole_split() -> None:
    with pytest.raises(TaskError, match="train: 'labels' row 3 has shape \\[8\\], row 1 has \\[9\\]"):
        Task.from_dataset(dataset([4, 9, 6, 9, 11], label_shift={3: 1}), group="reversal(*)")
    data = dataset([4, 9, 6, 9, 11])
    data["train"] = data["train"].map(
        lambda row, i: {"input_ids": [7] * len(row["input_ids"]) if i == 3 else row["input_ids"]},
        with_indices=True,
    )
    with pytest.raises(
        TaskError, match="train: 'input_ids' row 3 has value 7, outside 0..vocab_size - 1 = 3"
    ):
        Task.from_dataset(data, group="reversal(*)", vocab_size=4)


def test_mixed_rows_become_padded_tensors_with_an_attention_mask() -> None:
    task = Task.from_dataset(dataset([4, 9, 6]), group="reversal(*)")
    train = task_tensors(task).splits["train"]
    assert train["input_ids"].shape == train["labels"].shape == train["attention_mask"].shape == (3, 9)
    assert train["attention_mask"].sum(dim=1).tolist() == [4, 9, 6]
    assert (train["labels"][0, 4:] == -100).all() and (train["labels"][0, :4] >= 0).all()
    assert train["labels"].dtype == torch.long


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["cyclic_sum", "--n", "2-10", "--group", "dihedral(*)"],
            "dihedral(*) is defined for n >= 3, got n = 2",
        ),
        (["palindrome", "--n", "6-14", "--group", "reversal(8)"], "has n = 1"),  # names the row, both degrees
        (["palindrome", "--n", "6-14", "--max_n", "12"], "n = 14 is past the family bound max_n = 12"),
        (["digits", "--n", "6-14"], "is for the sequence tasks, not digits"),
    ],
)
def test_cli_refuses_with_one_line_and_exit_2(argv: list[str], message: str, tmp_path, capsys) -> None:
    code = asen(["data", "build", *argv, "--size", "60", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0] and err[0].startswith("asen data build:")
    assert not (tmp_path / "out").exists()


def test_cli_builds_and_shows_a_range_of_lengths(tmp_path, capsys) -> None:
    assert (
        asen(["data", "build", "palindrome", "--n", "6-14", "--size", "60", "--out", str(tmp_path / "pal")])
        == 0
    )
    assert asen(["data", "show", str(tmp_path / "pal"), "--examples", "1"]) == 0
    out = capsys.readouterr().out
    assert "reversal(*) (a family" in out and "(mixed)" in out
    assert Task.load(tmp_path / "pal").family.name == "reversal"
