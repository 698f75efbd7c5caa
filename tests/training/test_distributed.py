"""pretrain/pretrain.py as 2 DDP processes on CPU (gloo) through ``accelerate launch``.

``accelerate launch --cpu --num_processes 2`` would quietly start a single process; ``--multi_gpu`` with
``ACCELERATE_USE_CPU=1`` starts two CPU workers that talk over gloo.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from accelerate import Accelerator

from asen_fm import AsenForMultiTask
from asen_fm.tasks import Task, load_task
from asen_fm.training.data import task_tensors
from asen_fm.training.evaluation import eval_loader, evaluate

from .conftest import REPO, TINY
from .test_own_data import make_task


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_two_cpu_processes_stay_in_sync(tmp_path: Path) -> None:
    """Two built-in token tasks plus a task folder of one's own (node features, vector targets)."""
    out = tmp_path / "ddp"
    folder = make_task(tmp_path / "ring", graph=True)
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        "--main_process_port", str(_free_port()),
        str(REPO / "pretrain" / "pretrain.py"), *TINY, "--tasks", f"intersect,cyclic_sum,ring={folder}",
        "--size", "300",
        "--batch_size", "8", "--grad_accum", "2", "--max_steps", "24", "--lr", "3e-3", "--eval_every", "12",
        "--eval_batch_size", "8", "--save_every", "12", "--dump_checksums", "--output_dir", str(out),
    ]  # fmt: skip
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["world_size"] == 2
    assert metrics["examples_seen"] == 24 * 2 * 8 * 2  # per step: 2 micro-batches of 8 rows on each rank
    checksums = [json.loads((out / "checksums" / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [c["world_size"] for c in checksums] == [2, 2]
    assert checksums[0]["sha256"] == checksums[1]["sha256"]  # DDP kept the replicas identical

    def validation_loss(step: int) -> float:
        rows = [r for r in metrics["eval"] if r["step"] == step and r["split"] == "validation"]
        assert len(rows) == 3
        return sum(r["loss"] for r in rows) / len(rows)

    assert validation_loss(24) < validation_loss(0)
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step_00000012", "step_00000024"]
    assert {p.name for p in (out / "checkpoints" / "step_00000024").glob("random_states_*.pkl")} == {
        "random_states_0.pkl",
        "random_states_1.pkl",
    }

    # The saved model loads, and scoring it in one process reproduces the metrics gathered over two ranks
    # (45 validation rows in batches of 8 per rank: gather_for_metrics must drop the padding duplicates).
    model = AsenForMultiTask.from_pretrained(out / "model")
    accelerator = Accelerator(cpu=True)
    for task in ("intersect", "cyclic_sum", "ring"):
        loaded = Task.load(folder) if task == "ring" else load_task(task, n=10, size=300, seed=0)
        data = task_tensors(loaded, task)
        loader = accelerator.prepare(eval_loader(data, "validation", batch_size=8))
        single = evaluate(accelerator, model, task, loader, data.task.metrics)
        assert single == pytest.approx(metrics["final"][task]["validation"], abs=1e-5)
