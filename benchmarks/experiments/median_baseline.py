"""Test L1 of the median predictor (a constant: the median training label) on a built-in regression task.

    OMP_NUM_THREADS=1 python benchmarks/experiments/median_baseline.py --task has_palindrome --n 8 \
        --target_rows 5600 --train_rows 840 --seeds 0 1 2 3 4 --unit_labels

The data are built exactly as a finetuning run builds them: ``generated_size(target_rows)`` examples per data
seed, the first ``train_rows`` training rows kept, and with ``--unit_labels`` every split rescaled by those
rows' range (``Task.with_unit_labels``). Prints one line: mean ± std over the seeds, then each seed's value.
Fig. 7's reading quotes this floor beside the models' losses.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from expkit.runner import generated_size
from expkit.stats import format_cell, summarize


def median_l1(task: str, n: int, target_rows: int, train_rows: int, seed: int, unit_labels: bool) -> float:
    """Test L1 of predicting the median of the kept training labels."""
    from asen_fm.tasks import load_task

    data = load_task(task, n=n, size=generated_size(target_rows), seed=seed).with_train_rows(train_rows)
    if unit_labels:
        data = data.with_unit_labels()
    train, test = (np.asarray(data.data[split]["labels"], dtype=float) for split in ("train", "test"))
    return float(np.abs(test - np.median(train)).mean())


def main(argv: list[str] | None = None) -> int:
    from asen_fm.tasks import TASKS

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", required=True, help="a built-in regression task")
    parser.add_argument("--n", type=int, default=0, help="task length (0: the task's default)")
    parser.add_argument("--target_rows", type=int, required=True, help="training rows generated")
    parser.add_argument("--train_rows", type=int, required=True, help="training rows kept")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="data seeds")
    parser.add_argument("--unit_labels", action="store_true", help="labels rescaled onto [0, 1] first")
    args = parser.parse_args(argv)
    spec = TASKS.get(args.task)
    if spec is None or spec.problem_type != "regression":
        regression = ", ".join(name for name, t in TASKS.items() if t.problem_type == "regression")
        parser.error(f"--task must be a built-in regression task ({regression}), got {args.task!r}")
    if not 1 <= args.train_rows <= args.target_rows:
        parser.error(f"--train_rows must be in 1..--target_rows ({args.target_rows}), got {args.train_rows}")
    if args.n < 0 or min(args.seeds) < 0:
        parser.error("--n and --seeds must be >= 0")
    n = args.n or spec.default_n
    rows = (args.target_rows, args.train_rows)
    values = [median_l1(args.task, n, *rows, seed, args.unit_labels) for seed in args.seeds]
    print(f"{args.task}: median predictor test L1 {format_cell(summarize(values))}; per seed "
          + " / ".join(f"{v:.3f}" for v in values))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
