"""README "Your own data": its Python block and its two commands run as written (tiny sizes added)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from .conftest import REPO, TINY

SECTION = REPO.joinpath("README.md").read_text().split("## Your own data", 1)[1].split("\n## ", 1)[0]
# appended flags win (HfArgumentParser keeps the last value): small model, few steps, no TensorBoard
FAST = {"pretrain": [*TINY, "--max_steps", "3", "--size", "200"], "finetune": [*TINY[8:], "--max_steps", "3"]}


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", SECTION, flags=re.S)


def test_readme_own_data_section_runs(
    pretrain_script, finetune_script, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (python,) = _blocks("python")
    exec(compile(python, "README.md", "exec"), {})
    assert (tmp_path / "data" / "ring" / "task_card.json").is_file()
    (commands,) = _blocks("bash")
    scripts = {"pretrain/pretrain.py": pretrain_script, "finetune/finetune.py": finetune_script}
    for line in filter(None, (line.strip() for line in commands.splitlines())):
        python_exe, script, *argv = shlex.split(line)
        assert python_exe == "python" and script in scripts, line
        module = scripts[script]
        module.main([*argv, *FAST[Path(script).stem]])
    metrics = json.loads((tmp_path / "runs" / "ring-ft" / "metrics.json").read_text())
    assert set(metrics["final"]["ring2"]["test"]) == {"loss", "mae", "mse", "mpjpe", "p_mpjpe"}
    assert json.loads((tmp_path / "runs" / "ring-pre" / "metrics.json").read_text())["tasks"].keys() == {
        "intersect",
        "ring",
    }
