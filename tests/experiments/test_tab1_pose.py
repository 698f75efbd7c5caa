"""``tab1_pose.py --smoke`` end to end (synthetic skeleton, and Human3.6M from tiny VideoPose3D files)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from test_smoke import PNG_MAGIC, run_smoke

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "domains"))
from test_pose_h36m import SUBJECTS, _write  # noqa: E402


def test_paper_grid_is_the_issue_s() -> None:
    import tab1_pose

    assert [tab1_pose.PAPER[g]["sparse"] for g in tab1_pose.GROUP_LABELS] == [33.39, 40.52, 42.37, 49.45]
    assert tab1_pose.PAPER["skeleton16_limbs"] == {"full": 43.24, "sparse": 42.37, "weakly_sparse": 40.67}


def test_tab1_pose_smoke(smoke_dirs: tuple[Path, Path]) -> None:
    result = run_smoke("tab1_pose", smoke_dirs)
    grid, cells, depth = result["tables"]
    assert grid["columns"] == ["group", "full", "sparse", "paper full", "paper sparse"]
    assert [row[0] for row in grid["rows"]] == ["I", "S_2^6"] and grid["rows"][1][3:] == ["47.54", "49.45"]
    # |G| and the order of the symmetry each cell really has: S_2^6 shrinks to S_2^2 on the skeleton
    assert [(row[0], row[1], row[2], row[3]) for row in cells["rows"]] == [
        ("I", "full", 1, 1),
        ("I", "sparse", 1, 1),
        ("S_2^6", "full", 64, 64),
        ("S_2^6", "sparse", 64, 4),
    ]
    cell = result["data"]["skeleton16_pairs/sparse"]
    assert cell["p_mpjpe_mm"]["n"] == 1 and 0 < cell["p_mpjpe_mm"]["mean"] < cell["mpjpe_mm"]["mean"]
    assert len(result["data"]["git_commits"]) == 1 and result["data"]["data"] == "synthetic skeleton"
    assert any(f.startswith("lowest P-MPJPE") for f in result["findings"])
    # the depth probe: the I / sparse cell again with 1 layer (3 in the grid), beside the grid's value
    ((group, framework, layers, *_, grid_value),) = depth["rows"]
    assert (group, framework, layers) == ("I", "sparse", 1) and grid_value == cells["rows"][1][4]
    runs = smoke_dirs[0] / "smoke" / "tab1_pose"
    probe = json.loads((runs / "probe-trivial-sparse-L1-s0" / "metrics.json").read_text())
    assert json.loads((Path(probe["config"]["model"]) / "config.json").read_text())["num_hidden_layers"] == 1
    assert any(f.startswith("depth probe I / sparse: 1 layers") for f in result["findings"])
    assert result["plots"] == ["grid_p_mpjpe.png", "curves_p_mpjpe.png"]
    # every run trained a fresh model on a task folder whose card keeps G's pair orbits
    payload = json.loads((runs / "trivial-full-s0" / "metrics.json").read_text())
    assert (
        payload["config"]["from_scratch"] and payload["tasks"]["pose"]["symmetry_entry"]["pairs"] == "orbits"
    )
    assert payload["code"]["git_commit"] == result["data"]["git_commits"][0]
    mm = 1000 * payload["final"]["pose"]["test"]["p_mpjpe"]
    assert mm == pytest.approx(result["data"]["trivial/full"]["p_mpjpe_mm"]["mean"])


def test_tab1_pose_smoke_on_human36m_files(tmp_path: Path) -> None:
    import tab1_pose

    source = tmp_path / "videopose3d"
    source.mkdir()
    _write(source, {s: 10 for s in SUBJECTS})
    runs, results = tmp_path / "runs", tmp_path / "results"
    tab1_pose.main(["--smoke", "--h36m", str(source), "--runs_dir", str(runs), "--results_dir", str(results)])
    folder = results / "tab1_pose" / "smoke" / "h36m"
    result = json.loads((folder / "results.json").read_text())
    assert result["command"].endswith(f"--h36m {source}") and result["data"]["data"] == "Human3.6M"
    assert "subjects S9, S11" in result["tables"][0]["note"]
    assert (folder / "grid_p_mpjpe.png").read_bytes()[:8] == PNG_MAGIC
    task_card = next((runs / "smoke" / "tab1_pose" / "h36m").glob("data-*/seed0/trivial-full/task_card.json"))
    assert json.loads(task_card.read_text())["source"]["builder"] == "h36m"
