"""Crash-safe folders: a failed or killed save never hides or damages the previous checkpoint."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import asen_fm.training.outputs as checkpoint_module
from asen_fm import AsenConfig, AsenForMultiTask
from asen_fm.training.outputs import (
    checkpoint_dir,
    latest_checkpoint,
    list_checkpoints,
    resolve_resume,
    save_pretrained_atomically,
    step_of,
    write_dir_atomically,
)

CHECKPOINT_PY = Path(checkpoint_module.__file__)


def _write_file(name: str, text: str):
    def write(folder: Path) -> None:
        (folder / name).write_text(text)

    return write


def test_atomic_write_replaces_an_existing_folder(tmp_path: Path) -> None:
    target = tmp_path / "out"
    write_dir_atomically(target, _write_file("a.txt", "one"))
    write_dir_atomically(target, _write_file("b.txt", "two"))
    assert sorted(p.name for p in target.iterdir()) == ["COMPLETE", "b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary or set-aside folders left


def test_failing_writer_keeps_the_old_folder_and_cleans_up(tmp_path: Path) -> None:
    target = checkpoint_dir(tmp_path, 5)
    write_dir_atomically(target, _write_file("w.txt", "good"))

    def broken(folder: Path) -> None:
        (folder / "w.txt").write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_dir_atomically(target, broken)
    assert (target / "w.txt").read_text() == "good"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_failed_rename_puts_the_previous_version_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    write_dir_atomically(target, _write_file("w.txt", "good"))
    real_replace, calls = os.replace, []

    def replace_failing_second(source, destination) -> None:
        calls.append(source)
        if len(calls) == 2:  # the first call moved the old folder aside; the new one fails to move in
            raise OSError("rename failed")
        real_replace(source, destination)

    monkeypatch.setattr(checkpoint_module.os, "replace", replace_failing_second)
    with pytest.raises(OSError, match="rename failed"):
        write_dir_atomically(target, _write_file("w.txt", "new"))
    monkeypatch.undo()
    assert (target / "w.txt").read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_killed_save_leaves_the_previous_checkpoint_loadable(tmp_path: Path) -> None:
    config = AsenConfig(
        vocab_size=7, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32
    )
    model = AsenForMultiTask(config)
    model.add_task("a", "reversal(6)")
    first = write_dir_atomically(checkpoint_dir(tmp_path, 1), model.save_pretrained)
    # A second save is SIGKILLed half way: files copied, weights truncated, then the process dies before the
    # rename. The child loads only outputs.py (no asen_fm package import).
    script = textwrap.dedent(
        f"""
        import importlib.util, os, shutil, signal
        from pathlib import Path
        spec = importlib.util.spec_from_file_location("checkpoint", {str(CHECKPOINT_PY)!r})
        checkpoint = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(checkpoint)
        def write(folder):
            for item in Path({str(first)!r}).iterdir():
                shutil.copy(item, folder / item.name)
            (folder / "model.safetensors").write_bytes(b"truncated")
            os.kill(os.getpid(), signal.SIGKILL)
        checkpoint.write_dir_atomically(checkpoint.checkpoint_dir({str(tmp_path)!r}, 2), write)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    leftovers = [p.name for p in (tmp_path / "checkpoints").iterdir()]
    assert any(name.startswith(".tmp-step_00000002") for name in leftovers)  # the partial save exists ...
    assert list_checkpoints(tmp_path) == [(1, first)]  # ... but is never offered for resuming
    assert latest_checkpoint(tmp_path) == first
    reloaded = AsenForMultiTask.from_pretrained(first)
    for (name, p), (_, q) in zip(model.named_parameters(), reloaded.named_parameters(), strict=True):
        assert torch.equal(p, q), name


def test_save_pretrained_atomically_appends_the_training_card(tmp_path: Path) -> None:
    config = AsenConfig(
        vocab_size=7, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32
    )
    model = AsenForMultiTask(config)
    model.add_task("a", "reversal(6)")
    folder = save_pretrained_atomically(model, tmp_path / "model", append_card="## Training\n\nnotes\n")
    assert (folder / "README.md").read_text().endswith("## Training\n\nnotes\n")
    assert not (folder / "COMPLETE").exists()
    assert AsenForMultiTask.from_pretrained(folder).config.tasks == model.config.tasks


def test_resume_resolution(tmp_path: Path) -> None:
    assert resolve_resume("", tmp_path) is None
    with pytest.raises(FileNotFoundError, match="no complete checkpoint"):
        resolve_resume("latest", tmp_path)
    for step in (3, 12):
        write_dir_atomically(checkpoint_dir(tmp_path, step), _write_file("x", "x"))
    (tmp_path / "checkpoints" / "step_00000099").mkdir()  # no COMPLETE marker: ignored
    assert resolve_resume("latest", tmp_path) == checkpoint_dir(tmp_path, 12)
    assert step_of(resolve_resume(str(checkpoint_dir(tmp_path, 3)), tmp_path)) == 3
    with pytest.raises(FileNotFoundError, match="not a complete checkpoint"):
        resolve_resume(str(tmp_path / "checkpoints" / "step_00000099"), tmp_path)
    with pytest.raises(ValueError, match="step_<8 digits>"):
        step_of(tmp_path / "elsewhere")
