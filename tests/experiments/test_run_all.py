"""Every experiment is run by run_all.sh, and every stored results.json says which code produced it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

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


@pytest.mark.parametrize(
    "path", sorted((EXPERIMENTS_DIR / "results").glob("*/results.json")), ids=lambda p: p.parent.name
)
def test_every_results_json_records_its_code_version(path: Path) -> None:
    versions = json.loads(path.read_text()).get("code")
    assert versions, f"{path.relative_to(REPO)} records no code version"
    for version in versions:
        assert re.fullmatch(r"[0-9a-f]{64}", str(version.get("source_sha256"))), version
        assert re.fullmatch(r"[0-9a-f]{40}", str(version.get("git_commit"))), version
        assert isinstance(version.get("git_dirty"), bool) and version.get("runs", 0) > 0, version
