"""orbit_bias_scale: the attention bias is scale * table, a reparameterization that changes no symmetry."""

from __future__ import annotations

import pytest
import torch
from tiny_models import tiny_config

from asen_fm import AsenForTokenClassification
from asen_fm.equivariance import equivariance_error
from asen_fm.symmetry import PermGroup

SYMMETRIES = {"swap": "swap_halves(6)"}


def test_scale_multiplies_the_table_and_nothing_else() -> None:
    torch.manual_seed(0)
    scaled = AsenForTokenClassification(tiny_config(SYMMETRIES, orbit_bias_scale=10.0)).eval()
    plain = AsenForTokenClassification(tiny_config(SYMMETRIES, orbit_bias_scale=1.0)).eval()
    plain.load_state_dict(scaled.state_dict())
    ids = torch.randint(0, 5, (3, 6))
    before = plain(input_ids=ids).logits
    assert not torch.allclose(scaled(input_ids=ids).logits, before, atol=1e-4)  # the scale matters
    with torch.no_grad():
        plain.asen.symmetry_embedders["swap"].pair_bias.mul_(10.0)
    torch.testing.assert_close(plain(input_ids=ids).logits, scaled(input_ids=ids).logits)


def test_scaled_model_keeps_its_group() -> None:
    torch.manual_seed(1)
    model = AsenForTokenClassification(tiny_config(SYMMETRIES, orbit_bias_scale=10.0)).double().eval()
    ids = torch.randint(0, 5, (4, 6))
    group = PermGroup.swap_halves(6)
    rng = __import__("numpy").random.default_rng(0)
    for _ in range(5):
        assert (
            equivariance_error(model, {"input_ids": ids}, group.random_element(rng), symmetry="swap") < 1e-10
        )


@pytest.mark.parametrize("scale", [0.0, -1.0])
def test_non_positive_scale_is_refused(scale: float) -> None:
    with pytest.raises(ValueError, match="orbit_bias_scale"):
        tiny_config(SYMMETRIES, orbit_bias_scale=scale)
