"""Experiment settings: ``configs/common.json`` (model, optimizer) + ``configs/<name>.json`` (smoke/full).

An experiment config holds ``"smoke"`` and ``"full"`` objects with the same keys; the chosen one is returned
merged with the common sections. The command line of every experiment script is the same:

    python benchmarks/experiments/<experiment>.py --smoke | --full [--runs_dir DIR] [--results_dir DIR]
                                                  [--reverse] [--reuse-stale]

``--reuse-stale`` reads back finished runs trained by other code (their tables are marked stale) instead
of retraining them. ``--reverse`` takes the runs last-first: a second process started with it shares an
experiment's runs with
a first one (each run folder is locked while it trains), and both end with the same complete results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from expkit.paths import CONFIG_DIR, DEFAULT_RESULTS, DEFAULT_RUNS
from expkit.runner import allow_stale_runs

T = TypeVar("T")

MODES: tuple[str, ...] = ("smoke", "full")


@dataclass(frozen=True)
class Experiment:
    """One invocation: its name, mode, merged settings, where runs and results go, and how it was called."""

    name: str
    mode: str
    settings: dict[str, Any]
    model: dict[str, Any]
    optimizer: dict[str, Any]
    bookkeeping: dict[str, Any]
    runs_dir: Path
    results_dir: Path
    command: str
    reverse: bool = False
    reuse_stale: bool = False

    @property
    def smoke(self) -> bool:
        """True in the quick CI mode."""
        return self.mode == "smoke"

    def order(self, jobs: list[T]) -> list[T]:
        """The runs in the order this process takes them (last-first with ``--reverse``)."""
        return list(reversed(jobs)) if self.reverse else list(jobs)


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; ValueError naming the file when it is missing or not an object."""
    if not path.is_file():
        raise ValueError(f"experiment config {path} does not exist")
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"experiment config {path} must hold a JSON object")
    return data


def load_settings(name: str, mode: str, config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """``{"model", "optimizer", "bookkeeping", "settings"}`` for experiment ``name`` in ``mode``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    common = read_json(config_dir / "common.json")
    own = read_json(config_dir / f"{name}.json")
    if mode not in own:
        raise ValueError(f"{config_dir / (name + '.json')} has no {mode!r} section")
    missing = sorted(set(own.get("full", {})) ^ set(own.get("smoke", {})))
    if missing:
        raise ValueError(f"{name}.json: smoke and full must set the same keys; differing: {missing}")
    return {
        "model": {**common["model"], **own.get("model", {})},
        "optimizer": {**common["optimizer"], **own.get("optimizer", {})},
        "bookkeeping": dict(common["bookkeeping"]),
        "settings": dict(own[mode]),
    }


def parse_experiment(name: str, argv: list[str] | None = None, description: str = "") -> Experiment:
    """Parse ``--smoke | --full [--runs_dir] [--results_dir]`` and load the settings of ``name``."""
    parser = argparse.ArgumentParser(description=description)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--smoke", dest="mode", action="store_const", const="smoke", help="seconds, for CI")
    mode.add_argument("--full", dest="mode", action="store_const", const="full", help="the reported runs")
    parser.add_argument("--runs_dir", type=Path, default=DEFAULT_RUNS, help="per-run training folders")
    parser.add_argument("--results_dir", type=Path, default=DEFAULT_RESULTS, help="results.json and PNGs")
    parser.add_argument(
        "--reverse", action="store_true", help="take the runs last-first (a second process sharing the work)"
    )
    parser.add_argument(
        "--reuse-stale",
        "--reuse_stale",
        dest="reuse_stale",
        action="store_true",
        help="reuse finished runs of other code versions (marked stale in the tables) instead of retraining",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    allow_stale_runs(args.reuse_stale)
    loaded = load_settings(name, args.mode)
    shown = ["python", f"benchmarks/experiments/{name}.py", f"--{args.mode}"]
    if args.runs_dir != DEFAULT_RUNS:
        shown += ["--runs_dir", str(args.runs_dir)]
    if args.results_dir != DEFAULT_RESULTS:
        shown += ["--results_dir", str(args.results_dir)]
    if args.reuse_stale:
        shown += ["--reuse-stale"]
    return Experiment(
        name=name,
        mode=args.mode,
        settings=loaded["settings"],
        model=loaded["model"],
        optimizer=loaded["optimizer"],
        bookkeeping=loaded["bookkeeping"],
        runs_dir=Path(args.runs_dir) / args.mode / name,
        results_dir=Path(args.results_dir) / name / ("smoke" if args.mode == "smoke" else ""),
        command="OMP_NUM_THREADS=1 " + shlex.join(shown),
        reverse=args.reverse,
        reuse_stale=args.reuse_stale,
    )


def hardware() -> str:
    """One line naming where the numbers were measured (CPU threads, GPU when one is visible)."""
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    try:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:  # pragma: no cover - torch is a hard dependency
        gpu = None
    where = gpu or f"CPU ({platform.machine()}, 2-core shared machine, OMP_NUM_THREADS={threads})"
    return f"{where}; python {platform.python_version()}"
