"""Where the experiments live: the repository, the configs, and the default runs and results folders."""

from __future__ import annotations

from pathlib import Path

EXPERIMENTS_DIR = Path(__file__).resolve().parents[1]
CONFIG_DIR = EXPERIMENTS_DIR / "configs"
REPO = EXPERIMENTS_DIR.parents[1]
DEFAULT_RESULTS = EXPERIMENTS_DIR / "results"
DEFAULT_RUNS = REPO / "runs" / "experiments"
