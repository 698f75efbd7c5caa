"""``asen data build|show|list`` through the real CLI entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from asen_fm.cli import main
from asen_fm.tasks import TASKS, Task, load_task


def test_build_writes_a_loadable_task_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "pal"
    argv = ["data", "build", "palindrome", "--n", "9", "--size", "40", "--seed", "5", "--param", "k=4"]
    assert main(argv + ["--group", "trivial", "--out", str(out)]) == 0
    assert "train 28, validation 6, test 6" in capsys.readouterr().out
    loaded = Task.load(out)
    info = loaded.source
    assert (info["task"], info["n"], info["params"]["k"], loaded.symmetry) == (
        "palindrome",
        9,
        4,
        "trivial(9)",
    )
    direct = load_task("palindrome", n=9, size=40, seed=5, k=4)
    for split in direct.data:
        assert loaded.data[split].data.table.equals(direct.data[split].data.table)


def test_show_prints_group_orbits_and_labelled_examples(capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "show", "intersect", "--examples", "3"]) == 0
    out = capsys.readouterr().out
    assert "swap_halves(10)" in out and "order 28800" in out
    # transitive on positions; pairs split into diagonal, same half, opposite halves
    assert "orbits:  1 on positions, 3 on pairs of positions" in out
    assert out.count("->") == 3


def test_show_renders_letters(capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "show", "detect_capital", "--n", "4", "--examples", "2"]) == 0
    out = capsys.readouterr().out
    assert "fix_first(4)" in out and "order 6" in out
    rows = [line.split("->") for line in out.splitlines() if "->" in line]
    assert all(word.strip().isalpha() and len(word.strip()) == 4 for word, _ in rows)


def test_list_names_every_task(capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in TASKS)


@pytest.mark.parametrize(
    "argv,message",
    [
        (["data", "show", "nope"], "unknown task 'nope'"),
        (["data", "show", "intersect", "--n", "7"], "n must be even"),
        (["data", "show", "palindrome", "--param", "q=1"], "no parameter"),
        (["data", "build", "cyclic_sum", "--n", "4", "--out", "unused"], "n >= 5"),
    ],
)
def test_bad_arguments_exit_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_malformed_param_is_a_usage_error(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["data", "show", "palindrome", "--param", "k"])
    assert exc.value.code == 2
    assert "KEY=INT" in capsys.readouterr().err


def test_show_reads_and_checks_a_task_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "build", "intersect", "--size", "30", "--out", str(tmp_path / "i")]) == 0
    capsys.readouterr()
    assert main(["data", "show", str(tmp_path / "i"), "--examples", "2"]) == 0
    out = capsys.readouterr().out
    assert "swap_halves(10)   order 28800" in out and "train 22, validation 4, test 4" in out
    assert "metrics: accuracy, sequence_accuracy" in out and out.count("'labels'") == 2
    card = tmp_path / "i" / "task_card.json"
    card.write_text(card.read_text().replace('"swap_halves(10)"', '"swap_halves(8)"'))
    assert main(["data", "show", str(tmp_path / "i")]) == 2
    assert "'input_ids' rows have shape [10], expected [8]" in capsys.readouterr().err
