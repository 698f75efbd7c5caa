"""One training run: ``pretrain/pretrain.py`` or ``finetune/finetune.py`` called in-process with flags.

The experiments never train by themselves: every run goes through the package's scripts (same loop,
evaluation and metrics JSON as a user gets). Calling ``main(argv)`` in-process saves the ~20 s interpreter
start-up per run that a subprocess would cost. A run whose ``metrics.json`` already exists with the same
flags and the same code (``code.source_sha256``: the package and scripts, byte for byte) is read back
instead of retrained, so an interrupted experiment resumes where it stopped. A finished run with the same
flags but other (or unrecorded) code is *stale*: it is retrained, unless the experiment runs with
``--reuse-stale``; then it is read back with ``stale=True`` and the results' tables say so. Each run
holds an exclusive lock on its folder while it trains, so a second process of the same experiment started
with ``--reverse`` shares the work: it waits for a run the first is training and then reads it back.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import sys
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from expkit.paths import REPO

WARNINGS_JSON = "experiment_warnings.json"
SCRIPTS = {"pretrain": "pretrain/pretrain.py", "finetune": "finetune/finetune.py"}
# AsenConfig field -> pretrain.py flag (finetune --from-scratch reads a config folder instead)
PRETRAIN_MODEL_FLAGS = {
    "vocab_size": "vocab_size",
    "hidden_size": "hidden_size",
    "num_hidden_layers": "num_layers",
    "num_attention_heads": "num_heads",
    "intermediate_size": "intermediate_size",
    "hidden_dropout_prob": "dropout",
    "orbit_bias_scale": "orbit_bias_scale",
}


@dataclass
class RunRecord:
    """A finished run: its metrics payload (schema asen-fm/train-metrics/v1), folder and captured warnings."""

    payload: dict[str, Any]
    output_dir: Path
    warnings: list[str] = field(default_factory=list)
    reused: bool = False
    stale: bool = False

    @property
    def model_dir(self) -> Path:
        """The saved ``AsenForMultiTask`` folder."""
        return self.output_dir / "model"


@cache
def load_script(script: str) -> ModuleType:
    """Import ``pretrain`` or ``finetune`` (the script files; their folders are not packages) once."""
    if script not in SCRIPTS:
        raise ValueError(f"unknown training script {script!r}; expected one of {', '.join(SCRIPTS)}")
    path = REPO / SCRIPTS[script]
    spec = importlib.util.spec_from_file_location(f"asen_experiment_{script}", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


def to_argv(flags: dict[str, Any]) -> list[str]:
    """``{"max_steps": 100, "from_scratch": True}`` -> ``["--max_steps", "100", "--from_scratch", "true"]``.

    A None value is left out (the script's default)."""
    argv: list[str] = []
    for key, value in flags.items():
        if isinstance(value, bool):
            argv += [f"--{key}", str(value).lower()]
        elif value is not None:  # None: the script's default
            argv += [f"--{key}", str(value)]
    return argv


def pretrain_model_flags(model: dict[str, Any]) -> dict[str, Any]:
    """AsenConfig sizes as pretrain.py flags; KeyError naming any size pretrain.py cannot set."""
    unknown = sorted(set(model) - set(PRETRAIN_MODEL_FLAGS))
    if unknown:
        raise KeyError(f"pretrain.py has no flag for model setting(s) {unknown}")
    return {PRETRAIN_MODEL_FLAGS[key]: value for key, value in model.items()}


def scratch_config_dir(model: dict[str, Any], root: Path) -> Path:
    """A saved ``AsenConfig`` with these sizes, for ``finetune.py --model DIR --from_scratch``."""
    from asen_fm import AsenConfig

    digest = hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()[:10]
    folder = root / f"config-{digest}"
    if not (folder / "config.json").exists():
        AsenConfig(**model).save_pretrained(folder)
    return folder


# Whether finished runs trained by other code may be reused (``--reuse-stale``); set by ``parse_experiment``.
_REUSE_STALE = {"enabled": False}


def allow_stale_runs(enabled: bool) -> None:
    """Reuse (True) or retrain (False, the default) finished runs whose code differs from this checkout's."""
    _REUSE_STALE["enabled"] = bool(enabled)


@cache
def current_source() -> str:
    """``source_sha256`` of this checkout (computed once per process)."""
    from asen_fm.training.outputs import source_digest

    return source_digest()


def _same_flags(saved: dict[str, Any], flags: dict[str, Any]) -> bool:
    return all(str(saved.get(key)) == str(value) for key, value in flags.items() if key != "output_dir")


def reset_accelerate() -> None:
    from accelerate.state import AcceleratorState, GradientState

    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()


def train(script: str, flags: dict[str, Any], output_dir: Path) -> RunRecord:
    """Run ``script`` with ``flags`` into ``output_dir`` (or reuse a finished run with the same flags).

    The folder's ``.lock`` is held (flock) for the whole call, so two processes never train one run.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    with open(output_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this process dies
        return _train_locked(script, flags, output_dir)


def _train_locked(script: str, flags: dict[str, Any], output_dir: Path) -> RunRecord:
    metrics, caught_file = output_dir / "metrics.json", output_dir / WARNINGS_JSON
    if metrics.exists() and caught_file.exists():
        saved = json.loads(metrics.read_text())
        if _same_flags(saved.get("config", {}), flags):
            same_code = saved.get("code", {}).get("source_sha256") == current_source()
            if same_code or _REUSE_STALE["enabled"]:
                caught = json.loads(caught_file.read_text())
                if not same_code:
                    saved = {**saved, "stale": True}
                return RunRecord(saved, output_dir, caught, reused=True, stale=not same_code)
    module = load_script(script)
    reset_accelerate()
    argv = to_argv({**flags, "output_dir": str(output_dir), "overwrite_output_dir": True})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        payload = module.main(argv)
    reset_accelerate()
    messages = sorted({str(w.message) for w in caught if issubclass(w.category, UserWarning)})
    caught_file.write_text(json.dumps(messages, indent=2) + "\n")  # written last: marks the run complete
    return RunRecord(payload, output_dir, messages)


def common_flags(optimizer: dict[str, Any], bookkeeping: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """Optimizer and bookkeeping flags shared by both scripts, then ``overrides``.

    A None override keeps the shared value (it used to delete it, so the script's own default, e.g.
    finetune.py's lr 0.001, silently replaced the shared lr)."""
    given = {key: value for key, value in overrides.items() if value is not None}
    merged = {**optimizer, **bookkeeping, **given}
    return {key: value for key, value in merged.items() if value is not None}


def from_scratch_flags(model: dict[str, Any], runs_root: Path, **flags: Any) -> dict[str, Any]:
    """finetune.py flags training a fresh model of size ``model``: the paper's single-task baseline."""
    return {"model": str(scratch_config_dir(model, runs_root)), "from_scratch": True, **flags}


def generated_size(train_rows: int) -> int:
    """Examples to generate so that the 70/15/15 split leaves at least ``train_rows`` training rows.

    The paper counts a "unit" in training rows; ``--size`` counts generated examples, so a run keeps
    ``train_size=train_rows`` of ``generated_size(train_rows)`` examples (validation and test are 15 % each).
    """
    from asen_fm.tasks.dataset import split_sizes

    size = max(7, -(-int(train_rows) * 100 // 70))
    while split_sizes(size)["train"] < train_rows:
        size += 1
    while size > 7 and split_sizes(size - 1)["train"] >= train_rows:
        size -= 1
    return size
