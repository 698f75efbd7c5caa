"""The experiment helpers: settings, flag conversion, run reuse, statistics and tables."""

from __future__ import annotations

import fcntl
import json
import math
import threading

import numpy as np
import pytest
from expkit import paths, runner, settings, stats
from expkit.report import Table


def test_every_experiment_config_has_matching_smoke_and_full() -> None:
    import build_results

    names = [p.stem for p in paths.CONFIG_DIR.glob("*.json") if p.stem != "common"]
    # each experiment config is one that RESULTS.md renders, and the other way round
    assert sorted(names) == sorted(build_results.EXPERIMENTS)
    for name in names:
        for mode in settings.MODES:
            loaded = settings.load_settings(name, mode)
            assert loaded["model"]["hidden_size"] > 0 and loaded["settings"]
            assert (paths.EXPERIMENTS_DIR / f"{name}.py").exists(), name


def test_load_settings_rejects_bad_mode_and_mismatched_sections(tmp_path) -> None:
    (tmp_path / "common.json").write_text(json.dumps({"model": {}, "optimizer": {}, "bookkeeping": {}}))
    (tmp_path / "odd.json").write_text(json.dumps({"smoke": {"a": 1}, "full": {"a": 1, "b": 2}}))
    with pytest.raises(ValueError, match="differing: \\['b'\\]"):
        settings.load_settings("odd", "full", config_dir=tmp_path)
    with pytest.raises(ValueError, match="mode must be one of"):
        settings.load_settings("odd", "fast", config_dir=tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        settings.load_settings("missing", "full", config_dir=tmp_path)


def test_parse_experiment_records_the_command_and_separates_smoke_results(tmp_path) -> None:
    exp = settings.parse_experiment("fig4_discovery", ["--smoke", "--results_dir", str(tmp_path)])
    assert exp.smoke and exp.results_dir == tmp_path / "fig4_discovery" / "smoke"
    assert exp.command.startswith("OMP_NUM_THREADS=1 python benchmarks/experiments/fig4_discovery.py --smoke")
    with pytest.raises(SystemExit):
        settings.parse_experiment("fig4_discovery", [])  # --smoke or --full is required


def test_to_argv_round_trips_through_the_training_flag_parser() -> None:
    from asen_fm.training.scripts import parse_flags

    finetune = runner.load_script("finetune")
    flags = {
        "task": "intersect",
        "max_steps": 7,
        "lr": 0.002,
        "from_scratch": True,
        "backbone_lr_scale": None,
    }
    parsed = parse_flags(finetune.FinetuneConfig, runner.to_argv(flags), "")
    assert (parsed.task, parsed.max_steps, parsed.lr, parsed.from_scratch) == ("intersect", 7, 0.002, True)
    assert parsed.backbone_lr_scale is None


def test_common_flags_keeps_the_shared_value_under_a_none_override() -> None:
    optimizer, bookkeeping = {"lr": 0.002, "batch_size": 64}, {"eval_batch_size": 512, "resume": None}
    flags = runner.common_flags(optimizer, bookkeeping, lr=None, batch_size=32, eval_batch_size=None)
    assert flags == {"lr": 0.002, "batch_size": 32, "eval_batch_size": 512}
    assert runner.common_flags(optimizer, bookkeeping, lr=0.004)["lr"] == 0.004


def test_pretrain_model_flags_maps_config_names_and_rejects_unknown() -> None:
    assert runner.pretrain_model_flags({"num_hidden_layers": 2, "hidden_dropout_prob": 0.0}) == {
        "num_layers": 2,
        "dropout": 0.0,
    }
    with pytest.raises(KeyError, match="share_orbit_bias"):
        runner.pretrain_model_flags({"share_orbit_bias": True})


def test_load_script_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown training script"):
        runner.load_script("evaluate")


def test_train_reuses_a_finished_run_only_with_identical_flags(tmp_path) -> None:
    model = {"vocab_size": 8, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
             "intermediate_size": 16}  # fmt: skip
    flags = runner.from_scratch_flags(
        model, tmp_path, task="intersect", size=40, max_steps=2, batch_size=8, report_to="none",
        save_every=0, mixed_precision="no", warmup_steps=1,
    )  # fmt: skip
    first = runner.train("finetune", flags, tmp_path / "run")
    again = runner.train("finetune", flags, tmp_path / "run")
    assert not first.reused and again.reused
    assert again.payload["final"] == first.payload["final"]
    changed = runner.train("finetune", {**flags, "max_steps": 3}, tmp_path / "run")
    assert not changed.reused and changed.payload["steps"] == 3

    # A run folder another process is training (its lock held) is waited for, then read back, not retrained.
    done = {}
    with open(tmp_path / "run" / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        waiter = threading.Thread(
            target=lambda: done.update(record=runner.train("finetune", flags, tmp_path / "run"))
        )
        waiter.start()
        waiter.join(timeout=1.0)
        assert waiter.is_alive() and not done  # blocked on the lock
        runner._train_locked("finetune", flags, tmp_path / "run")  # "the other process"
    waiter.join(timeout=60)
    assert not waiter.is_alive() and done["record"].reused and done["record"].payload["steps"] == 2

    # Same flags, other code: stale. Retrained by default; read back and marked with --reuse-stale.
    metrics = tmp_path / "run" / "metrics.json"
    saved = json.loads(metrics.read_text())
    assert saved["code"]["source_sha256"] == runner.current_source()
    metrics.write_text(json.dumps({**saved, "code": {**saved["code"], "source_sha256": "older"}}))
    retrained = runner.train("finetune", flags, tmp_path / "run")
    assert not retrained.reused and not retrained.stale
    metrics.write_text(json.dumps({key: value for key, value in saved.items() if key != "code"}))
    try:
        runner.allow_stale_runs(True)
        stale = runner.train("finetune", flags, tmp_path / "run")
    finally:
        runner.allow_stale_runs(False)
    assert stale.reused and stale.stale and stale.payload["stale"] is True


def test_stale_runs_are_marked_in_every_table(tmp_path) -> None:
    from expkit.report import Clock, write_results

    exp = settings.parse_experiment(
        "fig5_multitask", ["--smoke", "--results_dir", str(tmp_path), "--reuse-stale"]
    )
    assert exp.reuse_stale and exp.command.endswith("--reuse-stale")
    runner.allow_stale_runs(False)  # parse_experiment switched it on for this process
    runs = [{"wall_seconds": 1.0, "stale": True}, {"wall_seconds": 2.0}]
    table = Table("t", ["a"], [[1]], note="mean of 3 seeds")
    path = write_results(
        exp, title="x", clock=Clock(), tables=[table], plots=[], findings=[], data={}, runs=runs
    )
    written = json.loads(path.read_text())
    assert written["stale_run_count"] == 1
    assert (
        written["tables"][0]["note"].startswith("STALE: 1 of the 2 runs")
        and "mean of 3 seeds" in written["tables"][0]["note"]
    )
    fresh = write_results(
        exp, title="x", clock=Clock(), tables=[table], plots=[], findings=[], data={}, runs=runs[1:]
    )
    assert json.loads(fresh.read_text())["tables"][0]["note"] == "mean of 3 seeds"


def test_reverse_takes_the_runs_last_first(tmp_path) -> None:
    forward = settings.parse_experiment("fig5_multitask", ["--smoke", "--runs_dir", str(tmp_path)])
    backward = settings.parse_experiment(
        "fig5_multitask", ["--smoke", "--runs_dir", str(tmp_path), "--reverse"]
    )
    assert forward.order([1, 2, 3]) == [1, 2, 3] and backward.order([1, 2, 3]) == [3, 2, 1]
    assert backward.command == forward.command  # the results do not depend on who trained which run


def test_mean_std_is_the_sample_spread() -> None:
    assert stats.mean_std([1.0, 3.0]) == (2.0, pytest.approx(math.sqrt(2.0)))
    assert stats.mean_std([5.0]) == (5.0, 0.0)
    with pytest.raises(ValueError, match="at least one"):
        stats.mean_std([])


def test_mean_curve_averages_pointwise_and_rejects_misaligned_steps() -> None:
    out = stats.mean_curve([([0, 10], [1.0, 3.0]), ([0, 10], [3.0, 5.0])])
    assert out["steps"] == [0, 10] and out["mean"] == [2.0, 4.0]
    assert np.allclose(out["std"], [math.sqrt(2.0)] * 2)
    with pytest.raises(ValueError, match="different steps"):
        stats.mean_curve([([0, 10], [1.0, 3.0]), ([0, 5], [3.0, 5.0])])


def test_metric_lookups_name_what_is_missing() -> None:
    payload = {
        "final": {"t": {"test": {"loss": 0.5}}},
        "eval": [{"step": 0, "task": "t", "split": "validation", "loss": 0.9}],
    }
    assert stats.final_metric(payload, "t", "loss") == 0.5
    assert stats.metric_curve(payload, "t", "loss") == ([0], [0.9])
    with pytest.raises(KeyError, match="has: \\['loss'\\]"):
        stats.final_metric(payload, "t", "accuracy")
    with pytest.raises(KeyError, match="no validation 'mae'"):
        stats.metric_curve(payload, "t", "mae")


def test_format_cell_and_table_rows() -> None:
    assert stats.format_cell(stats.summarize([0.1, 0.3])) == "0.200 ± 0.141 (2)"
    assert stats.format_cell(stats.summarize([0.25])) == "0.250 (1)"
    assert stats.format_cell(None) == "not run"
    table = Table("t", ["a", "b"])
    table.add(1, 2)
    with pytest.raises(ValueError, match="3 cells, header has 2"):
        table.add(1, 2, 3)
