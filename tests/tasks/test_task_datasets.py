"""``load_task``: splits, determinism, column types, label balance, the card, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from asen_fm.symmetry import PermGroup
from asen_fm.tasks import EQUIVARIANT_TASKS, INVARIANT_TASKS, TASKS, Task, load_task, task_group
from asen_fm.tasks.palindrome import palindromic_windows


def _column(split, name: str) -> np.ndarray:
    """A column as a NumPy array, read straight from the Arrow table ([rows, n] for list columns)."""
    column = split.data.table.column(name).combine_chunks()
    if hasattr(column, "flatten"):
        return column.flatten().to_numpy().reshape(len(split), -1)
    return column.to_numpy()


def _data(*args, **kwargs):
    return load_task(*args, **kwargs).data


def _arrays(split) -> tuple[np.ndarray, np.ndarray]:
    return _column(split, "input_ids"), _column(split, "labels")


def test_registry_partitions_tasks_by_head() -> None:
    assert set(EQUIVARIANT_TASKS) == {"intersect", "palindrome", "cyclic_sum", "cyclic_alt_sum"}
    assert set(INVARIANT_TASKS) | set(EQUIVARIANT_TASKS) == set(TASKS)
    for spec in TASKS.values():
        assert spec.metric == spec.metrics[0]
        if spec.head == "token":
            assert (spec.num_labels, spec.problem_type, spec.loss) == (2, "single_label_classification", None)
        elif spec.problem_type == "regression":
            assert (spec.num_labels, spec.loss) == (1, "l1")


@pytest.mark.parametrize("name", list(TASKS))
def test_default_splits_columns_and_vocabulary(name: str) -> None:
    spec = TASKS[name]
    ds = _data(name)
    expected = {"train": 1750, "validation": 375, "test": 375}
    if spec.head == "sequence":
        expected = {"train": 5600, "validation": 1200, "test": 1200}  # 8000 = 1 unit of the paper
    assert {split: len(rows) for split, rows in ds.items()} == expected
    for split in ds.values():
        assert split.column_names == ["input_ids", "labels"]
        x, y = _arrays(split)
        assert x.shape[1] == spec.default_n and x.min() >= 0 and x.max() < spec.vocab_size
        assert y.shape == ((len(split), spec.default_n) if spec.head == "token" else (len(split),))
        np.testing.assert_array_equal(spec.label(x, **spec.default_params), y)
    if spec.problem_type == "regression":
        assert ds["train"].features["labels"].dtype == "float32"


@pytest.mark.parametrize("name", ["intersect", "detect_capital"])
def test_same_seed_same_bytes_other_seed_other_data(name: str) -> None:
    first, again, other = _data(name, seed=3), _data(name, seed=3), _data(name, seed=4)
    for split in first:
        assert first[split].data.table.equals(again[split].data.table)
        assert first[split]._fingerprint == again[split]._fingerprint
        assert not first[split].data.table.equals(other[split].data.table)


def test_tasks_draw_independent_streams() -> None:
    a, _ = _arrays(_data("intersect", size=100)["train"])
    b, _ = _arrays(_data("cyclic_sum", size=100)["train"])
    assert not np.array_equal(a, b)


def test_short_sequences_with_matching_parameters() -> None:
    task = load_task("palindrome", n=2, k=2, size=20)  # below the default k = 3, fine for k = 2
    assert task.symmetry == "reversal(2)" and task.n == 2
    assert task_group("cyclic_sum", 4, c=2).order() == 8


def test_size_and_split_rounding() -> None:
    ds = _data("palindrome", size=101)
    assert [len(ds[s]) for s in ("train", "validation", "test")] == [71, 15, 15]
    with pytest.raises(ValueError, match="too small"):
        _data("palindrome", size=6)


def test_label_balance() -> None:
    _, y = _arrays(_data("intersect")["train"])
    assert 0.45 < y.mean() < 0.65  # 1 - (6/7)^5 = 0.54 of positions see their token in the other half
    for name in ("palindrome", "has_palindrome", "detect_capital", "permutation_sign"):
        _, y = _arrays(_data(name)["train"])
        rows = y.reshape(len(y), -1).any(axis=1)
        assert 0.45 < rows.mean() < 0.55, name
    _, y = _arrays(_data("longest_palindrome")["train"])
    assert len(np.unique(y)) >= 4  # the regression target is spread, not a constant


@pytest.mark.parametrize(
    "name,params", [("palindrome", {"k": 3}), ("palindrome", {"k": 4}), ("has_palindrome", {})]
)
def test_palindrome_negatives_have_none_and_positives_have_one(name: str, params: dict) -> None:
    spec = TASKS[name]
    x, y = _arrays(_data(name, **params)["train"])
    k = spec.resolve_params(**params)["k"]
    has = palindromic_windows(x, k).any(axis=1)
    np.testing.assert_array_equal(has, y.reshape(len(y), -1).any(axis=1))
    if spec.head == "token":
        assert (y[has].sum(axis=1) >= k).all()


@pytest.mark.parametrize("name,c", [("cyclic_sum", 3), ("cyclic_sum", 5), ("cyclic_alt_sum", 4)])
def test_cyclic_windows_are_unique(name: str, c: int) -> None:
    _, y = _arrays(_data(name, c=c)["train"])
    assert (y.sum(axis=1) == c).all()  # exactly one best window: ties were resampled


def test_card_records_the_task_and_the_group_override(tmp_path) -> None:
    task = load_task("palindrome", n=9, size=50, seed=2, k=4)
    card = task.card()
    assert card["source"] == {
        "task": "palindrome",
        "n": 9,
        "size": 50,
        "seed": 2,
        "params": {"k": 4, "num_values": 7},
        "task_group": "reversal(9)",
    }
    assert (card["symmetry"], card["head"], card["num_labels"], card["vocab_size"]) == (
        "reversal(9)",
        "token",
        2,
        7,
    )
    assert (card["problem_type"], card["loss"], card["metrics"]) == (
        "single_label_classification",
        "ce",
        ["accuracy", "sequence_accuracy"],
    )
    assert card["description"] == TASKS["palindrome"].description
    assert all(not split.info.description for split in task.data.values())  # no JSON hidden in the info
    assert Task.load(task.save(tmp_path / "pal")).card() == card

    baseline = load_task("palindrome", n=9, size=50, seed=2, k=4, group="trivial")
    assert baseline.symmetry == "trivial(9)" and baseline.source["task_group"] == "reversal(9)"
    assert baseline.data["train"].data.table.equals(
        task.data["train"].data.table
    )  # the group never changes the data
    assert load_task("intersect", size=20, group="dihedral(10)").symmetry == "dihedral(10)"
    numpy_ints = load_task("intersect", n=np.int64(6), size=np.int64(20), seed=np.int64(1)).source
    assert (numpy_ints["n"], numpy_ints["size"], numpy_ints["seed"]) == (6, 20, 1)
    custom = PermGroup.parse("cyclic(10)")
    assert task_group("intersect", 10, custom) is custom
    assert task_group("cyclic_sum", 10).order() == 20
    assert load_task("intersect_size", size=20).metrics == ("mae", "mse")


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"name": "intersekt"}, KeyError, "known tasks: .*intersect"),
        ({"name": "intersect", "n": 9}, ValueError, "n must be even"),
        ({"name": "palindrome", "n": 4, "k": 5}, ValueError, r"n >= 5"),
        ({"name": "palindrome", "k": 1}, ValueError, "k must be >= 2"),
        ({"name": "cyclic_sum", "n": 4, "c": 3}, ValueError, r"n >= 5"),
        ({"name": "cyclic_alt_sum", "c": 3}, ValueError, "even window length"),
        ({"name": "palindrome", "window": 3}, ValueError, "no parameter.*window.*allowed: k, num_values"),
        ({"name": "palindrome", "k": 2.5}, ValueError, "must be an int"),
        ({"name": "palindrome", "n": "10"}, ValueError, "n must be an int"),
        ({"name": "intersect", "seed": -1}, ValueError, "seed"),
        ({"name": "intersect", "size": 0}, ValueError, "too small"),
        ({"name": "intersect", "size": 70.0}, ValueError, "size must be an int"),
        ({"name": "intersect", "group": "dihedral(8)"}, ValueError, "acts on 8 points"),
        ({"name": "intersect", "group": "no_such_group"}, ValueError, "no_such_group"),
        ({"name": "intersect", "group": 3}, ValueError, "spec string or a PermGroup"),
        ({"name": "palindrome", "n": 6, "k": 2, "num_values": 1}, ValueError, "num_values"),
    ],
)
def test_bad_arguments_fail_clearly(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        load_task(**kwargs)


def test_impossible_rejection_sampling_fails_instead_of_hanging() -> None:
    with pytest.raises(ValueError, match="palindrome-free"):
        load_task("palindrome", n=40, k=2, num_values=2, size=20)
