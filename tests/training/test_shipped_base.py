"""The shipped base checkpoint (pretrain/asen-base): it loads in one line, its card lists every task, and
its weights still give the validation metrics written in eval.json / the card on the shipped rows."""

from __future__ import annotations

import importlib.util
import json

import pytest

from asen_fm import AsenForMultiTask

from .conftest import REPO

BASE = REPO / "pretrain" / "asen-base"
pytestmark = pytest.mark.skipif(not (BASE / "config.json").is_file(), reason="no shipped base checkpoint yet")


def _ship_module():
    spec = importlib.util.spec_from_file_location("ship_under_test", REPO / "pretrain" / "ship.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_weights_reproduce_the_metrics_in_their_card() -> None:
    ship = _ship_module()
    model = AsenForMultiTask.from_pretrained(BASE)
    rows, stored = ship.read_rows(BASE)
    assert set(rows) == set(model.config.tasks) == set(stored["values"])
    values = ship.small_eval(model, rows, stored["metrics"])
    card = (BASE / "README.md").read_text()
    for task, metrics in stored["values"].items():
        assert f"| {task} |" in card
        for name, value in metrics.items():
            assert values[task][name] == pytest.approx(value, rel=1e-4, abs=1e-5), (task, name)
            assert f"{name} {value:.4f}" in card


def test_shipped_card_names_the_command_code_version_groups_and_adapters() -> None:
    card = (BASE / "README.md").read_text()
    config = json.loads((BASE / "config.json").read_text())
    assert "--recipe pretrain/configs/base.json" in card and "Code version:" in card
    for adapter in config["input_adapters"]:
        assert f"`{adapter}`" in card
    assert (BASE / "model.safetensors").stat().st_size <= 10 * 2**20
    kinds = {spec["kind"] for spec in config["input_adapters"].values()}
    assert kinds == {"tokens", "features"} and len(config["input_adapters"]) >= 3
