"""Large n at small cost: spec-sized files, closed-form node-only breaking, the memory limit, the blocked
CPU attention, and checkpoints saved in the older generator-list format."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest
import torch
from tiny_models import tiny_config

from asen_fm import AsenConfig, AsenForMultiTask, AsenForTokenClassification, AsenModel
from asen_fm.modeling_asen import BlockedOrbitAttention
from asen_fm.orbit_coloring import SymmetryTooLarge
from asen_fm.tasks.task import Task, TaskError

OLD_CHECKPOINT = Path(__file__).with_name("fixtures") / "old_format_checkpoint"
SPEC_FAMILIES = {  # side -> entry, for sides 8 (n = 64) and 32 (n = 1024)
    "torus": lambda s: f"grid({s}, {s}, torus)",
    "d4": lambda s: f"grid({s}, {s}, d4)",
    "patch": lambda s: f"grid({s}, {s}, patch, 2)",
    "ragged": lambda s: {"group": f"grid({s}, {s}, patch, 3)", "pairs": "none"},
    "positions": lambda s: {"group": f"trivial({s * s})", "positions": [s, s]},
}


def test_old_format_checkpoint_loads_with_the_same_outputs(tmp_path: Path) -> None:
    stored = json.loads((OLD_CHECKPOINT / "config.json").read_text())["symmetries"]
    assert isinstance(stored["shift"]["generators"], list)  # the fixture really is the older format
    model = AsenForMultiTask.from_pretrained(OLD_CHECKPOINT).eval()
    expected = json.loads((OLD_CHECKPOINT / "expected_logits.json").read_text())
    with torch.no_grad():
        for task, case in expected.items():
            logits = model(input_ids=torch.tensor(case["input_ids"]), task=task).logits
            torch.testing.assert_close(logits, torch.tensor(case["logits"]), rtol=1e-5, atol=1e-6)
    model.save_pretrained(tmp_path)  # re-saved in the compact format, and loads again
    again = json.loads((tmp_path / "config.json").read_text())["symmetries"]
    assert set(again["raw"]["generators"]) == {"dtype", "base64"}
    reloaded = AsenForMultiTask.from_pretrained(tmp_path).eval()
    ids = torch.tensor(expected["ring"]["input_ids"])
    with torch.no_grad():
        torch.testing.assert_close(
            reloaded(input_ids=ids, task="ring").logits, model(input_ids=ids, task="ring").logits
        )


def _task_card_size(tmp_path: Path, symmetry, n: int) -> int:
    rows = {"input_ids": [[0] * n] * 2, "labels": [[0] * n, [1] * n]}
    data = {split: datasets.Dataset.from_dict(rows) for split in ("train", "validation", "test")}
    group = symmetry["group"] if isinstance(symmetry, dict) else symmetry
    task = Task.from_dataset(data, group=group, head="token", name="t")
    folder = tmp_path / f"task{n}"
    task.save(folder)
    return (folder / "task_card.json").stat().st_size


@pytest.mark.parametrize("family", sorted(SPEC_FAMILIES))
def test_config_and_task_card_sizes_stay_flat_as_n_grows(tmp_path: Path, family: str) -> None:
    sizes = {}
    for side in (8, 32):
        config = tiny_config({"x": SPEC_FAMILIES[family](side)})
        sizes[side] = (
            len(config.to_json_string()),
            _task_card_size(tmp_path, SPEC_FAMILIES[family](side), side**2),
        )
    for k in range(2):
        assert sizes[32][k] - sizes[8][k] < 64, sizes  # a few more digits, nothing that grows with n
        assert sizes[32][k] < 4096


def test_node_only_large_n_builds_no_pair_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1 MiB limit refuses any [n, n] table at n = 4096 (268 MB): building, saving with the card and
    loading a patch-local model must not need one."""
    monkeypatch.setenv("ASEN_FM_MEMORY_LIMIT_GB", str(2**-10))
    config = tiny_config(
        {"patch": "grid(64, 64, patch, 2)", "sym": "symmetric(100000)", "ragged": "grid(64, 64, patch, 3)"},
        num_hidden_layers=1,
    )
    assert all(entry["pairs"] == "none" for entry in config.symmetries.values())
    model = AsenModel(config)
    model.save_pretrained(tmp_path)
    card = (tmp_path / "README.md").read_text()
    assert "| patch | `grid(64, 64, patch, 2)` | 4096 | 2.169e1413 | 1024 | 0 |" in card
    loaded = AsenModel.from_pretrained(tmp_path)
    out = loaded(input_ids=torch.zeros(1, 4096, dtype=torch.long), symmetry="patch").last_hidden_state
    assert out.shape == (1, 4096, 16)


def test_oversized_pair_tables_are_refused_before_allocation(monkeypatch: pytest.MonkeyPatch) -> None:
    config = tiny_config({"huge": "dihedral(2000000)"})  # the config itself is a few bytes
    assert config.symmetries["huge"] == {"n": 2000000, "spec": "dihedral(2000000)"}
    with pytest.raises(
        SymmetryTooLarge, match=r"n = 2000000 .* needs about 58.2 TiB, above the memory limit"
    ):
        AsenModel(config)
    monkeypatch.setenv("ASEN_FM_MEMORY_LIMIT_GB", "0.0001")
    with pytest.raises(SymmetryTooLarge, match="ASEN_FM_MEMORY_LIMIT_GB"):
        AsenModel(tiny_config({"c": "cyclic(100)"}))
    monkeypatch.setenv("ASEN_FM_MEMORY_LIMIT_GB", "lots")
    with pytest.raises(ValueError, match="must be a positive number of GiB, got 'lots'"):
        AsenModel(tiny_config({"c": "cyclic(100)"}))


