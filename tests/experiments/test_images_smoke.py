"""benchmarks/experiments/images.py: the symmetry entries it trains with, and its --smoke run end to end."""

from __future__ import annotations

import json

import pytest
from test_smoke import run_smoke


def test_symmetry_entries_per_group():
    from images import symmetry_entry

    assert symmetry_entry("pos1d", 8, 8) == {"group": "trivial(64)", "pairs": "none"}
    assert symmetry_entry("pos2d", 16, 16) == {"group": "trivial(256)", "positions": [16, 16]}
    assert symmetry_entry("d4", 8, 8) == "grid(8, 8, d4)" and symmetry_entry("sym", 8, 8) == "symmetric(64)"
    assert symmetry_entry("patch2", 16, 16) == {"group": "grid(16, 16, patch, 2)", "pairs": "none"}
    ragged = symmetry_entry("patch3", 16, 16)  # 3 does not divide 16: ragged blocks at the border
    assert ragged == {"group": "grid(16, 16, patch, 3)", "pairs": "none"}
    with pytest.raises(ValueError, match="unknown group"):
        symmetry_entry("hexagonal", 8, 8)


def test_images_smoke(smoke_dirs):
    result = run_smoke("images", smoke_dirs)
    tuning, curves, digits, pathfinder = result["tables"]
    assert [row[0] for row in tuning["rows"]] == [0.002] and "validation" in tuning["title"]
    assert {row[1] for row in curves["rows"]} == {"2-D positions (row + column)", "CNN (outside ASEN)"}
    assert [row[0] for row in digits["rows"]] == [
        "2-D positions (row + column)",
        "patch-local 2x2",
        "CNN (outside ASEN)",
        "logistic regression (outside ASEN)",
    ]
    assert [row[0] for row in pathfinder["rows"]] == ["patch-local 3x3 (ragged border)", "CNN (outside ASEN)"]
    assert pathfinder["rows"][0][-1].startswith("0.827")  # the paper summary's number beside
    off = result["data"]["pathfinder/16/patch3/off_chance"]  # seeds whose best validation left chance
    assert off in (0, 1) and pathfinder["rows"][0][-2] == f"{off} of 1"
    assert pathfinder["rows"][1][-2] in ("0 of 1", "1 of 1")  # the CNN's count
    data = result["data"]
    assert set(data) >= {"digits/100/pos2d", "digits/100/patch2", "digits/100/cnn", "digits/100/logreg"}
    assert all(
        0 <= data[k]["mean"] <= 1 for k in ("digits/100/pos2d", "pathfinder/16/patch3", "pathfinder/16/cnn")
    )
    assert all(int(row[-2]) > 0 for row in digits["rows"])  # parameter counts
    assert result["run_count"] == 5 + 4  # ASEN runs (tuning, curve, 2 digits, Pathfinder) + 4 baselines
    assert "learning_curves.png" in result["plots"]
    runs, _ = smoke_dirs
    card = json.loads(
        (runs / "smoke" / "images" / "data" / "pathfinder16-t24-h8-s0-patch3" / "task_card.json").read_text()
    )
    assert card["symmetry"]["pairs"] == "none"


def test_pathfinder_inspect_reads_a_finished_run(smoke_dirs, capsys):
    """The chance-level diagnosis script runs on the smoke Pathfinder run (needs test_images_smoke's runs)."""
    import pathfinder_inspect

    runs, _ = smoke_dirs
    run = runs / "smoke" / "images" / "pathfinder16-patch3-s0"
    if not (run / "metrics.json").exists():
        pytest.skip("needs the images smoke run of this session")
    assert pathfinder_inspect.main([str(run), "--images", "8"]) == 0
    out = capsys.readouterr().out
    assert "fresh init" in out and "trained" in out
    header, _, values = [line for line in out.splitlines() if line.startswith("|")][:3]
    row = dict(zip(header.strip("|").split(" | "), values.strip("|").split(" | "), strict=True))
    assert float(row["pooled std over images"]) >= 0 and float(row["grad head"]) > 0
    assert 0 < float(row["attn entropy L0"]) <= 1.0001
    assert pathfinder_inspect.family("heads.pathfinder.dense.weight") == "head"
    with pytest.raises(SystemExit):
        pathfinder_inspect.main([str(runs / "no-such-run")])


def test_pathfinder_probes_refuses_unknown_names(capsys):
    import pathfinder_probes

    assert pathfinder_probes.main(["layers99"]) == 2
    assert "unknown probe" in capsys.readouterr().err
    assert set(pathfinder_probes.PROBES) >= {"lr2e-3", "layers4", "torus", "train1000"}
