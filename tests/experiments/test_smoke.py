"""Every experiment script end to end in --smoke mode (seconds each): results.json, tables, PNGs."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_smoke(name: str, dirs: tuple[Path, Path]) -> dict:
    """Run ``<name>.py --smoke`` in-process; return its results.json after checking the common schema."""
    runs, results = dirs
    module = importlib.import_module(name)
    module.main(["--smoke", "--runs_dir", str(runs), "--results_dir", str(results)])
    folder = results / name / "smoke"
    result = json.loads((folder / "results.json").read_text())
    assert result["schema"] == "asen-fm/experiment-results/v1" and result["mode"] == "smoke"
    assert result["command"].endswith(f"--results_dir {results}")
    assert result["tables"] and result["findings"] and result["wall_seconds"] > 0
    assert result["run_count"] > 0 and result["run_wall_seconds"] > 0
    from asen_fm.training.outputs import source_digest

    (code,) = result["code"]  # every run of one invocation trained with this checkout's code
    assert code["source_sha256"] == source_digest() and code["runs"] == result["run_count"]
    for table in result["tables"]:
        assert table["rows"] and all(len(row) == len(table["columns"]) for row in table["rows"])
    for plot in result["plots"]:
        assert (folder / plot).read_bytes()[:8] == PNG_MAGIC
    return result


def test_fig3_equivariance_smoke(smoke_dirs) -> None:
    result = run_smoke("fig3_equivariance", smoke_dirs)
    short, long, additions, final = result["tables"]
    assert [row[1] for row in short["rows"]] == [20, 140] and [row[1] for row in long["rows"]] == [140]
    assert short["rows"][0][5] in ("every seed ahead", "every seed behind", "seed ranges overlap")
    assert set(result["data"]) == {
        f"{steps}/cyclic_sum/{g}/{n}/{m}"
        for steps, sizes in ((2, (20, 140)), (3, (140,)))
        for g in ("own", "trivial", "dihedral")
        for n in sizes
        for m in ("sequence_accuracy", "loss")
        if g != "dihedral" or m == "sequence_accuracy"
    } | {"2/cyclic_sum/own+pair_embeddings/20/sequence_accuracy", "cyclic_sum/best_constant"}
    floor = result["data"]["cyclic_sum/best_constant"]
    assert 0 < floor < 0.5 and short["rows"][0][6] == f"{floor:.3f}"
    # the paper's C_n is "own"; D_n and the pair embeddings are additions, each beside C_n on the same seeds
    assert [row[4] for row in additions["rows"]] == [
        "dihedral: dihedral(10)", "dihedral: dihedral(10)", "dihedral: dihedral(10)",
        "own+pair_embeddings: cyclic(10)",
    ]  # fmt: skip
    assert final["title"].endswith("after 3 steps")  # the final table and curves use the longest budget
    assert [row[1] for row in final["rows"]] == ["cyclic(10)", "trivial(10)"]


def test_c4_overconstrained_smoke_fires_the_two_closure_warning(smoke_dirs) -> None:
    result = run_smoke("c4_overconstrained", smoke_dirs)
    warnings = result["data"]["warnings"]
    assert len(warnings["own"]) == 1 and "not 2-closed" in warnings["own"][0] and warnings["trivial"] == []
    assert result["data"]["closure"] == {
        "order": 2520, "closure_order": 5040, "is_two_closed": False, "coloring_equals_symmetric": True,
    }  # fmt: skip
    rows = result["tables"][0]["rows"]
    assert [(row[0], row[1], row[-1]) for row in rows] == [
        ("alternating(7)", 4, "yes"),
        ("trivial(7)", 4, "no"),
    ]


def test_tab5_invariant_smoke_lists_the_paper_and_a_constant_baseline(smoke_dirs) -> None:
    result = run_smoke("tab5_invariant", smoke_dirs)
    short, long = result["tables"][0]["rows"]
    assert short[:4] == ["detect_capital", "1", 128, "4 (2.0)"] and long[:4] == [
        "detect_capital",
        "1",
        128,
        "6 (3.0)",
    ]
    assert short[5] == "0.053" and short[7] == "0.075"  # the paper's 1-unit numbers
    import tab5_invariant

    median = tab5_invariant.median_baseline("detect_capital", 128, 0)
    assert float(short[9]) == pytest.approx(median, abs=5e-4)
    span = tab5_invariant.label_range("detect_capital", 128, 0)
    assert span == 1.0 and float(short[12]) == pytest.approx(median / span, abs=5e-4)  # 0/1 labels: unchanged
    runs = smoke_dirs[0] / "smoke" / "tab5_invariant"
    saved = json.loads((runs / "detect_capital-own-u1-t4-s0" / "metrics.json").read_text())
    assert saved["config"]["train_size"] == 128 and saved["config"]["size"] == 182  # 128 rows after the split
    model = json.loads((runs / "detect_capital-own-u1-t4-s0" / "model" / "config.json").read_text())
    assert (model["hidden_size"], model["num_hidden_layers"]) == (128, 4)  # the paper's size (config "model")


def test_fig6_transfer_smoke(smoke_dirs) -> None:
    result = run_smoke("fig6_transfer", smoke_dirs)
    (row,) = result["tables"][0]["rows"]
    assert row[:3] == ["intersect", 20, "cyclic_sum"] and row[5] in ("pretrained", "scratch", "tie")
    runs = smoke_dirs[0] / "smoke" / "fig6_transfer"
    base = json.loads((runs / "pretrain-without-intersect-s0" / "metrics.json").read_text())
    assert base["tasks"]["cyclic_sum"]["group"] == "cyclic(10)"  # the paper's C_n, not the card's D_n
    assert base["tasks"]["cyclic_sum"]["train_rows"] == 100  # pretrain_rows training rows per task
    pretrained = json.loads((runs / "intersect-pretrained-n20-s0" / "metrics.json").read_text())
    scratch = json.loads((runs / "intersect-scratch-n20-s0" / "metrics.json").read_text())
    full_rate = json.loads((runs / "intersect-pretrained_full_rate-n20-s0" / "metrics.json").read_text())
    assert pretrained["learning_rates"]["backbone"] < scratch["learning_rates"]["backbone"]
    assert full_rate["learning_rates"]["backbone"] == scratch["learning_rates"]["backbone"]
    assert not full_rate["config"]["from_scratch"] and scratch["config"]["from_scratch"]
    assert pretrained["tasks"]["intersect"]["train_rows"] == 20
    # the invariant set also runs the paper's NoSym pretraining: same tasks, every one on the trivial group
    (inv,) = result["tables"][1]["rows"]
    assert (
        inv[:3] == ["detect_capital", 20, "has_palindrome"] and "NoSym" in result["tables"][1]["columns"][7]
    )
    own = json.loads((runs / "pretrain-without-detect_capital-s0" / "metrics.json").read_text())
    nosym = json.loads((runs / "pretrain-without-detect_capital-trivial-s0" / "metrics.json").read_text())
    assert own["tasks"]["has_palindrome"]["group"] == "reversal(8)"
    assert nosym["tasks"]["has_palindrome"]["group"] == "trivial(8)"
    tuned = json.loads((runs / "detect_capital-nosym-n20-s0" / "metrics.json").read_text())
    assert tuned["config"]["model"].endswith("pretrain-without-detect_capital-trivial-s0/model")
    assert tuned["tasks"]["detect_capital"]["group"] != "trivial(8)"  # finetuned with its own group
    assert tuned["learning_rates"]["backbone"] == pretrained["learning_rates"]["backbone"]
    # the paper's invariant setting: ids as one feature (no token embedding), losses on [0, 1] labels
    for run in (
        own,
        nosym,
        tuned,
        json.loads((runs / "detect_capital-scratch-n20-s0" / "metrics.json").read_text()),
    ):
        assert run["config"]["ids_as_features"] is True and run["config"]["unit_labels"] is True
    model = json.loads((runs / "detect_capital-scratch-n20-s0" / "model" / "config.json").read_text())
    assert model["input_dim"] == 1
    assert not pretrained["config"]["ids_as_features"]


def test_fig5_multitask_smoke_gives_each_task_the_same_updates(smoke_dirs) -> None:
    result = run_smoke("fig5_multitask", smoke_dirs)
    assert [row[0] for row in result["tables"][1]["rows"]] == ["cyclic_sum"]
    runs = smoke_dirs[0] / "smoke" / "fig5_multitask"
    multi = json.loads((runs / "multi-r0.5-s0" / "metrics.json").read_text())
    single = json.loads((runs / "intersect-r0.5-s0" / "metrics.json").read_text())
    assert multi["steps"] == 2 * single["steps"] and set(multi["tasks"]) == {"intersect", "cyclic_sum"}
    alone = json.loads((runs / "cyclic_sum-r0.5-s0" / "metrics.json").read_text())
    for run in (multi, alone):  # the paper's C_n in both regimes, not the card's D_n
        assert run["tasks"]["cyclic_sum"]["group"] == "cyclic(10)"
    rows = {
        task: (e["train_rows"], e["validation_rows"], e["test_rows"]) for task, e in multi["tasks"].items()
    }
    assert rows == {"intersect": (35, 14, 14), "cyclic_sum": (35, 14, 14)}  # r x 70 training rows of one unit


def test_fig4_discovery_smoke_and_the_untrained_run_is_the_initialisation(smoke_dirs) -> None:
    result = run_smoke("fig4_discovery", smoke_dirs)
    assert result["data"]["orbit_labels"] == ["(0,0)", "(0,1)", "(0,5)", "(5,0)", "(5,5)", "(5,6)"]
    import fig4_discovery

    runs = smoke_dirs[0] / "smoke" / "fig4_discovery"  # two `asen select` folders, one candidate each
    (untrained,) = (runs / "before").glob("runs/*/seed0/model")
    (trained,) = (runs / "after").glob("runs/*/seed0/model")
    before, _ = fig4_discovery.learned_rows(untrained, fig4_discovery.HEAD)
    after, _ = fig4_discovery.learned_rows(trained, fig4_discovery.HEAD)
    assert json.loads((runs / "after" / "selection.json").read_text())["candidates"][0]["label"] == (
        "block_product(5, 5)"
    )
    assert not np.allclose(before, after)  # training moved the orbit biases
    assert 0.005 < before.std() < 0.05  # the N(0, 0.02^2) initialisation, not a trained table


def test_fig4_partner_map_and_ratio() -> None:
    import fig4_discovery

    ids, labels, partner = fig4_discovery.orbit_layout("block_product(5, 5)")
    assert ids.shape == (10, 10) and len(labels) == 6
    assert (partner[partner] == np.arange(6)).all() and (partner != np.arange(6)).all()  # an involution
    rows = np.random.default_rng(0).normal(size=(6, 8))
    tied = rows.copy()
    tied[partner] = rows  # partners get identical rows
    tied[[0, 1, 2]] = rows[[0, 1, 2]]
    tied[partner[[0, 1, 2]]] = rows[[0, 1, 2]]
    assert fig4_discovery.partner_ratio(fig4_discovery.distances(tied), partner) == pytest.approx(0.0)
    assert fig4_discovery.partner_ratio(fig4_discovery.distances(rows), partner) > 0.3


def test_c4_memorization_bound() -> None:
    """Share of test permutations seen in training, and the cross-entropy of a pure memoriser."""
    import math

    import c4_overconstrained

    tiny = c4_overconstrained.memorization_bound("permutation_sign", 3, 200, 0)  # 3! = 6 perms: all seen
    assert tiny == {"test_seen_in_train": 1.0, "memorizer_cross_entropy": 0.0}
    sparse = c4_overconstrained.memorization_bound("permutation_sign", 7, 200, 0)  # 140 rows of 5040 perms
    assert sparse["test_seen_in_train"] < 0.2
    assert sparse["memorizer_cross_entropy"] == pytest.approx(
        (1 - sparse["test_seen_in_train"]) * math.log(2)
    )
