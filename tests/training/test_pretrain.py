"""pretrain/pretrain.py in-process: outputs, loadable model, and bit-for-bit resume."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest
import torch

from asen_fm import AsenForMultiTask
from asen_fm.tasks import Task
from asen_fm.training.outputs import SCHEMA, checkpoint_dir, list_checkpoints, parameter_checksum

from .conftest import TINY, refused

TASKS = "intersect,palindrome"
# dropout on, two micro-batches per step, a schedule that is still changing: a demanding resume
RUN = [*TINY, "--tasks", TASKS, "--n", "10", "--size", "300", "--max_steps", "8", "--grad_accum", "2"]


def test_outputs_schema_and_loadable_model(pretrain_script, tmp_path: Path) -> None:
    out = tmp_path / "run"
    payload = pretrain_script.main(
        [*RUN, "--output_dir", str(out), "--eval_every", "4", "--report_to", "tensorboard"]
        + ["--initializer_range", "0.05"]
    )
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["schema"] == SCHEMA and saved["script"] == "pretrain"
    assert saved == json.loads(json.dumps(payload))
    assert len(saved["train"]) == 8 * 2  # one row per micro-batch ...
    for step in range(1, 9):  # ... and both micro-batches of a step train the same task
        assert len({row["task"] for row in saved["train"] if row["step"] == step}) == 1
    assert {row["step"] for row in saved["eval"]} == {0, 4, 8}
    assert set(saved["final"]) == {"intersect", "palindrome"}
    assert set(saved["final"]["intersect"]["test"]) == {"loss", "accuracy", "sequence_accuracy"}
    assert saved["tasks"]["palindrome"]["group"] == "reversal(10)"
    assert saved["learning_rates"] == dict.fromkeys(("backbone", "symmetry", "embeddings", "heads"), 1e-3)
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list((out / "tensorboard" / "pretrain").glob("events.out.tfevents.*"))
    assert "## Training (pretrain)" in (out / "model" / "README.md").read_text()
    model = AsenForMultiTask.from_pretrained(out / "model")
    assert sorted(model.config.tasks) == ["intersect", "palindrome"]
    assert model.config.initializer_range == 0.05
    assert model.config.symmetries["intersect"]["spec"] == "swap_halves(10)"
    batch = torch.zeros(2, 10, dtype=torch.long)
    assert model(input_ids=batch, task="palindrome").logits.shape == (2, 10, 2)


def test_resume_continues_bit_for_bit(pretrain_script, tmp_path: Path) -> None:
    straight = pretrain_script.main([*RUN, "--output_dir", str(tmp_path / "straight"), "--save_every", "0"])
    # The interrupted run: its checkpoint after k = 3 steps is all that a later process gets to see.
    pretrain_script.main(
        [*RUN, "--output_dir", str(tmp_path / "killed"), "--save_every", "3", "--keep_checkpoints", "5"]
    )
    assert [step for step, _ in list_checkpoints(tmp_path / "killed")] == [3, 6]
    resumed = pretrain_script.main(
        [
            *RUN,
            "--output_dir",
            str(tmp_path / "resumed"),
            "--resume",
            str(checkpoint_dir(tmp_path / "killed", 3)),
        ]
    )
    assert resumed["start_step"] == 3 and resumed["examples_seen"] == 5 * 2 * 16
    a = [(r["step"], r["task"]) for r in straight["train"]]
    b = [(r["step"], r["task"]) for r in resumed["train"]]
    assert a == b  # same task sequence, the first 3 steps restored from the checkpoint's history
    losses_a = torch.tensor([r["loss"] for r in straight["train"]])
    losses_b = torch.tensor([r["loss"] for r in resumed["train"]])
    assert torch.allclose(losses_a, losses_b, atol=1e-6, rtol=0), (losses_a - losses_b).abs().max()
    for task, by_split in straight["final"].items():
        assert by_split["test"] == pytest.approx(resumed["final"][task]["test"], abs=1e-6)
    weights = [
        AsenForMultiTask.from_pretrained(tmp_path / name / "model") for name in ("straight", "resumed")
    ]
    assert parameter_checksum(weights[0]) == parameter_checksum(weights[1])


def test_bad_task_lists_are_refused(pretrain_script, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    line = refused(
        pretrain_script, [*TINY, "--tasks", "intersect,intersect", "--output_dir", str(out)], capsys
    )
    assert "two tasks are named 'intersect'" in line
    line = refused(pretrain_script, [*TINY, "--tasks", "nope", "--output_dir", str(out)], capsys)
    assert "'nope' is not a built-in task" in line
    assert not out.exists()


def test_group_override_and_train_size(pretrain_script, tmp_path: Path) -> None:
    """--groups trivial (the paper's NoSym pretraining) and --train_size, which leaves eval splits whole."""
    base = [*TINY, "--tasks", TASKS, "--n", "10", "--size", "300", "--max_steps", "2", "--eval_every", "0"]
    nosym = pretrain_script.main(
        [*base, "--groups", "trivial", "--train_size", "50", "--output_dir", str(tmp_path / "a")]
    )
    for task in ("intersect", "palindrome"):
        entry = nosym["tasks"][task]
        assert entry["group"] == "trivial(10)"
        assert (entry["train_rows"], entry["validation_rows"], entry["test_rows"]) == (50, 45, 45)
    model = AsenForMultiTask.from_pretrained(tmp_path / "a" / "model")
    assert {s["spec"] for s in model.config.symmetries.values()} == {"trivial(10)"}

    mixed = pretrain_script.main(
        [*base, "--groups", "palindrome = dihedral(10);", "--output_dir", str(tmp_path / "b")]
    )
    assert mixed["tasks"]["intersect"]["group"] == "swap_halves(10)"  # not named: its own group
    assert mixed["tasks"]["palindrome"]["group"] == "dihedral(10)"
    assert mixed["tasks"]["palindrome"]["train_rows"] == 210


def test_bad_group_overrides_and_train_sizes_are_refused(pretrain_script, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"

    def points(width: int) -> Path:  # a task folder whose node features have ``width`` columns
        split = datasets.Dataset.from_dict({"node_features": [[[0.5] * width] * 4], "labels": [[1.0] * 4]})
        data = datasets.DatasetDict(train=split, validation=split, test=split)
        task = Task.from_dataset(data, group="cyclic(4)", head="node_regression", name=f"w{width}")
        return task.save(tmp_path / f"w{width}")

    base = [*TINY, "--tasks", TASKS, "--n", "10", "--size", "300", "--output_dir", str(out)]
    cases = {
        "'cyclic_sum', which is not one of the tasks": ["--groups", "cyclic_sum=trivial"],
        "not TASK=GROUP": ["--groups", "intersect="],
        "acts on 8 points but task 'intersect' has n=10": ["--groups", "trivial(8)"],
        "train_size must be in 1..210": ["--train_size", "211"],
        "task_weighting must be one of balanced, proportional, temperature": ["--task_weighting", "uniform"],
        "weighting_temperature must be >= 1": [
            "--task_weighting",
            "temperature",
            "--weighting_temperature",
            "0.5",
        ],
        "loss_normalisation must be one of none, baseline": ["--loss_normalisation", "sum"],
        "initializer_range must be > 0, got 0.0": ["--initializer_range", "0"],
        # two feature widths cannot share one input adapter; naming another one is the fix
        "task 'w2' has node_features of width 2, but input adapter 'features' takes width 3": [
            "--tasks",
            f"{points(3)},{points(2)}",
        ],
        "input adapter 'features' gets features from task 'w3' but tokens from task 'intersect'": [
            "--tasks",
            f"intersect,{points(3)}",
            "--adapters",
            "intersect=features",
        ],
        "--adapters names task 'pose'": ["--adapters", "pose=joints"],
    }
    for expected, flags in cases.items():
        assert expected in refused(pretrain_script, [*base, *flags], capsys)
    assert not out.exists()
