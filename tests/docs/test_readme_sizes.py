"""The README's "Different sizes" section runs as written: a mixed-length task trained by Trainer, run and
checked at a new length, and the command that builds rows of a range of lengths."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from asen_fm.cli import main as asen
from asen_fm.tasks import Task

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "### Different sizes"


def _section() -> str:
    text = README.read_text()
    start = text.index(HEADING)
    return text[start : text.index("\n##", start + len(HEADING))]


def test_sizes_example_trains_on_mixed_lengths_and_runs_at_32(tmp_path: Path, monkeypatch) -> None:
    code = re.search(r"```python\n(.*?)```", _section(), re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    assert namespace["logits"].shape == (4, 32, 2)
    assert namespace["model"].config.symmetries["palindrome"]["spec"] == "reversal(*)"


def test_sizes_command_builds_a_mixed_length_folder(tmp_path: Path, monkeypatch) -> None:
    command = re.search(r"`(asen data build [^`]*--n 6-14[^`]*)`", _section()).group(1)
    argv = shlex.split(command)[1:] + ["--size", "70"]
    monkeypatch.chdir(tmp_path)
    assert asen(argv) == 0
    task = Task.load(tmp_path / "data" / "pal-mixed")
    assert str(task.family) == "reversal(*)"
    assert {len(row) for row in task.data["train"]["input_ids"]} <= set(range(6, 15))
