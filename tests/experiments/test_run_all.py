"""Every experiment is run by run_all.sh."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXPERIMENTS_DIR = REPO / "benchmarks" / "experiments"


def run_all_experiments() -> list[str]:
    """The experiment names run_all.sh hands to ``run_one`` (the list between ``printf`` and ``xargs``)."""
    script = (EXPERIMENTS_DIR / "run_all.sh").read_text()
    match = re.search(r"printf '%s\\n' (.*?)\|\s*xargs", script, flags=re.S)
    assert match, "run_all.sh no longer lists its experiments after printf '%s\\n'"
    return match.group(1).replace("\\", " ").split()


def test_run_all_runs_every_experiment_once() -> None:
    import build_results

    listed = run_all_experiments()
    assert len(listed) == len(set(listed))
    assert set(listed) == set(build_results.EXPERIMENTS)  # every experiment RESULTS.md renders
    assert all((EXPERIMENTS_DIR / f"{name}.py").is_file() for name in listed)
