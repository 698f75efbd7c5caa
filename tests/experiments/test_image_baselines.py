"""benchmarks/experiments/image_baselines.py: the CNN and logistic regression beside the ASEN image runs."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def digits_folder(tmp_path_factory):
    from asen_fm.domains.images.build import build_image_task

    folder = tmp_path_factory.mktemp("digits") / "task"
    build_image_task("digits", {"train_rows": 300}, 0).save(folder)
    return folder


def test_cnn_learns_digits_and_is_read_back_from_the_cache(digits_folder, tmp_path, monkeypatch):
    import image_baselines

    cache = tmp_path / "baselines.json"
    settings = {"folder": str(digits_folder), "model": "cnn", "seed": 0, "steps": 120, "batch_size": 32}
    settings |= {"lr": 0.003, "width": 8, "depth": 2, "pools": 1, "warmup": 10, "eval_every": 60}
    result = image_baselines.cached_run(cache, settings)
    assert result["test_accuracy"] > 0.5  # chance is 0.1
    assert [row["step"] for row in result["validation"]] == [0, 60, 120]
    assert result["code"]["source_sha256"] and result["settings"] == settings

    def no_training(*args, **kwargs):
        raise AssertionError("a cached run was trained again")

    monkeypatch.setattr(image_baselines, "train_cnn", no_training)
    assert image_baselines.cached_run(cache, settings) == json.loads(json.dumps(result))
    with pytest.raises(AssertionError, match="trained again"):  # other settings are not in the cache
        image_baselines.cached_run(cache, {**settings, "seed": 1})


def test_cnn_readouts_pool_the_map_as_named() -> None:
    import torch
    from image_baselines import SmallCNN

    torch.manual_seed(0)
    images = torch.rand(3, 8, 8)
    for readout, width in (("mean+max", 32), ("mean", 16), ("max", 16)):
        model = SmallCNN(2, width=8, depth=2, pools=1, readout=readout)
        assert model.head.in_features == width
        maps = model.features(images[:, None])
        pooled = {"mean": maps.mean(dim=(2, 3)), "max": maps.amax(dim=(2, 3))}
        expected = torch.cat([pooled[part] for part in readout.split("+")], dim=-1)
        assert torch.allclose(model(images), model.head(expected))
    with pytest.raises(ValueError, match="readout must be one of"):
        SmallCNN(2, readout="median")


def test_logistic_regression_on_digits_picks_c_on_validation(digits_folder, tmp_path):
    import image_baselines

    result = image_baselines.cached_run(
        tmp_path / "cache.json", {"folder": str(digits_folder), "model": "logreg", "seed": 0}
    )
    assert result["test_accuracy"] > 0.85 and result["C"] in (0.01, 0.1, 1.0, 10.0, 100.0)


@pytest.mark.parametrize(
    "argv,message",
    [
        (["{folder}", "--steps", "0"], "--steps must be at least 1"),
        (["{folder}", "--pools", "4", "--depth", "3"], "--pools must lie in 0..--depth"),
        (["{folder}", "--model", "mlp"], "invalid choice"),
        (["{folder}", "--readout", "median"], "invalid choice"),
        (["/nonexistent"], "is not a task folder"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(digits_folder, argv, message, capsys):
    import image_baselines

    with pytest.raises(SystemExit) as exit_info:
        code = image_baselines.main([a.format(folder=digits_folder) for a in argv])
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
