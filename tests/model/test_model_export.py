"""torch.export with dynamic shapes: a dynamic batch, and for padded batches a dynamic sequence length (at
least the widest degree); the program matches eager at shapes it was not traced at. A length that cannot
be dynamic is refused with a message saying which dimension and why."""

from __future__ import annotations

import pytest
import torch
from tiny_models import tiny_config
from torch.export import Dim

from asen_fm import (
    AsenForNodeRegression,
    AsenForSequenceClassification,
    AsenForTokenClassification,
    AsenModel,
)


def _padded_ids(batch: int, n: int, real: int, seed: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    mask = torch.zeros(batch, n, dtype=torch.long)
    mask[:, :real] = 1
    mask[0, real - 1] = 0  # one example shorter than the degree as well
    return {"input_ids": torch.randint(0, 5, (batch, n), generator=generator), "attention_mask": mask}


def _first(output) -> torch.Tensor:
    return output[0] if isinstance(output, tuple) else next(iter(output.values()))


@pytest.mark.parametrize("cls", [AsenModel, AsenForTokenClassification, AsenForSequenceClassification])
def test_dynamic_batch_and_padded_length_match_eager(cls) -> None:
    torch.manual_seed(0)
    model = cls(tiny_config({"c": "cyclic(6)"}, initializer_range=0.3, num_labels=3)).eval()
    batch, n = Dim("batch", min=1, max=64), Dim("n", min=6, max=64)
    shapes = {"input_ids": {0: batch, 1: n}, "attention_mask": {0: batch, 1: n}}
    with torch.no_grad():
        program = torch.export.export(model, (), _padded_ids(2, 8, 6, seed=0), dynamic_shapes=shapes)
        for b, length, seed in ((2, 8, 1), (5, 11, 2), (1, 6, 3), (3, 40, 4)):
            inputs = _padded_ids(b, length, 6, seed)
            expected, got = _first(model(**inputs)), _first(program.module()(**inputs))
            assert got.shape == expected.shape and got.shape[0] == b
            torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_dynamic_length_with_mixed_symmetries_node_features_and_eager_attention() -> None:
    torch.manual_seed(0)
    config = tiny_config(
        {"c": "cyclic(6)", "d": "dihedral(4)"}, vocab_size=0, input_dim=3, initializer_range=0.3
    )
    config._attn_implementation = "eager"
    model = AsenForNodeRegression(config).eval()

    class PerExample(torch.nn.Module):  # one symmetry name per example: a constant of the program
        def forward(self, node_features: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return model(node_features=node_features, attention_mask=attention_mask, symmetry=["c", "d", "c"])

    def inputs(n: int) -> dict:
        mask = torch.zeros(3, n, dtype=torch.long)
        mask[[0, 2], :6] = 1
        mask[1, :4] = 1
        return {"node_features": torch.randn(3, n, 3), "attention_mask": mask}

    n = Dim("n", min=6, max=32)
    shapes = {"node_features": {1: n}, "attention_mask": {1: n}}
    with torch.no_grad():
        program = torch.export.export(PerExample(), (), inputs(7), dynamic_shapes=shapes)
        for length in (6, 7, 12):
            example = inputs(length)
            expected = _first(model(**example, symmetry=["c", "d", "c"]))
            torch.testing.assert_close(_first(program.module()(**example)), expected, atol=1e-5, rtol=1e-5)


def test_an_unpadded_batch_exports_a_dynamic_batch_but_refuses_a_dynamic_length() -> None:
    model = AsenForTokenClassification(tiny_config({"c": "cyclic(6)"})).eval()
    ids = torch.randint(0, 5, (2, 6))
    with torch.no_grad():
        program = torch.export.export(
            model, (), {"input_ids": ids}, dynamic_shapes={"input_ids": {0: Dim("b")}}
        )
        wide = torch.randint(0, 5, (7, 6))
        torch.testing.assert_close(_first(program.module()(input_ids=wide)), model(input_ids=wide).logits)
        with pytest.raises(ValueError, match=r"dim 1 .* cannot be dynamic without an attention_mask.*n=6"):
            torch.export.export(model, (), {"input_ids": ids}, dynamic_shapes={"input_ids": {1: Dim("n")}})


def test_a_family_symmetry_refuses_a_dynamic_length() -> None:
    model = AsenForTokenClassification(tiny_config({"r": "reversal(*)"})).eval()
    kwargs = {"input_ids": torch.randint(0, 5, (2, 6))}
    with torch.no_grad(), pytest.raises(ValueError, match="cannot be dynamic under the family symmetry 'r'"):
        torch.export.export(model, (), kwargs, dynamic_shapes={"input_ids": {1: Dim("n", min=2, max=20)}})
