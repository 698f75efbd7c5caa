"""One backbone across domains: pretrain on token sequences of two lengths, 2-D joints and pixels, reload
by remote code where asen_fm is absent, finetune there on a fifth task with a new adapter and a new group;
the same pretraining as 2 DDP processes on CPU."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch

from asen_fm import AsenForMultiTask
from asen_fm.tasks import Task, load_task

from .conftest import REPO, TINY

FRESH = Path(__file__).with_name("fresh_finetune.py")
ADAPTERS = ["--adapters", "joints=joints2d; pixels=pixels", "--standardize_features", "true"]
BALANCE = ["--loss_normalisation", "baseline", "--task_weighting", "temperature"]


def _splits(columns: dict[str, np.ndarray], features: dict[str, datasets.features.FeatureType]):
    rows = len(next(iter(columns.values())))
    cut = {
        "train": (0, rows * 6 // 10),
        "validation": (rows * 6 // 10, rows * 8 // 10),
        "test": (rows * 8 // 10, rows),
    }
    schema = datasets.Features(features)
    return datasets.DatasetDict(
        {
            split: datasets.Dataset.from_dict(
                {k: v[a:b].tolist() for k, v in columns.items()}, features=schema
            )
            for split, (a, b) in cut.items()
        }
    )


def _joints(folder: Path, rows: int = 120) -> Path:
    """16 joints, 2-D inputs far from 0 and 1 in scale (standardisation matters) -> 3-D targets."""
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 40.0, (rows, 16, 2)).astype(np.float32)
    y = np.concatenate([x / 40.0, (x[..., :1] * x[..., 1:]) / 1600.0], axis=-1).astype(np.float32)
    floats = datasets.Sequence(datasets.Sequence(datasets.Value("float32")))
    data = _splits({"node_features": x, "labels": y}, {"node_features": floats, "labels": floats})
    task = Task.from_dataset(data, group="swap_halves(16)", head="node_regression", name="joints", loss="mse")
    return task.save(folder)


def _pixels(folder: Path, rows: int = 120) -> Path:
    """8 x 8 intensities in [0, 1]; the label says whether the image is bright on average."""
    rng = np.random.default_rng(1)
    x = rng.random((rows, 8, 8, 1)).astype(np.float32) ** rng.uniform(0.5, 2.0, (rows, 1, 1, 1))
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype(np.int64)
    image = datasets.Array3D(shape=(8, 8, 1), dtype="float32")
    data = _splits(
        {"node_features": x, "labels": y}, {"node_features": image, "labels": datasets.Value("int64")}
    )
    task = Task.from_dataset(data, group="grid(8, 8, d4)", head="sequence", name="pixels")
    return task.save(folder)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[str]:
    root = tmp_path_factory.mktemp("corpus")
    short = load_task("palindrome", n=7, size=120).save(root / "pal7")
    tasks = f"intersect,pal7={short},joints={_joints(root / 'joints')},pixels={_pixels(root / 'pixels')}"
    return [*TINY, "--tasks", tasks, "--n", "8", "--size", "120", *ADAPTERS, *BALANCE]


def _site_without_asen_fm(folder: Path) -> str:
    """A PYTHONPATH folder linking every site-packages entry except asen_fm."""
    folder.mkdir()
    for site in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        for entry in Path(site).iterdir():
            lowered = entry.name.lower()
            if lowered.startswith(("asen_fm", "asen-fm", "__editable__")) or entry.suffix == ".pth":
                continue
            if not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    return str(folder)


def test_cross_domain_pretraining_then_remote_code_finetuning_on_a_new_adapter_and_group(
    pretrain_script, corpus: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "pt"
    payload = pretrain_script.main(
        [*corpus, "--max_steps", "16", "--eval_every", "8", "--output_dir", str(out)]
    )
    model = AsenForMultiTask.from_pretrained(out / "model").eval()
    adapters = model.config.input_adapters
    assert adapters["joints2d"]["width"] == 2 and adapters["pixels"]["width"] == 1
    assert abs(adapters["joints2d"]["std"][0] - 40.0) < 8.0  # the stored standardisation of the joints
    assert adapters["tokens"]["kind"] == "tokens"
    assert {t: model.config.tasks[t].get("adapter") for t in ("intersect", "pal7", "joints", "pixels")} == {
        "intersect": "tokens", "pal7": "tokens", "joints": "joints2d", "pixels": "pixels",
    }  # fmt: skip
    degrees = {t: e["n"] for t, e in payload["tasks"].items()}
    assert degrees == {"intersect": 8, "pal7": 7, "joints": 16, "pixels": 64}
    metrics = json.loads((out / "metrics.json").read_text())
    assert {row["task"] for row in metrics["eval"] if row["step"] == 8} == set(degrees)  # per-task metrics
    assert set(metrics["final"]) == set(degrees)

    inputs = {
        "intersect": {"input_ids": torch.randint(0, 3, (2, 8))},
        "pal7": {"input_ids": torch.randint(0, 3, (2, 7))},
        "joints": {"node_features": torch.randn(2, 16, 2) * 40},
        "pixels": {"node_features": torch.rand(2, 8, 8, 1)},
    }
    with torch.no_grad():
        expected = {task: model(**given, task=task).logits for task, given in inputs.items()}
    torch.save({"inputs": inputs}, tmp_path / "jobs.pt")
    work = tmp_path / "fresh"
    work.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""), "PYTHONPATH": _site_without_asen_fm(tmp_path / "site"),
        "HF_HOME": str(tmp_path / "hf_home"), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
    }  # fmt: skip
    command = [sys.executable, "-S", str(FRESH), str(out / "model"), str(tmp_path / "jobs.pt")]
    command += [str(tmp_path / "results.pt"), str(tmp_path / "tuned")]
    run = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results = torch.load(tmp_path / "results.pt")
    assert "No module named 'asen_fm'" in results["asen_fm_import_error"]
    assert results["module"].startswith("transformers_modules") and results["backbone_class"] == "AsenModel"
    for task, logits in expected.items():
        torch.testing.assert_close(results["logits"][task], logits, rtol=1e-5, atol=1e-6)
    losses = results["losses"]
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])  # the new adapter, group and head learn
    torch.testing.assert_close(results["reloaded"], results["tuned"])
    assert results["adapters"]["speeds"] == {"kind": "features", "width": 3}
    assert set(results["adapters"]) == {"tokens", "joints2d", "pixels", "speeds"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_cross_domain_pretraining_as_two_cpu_processes(corpus: list[str], tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        "--main_process_port", str(_free_port()), str(REPO / "pretrain" / "pretrain.py"), *corpus,
        "--batch_size", "8", "--max_steps", "12", "--eval_batch_size", "16", "--dump_checksums",
        "--output_dir", str(out),
    ]  # fmt: skip
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["world_size"] == 2
    assert {row["task"] for row in metrics["train"]} == {"intersect", "pal7", "joints", "pixels"}
    checksums = [json.loads((out / "checksums" / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert checksums[0]["sha256"] == checksums[1]["sha256"]  # one backbone, kept identical by DDP
