"""Traffic tasks in the package's task format and through ``asen data build``: DCRNN files (tiny, in the
real formats), the synthetic network, explicit ``pairs``, cluster groups, sensor renumbering, baselines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pandas")
pytest.importorskip("tables")

from test_traffic_metr_la import SENSORS, _write_dcrnn_folder  # noqa: E402  (same folder)

from asen_fm.cli import main  # noqa: E402
from asen_fm.domains.traffic.baselines import (  # noqa: E402
    historical_average,
    last_value,
    scores_mph,
)
from asen_fm.domains.traffic.clusters import cluster_group  # noqa: E402
from asen_fm.domains.traffic.task import (  # noqa: E402
    choose_pairs,
    permute_sensors,
    traffic_task,
    with_traffic_symmetry,
)
from asen_fm.symmetry import PermGroup, node_orbits  # noqa: E402
from asen_fm.tasks import Task  # noqa: E402
from asen_fm.tasks.task import column_array  # noqa: E402


def _array(task: Task, split: str, column: str) -> np.ndarray:
    return column_array(task.data[split].with_format("numpy")[column])


def _preserves(group: PermGroup, assignment: list) -> bool:
    labels = np.asarray(assignment)
    return all(np.array_equal(labels[g], labels) for g in group.generators)


def test_cli_builds_metr_la_from_dcrnn_files(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "src").mkdir()
    _write_dcrnn_folder(tmp_path / "src")
    assert (
        main(["data", "build", "metr-la", "--source", str(tmp_path / "src"), "--out", str(tmp_path / "t")])
        == 0
    )
    assert "wrote metr-la (5 sensors; train 138, validation 20, test 39" in capsys.readouterr().out
    task = Task.load(tmp_path / "t")
    assert task.name == "metr-la" and task.label_mask == "label_mask" and task.input_dim == 6
    assert task.symmetry["group"] == "symmetric(5)" and task.symmetry["pairs"] == "orbits"
    assert task.symmetry["framework"] == "full" and task.symmetry["edges"] == [[0, 1], [0, 2], [3, 4]]
    assert task.extra["sensor_ids"] == SENSORS and _array(task, "test", "node_features").shape == (39, 5, 6)


def test_cli_pems_bay_with_a_cluster_file_and_the_sparse_framework(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    _write_dcrnn_folder(tmp_path / "src", h5_name="pems-bay.h5", key="speed")
    (tmp_path / "src" / "adj_mx.pkl").rename(tmp_path / "src" / "adj_mx_bay.pkl")
    clusters = ["east", "west", "east", "west", "west"]
    (tmp_path / "c.json").write_text(json.dumps({"clusters": clusters}))
    argv = ["data", "build", "pems-bay", "--source", str(tmp_path / "src"), "--out", str(tmp_path / "t"),
            "--clusters", str(tmp_path / "c.json"), "--framework", "sparse"]  # fmt: skip
    assert main(argv) == 0
    task = Task.load(tmp_path / "t")
    assert task.group.order() == 2 * 6 and _preserves(task.group, clusters)
    assert node_orbits(task.group).tolist() == [0, 1, 0, 1, 1]
    assert task.symmetry["framework"] == "sparse" and task.symmetry["pairs"] == "orbits"


def test_cli_synthetic_network_clusters_and_trivial_pairs(tmp_path: Path) -> None:
    argv = ["data", "build", "traffic-synthetic", "--n", "24", "--days", "2", "--seed", "3",
            "--clusters", "9", "--out", str(tmp_path / "c9")]  # fmt: skip
    assert main(argv) == 0
    task = Task.load(tmp_path / "c9")
    nine = task.extra["clusters"]["9"]
    assert task.extra["synthetic"] and task.extra["seed"] == 3 and task.n == 24
    assert task.group.order() == cluster_group(nine).order() and _preserves(task.group, nine)
    # A product of symmetric groups on its orbits: node-only breaking is exact, and its 9 + 81 pair
    # orbits outnumber the 24 sensors, so pairs defaults to "none" (at 207 sensors it stays "orbits").
    assert task.symmetry["pairs"] == "none" and choose_pairs(cluster_group(nine), "full") == "none"
    trivial = ["data", "build", "traffic-synthetic", "--n", "24", "--days", "2", "--group", "trivial(24)",
               "--out", str(tmp_path / "t")]  # fmt: skip
    assert main(trivial) == 0
    assert Task.load(tmp_path / "t").symmetry["pairs"] == "none"  # 576 pair orbits > 24: node-only


@pytest.mark.parametrize(
    "argv,message",
    [
        (["metr-la"], "metr-la needs --source DIR"),
        (["traffic-synthetic", "--source", "x"], "takes no --source"),
        (["traffic-synthetic", "--framework", "dense"], "--framework must be"),
        (["traffic-synthetic", "--days", "0"], "--days and --stride must be >= 1"),
        (["traffic-synthetic", "--pairs", "some"], "--pairs must be orbits, none or auto"),
        (["metr-la", "--source", "/nonexistent/dir"], "does not exist"),
        (["traffic-synthetic", "--n", "24", "--days", "2", "--clusters", "7"], "neither a file nor"),
        (["traffic-synthetic", "--n", "24", "--days", "2", "--framework", "sparse", "--pairs", "none"],
         "cannot carry the sparse framework"),
    ],
)  # fmt: skip
def test_bad_flags_are_one_line_and_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["data", "build", *argv, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_pairs_are_chosen_as_the_model_would_and_can_be_set() -> None:
    assert choose_pairs(PermGroup.parse("trivial(30)"), "full") == "none"
    assert choose_pairs(PermGroup.parse("symmetric(30)"), "full") == "orbits"
    assert choose_pairs(PermGroup.parse("trivial(30)"), "sparse") == "orbits"
    task = traffic_task("traffic-synthetic", num_sensors=20, days=2, group="trivial(20)", pairs="orbits")
    assert task.symmetry["pairs"] == "orbits"  # explicit beats the default


def test_renumbering_sensors_keeps_examples_graph_and_clusters_together() -> None:
    task = traffic_task("traffic-synthetic", num_sensors=24, days=2, clusters="9", framework="sparse")
    perm = np.random.default_rng(0).permutation(task.n)
    moved = permute_sensors(task, perm)
    for column in ("node_features", "labels", "label_mask"):
        assert np.array_equal(_array(moved, "test", column), _array(task, "test", column)[:, perm])
    old_edges = {tuple(e) for e in task.symmetry["edges"]}
    new_edges = {tuple(e) for e in moved.symmetry["edges"]}
    assert {tuple(sorted((int(perm[i]), int(perm[j])))) for i, j in new_edges} == old_edges
    nine = moved.extra["clusters"]["9"]
    assert nine == [task.extra["clusters"]["9"][i] for i in perm] and _preserves(moved.group, nine)
    assert moved.group.order() == task.group.order()
    blocks = permute_sensors(task, np.argsort(task.extra["clusters"]["9"], kind="stable"))
    labels = blocks.extra["clusters"]["9"]
    assert labels == sorted(labels) and node_orbits(blocks.group).tolist() == labels
    same = with_traffic_symmetry(blocks, group=PermGroup.block_product(np.bincount(labels).tolist()))
    assert same.group.order() == task.group.order()


def test_baselines_by_hand() -> None:
    x = np.zeros((2, 3, 6))
    x[0, :, 4] = [1.0, 0.0, 0.0]  # sensor 1: v_t missing, v_{t-1} = 2; sensor 2: nothing observed
    x[0, 1, 2] = 2.0
    x[1, :, 0] = [3.0, 3.0, 3.0]
    assert last_value(x).tolist() == [[1.0, 2.0, 0.0], [3.0, 3.0, 3.0]]
    # Targets of steps 0..3 (t + 1 = 1..4) on a 2-slot day: slots 1, 0, 1, 0; step 1's target masked.
    labels = np.array([[1.0], [5.0], [3.0], [7.0]])
    mask = np.array([[True], [False], [True], [True]])
    ha = historical_average(labels, mask, np.arange(4), np.array([4, 5]), steps_per_day=2)
    assert ha.tolist() == [[2.0], [7.0]]  # slot 1: (1 + 3) / 2; slot 0: 7 (the masked 5 ignored)
    norm = {"mean": 60.0, "std": 10.0}
    pred, true = np.array([[0.1, 0.5, 9.0]]), np.array([[0.0, 0.0, 0.0]])
    valid = np.array([[True, True, False]])  # the 9.0 (90 mph off) is a missing target: ignored
    scores = scores_mph(pred, true, valid, norm)
    assert scores["mae"] == pytest.approx((1 + 5) / 2) and scores["rmse"] == pytest.approx(np.sqrt(13))
    assert scores["mape"] == pytest.approx(100 * (1 / 60 + 5 / 60) / 2)


def test_column_array_reads_equal_shapes_and_declines_ragged() -> None:
    import datasets

    even = datasets.Dataset.from_dict({"x": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]], "m": [[True], [False]]})
    assert column_array(even.with_format("numpy")["x"]).tolist() == [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    assert column_array(even.with_format("numpy")["m"]).dtype == bool
    ragged = datasets.Dataset.from_dict({"x": [[1, 2], [3]]})
    assert column_array(ragged.with_format("numpy")["x"]) is None
    assert column_array(even.select([1]).with_format("numpy")["x"]).tolist() == [[[5, 6], [7, 8]]]
