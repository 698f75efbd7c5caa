"""The Tab. 2 traffic experiment end to end in --smoke mode (seconds): tables, baselines, pairs, plots."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_tab2_traffic_smoke(tmp_path: Path) -> None:
    module = importlib.import_module("tab2_traffic")
    module.main(["--smoke", "--runs_dir", str(tmp_path / "runs"), "--results_dir", str(tmp_path / "res")])
    folder = tmp_path / "res" / "tab2_traffic" / "smoke"
    result = json.loads((folder / "results.json").read_text())
    assert result["schema"] == "asen-fm/experiment-results/v1" and result["run_count"] == 3
    table, speed = result["tables"]
    rows = {row[0]: row for row in table["rows"]}
    assert list(rows) == ["Sn-sparse", "C9-full", "trivial-full", "last value", "historical average"]
    assert [rows[name][3] for name in ("Sn-sparse", "C9-full", "trivial-full")] == [
        "orbits",
        "orbits",
        "none",
    ]
    assert rows["Sn-sparse"][1] == "symmetric(24)" and rows["C9-full"][1].startswith("block_product(")
    assert rows["C9-full"][7] == "2.79" and rows["trivial-full"][7] == "-"
    for name in ("last value", "historical average"):
        mae, rmse, mape = (float(v) for v in rows[name][4:7])
        assert 0 < mae <= rmse and 0 < mape < 100
    data = result["data"]
    assert all(data[name]["mae"]["n"] == 1 and data[name]["mae"]["mean"] > 0 for name in rows if "-" in name)
    assert len(data["C9-full"]["warnings"]) == 0 and any(
        "preserve the graph" in w for w in data["Sn-sparse"]["warnings"]
    )
    assert [row[0] for row in speed["rows"]] == ["Sn-sparse", "C9-full", "trivial-full"]
    assert all(
        float(row[1]) > 0 and np.isclose(float(row[2]), 32 * float(row[1]), rtol=0.01)
        for row in speed["rows"]
    )
    assert (folder / "train_loss.png").read_bytes()[:8] == PNG_MAGIC
    # every run recorded the code that trained it
    for run in (tmp_path / "runs" / "smoke" / "tab2_traffic").glob("*-s0/metrics.json"):
        assert json.loads(run.read_text())["code"]["source_sha256"]
