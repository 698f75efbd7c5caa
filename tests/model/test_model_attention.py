"""eager, sdpa and flex_attention compute the same orbit-biased attention."""

from __future__ import annotations

import pytest
import torch
from tiny_models import tiny_config

from asen_fm import AsenForTokenClassification
from asen_fm.modeling_asen import build_layout

SYMMETRIES = {"dihedral": "dihedral(10)", "swap": "swap_halves(10)"}


def _model(share_orbit_bias: bool = False) -> AsenForTokenClassification:
    torch.manual_seed(0)
    config = tiny_config(SYMMETRIES, initializer_range=0.3, share_orbit_bias=share_orbit_bias)
    return AsenForTokenClassification(config)


def _run(model: AsenForTokenClassification, implementation: str, ids: torch.Tensor, labels: torch.Tensor):
    model.set_attn_implementation(implementation)
    assert model.config._attn_implementation == implementation
    model.zero_grad()
    out = model(input_ids=ids, symmetry="dihedral", labels=labels)
    out.loss.backward()
    bias_grad = model.asen.symmetry_embedders["dihedral"].pair_bias.grad.clone()
    return out.logits.detach(), bias_grad


@pytest.mark.parametrize("share_orbit_bias", [False, True])
def test_eager_and_sdpa_agree_on_outputs_and_gradients(share_orbit_bias: bool) -> None:
    model = _model(share_orbit_bias).eval()
    ids = torch.randint(0, 5, (4, 10))
    labels = torch.randint(0, 2, (4, 10))
    eager_logits, eager_grad = _run(model, "eager", ids, labels)
    sdpa_logits, sdpa_grad = _run(model, "sdpa", ids, labels)
    assert torch.allclose(eager_logits, sdpa_logits, atol=1e-5)
    assert torch.allclose(eager_grad, sdpa_grad, atol=1e-5)
    assert eager_grad.abs().sum() > 0


def test_layout_bias_looks_up_the_pair_orbit_table_and_masks_padding() -> None:
    """bias[b, h, i, j] = table[pair_orbit(i, j), h] inside each example, MASK beyond its degree."""
    model = AsenForTokenClassification(tiny_config({"c": "cyclic(4)", "d": "dihedral(6)"}))
    embedders = model.asen.symmetry_embedders
    layout = build_layout([embedders["c"], embedders["d"]], 6)
    table, _, _ = layout.layer_tables(0, torch.float32)
    bias = table[layout.pair_index]  # [B, n, n, H]
    c_table = embedders["c"].tables(0)[0]
    d_table = embedders["d"].tables(0)[0]
    for h in range(2):
        for i in range(6):
            for j in range(6):
                if i < 4 and j < 4:
                    assert bias[0, i, j, h] == c_table[embedders["c"].pair_ids[i, j], h]
                elif j >= 4:
                    assert bias[0, i, j, h] == torch.finfo(torch.float32).min
                else:  # a padded node's query to a real key: no bias
                    assert bias[0, i, j, h] == 0
                assert bias[1, i, j, h] == d_table[embedders["d"].pair_ids[i, j], h]


def test_output_attentions_are_row_stochastic_with_eager() -> None:
    model = _model().eval()
    model.set_attn_implementation("eager")
    out = model(input_ids=torch.randint(0, 5, (2, 10)), symmetry="swap", output_attentions=True)
    assert len(out.attentions) == 2
    assert out.attentions[0].shape == (2, 2, 10, 10)
    assert torch.allclose(out.attentions[0].sum(-1), torch.ones(2, 2, 10))


def test_output_attentions_under_sdpa_fall_back_to_eager_for_the_call(caplog) -> None:
    model = _model().eval()
    ids = torch.randint(0, 5, (2, 10))
    out = model(input_ids=ids, symmetry="swap", output_attentions=True)
    assert len(out.attentions) == 2 and out.attentions[0].shape == (2, 2, 10, 10)
    assert model.config._attn_implementation == "sdpa"
    model.set_attn_implementation("eager")
    eager = model(input_ids=ids, symmetry="swap", output_attentions=True)
    assert torch.allclose(out.attentions[1], eager.attentions[1])
    assert torch.allclose(out.logits, eager.logits, atol=1e-6)


def test_config_output_attentions_is_honoured() -> None:
    model = _model().eval()
    model.set_attn_implementation("eager")  # transformers' config refuses output_attentions under sdpa
    model.config.output_attentions = True
    out = model(input_ids=torch.randint(0, 5, (2, 10)), symmetry="swap")
    assert out.attentions is not None and len(out.attentions) == 2


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason="flex_attention runs compiled kernels on GPU only here"
)
def test_flex_attention_agrees_with_sdpa_on_gpu() -> None:
    model = _model().cuda().eval()
    ids = torch.randint(0, 5, (4, 10), device="cuda")
    labels = torch.randint(0, 2, (4, 10), device="cuda")
    sdpa_logits, sdpa_grad = _run(model, "sdpa", ids, labels)
    flex_logits, flex_grad = _run(model, "flex_attention", ids, labels)
    assert torch.allclose(sdpa_logits, flex_logits, atol=1e-4)
    assert torch.allclose(sdpa_grad, flex_grad, atol=1e-4)


@pytest.mark.filterwarnings("ignore:flex_attention called without torch.compile")
def test_flex_score_mod_matches_sdpa_in_cpu_inference() -> None:
    """The score_mod table lookup, run by torch's uncompiled CPU flex_attention (forward only)."""
    model = _model().eval()
    ids = torch.randint(0, 5, (4, 10))
    model.set_attn_implementation("sdpa")
    with torch.no_grad():
        expected = model(input_ids=ids, symmetry="dihedral").logits
        model.set_attn_implementation("flex_attention")
        got = model(input_ids=ids, symmetry="dihedral").logits
    assert torch.allclose(expected, got, atol=1e-5)


def test_flex_training_on_cpu_is_a_clear_error() -> None:
    model = _model()
    model.set_attn_implementation("flex_attention")
    model.config.attention_probs_dropout_prob = 0.0
    with pytest.raises(ValueError, match="no backward on CPU"):
        model(input_ids=torch.randint(0, 5, (2, 10)), symmetry="dihedral")
