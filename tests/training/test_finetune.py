"""finetune/finetune.py in-process: learning rates per group, a frozen backbone, the new embedder training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from accelerate.utils import set_seed

from asen_fm import AsenConfig, AsenForMultiTask
from asen_fm.tasks import load_task
from asen_fm.training.data import task_tensors
from asen_fm.training.scripts import parse_flags

from .conftest import TINY, refused
from .test_own_data import make_task

FINETUNE_TINY = [a for a in TINY if a not in ("--hidden_size", "32", "--num_layers", "2", "--num_heads", "4")]
FINETUNE_TINY = [a for a in FINETUNE_TINY if a not in ("--intermediate_size", "64")]


@pytest.fixture(scope="module")
def pretrained(pretrain_script, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pretrained")
    from accelerate.state import AcceleratorState, GradientState

    pretrain_script.main([*TINY, "--tasks", "intersect,palindrome", "--size", "200", "--max_steps", "4",
                          "--output_dir", str(out)])  # fmt: skip
    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()
    return out / "model"


def _args(model: Path, out: Path, *extra: str) -> list[str]:
    return [*FINETUNE_TINY, "--model", str(model), "--task", "detect_capital", "--n", "10", "--size", "200",
            "--train_size", "64", "--max_steps", "6", "--lr", "3e-3", "--output_dir", str(out),
            *extra]  # fmt: skip


def _params(model: torch.nn.Module, prefix: str) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.named_parameters() if k.startswith(prefix)}


def test_learning_rates_per_group(finetune_script, pretrained: Path, tmp_path: Path) -> None:
    payload = finetune_script.main(_args(pretrained, tmp_path / "ft", "--backbone_lr_scale", "0.25"))
    assert payload["learning_rates"] == {
        "backbone": 3e-3 * 0.25,
        "symmetry": 3e-3,
        "embeddings": 3e-3,
        "heads": 3e-3,
    }
    assert payload["config"]["backbone_lr_scale"] == 0.25
    assert payload["tasks"]["detect_capital"]["train_rows"] == 64
    assert set(payload["final"]["detect_capital"]["test"]) == {"loss", "mae", "mse"}


def test_scale_zero_freezes_the_backbone_bit_for_bit_while_the_new_embedder_trains(
    finetune_script, pretrained: Path, tmp_path: Path
) -> None:
    argv = _args(pretrained, tmp_path / "ft", "--backbone_lr_scale", "0", "--weight_decay", "0.5")
    cfg = parse_flags(finetune_script.FinetuneConfig, argv, "")
    set_seed(cfg.seed)  # the script's own construction, to see the new embedder's initial weights
    initial = finetune_script.build_model(
        cfg, str(pretrained), task_tensors(load_task("detect_capital", n=10, size=200)), "detect_capital"
    )
    payload = finetune_script.main(argv)
    assert "backbone" not in payload["learning_rates"]
    before = AsenForMultiTask.from_pretrained(pretrained)
    after = AsenForMultiTask.from_pretrained(tmp_path / "ft" / "model")
    for prefix in ("asen.backbone.", "asen.symmetry_embedders.intersect.", "heads.palindrome."):
        old, new = _params(before, prefix), _params(after, prefix)
        assert old and old.keys() == new.keys()
        for key in old:
            assert torch.equal(old[key], new[key]), f"{key} moved"
    new_embedder = "asen.symmetry_embedders.detect_capital."
    start, end = _params(initial, new_embedder), _params(after, new_embedder)
    assert start.keys() == end.keys() == {new_embedder + "node_embedding.weight", new_embedder + "pair_bias"}
    for key in start:
        assert not torch.equal(start[key], end[key]), f"{key} did not train"
    assert after.config.vocab_size == 52  # detect_capital uses letters: the embeddings grew from 7 ids


def test_reuse_symmetry_starts_from_the_pretrained_embedder_and_trains_it(
    finetune_script, pretrained: Path, tmp_path: Path
) -> None:
    argv = [*FINETUNE_TINY, "--model", str(pretrained), "--task", "intersect", "--size", "200",
            "--max_steps", "4", "--lr", "3e-3", "--head_name", "again", "--reuse_symmetry", "intersect",
            "--output_dir", str(tmp_path / "ft")]  # fmt: skip
    cfg = parse_flags(finetune_script.FinetuneConfig, argv, "")
    set_seed(cfg.seed)
    initial = finetune_script.build_model(
        cfg, str(pretrained), task_tensors(load_task("intersect", size=200)), "again"
    )
    base = AsenForMultiTask.from_pretrained(pretrained)
    assert initial.config.tasks["again"]["symmetry"] == "intersect"
    assert initial.config.symmetries == base.config.symmetries  # no new embedder
    prefix = "asen.symmetry_embedders.intersect."
    pretrained_embedder, start = _params(base, prefix), _params(initial, prefix)
    assert pretrained_embedder and all(torch.equal(pretrained_embedder[k], start[k]) for k in start)
    payload = finetune_script.main(argv)
    assert payload["learning_rates"]["symmetry"] == 3e-3
    after = _params(AsenForMultiTask.from_pretrained(tmp_path / "ft" / "model"), prefix)
    assert any(not torch.equal(start[k], after[k]) for k in start), "the reused embedder did not train"


def test_group_override_and_from_scratch(finetune_script, pretrained: Path, tmp_path: Path) -> None:
    payload = finetune_script.main(
        _args(pretrained, tmp_path / "scratch", "--from-scratch", "--group", "trivial")
    )
    assert payload["tasks"]["detect_capital"]["group"] == "trivial(10)"
    assert payload["config"]["backbone_lr_scale"] == 1.0  # the from-scratch default
    scratch = AsenForMultiTask.from_pretrained(tmp_path / "scratch" / "model")
    base = AsenForMultiTask.from_pretrained(pretrained)
    assert sorted(scratch.config.tasks) == ["detect_capital"]  # nothing inherited but the sizes
    assert scratch.config.symmetries["detect_capital"]["spec"] == "trivial(10)"
    assert (scratch.config.hidden_size, scratch.config.num_hidden_layers) == (32, 2)
    fresh, pretrained_backbone = _params(scratch, "asen.backbone."), _params(base, "asen.backbone.")
    assert fresh.keys() == pretrained_backbone.keys()
    assert not any(torch.equal(fresh[k], pretrained_backbone[k]) for k in fresh if k.endswith("qkv.weight"))
    saved = json.loads((tmp_path / "scratch" / "metrics.json").read_text())
    assert saved["script"] == "finetune"


def test_from_scratch_copies_every_config_setting(finetune_script, pretrained: Path) -> None:
    config = AsenConfig.from_pretrained(pretrained)
    config.classifier_dropout = 0.37  # a field the old hand-written copy missed
    config.orbit_bias_scale = 3.5
    fresh = finetune_script.fresh_model_like(config)
    assert fresh.config.classifier_dropout == 0.37 and fresh.config.orbit_bias_scale == 3.5
    assert fresh.config.hidden_size == config.hidden_size and not fresh.config.tasks


def test_run_folder_as_model_is_used_and_said(
    finetune_script, pretrained: Path, tmp_path: Path, capsys
) -> None:
    payload = finetune_script.main(_args(pretrained.parent, tmp_path / "ft", "--max_steps", "1"))
    assert f"is a run folder: using its model {pretrained}" in capsys.readouterr().out
    assert payload["steps"] == 1


def test_bad_command_lines_are_one_line_exit_2_and_write_nothing(
    finetune_script, pretrained: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "x"
    points = make_task(tmp_path / "points", graph=False)  # the pretrained model has no input projection
    cases = {
        "already has a task or symmetry named 'intersect'": _args(
            pretrained, out, "--head_name", "intersect"
        ),
        "--model is required": ["--task", "intersect", "--output_dir", str(out)],
        "--reuse_symmetry nope: the model has no such symmetry; it has ['intersect', 'palindrome']": _args(
            pretrained, out, "--reuse_symmetry", "nope"
        ),
        "--reuse_symmetry intersect: the task's symmetry (": _args(
            pretrained, out, "--reuse_symmetry", "intersect"
        ),
        "--reuse_symmetry keeps a pretrained embedder; --from_scratch has none": _args(
            pretrained, out, "--from-scratch", "--reuse_symmetry", "intersect"
        ),
        "--task is required": ["--model", str(pretrained), "--output_dir", str(out)],
        f"--model {tmp_path}/missing: no such folder": _args(tmp_path / "missing", out),
        "has no config.json": _args(tmp_path, out),
        "is a file; pass the folder": _args(pretrained / "config.json", out),
        "'nope' is not a built-in task": [*_args(pretrained, out), "--task", "nope"],
        "is not a built-in task": [*_args(pretrained, out), "--task", str(tmp_path / "no_such_folder")],
        "needs n >= ": [*_args(pretrained, out), "--task", "palindrome", "--n", "2"],
        "acts on 7 points but task 'detect_capital' has n=10": _args(
            pretrained, out, "--group", "dihedral(7)"
        ),
        "unknown group name 'dihedra'": _args(pretrained, out, "--group", "dihedra(10)"),
        "invalid int value: 'ten'": _args(pretrained, out, "--max_steps", "ten"),
        "unrecognized arguments: --bogus 1": _args(pretrained, out, "--bogus", "1"),
        "--lr must be >= 0": _args(pretrained, out, "--lr", "-1"),
        "--resume latest: no complete checkpoint": _args(pretrained, out, "--resume", "latest"),
        "node_features of width 3 but the model has no input adapter 'features'": [
            *_args(pretrained, out),
            "--task",
            str(points),
        ],
        # the bad adapter cases of the issue: unknown name (listing the existing ones), wrong input kind
        "unknown input adapter 'joints'; this model has tokens: tokens (vocab": [
            *_args(pretrained, out),
            "--task",
            str(points),
            "--adapter",
            "joints",
        ],
        "input adapter 'tokens': takes tokens (vocab": [
            *_args(pretrained, out),
            "--task",
            str(points),
            "--adapter",
            "tokens",
        ],
        "input adapter 'tokens' already exists": [
            *_args(pretrained, out),
            "--task",
            str(points),
            "--new_adapter",
            "tokens",
        ],
        "give --adapter (an existing input adapter) or --new_adapter": [
            *_args(pretrained, out),
            "--adapter",
            "a",
            "--new_adapter",
            "b",
        ],
    }
    for expected, argv in cases.items():
        assert expected in refused(finetune_script, argv, capsys), expected
    assert not out.exists()
    full = tmp_path / "full"
    full.mkdir()
    (full / "metrics.json").write_text("{}")
    line = refused(finetune_script, _args(pretrained, full), capsys)
    assert "is not empty (metrics.json)" in line and "--overwrite_output_dir" in line
    assert [p.name for p in full.iterdir()] == ["metrics.json"]


def test_overwrite_replaces_the_run_and_resume_refuses_other_flags(
    finetune_script, pretrained: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "run"
    finetune_script.main(_args(pretrained, out, "--save_every", "3", "--max_steps", "3"))
    assert (out / "checkpoints" / "step_00000003").is_dir()
    line = refused(finetune_script, _args(pretrained, out, "--resume", "latest", "--lr", "1e-3"), capsys)
    assert "--lr 0.003 -> 0.001" in line and "only the step budget" in line
    resumed = finetune_script.main(_args(pretrained, out, "--resume", "latest", "--max_steps", "5"))
    assert resumed["start_step"] == 3 and resumed["steps"] == 5
    again = finetune_script.main(_args(pretrained, out, "--overwrite_output_dir", "--save_every", "0"))
    assert again["start_step"] == 0 and not (out / "checkpoints").exists()
