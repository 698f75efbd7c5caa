"""``asen select`` end to end: a planted symmetry is found; runs resume, skip, refuse; bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from planted import TINY, saved_planted_task

from asen_fm.cli import main as asen
from asen_fm.selection import SelectionError, plan_selection, select
from asen_fm.selection.runs import RUN_FILE


@pytest.fixture(scope="module")
def task_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return saved_planted_task(tmp_path_factory.mktemp("planted") / "task", rows=(100, 200, 200))


@pytest.mark.slow
def test_planted_cyclic_symmetry_is_ranked_above_trivial(task_dir: str, tmp_path: Path) -> None:
    result = select(
        task_dir, "auto", seeds=2, output_dir=tmp_path / "sel", max_steps=120, verbose=False, **TINY
    )
    labels = [row.candidate.label for row in result.rows]
    assert set(labels) == {"trivial(8)", "symmetric(8)", "reversal(8)", "cyclic(8)", "dihedral(8)"}
    assert result.plan.metric == "mae" and not result.plan.higher_is_better
    rank = {label: k for k, label in enumerate(labels)}
    assert min(rank["cyclic(8)"], rank["dihedral(8)"]) < rank["trivial(8)"]
    assert labels[0] != "symmetric(8)"
    report = json.loads((tmp_path / "sel" / "selection.json").read_text())
    assert [c["label"] for c in report["candidates"]] == labels
    assert report["test"]["name"].startswith("two-sided paired t-test")
    assert (
        report["candidates"][0]["status"] == "best" and report["candidates"][1]["versus_best"]["seeds"] == 2
    )
    text = (tmp_path / "sel" / "selection.md").read_text()
    assert "**Verdict.**" in text and "paired t-test" in text and "2-closed" in text
    assert (tmp_path / "sel" / "selection.png").stat().st_size > 1000


def _tiny(task_dir: str, out: Path, seeds: int = 2, **overrides):
    settings = {**TINY, "max_steps": 3, "eval_size": 20, **overrides}
    return select(task_dir, "trivial; cyclic", seeds=seeds, output_dir=out, verbose=False, **settings)


def _exit_code(argv: list[str]) -> int:
    """``asen`` as the shell sees it: its return value, or the status it exits with (argparse errors)."""
    try:
        return asen(argv)
    except SystemExit as exit_:
        return int(exit_.code)


def _records(out: Path) -> dict[str, dict]:
    return {str(p.parent): json.loads(p.read_text()) for p in sorted(out.glob(f"runs/*/seed*/{RUN_FILE}"))}


def test_rerun_skips_finished_runs_and_retrains_interrupted_ones(task_dir: str, tmp_path: Path) -> None:
    out = tmp_path / "sel"
    first = _tiny(task_dir, out)
    assert (first.trained, first.reused) == (4, 0)
    before = _records(out)
    again = _tiny(task_dir, out)
    assert (again.trained, again.reused) == (0, 4) and _records(out) == before
    assert [r.validation for r in again.rows] == [r.validation for r in first.rows]
    # a run interrupted before its run.json was written (Ctrl-C) is trained again, alone
    interrupted = next(iter(before))
    (Path(interrupted) / RUN_FILE).unlink()
    third = _tiny(task_dir, out)
    assert (third.trained, third.reused) == (1, 3)
    # more seeds: only the new ones train
    assert _tiny(task_dir, out, seeds=3).trained == 2


def test_stale_runs_are_refused_unless_told(task_dir: str, tmp_path: Path) -> None:
    out = tmp_path / "sel"
    _tiny(task_dir, out)
    marker = next(out.glob(f"runs/*/seed0/{RUN_FILE}"))
    record = json.loads(marker.read_text())
    record["code"]["source_sha256"] = "0" * 64  # trained by other code
    marker.write_text(json.dumps(record))
    with pytest.raises(SelectionError, match="1 finished run.* other code.*--rerun_stale"):
        _tiny(task_dir, out)
    reused = _tiny(task_dir, out, reuse_stale=True)
    assert reused.trained == 0 and sum(row.stale_runs for row in reused.rows) == 1
    assert "stale run" in (out / "selection.md").read_text()
    assert _tiny(task_dir, out, rerun_stale=True).trained == 1
    assert _tiny(task_dir, out).trained == 0


@pytest.mark.slow
def test_jobs_train_in_parallel_processes(task_dir: str, tmp_path: Path) -> None:
    serial = _tiny(task_dir, tmp_path / "serial", seeds=1)
    parallel = _tiny(task_dir, tmp_path / "parallel", seeds=1, jobs=2)
    assert parallel.trained == 2
    # same seeds, same runs
    assert [r.validation for r in parallel.rows] == [r.validation for r in serial.rows]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--candidates", "trivial; reversal(12)"],
         "candidate 2 'reversal(12)' acts on 12 points but the task has n = 8"),
        (["--candidates", "trivial; reversal(8"], "does not parse"),
        (["--candidates", "cyclic(8); trivial; cyclic"], "duplicate candidates"),
        (["--candidates", "trivial", "--seeds", "0"], "--seeds must be >= 1, got 0"),
        (["--candidates", "trivial", "--seeds", "x"], "invalid int value"),
        (["--candidates", "trivial", "--metric", "accuracy"], "--metric 'accuracy' is not one of"),
        (["--candidates", "trivial", "--jobs", "0"], "--jobs must be >= 1"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2_nothing_trained(
    task_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture, args: list[str], message: str
) -> None:
    out = tmp_path / "sel"
    assert _exit_code(["select", "--task", task_dir, "--output_dir", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith("asen select: error:")
    assert not out.exists()


def test_output_dir_with_another_selection_is_refused(
    task_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "sel"
    _tiny(task_dir, out)
    before = _records(out)
    capsys.readouterr()  # the first selection's progress bars
    flags = ["--hidden_size", "32", "--num_layers", "1", "--num_heads", "4", "--intermediate_size", "64"]
    code = _exit_code(["select", "--task", task_dir, "--candidates", "trivial", "--output_dir", str(out),
                 "--max_steps", "5", *flags])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "holds a selection with other flags" in err and "--max_steps 3 -> 5" in err
    assert _records(out) == before
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(SelectionError, match="not empty and holds no selection"):
        plan_selection(task_dir, "trivial", output_dir=tmp_path / "other")


def test_per_seed_data_and_vocabulary(task_dir: str, tmp_path: Path) -> None:
    with pytest.raises(SelectionError, match="--vary_data_seed draws a built-in task's data"):
        plan_selection(task_dir, "trivial", output_dir=tmp_path / "a", vary_data_seed=True)
    result = select(
        "intersect", "swap_halves", seeds=2, output_dir=tmp_path / "b", verbose=False, size=100,
        vary_data_seed=True, vocab_size=52, **{**TINY, "max_steps": 2, "eval_size": 10},
    )  # fmt: skip
    payloads = result.run_payloads(result.best)
    assert [p["config"]["selection"]["vocab_size"] for p in payloads] == [52, 52]
    # seed s trains on the data drawn with data seed s: the two runs saw different rows
    from asen_fm.selection.runs import load_selection_task

    first, second = (load_selection_task("intersect", 0, 100, seed, 0) for seed in (0, 1))
    assert first.data["train"]["input_ids"] != second.data["train"]["input_ids"]
    assert result.plan.flags.data_seed_of(1) == 1
    from asen_fm import AsenForMultiTask

    model = AsenForMultiTask.from_pretrained(result.run_folders(result.best)[1] / "model")
    assert model.config.vocab_size == 52


def test_finetuning_a_pretrained_model_gives_each_candidate_a_fresh_embedder(
    task_dir: str, tmp_path: Path
) -> None:
    import torch

    from asen_fm import AsenConfig, AsenForMultiTask

    pretrained = AsenForMultiTask(AsenConfig(vocab_size=3, hidden_size=32, num_hidden_layers=1,
                                             num_attention_heads=4, intermediate_size=64))  # fmt: skip
    pretrained.add_task("select", "trivial(8)", head="sequence", num_labels=1, problem_type="regression")
    pretrained.save_pretrained(tmp_path / "pre")
    result = select(
        task_dir, "trivial; cyclic", seeds=1, output_dir=tmp_path / "sel", verbose=False,
        model=str(tmp_path / "pre"), max_steps=2, eval_size=10, batch_size=8, lr=1e-3, warmup_steps=1,
        mixed_precision="no",
    )  # fmt: skip
    assert result.plan.flags.backbone_scale() == 0.1
    for row in result.rows:
        (payload,) = result.run_payloads(row)
        rates = payload["learning_rates"]
        assert rates["backbone"] == pytest.approx(0.1 * rates["symmetry"])  # the lowered backbone rate
        (folder,) = result.run_folders(row)
        tuned = AsenForMultiTask.from_pretrained(folder / "model")
        # the pretrained "select" task is kept; the candidate got its own symmetry and head beside it
        assert set(tuned.config.tasks) == {"select", "select_1"}
        assert tuned.config.symmetries["select_1"]["spec"] == row.candidate.label
        name = "asen.backbone.layers.0.attention.qkv.weight"
        old, new = dict(pretrained.named_parameters())[name], dict(tuned.named_parameters())[name]
        assert not torch.equal(old, new)  # the backbone trained, at its lowered rate
