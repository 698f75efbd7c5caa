"""The scripts as a user runs them: a bad command line is one stderr line, exit 2, no traceback, no files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import REPO


def _run(script: str, *argv: str, hub_offline: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    if hub_offline:
        env["HF_HUB_OFFLINE"] = "1"  # a Hub id is tried offline: refused at once, never reached
    command = [sys.executable, str(REPO / script), *argv]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_bad_task_and_hub_id_are_one_line_exit_2_and_write_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    for tasks, expected in (
        ("intersect,nope", "'nope' is not a built-in task"),
        ("intersect,someone/no-such-task", "someone/no-such-task: no local folder"),
    ):
        done = _run("pretrain/pretrain.py", "--tasks", tasks, "--output_dir", str(out))
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1, done.stderr
        assert lines[0].startswith("pretrain.py: error: ") and expected in lines[0]
        assert lines[0].endswith("(see pretrain.py --help)") and "Traceback" not in done.stderr
        assert not out.exists() and done.stdout == ""


def test_help_says_what_each_flag_does() -> None:
    done = _run("finetune/finetune.py", "--help")
    assert done.returncode == 0
    for text in ("[NAME=]SOURCE", "run folder", "optimizer steps", "--overwrite_output_dir", "--resume"):
        assert text in done.stdout, text
