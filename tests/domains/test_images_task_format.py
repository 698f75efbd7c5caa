"""Image task plumbing: quantisation, the Pathfinder DatasetDict and card, the example plot."""

from __future__ import annotations

import numpy as np
import pytest

from asen_fm.domains.images import generate_pathfinder, pathfinder_task, plot_examples, quantise


def test_quantise_uses_equal_bins():
    pixels = np.array([0, 15, 16, 127, 128, 255], dtype=np.uint8)
    np.testing.assert_array_equal(quantise(pixels, 16), [0, 0, 1, 7, 8, 15])
    np.testing.assert_array_equal(quantise(pixels, 2), [0, 0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="levels"):
        quantise(pixels, 1)
    with pytest.raises(ValueError, match="uint8"):
        quantise(pixels.astype(np.int64), 8)


def test_pathfinder_task_splits_columns_and_card():
    sizes = {"train": 40, "validation": 10, "test": 11}
    ds, card = pathfinder_task(16, "baseline", sizes=sizes, seed=4, levels=8)
    assert {split: len(ds[split]) for split in ds} == sizes
    train = ds["train"].with_format("numpy")[:]
    assert train["input_ids"].shape == (40, 16, 16) and train["node_features"].shape == (40, 16, 16, 1)
    assert set(np.unique(train["input_ids"])) == {0, 7}
    np.testing.assert_allclose(train["node_features"][..., 0] > 0, train["input_ids"] > 0)
    assert train["labels"].sum() == 20
    batch = generate_pathfinder(40, 16, "baseline", seed=4, stream=0)
    np.testing.assert_array_equal(train["input_ids"], quantise(batch.images, 8))
    test = ds["test"].with_format("numpy")[:]["input_ids"]
    assert not np.array_equal(test[:10], train["input_ids"][:10])
    assert card["num_labels"] == 2 and card["vocab_size"] == 8 and card["symmetry"] == "grid(16, 16, d4)"
    assert card["head"] == "sequence" and card["metrics"] == ["accuracy"] and card["n"] == 256
    assert card["style"]["dashes"] == 6 and card["sizes"] == sizes
    with pytest.raises(ValueError, match="sizes"):
        pathfinder_task(16, sizes={"train": 4})


def test_plot_examples_writes_a_png(tmp_path):
    batch = generate_pathfinder(10, 32, "baseline", seed=0)
    path = plot_examples(batch.images, batch.labels, tmp_path / "sub" / "grid.png", columns=4, title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="png"):
        plot_examples(batch.images, batch.labels, tmp_path / "grid.jpg")
    with pytest.raises(ValueError, match="labels"):
        plot_examples(batch.images, batch.labels[:3], tmp_path / "grid.png")


def test_write_examples_smoke(tmp_path):
    from asen_fm.domains.images.examples import write_examples

    written = write_examples(tmp_path, count=2)
    assert len(written) >= 6 and all(path.read_bytes()[:4] == b"\x89PNG" for path in written)
