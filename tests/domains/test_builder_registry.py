"""Every registered task builder is listed by `asen data list`, builds a tiny task folder, and loads.

A builder added to ``asen_fm.commands.builders.BUILDERS`` without a tiny recipe here fails
``test_every_builder_has_a_tiny_recipe``: the table and this test grow together.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from asen_fm.cli import main
from asen_fm.commands.builders import BUILDERS
from asen_fm.tasks import TASKS, Task


def _h36m_source(folder: Path) -> None:
    from test_pose_h36m import SUBJECTS, _write

    _write(folder, {subject: 20 for subject in SUBJECTS})


def _dcrnn_source(h5_name: str, key: str, adjacency: str) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        pytest.importorskip("pandas")
        pytest.importorskip("tables")
        from test_traffic_metr_la import _write_dcrnn_folder

        _write_dcrnn_folder(folder, steps=80, h5_name=h5_name, key=key)
        (folder / "adj_mx.pkl").rename(folder / adjacency)

    return write


# builder -> (flags of a tiny build, a source writer or None, whether the flags keep the default n and group)
TINY: dict[str, tuple[list[str], Callable[[Path], None] | None, bool]] = {
    **{name: (["--size", "12"], None, True) for name in TASKS},
    "pose-synthetic": (["--train_size", "8", "--test_size", "4"], None, True),
    "h36m": (["--frame_stride", "3"], _h36m_source, True),
    "metr-la": (["--size", "30"], _dcrnn_source("metr-la.h5", "df", "adj_mx.pkl"), False),
    "pems-bay": (["--size", "30"], _dcrnn_source("pems-bay.h5", "speed", "adj_mx_bay.pkl"), False),
    "traffic-synthetic": (["--n", "18", "--days", "1", "--size", "20"], None, False),
    "digits": (["--param", "train_rows=40"], None, True),
    "pathfinder": (["--param", "resolution=16", "--size", "6"], None, False),
}
INPUT_COLUMNS = {
    "tokens": {"input_ids"},
    "node features": {"node_features"},
    "tokens + node features": {"input_ids", "node_features"},
}


def _exit_status(argv: list[str]) -> int:
    """``asen`` run in-process; a builder refusing its input may return 2 or raise SystemExit(2)."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return int(exit_.code)


def test_every_builder_has_a_tiny_recipe() -> None:
    assert set(BUILDERS) == set(TINY)


def test_the_list_shows_every_builder_with_its_facts(capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:5] == ["task", "domain", "inputs", "n", "group"]
    by_name = {line.split()[0]: line for line in lines[1:]}
    assert set(by_name) == set(BUILDERS)
    for name, builder in BUILDERS.items():
        line = by_name[name]
        for fact in (builder.domain, builder.inputs, f" {builder.n} ", builder.group):
            assert fact in line, (name, fact)
        assert ("[needs --source]" in line) == builder.needs_source, name


@pytest.mark.parametrize("name", sorted(TINY))
def test_each_builder_builds_a_tiny_task_that_loads(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    flags, write_source, default_shape = TINY[name]
    builder = BUILDERS[name]
    if write_source is not None:
        source = tmp_path / "source"
        source.mkdir()
        write_source(source)
        flags = [*flags, "--source", str(source)]
    out = tmp_path / "task"
    assert main(["data", "build", name, *flags, "--out", str(out)]) == 0, capsys.readouterr().err
    task = Task.load(out)
    assert INPUT_COLUMNS[builder.inputs] <= set(task.data["train"].column_names)
    assert all(len(rows) > 0 for rows in task.data.values())
    if default_shape:
        assert task.n == builder.n and str(task.group) == builder.group


@pytest.mark.parametrize("name", sorted(name for name, b in BUILDERS.items() if b.needs_source))
def test_source_builders_refuse_to_run_without_source(name: str, capsys: pytest.CaptureFixture) -> None:
    assert _exit_status(["data", "build", name, "--out", "unused"]) == 2
    err = capsys.readouterr().err
    assert "--source" in err and len(err.strip().splitlines()) == 1


def test_an_unknown_builder_names_every_known_one(capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "build", "nope", "--out", "unused"]) == 2
    err = capsys.readouterr().err
    assert "unknown task 'nope'" in err and len(err.strip().splitlines()) == 1
    assert all(name in err for name in BUILDERS)
