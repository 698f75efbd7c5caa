"""Small helpers: flags, task tensors, precision, checksums, JSON writing, curve smoothing, code version."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch

from asen_fm.tasks import load_task
from asen_fm.training.data import task_tensors
from asen_fm.training.history import TrainingHistory
from asen_fm.training.loop import resolve_precision
from asen_fm.training.outputs import code_version, moving_average, parameter_checksum, plot_curves, write_json
from asen_fm.training.scripts import UsageError, parse_flags


@dataclass
class Example:
    name: str = "x"
    steps: int = 3
    rate: float = 0.5
    scale: float | None = None
    from_scratch: bool = False
    note: str = field(default="", metadata={"help": "free text"})


def test_flags_follow_the_dataclass() -> None:
    assert parse_flags(Example, [], "") == Example()
    got = parse_flags(
        Example, ["--steps", "7", "--rate", "1e-3", "--scale", "0.1", "--from-scratch", "--name", "y"], ""
    )
    assert got == Example(name="y", steps=7, rate=1e-3, scale=0.1, from_scratch=True)
    assert parse_flags(Example, ["--from_scratch", "false"], "").from_scratch is False
    with pytest.raises(UsageError, match="invalid int value: 'many'"):
        parse_flags(Example, ["--steps", "many"], "")
    with pytest.raises(UsageError, match="unrecognized arguments: --stepz 3"):
        parse_flags(Example, ["--stepz", "3"], "")


def test_task_tensors_shapes_dtypes_and_subsets() -> None:
    full = task_tensors(load_task("intersect", n=10, size=200, seed=4))
    small = task_tensors(load_task("intersect", n=10, size=200, seed=4), train_size=20)
    assert (
        full.splits["train"]["input_ids"].shape == (140, 10)
        and full.splits["train"]["labels"].dtype == torch.long
    )
    assert torch.equal(small.splits["train"]["input_ids"], full.splits["train"]["input_ids"][:20])
    assert torch.equal(small.splits["test"]["labels"], full.splits["test"]["labels"])
    batch = full.batch("train", np.array([3, 0]))
    assert torch.equal(batch["labels"][1], full.splits["train"]["labels"][0])
    scalar = task_tensors(load_task("intersect_size", n=8, size=100, group="trivial"))
    assert scalar.splits["validation"]["labels"].dtype == torch.float32 and scalar.group == "trivial(8)"
    assert scalar.task.task_entry() == {
        "head": "sequence",
        "num_labels": 1,
        "problem_type": "regression",
        "loss": "l1",
    }
    with pytest.raises(ValueError, match="train_size must be in 1..140"):
        task_tensors(load_task("intersect", n=10, size=200), train_size=141)


def test_precision_choice() -> None:
    expected = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"
    assert resolve_precision("auto") == expected
    assert resolve_precision("fp16") == "fp16"
    with pytest.raises(ValueError, match="mixed_precision"):
        resolve_precision("fp8-ish")


def test_checksum_sees_one_changed_value() -> None:
    model = torch.nn.Linear(3, 2)
    before = parameter_checksum(model)
    assert parameter_checksum(model) == before
    with torch.no_grad():
        model.bias[1] = torch.nextafter(model.bias[1], torch.tensor(10.0))
    assert parameter_checksum(model) != before


def test_write_json_replaces_whole_files(tmp_path: Path) -> None:
    target = write_json(tmp_path / "sub" / "m.json", {"a": 1})
    write_json(target, {"b": [1, 2]})
    assert json.loads(target.read_text()) == {"b": [1, 2]}
    assert [p.name for p in target.parent.iterdir()] == ["m.json"]


def test_moving_average_matches_a_loop_and_the_plot_is_written(tmp_path: Path) -> None:
    values = [4.0, 2.0, 6.0, 0.0, 1.0]
    expected = [np.mean(values[max(0, i - 2) : i + 1]) for i in range(len(values))]
    assert moving_average(values, 3) == pytest.approx(expected)
    history = TrainingHistory()
    for step, loss in enumerate(values, start=1):
        history.log_train(step, "a" if step % 2 else "b", loss)
    history.log_eval(5, "a", "validation", {"loss": 0.3, "sequence_accuracy": 0.5})
    history.log_eval(5, "b", "validation", {"loss": 0.3, "mae": 0.2})
    png = plot_curves(history, tmp_path / "c.png", title="t", smooth=2)
    assert png.read_bytes()[:4] == b"\x89PNG"
    restored = TrainingHistory()
    restored.load_state_dict(history.state_dict())
    assert restored.latest_eval("validation") == {
        "a": {"loss": 0.3, "sequence_accuracy": 0.5},
        "b": {"loss": 0.3, "mae": 0.2},
    }


def test_code_version_names_this_checkout() -> None:
    from asen_fm import __version__

    facts = code_version()
    assert facts["package_version"] == __version__
    assert facts["git_commit"] is None or len(facts["git_commit"]) == 40


def test_git_dirty_counts_tracked_source_files_only(tmp_path) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    for name in (
        "asen_fm/core.py",
        "pretrain/pretrain.py",
        "finetune/finetune.py",
        "benchmarks/results.json",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    clean = code_version(tmp_path)
    assert clean["git_dirty"] is False and len(clean["git_commit"]) == 40
    (tmp_path / "benchmarks" / "results.json").write_text("{}\n")  # a tracked result rewritten
    (tmp_path / "asen_fm" / "notes.py").write_text("y = 2\n")  # an untracked file, even in the package
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "metrics.json").write_text("{}")
    assert code_version(tmp_path)["git_dirty"] is False
    (tmp_path / "finetune" / "finetune.py").write_text("x = 2\n")
    edited = code_version(tmp_path)
    assert edited["git_dirty"] is True and edited["source_sha256"] != clean["source_sha256"]


def test_image_shaped_rows_become_nodes_row_major() -> None:
    import datasets

    from asen_fm.tasks import Task

    images = np.arange(2 * 2 * 3 * 4, dtype=np.float32).reshape(
        2, 2, 3, 4
    )  # 2 images, 2 x 3 pixels, 4 channels
    split = datasets.Dataset.from_dict(
        {"node_features": images.tolist(), "labels": (images[..., 0] > 10).astype(np.int64).tolist()}
    )
    data = datasets.DatasetDict(train=split, validation=split, test=split)
    task = Task.from_dataset(data, group="grid(2, 3, torus)", head="token")
    tensors = task_tensors(task).splits["train"]
    assert tensors["node_features"].shape == (2, 6, 4) and tensors["labels"].shape == (2, 6)
    assert torch.equal(
        tensors["node_features"][1, 4], torch.as_tensor(images[1, 1, 1])
    )  # pixel (1, 1) = node 4
