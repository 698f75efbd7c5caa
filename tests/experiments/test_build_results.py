"""benchmarks/build_results.py: renders whatever inputs exist and says what is missing."""

from __future__ import annotations

import json

import build_results
import pytest


def _result(name: str) -> dict:
    return {
        "schema": build_results.SCHEMA, "experiment": name, "title": "t", "mode": "full",
        "command": f"python benchmarks/experiments/{name}.py --full", "hardware": "CPU",
        "finished_utc": "2026-01-01 00:00 UTC", "wall_seconds": 3.0, "run_count": 4,
        "run_wall_seconds": 90.0,
        "tables": [{"title": "numbers", "columns": ["task", "ours", "paper"],
                    "rows": [["intersect", "0.9 | 0.1", 0.123456]], "note": "a note"}],
        "plots": ["sweep.png"], "findings": ["own group ahead"], "data": {},
    }  # fmt: skip


def test_empty_tree_lists_every_experiment_as_not_run(tmp_path) -> None:
    text = build_results.build(tmp_path)
    for name in build_results.EXPERIMENTS:
        assert f"OMP_NUM_THREADS=1 python benchmarks/experiments/{name}.py --full" in text
    assert text.count("Not run yet") == len(build_results.EXPERIMENTS)
    assert "No benchmark fragments yet" in text


def test_results_fragments_and_notes_are_rendered(tmp_path) -> None:
    folder = tmp_path / "experiments" / "results" / "fig3_equivariance"
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(_result("fig3_equivariance")))
    (tmp_path / "experiments" / "notes").mkdir()
    (tmp_path / "experiments" / "notes" / "fig3_equivariance.md").write_text("Why ours differs.\n")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "b_model.md").write_text("## Model speed\n\n| a |\n|---|\n| 1 |\n")
    (tmp_path / "results" / "a_groups.md").write_text("## Group speed\n")
    text = build_results.build(tmp_path)
    assert "| intersect | 0.9 \\| 0.1 | 0.1235 |" in text  # pipes escaped, floats to 4 significant digits
    assert "![sweep.png](experiments/results/fig3_equivariance/sweep.png)" in text
    assert (
        "Wall time: 1.5 min of training in 4 runs" in text
        and "- own group ahead" in text
        and "Why ours differs." in text
    )
    assert text.index("## Group speed") < text.index("## Model speed")  # fragments in file-name order
    assert text.count("Not run yet") == len(build_results.EXPERIMENTS) - 1


def test_wrong_schema_and_ragged_rows_are_errors(tmp_path) -> None:
    folder = tmp_path / "experiments" / "results" / "fig4_discovery"
    folder.mkdir(parents=True)
    bad = {**_result("fig4_discovery"), "schema": "something/else"}
    (folder / "results.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="schema"):
        build_results.build(tmp_path)
    with pytest.raises(ValueError, match="does not have 2 cells"):
        build_results.render_table({"title": "x", "columns": ["a", "b"], "rows": [[1]]})


def test_check_mode_detects_a_stale_file(tmp_path) -> None:
    assert build_results.main(["--benchmarks_dir", str(tmp_path)]) == 0
    assert build_results.main(["--benchmarks_dir", str(tmp_path), "--check"]) == 0
    (tmp_path / "RESULTS.md").write_text("hand edited\n")
    assert build_results.main(["--benchmarks_dir", str(tmp_path), "--check"]) == 1


def test_results_without_a_code_version_are_marked(tmp_path) -> None:
    folder = tmp_path / "experiments" / "results" / "fig3_equivariance"
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(_result("fig3_equivariance")))
    assert f"{build_results.UNVERSIONED_MARK} a note" in build_results.build(tmp_path)
    (folder / "results.json").write_text(json.dumps({**_result("fig3_equivariance"), "stale_run_count": 0}))
    assert "UNVERSIONED" not in build_results.build(tmp_path)


def test_the_code_the_runs_trained_with_is_named(tmp_path) -> None:
    folder = tmp_path / "experiments" / "results" / "fig3_equivariance"
    folder.mkdir(parents=True)
    one = {"source_sha256": "ab" * 32, "git_commit": "f509181" + "0" * 33, "git_dirty": False, "runs": 4}
    result = {**_result("fig3_equivariance"), "stale_run_count": 0, "code": [one]}
    (folder / "results.json").write_text(json.dumps(result))
    text = build_results.build(tmp_path)
    assert "Code: commit f509181 (clean tree), source_sha256 abababababab…, 4 runs" in text
    assert "mode full)  \nCode:" in text  # a line break in the same paragraph
    two = [{**one, "runs": 3}, {**one, "git_commit": None, "git_dirty": True, "runs": 1}]
    (folder / "results.json").write_text(json.dumps({**result, "code": two}))
    assert "…, 4 runs" not in build_results.build(tmp_path)
    assert "3 runs; no git commit (uncommitted changes)" in build_results.build(tmp_path)
