"""``Task``: data + card, saved and loaded; every violation named by split, column and row."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import numpy as np
import pytest

from asen_fm.symmetry import PermGroup
from asen_fm.tasks import CARD_FILE, Task, TaskError, load_task

N = 6
RING = [[i, (i + 1) % N] for i in range(N)]


def _points(rows: int, seed: int) -> datasets.Dataset:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, N, 3)).astype(np.float32)
    return datasets.Dataset.from_dict(
        {"node_features": x.tolist(), "labels": (x - x.mean(1, keepdims=True)).tolist()}
    )


def _point_data() -> datasets.DatasetDict:
    return datasets.DatasetDict(train=_points(12, 0), validation=_points(4, 1), test=_points(4, 2))


def _tokens(ids: list[list[int]], labels: list) -> datasets.DatasetDict:
    split = datasets.Dataset.from_dict({"input_ids": ids, "labels": labels})
    return datasets.DatasetDict(train=split, validation=split, test=split)


def test_points_on_a_graph_round_trip(tmp_path: Path) -> None:
    group = PermGroup.from_generators([[1, 2, 3, 4, 5, 0]])
    task = Task.from_dataset(
        _point_data(), group=group, head="node_regression", loss="mse", edges=RING, framework="sparse",
        name="ring", description="centre six points on a ring",
    )  # fmt: skip
    assert task.symmetry == {
        "group": group.to_json(),
        "edges": RING,
        "framework": "sparse",
        "directed": False,
    }
    assert (task.problem_type, task.num_labels, task.input_dim, task.vocab_size) == ("regression", 3, 3, 0)
    assert task.metrics == ("mae", "mse", "mpjpe", "p_mpjpe")
    assert task.task_entry() == {
        "head": "node_regression",
        "num_labels": 3,
        "problem_type": "regression",
        "loss": "mse",
    }
    folder = task.save(tmp_path / "ring")
    assert json.loads((folder / CARD_FILE).read_text()) == task.card()
    back = Task.load(folder)
    assert back.card() == task.card() and back.n == N and back.group.order() == 6
    for split in ("train", "validation", "test"):
        assert back.data[split].data.table.equals(task.data[split].data.table)
    assert not list(tmp_path.glob(".tmp-*"))  # atomic: nothing left beside the folder
    regrouped = back.with_group("trivial")
    assert regrouped.symmetry["group"] == "trivial(6)" and regrouped.symmetry["edges"] == RING


def test_a_hand_written_card_loads(tmp_path: Path) -> None:
    data = _tokens([[0, 1, 2, 3], [3, 2, 1, 0]], [[0, 1, 1, 0], [1, 0, 0, 1]])
    data.save_to_disk(str(tmp_path / "mine"))
    card = {"symmetry": "reversal(4)", "head": "token", "problem_type": "single_label_classification",
            "num_labels": 2, "loss": "ce", "vocab_size": 4}  # fmt: skip
    (tmp_path / "mine" / CARD_FILE).write_text(json.dumps(card))
    task = Task.load(tmp_path / "mine")
    assert task.metrics == ("accuracy", "sequence_accuracy") and task.name == "task" and task.n == 4


def test_inference_of_problem_type_labels_and_vocabulary() -> None:
    task = Task.from_dataset(_tokens([[0, 5, 2], [1, 1, 1]], [2, 0]), group="cyclic(3)", head="sequence")
    assert (task.problem_type, task.num_labels, task.loss, task.vocab_size) == (
        "single_label_classification",
        3,
        "ce",
        6,
    )
    regression = Task.from_dataset(_tokens([[0, 1, 2]] * 2, [0.5, 1.5]), group="cyclic(3)", head="sequence")
    assert (regression.problem_type, regression.loss, regression.metrics) == (
        "regression",
        "l1",
        ("mae", "mse"),
    )


def test_built_in_tasks_are_tasks_too(tmp_path: Path) -> None:
    task = load_task("intersect", size=30)
    assert Task.load(task.save(tmp_path / "i")).card() == task.card()


BAD_TOKENS = [
    (
        lambda: _tokens([[0, 1, 2], [0, 1]], [[0, 0, 0], [0, 0, 0]]),
        {},
        "train: 'input_ids' row 1 has n = 2 nodes but the task's group cyclic(3) has the fixed degree 3",
    ),
    (
        lambda: _tokens([[0, 1], [0, 1]], [[0, 0], [0, 0]]),
        {},
        "train: 'input_ids' rows have shape [2], expected [3]",
    ),
    (
        lambda: _tokens([[0, 1, 2], [0, 1, 2]], [[0, 0, 0], [0, 5, 0]]),
        {"num_labels": 2},
        "train: 'labels' row 1 has value 5, outside 0..num_labels - 1",
    ),
    (
        lambda: _tokens([[0, 1, 2], [0, 9, 2]], [[0, 0, 0]] * 2),
        {"vocab_size": 4},
        "train: 'input_ids' row 1 has value 9, outside 0..vocab_size - 1",
    ),
    (lambda: _tokens([[0, 1, 2]] * 2, [[0, 0, 0]] * 2), {"head": "pooled"}, "head must be one of"),
    (lambda: _tokens([[0, 1, 2]] * 2, [[0, 0, 0]] * 2), {"metrics": ["f1"]}, "unknown metric(s) ['f1']"),
    (
        lambda: _tokens([[0, 1, 2]] * 2, [[0, 0, 0]] * 2),
        {"metrics": ["mae"]},
        "metric 'mae' is for regression",
    ),
    (
        lambda: _tokens([[0, 1, 2]] * 2, [[0, 0, 0]] * 2),
        {"loss": "l1"},
        "loss 'l1' does not fit problem_type",
    ),
    (
        lambda: _tokens([[0, 1, 2]] * 2, [[0, 0, 0]] * 2),
        {"edges": [[0, 3]]},
        "edges[0] = [0, 3] is outside the group's nodes 0..2",
    ),
    (
        lambda: _tokens([[0, 1, 2]] * 2, [[0, 0, 0]] * 2),
        {"edges": [[0, 1]], "framework": "dense"},
        "framework must be one of",
    ),
    (
        lambda: _tokens([[0, 1, 2]] * 2, [0.5, float("nan")]),
        {"head": "sequence"},
        "train: 'labels' row 1 has a NaN",
    ),
    (lambda: _tokens([[0, 1, 2]] * 2, [[0, 0, 0]] * 2), {"group": "dihedral(x)"}, "does not parse"),
]


@pytest.mark.parametrize("make,kwargs,message", BAD_TOKENS)
def test_bad_data_is_named_by_split_column_and_row(make, kwargs, message: str) -> None:
    kwargs = {"group": "cyclic(3)", **kwargs}
    with pytest.raises(TaskError) as err:
        Task.from_dataset(make(), **kwargs)
    assert message in str(err.value)


def test_bad_folders_and_cards(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="has no task_card.json"):
        Task.load(tmp_path)
    task = Task.from_dataset(_tokens([[0, 1, 2]] * 2, [[0, 1, 0]] * 2), group="cyclic(3)")
    folder = task.save(tmp_path / "t")
    card = json.loads((folder / CARD_FILE).read_text())
    (folder / CARD_FILE).write_text(json.dumps({**card, "symmetry": "cyclic(4)"}))
    with pytest.raises(TaskError, match=r"'input_ids' rows have shape \[3\], expected \[4\]"):
        Task.load(folder)
    (folder / CARD_FILE).write_text(json.dumps({**card, "metircs": ["accuracy"]}))
    with pytest.raises(TaskError, match="has the field 'metircs': did you mean 'metrics'"):
        Task.load(folder)
    (folder / CARD_FILE).write_text(json.dumps({**card, "units": "m", "normalization": {"mean": 1.5}}))
    kept = Task.load(folder)  # other fields are the producer's metadata: kept and written back
    assert kept.extra == {"units": "m", "normalization": {"mean": 1.5}} and kept.card()["units"] == "m"
    del card["head"]
    (folder / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(TaskError, match=r"lacks the field\(s\) \['head'\]"):
        Task.load(folder)
    partial = datasets.DatasetDict(train=task.data["train"], test=task.data["test"])
    with pytest.raises(TaskError, match=r"lacks split\(s\) \['validation'\]"):
        Task.from_dataset(partial, group="cyclic(3)")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(TaskError, match="not a task folder; refusing to replace it"):
        task.save(tmp_path / "other")


def test_a_hub_id_reads_the_card_and_the_dataset_through_the_hub_clients(tmp_path: Path, monkeypatch) -> None:
    """The Hub is never reached: its two clients are replaced by local stand-ins recording the calls."""
    import huggingface_hub

    task = Task.from_dataset(_tokens([[0, 1, 2]] * 2, [[0, 1, 0]] * 2), group="cyclic(3)", name="hubbed")
    (tmp_path / CARD_FILE).write_text(json.dumps(task.card()))
    calls = []

    def download(repo_id, filename, repo_type=None, revision=None):
        calls.append((repo_id, filename, repo_type, revision))
        return str(tmp_path / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    monkeypatch.setattr(datasets, "load_dataset", lambda repo_id, revision=None: task.data)
    loaded = Task.load("someone/hubbed", revision="v1")
    assert calls == [("someone/hubbed", CARD_FILE, "dataset", "v1")]
    assert loaded.card() == task.card()
