"""``asen data build pose-synthetic | h36m`` through the real CLI: task folders, cards, and bad flags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_pose_h36m import SUBJECTS, _write

from asen_fm.cli import main
from asen_fm.configuration_asen import normalize_symmetry
from asen_fm.domains.pose import GROUPS, build_h36m, build_synthetic_pose, pose_task
from asen_fm.domains.pose.skeleton import EDGES
from asen_fm.symmetry import PermGroup
from asen_fm.tasks import Task


def test_pose_synthetic_writes_a_task_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "pose"
    argv = ["data", "build", "pose-synthetic", "--out", str(out), "--seed", "3", "--train_size", "40"]
    argv += ["--test_size", "12", "--group", "skeleton16_limbs", "--framework", "weakly_sparse"]
    assert main(argv) == 0
    assert "train 40, validation 4, test 12" in capsys.readouterr().out
    task = Task.load(out)
    assert (task.head, task.num_labels, task.loss, task.input_dim, task.n) == (
        "node_regression",
        3,
        "mse",
        2,
        16,
    )
    assert task.metrics == ("mpjpe", "p_mpjpe") and task.name == "pose"
    assert task.group == GROUPS["skeleton16_limbs"]()
    symmetry = task.symmetry
    assert symmetry["framework"] == "weakly_sparse" and symmetry["pairs"] == "orbits"
    assert [tuple(e) for e in symmetry["edges"]] == list(EDGES)
    assert task.extra == {"units": "m", "metric_scale": 1000.0, "metric_units": "mm"}
    assert task.source["builder"] == "pose-synthetic" and task.source["seed"] == 3
    # the same rows as the Python builder, and the card goes to the model unchanged
    direct, _ = build_synthetic_pose(40, 12, seed=3)
    for split in direct:
        assert task.data[split].data.table.equals(direct[split].data.table)
    entry, _ = normalize_symmetry(symmetry, "pose")
    assert entry["framework"] == "weakly_sparse" and "pairs" not in entry  # stored form: pair table kept


def test_trivial_full_card_keeps_the_pair_table_unless_asked(tmp_path: Path) -> None:
    assert (
        main(
            [
                "data",
                "build",
                "pose-synthetic",
                "--out",
                str(tmp_path / "a"),
                "--train_size",
                "20",
                "--test_size",
                "8",
            ]
        )
        == 0
    )
    card = Task.load(tmp_path / "a").symmetry
    assert card["pairs"] == "orbits" and PermGroup.parse(card["group"]).order() == 1
    argv = [
        "data",
        "build",
        "pose-synthetic",
        "--out",
        str(tmp_path / "b"),
        "--train_size",
        "20",
        "--test_size",
        "8",
    ]
    assert main(argv + ["--pairs", "auto"]) == 0
    card = Task.load(tmp_path / "b").symmetry
    assert "pairs" not in card
    assert normalize_symmetry(card, "pose")[0]["pairs"] == "none"  # the model's default for trivial(16)


@pytest.mark.parametrize("layout", [(32, 17), (16, 16)])
def test_h36m_on_tiny_videopose3d_files(tmp_path: Path, layout: tuple[int, int]) -> None:
    _write(tmp_path, {s: 20 for s in SUBJECTS}, *layout)
    out = tmp_path / "h36m"
    argv = ["data", "build", "h36m", "--source", str(tmp_path), "--out", str(out), "--frame_stride", "2"]
    assert main(argv + ["--group", "skeleton16_pairs", "--framework", "sparse"]) == 0
    task = Task.load(out)
    # 7 subjects x 2 actions x 4 cameras, 10 frames each after stride 2; the last one of each training
    # sequence is validation
    assert {k: len(v) for k, v in task.data.items()} == {"train": 360, "validation": 40, "test": 160}
    data, card = build_h36m(tmp_path, frame_stride=2, group="skeleton16_pairs", framework="sparse")
    expected = pose_task(data, card)
    assert {k: len(v) for k, v in task.data.items()} == {k: len(v) for k, v in expected.data.items()}
    assert np.allclose(task.data["test"]["labels"][0], expected.data["test"]["labels"][0])
    assert task.source["builder"] == "h36m" and task.source["frame_stride"] == 2
    assert task.symmetry["framework"] == "sparse" and task.group.order() == 64
    assert set(task.data["test"]["subject"]) == {"S9", "S11"}


@pytest.mark.parametrize(
    "argv,message",
    [
        (["pose-synthetic", "--source", "x"], "--source is for h36m, not pose-synthetic"),
        (["pose-synthetic", "--frame_stride", "2"], "--frame_stride is for h36m"),
        (["pose-synthetic", "--size", "10"], "--size does not apply to pose-synthetic"),
        (["pose-synthetic", "--param", "k=1"], "--param does not apply"),
        (["pose-synthetic", "--train_size", "0"], "train_size must be a positive int"),
        (["pose-synthetic", "--framework", "dense"], "framework must be one of"),
        (["pose-synthetic", "--pairs", "all"], "--pairs must be orbits, none or auto"),
        (["pose-synthetic", "--group", "cyclic(5)"], "acts on 5 points, the skeleton has 16"),
        (["h36m"], "h36m needs --source DIR"),
        (["h36m", "--source", "/nonexistent"], "does not exist"),
        (["h36m", "--source", "x", "--train_size", "5"], "--train_size is for pose-synthetic"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture, argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["data", "build", *argv, "--out", str(tmp_path / "out")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("asen data build: ") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_h36m_too_short_for_a_validation_split(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # 2 frames per sequence: 10 % of them rounds to none, and the task format refuses an empty split.
    _write(tmp_path, {s: 2 for s in SUBJECTS})
    with pytest.raises(SystemExit) as exc:
        main(["data", "build", "h36m", "--source", str(tmp_path), "--out", str(tmp_path / "o")])
    assert exc.value.code == 2 and "validation: no rows" in capsys.readouterr().err


def test_list_names_the_pose_builders(capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "pose-synthetic" in out and "h36m" in out


def test_task_cards_carry_the_pair_choice(tmp_path: Path) -> None:
    data, card = build_synthetic_pose(20, 8, seed=0)
    task = pose_task(data, card)
    assert Task.load(task.save(tmp_path / "t")).symmetry["pairs"] == "orbits"
    with pytest.raises(ValueError, match="'pairs' must be 'orbits' or 'none'"):
        pose_task(data, {**card, "symmetry": {**card["symmetry"], "pairs": "all"}})
