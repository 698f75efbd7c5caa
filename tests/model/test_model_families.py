"""Models with a family symmetry (``reversal(*)``, ...): equivariant to G_n at any length, padded batches of
mixed lengths, bad lengths refused, and a saved folder that runs at new lengths without asen_fm."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from test_model_hub import _site_without_asen_fm
from tiny_models import tiny_config

from asen_fm import AsenForSequenceClassification, AsenForTokenClassification
from asen_fm.equivariance import assert_equivariant
from asen_fm.symmetry import PermGroup
from asen_fm.symmetry.sizes import Family


def family_model(symmetries: dict, cls: type = AsenForTokenClassification, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return cls(tiny_config(symmetries, initializer_range=0.3)).double().eval()


@pytest.mark.parametrize(
    "symmetry",
    [
        "reversal(*)",
        "cyclic(*)",
        "dihedral(*)",
        "swap_halves(*)",
        {"group": "reversal(*)", "exact": 4},  # bucketed: still exactly G_n
        {"group": "cyclic(*)", "exact": 4},
        "relative(*)",  # the relative-position transformer: no permutation but the identity
    ],
)
def test_equivariant_to_g_n_at_an_unseen_length_and_broken_outside(symmetry) -> None:
    model = family_model({"s": symmetry})
    spec = symmetry if isinstance(symmetry, str) else symmetry["group"]
    n = 34
    inputs = {"input_ids": torch.randint(0, 5, (2, n), generator=torch.Generator().manual_seed(1))}
    report = assert_equivariant(model, inputs, samples=4, outside="auto")
    assert report["outside_error"] > 0
    named = "trivial" if spec == "relative(*)" else spec[:-3]
    assert Family.parse(spec).group(n) == getattr(PermGroup, named)(n)  # the G_n the samples came from


def test_invariant_head_at_two_new_lengths() -> None:
    model = family_model({"s": "dihedral(*)"}, cls=AsenForSequenceClassification)
    for n in (7, 41):
        inputs = {"input_ids": torch.randint(0, 5, (3, n))}
        assert_equivariant(model, inputs, samples=3, outside="auto")


def test_mixed_lengths_in_one_padded_batch_equal_each_example_alone() -> None:
    model = family_model({"rev": "reversal(*)", "cyc": "cyclic(*)", "fixed": "dihedral(9)"})
    lengths, names = [13, 5, 9, 11], ["rev", "rev", "fixed", "cyc"]
    ids = torch.randint(0, 5, (4, 13))
    mask = (torch.arange(13)[None, :] < torch.tensor(lengths)[:, None]).long()
    batch = model(input_ids=ids, attention_mask=mask, symmetry=names).logits
    for b, (n, name) in enumerate(zip(lengths, names, strict=True)):
        alone = model(input_ids=ids[b : b + 1, :n], symmetry=name).logits[0]
        torch.testing.assert_close(batch[b, :n], alone, rtol=0, atol=1e-12)
    shared = model(input_ids=ids, attention_mask=mask, symmetry="rev").logits
    torch.testing.assert_close(shared[1, :5], model(input_ids=ids[1:2, :5], symmetry="rev").logits[0])


def test_one_row_per_orbit_name_is_shared_by_every_length() -> None:
    model = family_model({"rev": "reversal(*)"})
    embedder = model.asen.symmetry_embedders["rev"]
    rows = embedder.node_embedding.weight.shape[0]
    for n in (3, 12, 40):
        model(input_ids=torch.zeros(1, n, dtype=torch.long))
    assert embedder.node_embedding.weight.shape[0] == rows == Family.parse("reversal(*)").table_sizes()[0]
    assert embedder.n is None and "reversal(*)" in repr(embedder)


@pytest.mark.parametrize(
    ("symmetry", "n", "message"),
    [
        ({"group": "reversal(*)", "max_n": 16}, 17, "past the family bound max_n = 16"),
        ("dihedral(*)", 2, "defined for n >= 3"),
        ("swap_halves(*)", 9, "must be even"),
    ],
)
def test_lengths_the_family_does_not_have_are_refused(symmetry, n: int, message: str) -> None:
    model = family_model({"s": symmetry})
    with pytest.raises(ValueError, match=message):
        model(input_ids=torch.zeros(1, n, dtype=torch.long))


def test_a_real_node_after_padding_is_refused() -> None:
    model = family_model({"s": "reversal(*)"})
    mask = torch.tensor([[1, 1, 0, 1, 0]])
    with pytest.raises(ValueError, match="real node after padding"):
        model(input_ids=torch.zeros(1, 5, dtype=torch.long), attention_mask=mask)


def test_grid_family_takes_images_of_any_shape() -> None:
    model = family_model({"torus": "grid(*, *, torus)", "rows": "grid(*, 4, torus)"})
    rng = np.random.default_rng(0)
    for h, w in ((3, 4), (5, 6)):
        images = torch.randint(0, 5, (2, h, w))
        out = model(input_ids=images, symmetry="torus").logits
        assert out.shape == (2, h * w, 2)
        group = Family.parse("grid(*, *, torus)").group((h, w))
        g = group.random_element(rng)
        moved = images.flatten(1)[:, np.argsort(g)].reshape(2, h, w)  # g . x, kept image-shaped
        torch.testing.assert_close(model(input_ids=moved, symmetry="torus").logits, out[:, np.argsort(g)])
    flat = {"input_ids": torch.randint(0, 5, (2, 20))}  # one side fixed: a flat input of 5 rows of 4
    assert_equivariant(model, flat, symmetry="rows", samples=3, outside="auto")
    with pytest.raises(ValueError, match="image-shaped inputs"):
        model(input_ids=torch.zeros(1, 12, dtype=torch.long), symmetry="torus")


def test_config_stores_the_spec_and_bounds_and_reads_the_first_stored_form() -> None:
    config = tiny_config({"a": {"group": "cyclic(*)", "max_n": 64, "exact": 8}, "b": "grid(*, 4, torus)"})
    assert config.symmetries == {
        "a": {"spec": "cyclic(*)", "max_n": 64, "exact": 8},
        "b": {"spec": "grid(*, 4, torus)", "max_n": 512, "exact": 32},
    }
    first = {"spec": "reversal(*)", "family": "reversal", "args": ["*"], "max_n": 64, "exact": 32}  # eb66d9a
    assert tiny_config({"r": first}).symmetries["r"] == {"spec": "reversal(*)", "max_n": 64, "exact": 32}
    reloaded = type(config).from_dict(config.to_dict())
    assert reloaded.symmetries == config.symmetries


def test_family_config_rejects_options_that_need_one_degree() -> None:
    with pytest.raises(ValueError, match="takes no graph"):
        tiny_config({}).add_symmetry("s", "cyclic(*)", edges=[[0, 1]])
    with pytest.raises(ValueError, match="not \\['positions'\\]"):
        tiny_config({"s": {"group": "trivial(*)", "positions": [2, 2]}})
    with pytest.raises(ValueError, match="bound a family"):
        tiny_config({"s": {"group": "cyclic(8)", "max_n": 16}})


FRESH = textwrap.dedent(
    """
    import sys, torch
    from transformers import AutoModelForTokenClassification
    try:
        import asen_fm
    except ModuleNotFoundError:
        pass
    else:
        raise SystemExit("asen_fm is importable: the test would prove nothing")
    model = AutoModelForTokenClassification.from_pretrained(sys.argv[1], trust_remote_code=True)
    model = model.double().eval()
    inputs = torch.load(sys.argv[2])
    with torch.no_grad():
        out = {n: model(input_ids=x, attention_mask=m).logits for n, (x, m) in inputs.items()}
    torch.save({"module": type(model).__module__, "logits": out}, sys.argv[3])
    """
)


def test_saved_family_model_runs_at_new_lengths_without_asen_fm(tmp_path) -> None:
    model = family_model({"rev": {"group": "reversal(*)", "max_n": 64}})
    model.save_pretrained(tmp_path / "ckpt")
    config = (tmp_path / "ckpt" / "config.json").read_text()
    assert '"spec": "reversal(*)"' in config and '"generators"' not in config
    assert (tmp_path / "ckpt" / "family_coloring.py").is_file()
    loaded = AsenForTokenClassification.from_pretrained(tmp_path / "ckpt").double().eval()
    inputs = {}
    for n in (12, 32, 47):
        ids = torch.randint(0, 5, (2, n))
        mask = torch.ones(2, n, dtype=torch.long)
        mask[1, n - 3 :] = 0
        inputs[n] = (ids, mask)
        torch.testing.assert_close(
            loaded(input_ids=ids, attention_mask=mask).logits,
            model(input_ids=ids, attention_mask=mask).logits,
        )
    torch.save(inputs, tmp_path / "inputs.pt")
    (tmp_path / "fresh.py").write_text(FRESH)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": _site_without_asen_fm(tmp_path / "site"),
        "HF_HOME": str(tmp_path / "hf_home"),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
    }
    args = [str(tmp_path / "ckpt"), str(tmp_path / "inputs.pt"), str(tmp_path / "out.pt")]
    run = subprocess.run(
        [sys.executable, "-S", str(tmp_path / "fresh.py"), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = torch.load(tmp_path / "out.pt")
    assert result["module"].startswith("transformers_modules")
    for n, (ids, mask) in inputs.items():
        with torch.no_grad():
            expected = model(input_ids=ids, attention_mask=mask).logits
        torch.testing.assert_close(result["logits"][n], expected)
    assert np.isfinite(result["logits"][47].numpy()).all()
