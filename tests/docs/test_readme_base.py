"""The README's "From the base to your own task" runs as written: the Python block (fewer steps) and the
command-line finetuning from the shipped base (sizes and output folders overridden; later flags win)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
HEADING = "## From the base to your own task"


def _section() -> str:
    text = README.read_text()
    start = text.index(HEADING)
    return text[start : text.index("\n## ", start + len(HEADING))]


def test_python_block_adds_an_adapter_head_and_group_to_the_base_and_learns(tmp_path, monkeypatch) -> None:
    code = re.search(r"```python\n(.*?)```", _section(), re.S).group(1)
    assert "range(100)" in code
    monkeypatch.chdir(REPO)
    code = code.replace('"runs/ring"', repr(str(tmp_path / "ring"))).replace("range(100)", "range(40)")
    torch.manual_seed(0)
    namespace: dict = {}
    first = {}

    original = torch.optim.AdamW.step

    def step(self, *args, **kwargs):  # record the first loss, then step as usual
        first.setdefault("loss", float(namespace["loss"].detach()))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", step)
    exec(compile(code, str(README), "exec"), namespace)
    model = namespace["model"]
    assert model.config.tasks["ring"]["adapter"] == "readings"
    assert {"tokens", "joints2d", "sensors", "pixels", "readings"} <= set(model.config.input_adapters)
    assert float(namespace["loss"]) < 0.7 * first["loss"]
    assert (tmp_path / "ring" / "config.json").is_file()


@pytest.mark.slow
def test_command_line_finetuning_from_the_base(tmp_path) -> None:
    block = re.search(r"```bash\n(.*?)```", _section(), re.S).group(1)
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    build, finetune = commands[0], commands[1]
    data, out = tmp_path / "mine", tmp_path / "run"
    build = shlex.split(build.replace("--size 600", "--size 200").replace("data/mine", str(data)))
    assert build[0] == "asen"
    subprocess.run(
        [sys.executable, "-m", "asen_fm.cli", *build[1:]], check=True, cwd=REPO, capture_output=True
    )
    args = shlex.split(finetune.replace("data/mine", str(data)))
    assert args[0] == "python"
    args = args[1:] + [
        "--max_steps",
        "4",
        "--eval_every",
        "0",
        "--report_to",
        "none",
        "--output_dir",
        str(out),
    ]
    done = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (out / "model" / "config.json").is_file() and (out / "metrics.json").is_file()
