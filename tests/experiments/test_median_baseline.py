"""benchmarks/experiments/median_baseline.py: the constant floor quoted beside Fig. 7's losses."""

from __future__ import annotations

import median_baseline
import numpy as np
import pytest
from expkit.runner import generated_size

from asen_fm.tasks import load_task


def test_the_floor_is_the_median_of_the_kept_rows_on_rescaled_labels(capsys) -> None:
    task = load_task("longest_palindrome", n=8, size=generated_size(200), seed=1).with_train_rows(30)
    train = np.asarray(task.data["train"]["labels"], dtype=float)
    test = np.asarray(task.data["test"]["labels"], dtype=float)
    low, high = train.min(), train.max()
    expected = np.abs((test - low) / (high - low) - np.median((train - low) / (high - low))).mean()
    assert median_baseline.median_l1("longest_palindrome", 8, 200, 30, 1, True) == pytest.approx(expected)
    raw = np.abs(test - np.median(train)).mean()
    assert median_baseline.median_l1("longest_palindrome", 8, 200, 30, 1, False) == pytest.approx(raw)
    argv = ["--task", "longest_palindrome", "--n", "8", "--target_rows", "200", "--train_rows", "30",
            "--seeds", "1", "--unit_labels"]  # fmt: skip
    assert median_baseline.main(argv) == 0
    assert f"{expected:.3f} (1); per seed {expected:.3f}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--task", "intersect", "--target_rows", "10", "--train_rows", "5"], "regression task"),
        (["--task", "intersect_size", "--target_rows", "10", "--train_rows", "11"], "--train_rows must be"),
        (["--task", "intersect_size", "--target_rows", "10", "--train_rows", "5", "--seeds", "-1"], ">= 0"),
    ],
)
def test_bad_flags_exit_2_with_one_message(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        median_baseline.main(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err