def test_bad_stored_entries_and_a_truncated_config_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"spec 'grid\(8, 8, torus\)' acts on 64 points, but n = 60"):
        AsenConfig(vocab_size=4, symmetries={"x": {"n": 60, "spec": "grid(8, 8, torus)"}})
    with pytest.raises(ValueError, match="not a multiple of n = 5"):
        AsenConfig(
            vocab_size=4, symmetries={"x": {"n": 5, "generators": {"dtype": "int16", "base64": "AQACAA=="}}}
        )
    with pytest.raises(ValueError, match="compact generator 0 is not a permutation of range"):
        AsenConfig(
            vocab_size=4, symmetries={"x": {"n": 2, "generators": {"dtype": "int16", "base64": "AQABAA=="}}}
        )
    with pytest.raises(TaskError, match=r"expected \[64\] \(n = 64, the degree of the task.s group\)"):
        rows = {"input_ids": [[0] * 60] * 2, "labels": [[0] * 60] * 2}
        data = {split: datasets.Dataset.from_dict(rows) for split in ("train", "validation", "test")}
        Task.from_dataset(data, group="grid(8, 8, patch, 2)", head="token")
    model = AsenForTokenClassification(tiny_config({"c": "cyclic(6)"}))
    model.save_pretrained(tmp_path)
    text = (tmp_path / "config.json").read_text()
    (tmp_path / "config.json").write_text(text[: len(text) // 2])
    with pytest.raises(OSError, match="not a valid JSON file"):
        AsenForTokenClassification.from_pretrained(tmp_path)


@pytest.mark.parametrize("shared_symmetry", [True, False])
def test_blocked_attention_equals_the_unblocked_one_in_values_and_gradients(shared_symmetry: bool) -> None:
    torch.manual_seed(0)
    batch, heads, n, d, orbits = 2, 3, 29, 4, 13
    query, key, value = (
        torch.randn(batch, heads, n, d, dtype=torch.float64, requires_grad=True) for _ in "qkv"
    )
    table = torch.randn(orbits, heads, dtype=torch.float64, requires_grad=True)
    ids = torch.randint(0, orbits, (1 if shared_symmetry else batch, n, n), dtype=torch.int32)
    upstream = torch.randn(batch, heads, n, d, dtype=torch.float64)
    inputs = (query, key, value, table)
    scores = query @ key.transpose(-1, -2) * 0.5 + table[ids].permute(0, 3, 1, 2)
    reference = torch.softmax(scores, dim=-1) @ value
    reference_grads = torch.autograd.grad(reference, inputs, upstream)
    for rows in (1, 8, n):
        blocked = BlockedOrbitAttention.apply(query, key, value, table, ids, 0.5, rows)
        torch.testing.assert_close(blocked, reference, rtol=0, atol=1e-12)
        for got, want in zip(torch.autograd.grad(blocked, inputs, upstream), reference_grads, strict=True):
            torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


def test_the_model_runs_the_blocked_path_on_cpu_and_matches_eager() -> None:
    torch.manual_seed(0)
    config = tiny_config({"t": "grid(4, 5, torus)", "d": "dihedral(20)"}, initializer_range=0.3)
    model = AsenForTokenClassification(config).double()
    ids = torch.randint(0, 5, (3, 20))
    mask = torch.ones(3, 20, dtype=torch.long)
    mask[1, 15:] = 0  # padding goes through the MASK / FILL rows of the blocked path too
    grads = {}
    for implementation in ("sdpa", "eager"):
        model.set_attn_implementation(implementation)
        model.zero_grad()
        out = model(input_ids=ids, symmetry=["t", "d", "t"], attention_mask=mask, labels=ids % 2)
        out.loss.backward()
        grads[implementation] = (
            out.logits.detach(),
            {k: p.grad.clone() for k, p in model.named_parameters()},
        )
    torch.testing.assert_close(grads["sdpa"][0], grads["eager"][0], rtol=0, atol=1e-10)
    for name, grad in grads["sdpa"][1].items():
        torch.testing.assert_close(grad, grads["eager"][1][name], rtol=0, atol=1e-10, msg=name)


def test_node_only_layout_pads_under_a_dynamic_export_length() -> None:
    """A node-only layout has no pair index; padding it to a symbolic length (torch.export) keeps it None."""
    from torch.export import Dim

    torch.manual_seed(0)
    model = AsenModel(tiny_config({"t": "trivial(6)"}, initializer_range=0.3)).eval()
    assert model.config.symmetries["t"]["pairs"] == "none"

    def inputs(n: int) -> dict[str, torch.Tensor]:
        mask = torch.zeros(2, n, dtype=torch.long)
        mask[:, :6] = 1
        return {"input_ids": torch.randint(0, 5, (2, n)), "attention_mask": mask}

    shapes = {"input_ids": {1: Dim("n", min=6, max=32)}, "attention_mask": {1: Dim("n", min=6, max=32)}}
    with torch.no_grad():
        program = torch.export.export(model, (), inputs(8), dynamic_shapes=shapes)
        for length in (6, 9, 20):
            example = inputs(length)
            expected = model(**example).last_hidden_state
            torch.testing.assert_close(program.module()(**example)[0], expected, atol=1e-5, rtol=1e-5)
