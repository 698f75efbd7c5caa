"""Retrain finished runs from their own ``metrics.json`` and say whether they come out bit for bit the same.

    OMP_NUM_THREADS=1 python benchmarks/experiments/rerun.py \
        runs/experiments/full/fig3_equivariance/steps350/intersect-own-n50-s* --out /tmp/rerun

Each run folder's ``metrics.json`` holds every flag of the script that trained it (``config``) and the code it
ran (``code``). The run is trained again with those flags into ``--out/<folder name>`` and compared with the
original: the per-step training losses, every evaluation, the final metrics, and the saved weights
(``model.safetensors``, byte for byte). One table row per run; exit status 1 when any run differs, 2 on a
bad argument. A run whose recorded ``source_sha256`` is not this checkout's is retrained all the same and
flagged: a difference there may be the code's, not the machine's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from expkit.runner import current_source, load_script, reset_accelerate, to_argv

SKIPPED_FLAGS = ("output_dir", "overwrite_output_dir", "resume")


def rerun(run_dir: Path, out: Path) -> dict[str, Any]:
    """Retrain ``run_dir`` into ``out / run_dir.name``; the comparison as one table row (a dict)."""
    original = json.loads((run_dir / "metrics.json").read_text())
    flags = {key: value for key, value in original["config"].items() if key not in SKIPPED_FLAGS}
    target = out / run_dir.name
    reset_accelerate()
    again = load_script(original["script"]).main(to_argv({**flags, "output_dir": str(target)}))
    reset_accelerate()
    weights = [folder / "model" / "model.safetensors" for folder in (run_dir, target)]
    return {
        "run": str(run_dir),
        "same code": original.get("code", {}).get("source_sha256") == current_source(),
        "train losses": original["train"] == again["train"],
        "evaluations": original["eval"] == again["eval"],
        "final metrics": original["final"] == again["final"],
        "weights": weights[0].read_bytes() == weights[1].read_bytes(),
        "largest final gap": largest_gap(original["final"], again["final"]),
    }


def largest_gap(first: Any, second: Any) -> float:
    """The largest absolute difference between matching numbers of two nested dicts of metrics."""
    if isinstance(first, dict):
        return max((largest_gap(first[key], second[key]) for key in first), default=0.0)
    return abs(float(first) - float(second))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="finished run folders (each with a metrics.json)")
    parser.add_argument("--out", type=Path, required=True, help="where the retrained copies go")
    args = parser.parse_args(argv)
    missing = [str(run) for run in args.runs if not (run / "metrics.json").is_file()]
    if missing:
        parser.error(f"not a finished run folder (no metrics.json): {', '.join(missing)}")
    if args.out.resolve() in {run.resolve().parent for run in args.runs}:
        parser.error("--out must not be the folder holding the runs (the copies would replace them)")
    names = [run.resolve().name for run in args.runs]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        parser.error(f"runs share a folder name, so their copies would clash in --out: {', '.join(clashes)}")
    taken = [name for name in names if (args.out / name).exists()]
    if taken:
        parser.error(f"--out already holds {', '.join(taken)}; pass an empty or new folder")
    rows = [rerun(run, args.out) for run in args.runs]
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row.values()) + " |")
    checks = ("train losses", "evaluations", "final metrics", "weights")
    return 0 if all(row[check] for row in rows for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
