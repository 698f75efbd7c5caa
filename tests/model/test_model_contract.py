"""The Hugging Face contract's defects, one test each: no silent ignores, clear errors, export with a mask."""

from __future__ import annotations

import logging

import pytest
import torch
from tiny_models import tiny_config

from asen_fm import (
    AsenForNodeRegression,
    AsenForSequenceClassification,
    AsenForTokenClassification,
    AsenModel,
)


def test_misspelt_keywords_raise_type_errors_naming_them() -> None:
    model = AsenForTokenClassification(tiny_config({"c": "cyclic(6)"}))
    ids = torch.randint(0, 5, (2, 6))
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['symetry'\]"):
        model(input_ids=ids, symetry="c")
    with pytest.raises(TypeError, match=r"\['lables'\]"):
        model(input_ids=ids, lables=torch.zeros(2, 6, dtype=torch.long))
    with pytest.raises(TypeError, match="position_ids"):
        model.asen(input_ids=ids, position_ids=torch.arange(6))
    # What Trainer passes is accepted: num_items_in_batch turns the mean into a sum over that count.
    labels = torch.randint(0, 2, (2, 6))
    mean = model(input_ids=ids, labels=labels).loss
    summed = model(input_ids=ids, labels=labels, num_items_in_batch=torch.tensor(3)).loss
    assert torch.allclose(summed, mean * 12 / 3)


def test_token_ids_outside_the_vocabulary_name_the_value() -> None:
    model = AsenForTokenClassification(tiny_config({"c": "cyclic(4)"}))
    with pytest.raises(ValueError, match=r"input_ids holds 5, outside \[0, vocab_size=5\)"):
        model(input_ids=torch.tensor([[0, 1, 5, 2]]))
    with pytest.raises(ValueError, match="holds -1"):
        model(input_ids=torch.tensor([[0, 1, -1, 2]]))


def test_loading_into_another_head_class_warns(tmp_path, caplog) -> None:
    config = tiny_config({"c": "cyclic(4)"}, vocab_size=0, input_dim=3, num_labels=3)
    AsenForNodeRegression(config).save_pretrained(tmp_path)
    with caplog.at_level(logging.WARNING, logger="transformers"):
        AsenForTokenClassification.from_pretrained(tmp_path)
    assert "saved from AsenForNodeRegression but is loaded as AsenForTokenClassification" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="transformers"):
        AsenForNodeRegression.from_pretrained(tmp_path)
        AsenModel.from_pretrained(tmp_path)
    assert "saved from" not in caplog.text


def test_image_shaped_inputs_flatten_for_grid_symmetries_and_get_a_hint_otherwise() -> None:
    torch.manual_seed(0)
    model = AsenForSequenceClassification(tiny_config({"g": "grid(4, 4, torus)", "c": "cyclic(16)"})).eval()
    image = torch.randint(0, 5, (2, 4, 4))
    flat = model(input_ids=image.flatten(1), symmetry="g").logits
    assert torch.equal(model(input_ids=image, symmetry="g").logits, flat)
    with pytest.raises(ValueError, match=r"image-shaped inputs need a grid\(h, w, ...\) symmetry"):
        model(input_ids=image, symmetry="c")
    with pytest.raises(ValueError, match="flatten them row-major"):
        model(input_ids=torch.randint(0, 5, (2, 2, 8)), symmetry="g")


@pytest.mark.parametrize("cls", [AsenModel, AsenForTokenClassification, AsenForSequenceClassification])
def test_torch_export_with_an_attention_mask_matches_eager(cls) -> None:
    torch.manual_seed(0)
    model = cls(tiny_config({"c": "cyclic(6)"}, initializer_range=0.3)).eval()
    ids = torch.randint(0, 5, (2, 6))
    mask = torch.ones(2, 6, dtype=torch.long)
    mask[1, 5] = 0
    with torch.no_grad():
        expected = model(input_ids=ids, attention_mask=mask)
        program = torch.export.export(model, args=(), kwargs={"input_ids": ids, "attention_mask": mask})
        got = program.module()(input_ids=ids, attention_mask=mask)
    key = "last_hidden_state" if cls is AsenModel else "logits"
    assert torch.allclose(got[key], expected[key], atol=1e-6)
