"""The README's "Choosing a symmetry" commands run as written (seeds, steps and output folders overridden)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from asen_fm.cli import main as asen

README = Path(__file__).resolve().parents[2] / "README.md"


def _section(heading: str) -> str:
    text = README.read_text()
    start = text.index(heading)
    return text[start : text.index("\n## ", start + 1)]


def _commands(section: str) -> list[list[str]]:
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1).replace("\\\n", " ")
    return [shlex.split(line) for line in block.splitlines() if line.startswith("asen select")]


def _override(argv: list[str], **values: str) -> list[str]:
    argv = list(argv)
    for flag, value in values.items():
        if f"--{flag}" in argv:
            argv[argv.index(f"--{flag}") + 1] = value
        else:
            argv += [f"--{flag}", value]
    return argv


def test_choosing_a_symmetry_commands_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    own_data = re.search(r"```python\n(.*?)```", _section("## Your own data"), re.S).group(1)
    exec(compile(own_data, str(README), "exec"), {})  # writes data/ring, the second command's task
    commands = _commands(_section("## Choosing a symmetry"))
    assert [argv[:4] for argv in commands] == [
        ["asen", "select", "--task", "intersect"],
        ["asen", "select", "--task", "data/ring"],
    ]
    for k, argv in enumerate(commands):
        out = tmp_path / f"sel{k}"
        small = _override(argv[1:], seeds="1", max_steps="2", eval_size="40", output_dir=str(out))
        assert asen(small) == 0
        report = json.loads((out / "selection.json").read_text())
        assert report["candidates"][0]["status"] == "best"
        assert (out / "selection.md").is_file() and (out / "selection.png").is_file()
    labels = [
        c["label"] for c in json.loads((tmp_path / "sel0" / "selection.json").read_text())["candidates"]
    ]
    assert sorted(labels) == sorted(
        [
            "trivial(10)",
            "symmetric(10)",
            "card: swap_halves(10)",
            "reversal(10)",
            "cyclic(10)",
            "dihedral(10)",
        ]
    )
