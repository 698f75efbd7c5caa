"""Helpers of the Pathfinder probe scripts: the CNN receptive field and the masked-pixel task rows."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize(
    ("depth", "pools", "field"),
    [(1, 0, 3), (3, 0, 7), (6, 0, 13), (1, 1, 4), (2, 1, 8), (3, 2, 18)],
)
def test_receptive_field_matches_hand_counts(depth: int, pools: int, field: int) -> None:
    from pathfinder_cnn_probes import receptive_field

    assert receptive_field(depth, pools) == field


def test_receptive_field_is_the_input_square_one_output_cell_sees() -> None:
    import torch
    from image_baselines import SmallCNN
    from pathfinder_cnn_probes import receptive_field

    torch.manual_seed(0)
    for depth, pools in ((3, 0), (2, 1), (3, 2)):
        model = SmallCNN(2, width=8, depth=depth, pools=pools)
        image = torch.rand(1, 32, 32).requires_grad_()
        maps = model.features(image[:, None])
        maps[0, :, maps.shape[2] // 2, maps.shape[3] // 2].sum().backward()  # one cell of the last map
        rows, cols = image.grad[0].abs().sum(1).nonzero(), image.grad[0].abs().sum(0).nonzero()
        seen = max(int(rows.max() - rows.min()), int(cols.max() - cols.min())) + 1
        assert receptive_field(depth, pools) - 2 <= seen <= receptive_field(depth, pools), (depth, pools)


def test_masked_split_masks_about_the_rate_and_targets_every_original_pixel() -> None:
    from pathfinder_selfpretrain import MASKED, masked_split

    rng = np.random.default_rng(0)
    images = (rng.random((50, 64, 1)) < 0.2).astype(np.float32)
    rows = masked_split(images, rate=0.25, copies=2, seed=0)
    features, labels, scored = (np.asarray(rows[key]) for key in ("node_features", "labels", "scored"))
    assert features.shape == (100, 64, 1) and labels.shape == scored.shape == (100, 64)
    assert abs(scored.mean() - 0.25) < 0.03
    assert np.all(features[scored][:, 0] == MASKED)
    stacked = np.concatenate([images, images])[..., 0]
    assert np.array_equal(features[~scored][:, 0], stacked[~scored])  # unmasked pixels are untouched
    assert np.array_equal(labels, stacked.astype(np.int64))  # the target is the original image
    assert not np.array_equal(scored[:50], scored[50:])  # each copy has its own mask


def test_run_probes_refuses_an_unknown_name_before_building_anything(capsys) -> None:
    from expkit.probes import run_probes

    def setup() -> None:
        raise AssertionError("the experiment was built for a bad command line")

    assert run_probes(["a", "nope"], ["a", "b"], setup, lambda exp, name: {}) == 2
    assert capsys.readouterr().err.strip() == "unknown probe(s) ['nope']; known: a, b"


def test_run_probes_prints_one_markdown_row_per_probe_in_the_order_asked(capsys) -> None:
    from expkit.probes import commit_text, curve_text, run_probes

    def probe(exp: dict, name: str) -> dict:
        return {"probe": name, "curve": curve_text(exp["evals"]), "commit": commit_text(exp["code"])}

    exp = {
        "evals": [{"step": 0, "accuracy": 0.5}, {"step": 10, "accuracy": 0.75}],
        "code": {"git_commit": "abcdef123"},
    }
    assert run_probes(["b", "a"], ["a", "b"], lambda: exp, probe) == 0
    assert capsys.readouterr().out.splitlines() == [
        "| probe | curve | commit |",
        "|---|---|---|",
        "| b | 0:0.500 10:0.750 | abcdef1 |",
        "| a | 0:0.500 10:0.750 | abcdef1 |",
    ]
