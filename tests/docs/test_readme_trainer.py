"""The README's Trainer example (graphs, padding, two symmetries in one batch) runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _block_after(heading: str) -> str:
    text = README.read_text()
    section = text[text.index(heading) :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_trainer_example_trains_a_two_symmetry_model(tmp_path: Path, monkeypatch) -> None:
    code = _block_after("### Graphs, variable sizes and mixed symmetries")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANDB_DISABLED", "true")
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    model = namespace["model"]
    assert model.config.symmetries["ring"]["framework"] == "sparse"
    result = namespace["result"]
    assert result.global_step == 20 and 0 < result.training_loss < 10
    batch = namespace["AsenDataCollator"]()(namespace["rows"][:4])
    out = model(**batch)
    assert out.loss.isfinite()
