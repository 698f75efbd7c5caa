"""The 8 x 8 digits task: columns, stratified deterministic splits, train_rows subsampling, card."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

pytest.importorskip("sklearn")

from asen_fm.domains.images import DIGITS_VOCAB, digits_task, load_digits_arrays, stratified_split  # noqa: E402


@cache
def _task(seed: int = 0, train_rows: int | None = None):
    return digits_task(seed=seed, train_rows=train_rows)


def _numpy(split, column: str) -> np.ndarray:
    return np.asarray(split.with_format("numpy")[column])


def test_columns_are_the_images_with_their_labels():
    images, labels = load_digits_arrays()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    ds, card = _task()
    for split in ds.values():
        ids, features, index = (
            _numpy(split, "input_ids"),
            _numpy(split, "node_features"),
            _numpy(split, "index"),
        )
        assert ids.shape[1:] == (8, 8) and features.shape[1:] == (8, 8, 1)
        assert ids.min() >= 0 and ids.max() < DIGITS_VOCAB
        np.testing.assert_array_equal(ids, images[index])
        np.testing.assert_allclose(features[..., 0], images[index] / 16.0)
        np.testing.assert_array_equal(_numpy(split, "labels"), labels[index])
    assert card["num_labels"] == 10 and card["vocab_size"] == 17 and card["head"] == "sequence"
    assert card["problem_type"] == "single_label_classification" and card["metrics"] == ["accuracy"]
    assert card["symmetry"] == "trivial(64)" and card["n"] == 64


def test_splits_partition_the_set_and_are_stratified():
    _, labels = load_digits_arrays()
    rows = stratified_split(labels, seed=0)
    together = np.concatenate(list(rows.values()))
    assert len(together) == 1797 and len(np.unique(together)) == 1797
    counts = np.bincount(labels, minlength=10)
    for split, fraction in {"train": 0.6, "validation": 0.2, "test": 0.2}.items():
        per_class = np.bincount(labels[rows[split]], minlength=10)
        assert np.all(np.abs(per_class - fraction * counts) <= 1), split


def test_splits_are_deterministic_by_seed():
    _, labels = load_digits_arrays()
    a, b, c = (stratified_split(labels, seed=s) for s in (0, 0, 1))
    for split in a:
        np.testing.assert_array_equal(a[split], b[split])
    assert not np.array_equal(a["test"], c["test"])
    ds1, _ = _task(seed=0)
    ds2, _ = digits_task(seed=0)
    assert ds1["train"].data.table.equals(ds2["train"].data.table)


@pytest.mark.parametrize("train_rows", [100, 300])
def test_train_rows_subsamples_train_only_and_stratified(train_rows):
    full, _ = _task()
    ds, card = _task(train_rows=train_rows)
    index = _numpy(ds["train"], "index")
    assert len(index) == train_rows == card["sizes"]["train"]
    assert set(index) <= set(_numpy(full["train"], "index"))
    for split in ("validation", "test"):
        np.testing.assert_array_equal(_numpy(ds[split], "index"), _numpy(full[split], "index"))
    full_counts = np.bincount(_numpy(full["train"], "labels"), minlength=10)
    counts = np.bincount(_numpy(ds["train"], "labels"), minlength=10)
    assert np.all(np.abs(counts - full_counts * train_rows / full_counts.sum()) < 1)


@pytest.mark.parametrize("train_rows,message", [(5, "train_rows"), (5000, "train_rows"), (1.5, "train_rows")])
def test_bad_train_rows_raise(train_rows, message):
    with pytest.raises(ValueError, match=message):
        digits_task(train_rows=train_rows)
