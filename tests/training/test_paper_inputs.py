"""The paper's invariant transfer setting: token ids as one node feature, labels rescaled onto [0, 1].

``Task.with_ids_as_features`` / ``Task.with_unit_labels`` (and ``with_train_rows``, which they follow), and
the scripts' ``--ids_as_features`` / ``--unit_labels`` flags that apply them.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import numpy as np
import pytest
import torch

from asen_fm import AsenForMultiTask
from asen_fm.tasks import TaskError, load_task
from asen_fm.training.data import resolve_tasks

from .conftest import TINY, refused


def test_ids_become_one_feature_divided_by_the_largest_id() -> None:
    task = load_task("has_palindrome", n=8, size=100, seed=3)
    features = task.with_ids_as_features()
    ids = np.asarray(task.data["test"]["input_ids"], dtype=np.float64)
    values = np.asarray(features.data["test"]["node_features"], dtype=np.float64)
    assert values.shape == (*ids.shape, 1)
    np.testing.assert_allclose(values[..., 0] * (task.vocab_size - 1), ids, atol=1e-5)
    assert values.min() == 0.0 and values.max() == 1.0  # ids 0 and vocab_size - 1 both occur in 15 rows
    assert (features.vocab_size, features.input_dim) == (0, 1)
    assert features.source["ids_as_features"] == {"divisor": task.vocab_size - 1}
    assert "input_ids" not in features.data["train"].column_names
    np.testing.assert_array_equal(features.data["train"]["labels"], task.data["train"]["labels"])
    with pytest.raises(TaskError, match="no node_features"):
        features.with_ids_as_features()


def test_unit_labels_map_the_training_range_onto_0_1_and_reuse_it_for_the_other_splits() -> None:
    task = load_task("longest_palindrome", n=8, size=300, seed=1).with_train_rows(40)
    train = np.asarray(task.data["train"]["labels"], dtype=np.float64)
    low, high = train.min(), train.max()
    assert high > low
    scaled = task.with_unit_labels()
    assert scaled.source["unit_labels"] == {"low": low, "high": high}
    for split in ("train", "test"):
        raw = np.asarray(task.data[split]["labels"], dtype=np.float64)
        mapped = np.asarray(scaled.data[split]["labels"], dtype=np.float64)
        np.testing.assert_allclose(mapped, (raw - low) / (high - low), atol=1e-6)
    mapped_train = np.asarray(scaled.data["train"]["labels"])
    assert mapped_train.min() == 0.0 and mapped_train.max() == 1.0
    assert scaled.data["train"].features["labels"] == task.data["train"].features["labels"]
    with pytest.raises(TaskError, match="only regression labels"):
        load_task("intersect", n=10, size=100).with_unit_labels()
    constant = task.with_train_rows(1)
    with pytest.raises(TaskError, match="no range"):
        constant.with_unit_labels()


def test_train_rows_keep_the_first_rows_and_refuse_too_many() -> None:
    task = load_task("intersect", n=10, size=200, seed=2)
    kept = task.with_train_rows(20)
    assert kept.data["train"]["input_ids"] == task.data["train"]["input_ids"][:20]
    assert kept.data["test"]["input_ids"] == task.data["test"]["input_ids"]
    with pytest.raises(TaskError, match="train_size must be in 1..140"):
        task.with_train_rows(141)


def test_resolve_rescales_only_regression_tasks_after_keeping_the_rows() -> None:
    data = resolve_tasks("intersect_size,intersect", n=10, size=200, train_size=25, unit_labels=True)
    labels = data["intersect_size"].splits["train"]["labels"]
    assert labels.shape == (25,) and labels.min() == 0 and labels.max() == 1  # the range of the rows kept
    raw = resolve_tasks("intersect", n=10, size=200, train_size=25)["intersect"]
    assert torch.equal(data["intersect"].splits["train"]["labels"], raw.splits["train"]["labels"])


INVARIANT = ["--tasks", "intersect_size,has_palindrome", "--n", "8", "--size", "300", "--max_steps", "6"]


def test_pretrain_and_finetune_without_token_embeddings(
    pretrain_script, finetune_script, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = ["--ids_as_features", "true", "--unit_labels", "true"]
    pretrain_script.main([*TINY, *INVARIANT, *flags, "--output_dir", str(tmp_path / "pt")])
    model = AsenForMultiTask.from_pretrained(tmp_path / "pt" / "model")
    assert model.config.input_dim == 1
    model.eval()
    features = torch.rand(3, 8, 1, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = model(node_features=features, task="has_palindrome").logits
        assert before.shape == (3, 1)
        # the ids enter as features: the token embedding is unused, whatever it holds
        model.asen.input_adapters["tokens"].embedding.weight.normal_()
        assert torch.equal(model(node_features=features, task="has_palindrome").logits, before)
        assert not torch.allclose(model(node_features=features + 0.5, task="has_palindrome").logits, before)
    payload = finetune_script.main(
        ["--batch_size", "16", "--report_to", "none", "--model", str(tmp_path / "pt"),
         "--task", "detect_capital", "--n", "8", "--size", "300",
         "--train_size", "50", "--max_steps", "4", *flags, "--output_dir", str(tmp_path / "ft")]
    )  # fmt: skip
    saved = json.loads((tmp_path / "ft" / "metrics.json").read_text())
    assert saved["config"]["ids_as_features"] is True and saved["config"]["unit_labels"] is True
    assert 0 <= payload["final"]["detect_capital"]["test"]["loss"] <= 1
    # a model trained on embedded ids refuses feature inputs with the fix in the message
    pretrain_script.main([*TINY, *INVARIANT, "--output_dir", str(tmp_path / "ids")])
    message = refused(
        finetune_script,
        ["--model", str(tmp_path / "ids"), "--task", "detect_capital", "--n", "8", "--size", "300",
         "--ids_as_features", "true", "--output_dir", str(tmp_path / "no")],
        capsys,
    )  # fmt: skip
    assert "node_features of width 1" in message


def test_the_readme_invariant_pretraining_command_runs(pretrain_script, tmp_path: Path) -> None:
    """The README's command as written, with only sizes and the output folder overridden (later flags win)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index("python pretrain/pretrain.py --tasks intersect_size")
    end = readme.index("\n", readme.index("--ids_as_features", start))
    command = readme[start:end].replace("\\\n", " ")
    argv = shlex.split(command)[2:]
    assert "--ids_as_features" in argv and "--unit_labels" in argv
    small = ["--size", "150", "--max_steps", "2", "--eval_every", "0", "--output_dir", str(tmp_path / "run")]
    payload = pretrain_script.main([*argv, *TINY, *small])
    assert payload["config"]["ids_as_features"] and payload["config"]["unit_labels"]
    assert set(payload["final"]) == {"intersect_size", "has_palindrome", "longest_palindrome"}
