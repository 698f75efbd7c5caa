"""Checkpoints written before input adapters existed (one ``vocab_size``, one ``input_dim``) still load.

tests/fixtures/old_checkpoints holds two tiny folders saved by the code of the commit in expected.json
(a token multi-task model and a node-feature regression model) and the logits they gave on fixed inputs.
They must load without missing or unexpected weights, give the same logits, and save again in today's
format (adapters ``tokens`` / ``features``) that loads back to the same logits.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from asen_fm import AsenForMultiTask, AsenForNodeRegression, AsenModel

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "old_checkpoints"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


def _outputs(model: torch.nn.Module, kind: str) -> dict[str, torch.Tensor]:
    model.eval()
    inputs = {name: torch.tensor(value) for name, value in EXPECTED["inputs"].items()}
    with torch.no_grad():
        if kind == "tokens":
            return {t: model(input_ids=inputs[t], task=t).logits for t in ("rev", "cyc")}
        return {"skel": model(node_features=inputs["skel"], symmetry="skel").logits}


@pytest.mark.parametrize(("kind", "cls"), [("tokens", AsenForMultiTask), ("features", AsenForNodeRegression)])
def test_old_checkpoint_loads_with_the_same_outputs_and_resaves_in_todays_format(kind, cls, tmp_path) -> None:
    saved = json.loads((FIXTURES / kind / "config.json").read_text())
    assert "input_adapters" not in saved  # really the old format
    model, info = cls.from_pretrained(FIXTURES / kind, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    assert set(model.config.input_adapters) == {kind}
    expected = {name: torch.tensor(value) for name, value in EXPECTED["outputs"][kind].items()}
    for name, logits in _outputs(model, kind).items():
        torch.testing.assert_close(logits, expected[name], rtol=1e-5, atol=1e-6)

    model.save_pretrained(tmp_path)
    with safe_open(str(tmp_path / "model.safetensors"), "pt") as weights:
        names = set(weights.keys())
    assert not any("token_embeddings" in n or "input_projection" in n for n in names)
    assert any(n.startswith(f"asen.input_adapters.{kind}.") for n in names)
    config = json.loads((tmp_path / "config.json").read_text())
    assert set(config["input_adapters"]) == {kind}
    reloaded = cls.from_pretrained(tmp_path)
    for name, logits in _outputs(reloaded, kind).items():
        torch.testing.assert_close(logits, expected[name], rtol=1e-5, atol=1e-6)


def test_old_multitask_checkpoint_loads_as_the_bare_backbone() -> None:
    backbone, info = AsenModel.from_pretrained(FIXTURES / "tokens", output_loading_info=True)
    assert not info["missing_keys"]  # only the heads are left over
    assert all(key.startswith("heads.") for key in info["unexpected_keys"])
    assert backbone.config.vocab_size == 7 and backbone.get_input_embeddings().num_embeddings == 7
