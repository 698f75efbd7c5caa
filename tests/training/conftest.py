"""Shared fixtures: the two training scripts loaded as modules, tiny-model flags, a clean Accelerate state."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from accelerate.state import AcceleratorState, GradientState

REPO = Path(__file__).resolve().parents[2]

# hidden 32, 2 layers, batch 16: a run of a few dozen steps takes about a second on one core
TINY = [
    "--hidden_size", "32", "--num_layers", "2", "--num_heads", "4", "--intermediate_size", "64",
    "--batch_size", "16", "--warmup_steps", "3", "--report_to", "none", "--eval_batch_size", "128",
]  # fmt: skip


def load_script(relative: str) -> ModuleType:
    """Import a script such as ``pretrain/pretrain.py`` as a module (the folders are not packages)."""
    path = REPO / relative
    name = f"{path.stem}_under_test"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve string annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def refused(script: ModuleType, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``script.main(argv)``, expecting the one-line refusal: exit status 2, one stderr line, returned."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        script.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "error:" in lines[0] and "--help" in lines[0], err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(autouse=True)
def fresh_accelerate_state():
    """Each in-process run builds its own Accelerator: clear Accelerate's process-wide singletons."""
    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()
    yield
    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()


@pytest.fixture(scope="module")
def pretrain_script() -> ModuleType:
    return load_script("pretrain/pretrain.py")


@pytest.fixture(scope="module")
def finetune_script() -> ModuleType:
    return load_script("finetune/finetune.py")
