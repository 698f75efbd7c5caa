"""Ablation for ``pair_embeddings``' default: the orbit bias alone vs bias + pair-orbit key/value vectors.

Each task trains from scratch (``pretrain.py`` on that one task, its own group) with the same model, data,
budget and seed, once per variant, over ``--seeds``; the table gives the test metric as mean ± std over the
seeds and the per-seed difference (pair embeddings minus bias only). Low-data settings, where the breaking
input matters most (the paper's Fig. 3 regime).

    OMP_NUM_THREADS=1 python benchmarks/pair_embeddings.py                 # 4 tasks x 2 variants x 3 seeds
    OMP_NUM_THREADS=1 python benchmarks/pair_embeddings.py --seeds 0 --tasks intersect
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# task -> (training rows, optimizer steps, metric reported, higher is better)
SETTINGS = {
    "intersect": (50, 350, "sequence_accuracy", True),
    "palindrome": (150, 350, "sequence_accuracy", True),
    "cyclic_sum": (150, 350, "sequence_accuracy", True),
    "intersect_size": (500, 600, "mae", False),
}
MODEL = ["--hidden_size", "64", "--num_layers", "2", "--num_heads", "4", "--intermediate_size", "128"]


def run(task: str, seed: int, pair_embeddings: bool, folder: Path) -> float:
    rows, steps, metric, _ = SETTINGS[task]
    out = folder / f"{task}-{seed}-{int(pair_embeddings)}"
    command = [sys.executable, str(ROOT / "pretrain" / "pretrain.py"), "--tasks", task, "--seed", str(seed)]
    command += [
        "--train_size",
        str(rows),
        "--max_steps",
        str(steps),
        "--eval_every",
        "0",
        "--report_to",
        "none",
    ]
    command += ["--output_dir", str(out), *MODEL]
    if pair_embeddings:
        command.append("--pair_embeddings")
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    final = json.loads((out / "metrics.json").read_text())["final"][task]["test"]
    return float(final[metric])


def code_version() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(SETTINGS), help="built-in tasks to train")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds (init, data order)")
    parser.add_argument("--json", type=Path, default=None, help="also write the per-seed numbers here")
    try:
        args = parser.parse_args()
    except SystemExit as exit_:
        sys.exit(2 if exit_.code else 0)
    unknown = sorted(set(args.tasks) - set(SETTINGS))
    if unknown:
        print(
            f"pair_embeddings.py: error: unknown tasks {unknown}; choose from {sorted(SETTINGS)}",
            file=sys.stderr,
        )
        sys.exit(2)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks:
            results[task] = {"bias": [], "bias + pair K/V": []}
            for seed in args.seeds:
                for variant, flag in (("bias", False), ("bias + pair K/V", True)):
                    value = run(task, seed, flag, Path(tmp))
                    results[task][variant].append(value)
                    print(f"  {task} seed {seed} {variant}: {value:.4f}", file=sys.stderr, flush=True)
    print(f"code {code_version()}, seeds {args.seeds}, model hidden 64 x 2 layers, OMP_NUM_THREADS=1\n")
    print("| task | rows | steps | metric | bias only | bias + pair K/V | difference (mean ± std) |")
    print("|---|---|---|---|---|---|---|")
    for task, values in results.items():
        rows, steps, metric, _ = SETTINGS[task]
        base, pair = values["bias"], values["bias + pair K/V"]
        diff = [p - b for p, b in zip(pair, base, strict=True)]
        cells = [task, rows, steps, metric, _stat(base), _stat(pair), _stat(diff, signed=True)]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    if args.json:
        args.json.write_text(
            json.dumps({"code": code_version(), "seeds": args.seeds, "results": results}, indent=1)
        )


def _stat(values: list[float], signed: bool = False) -> str:
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:+.3f} ± {std:.3f}" if signed else f"{mean:.3f} ± {std:.3f}"


if __name__ == "__main__":
    main()
