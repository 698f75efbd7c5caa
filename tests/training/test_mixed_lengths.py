"""Training on rows of mixed lengths under a family: transformers.Trainer with AsenDataCollator, the pretrain
and finetune scripts on a task folder built from a range, a checkpoint trained at n <= 12 run at n = 32."""

from __future__ import annotations

import numpy as np
import torch
from transformers import Trainer, TrainingArguments

from asen_fm import AsenConfig, AsenDataCollator, AsenForMultiTask, AsenForTokenClassification
from asen_fm.equivariance import assert_equivariant
from asen_fm.symmetry.sizes import Family
from asen_fm.tasks import Task, load_task

from .conftest import TINY

FINETUNE_TINY = TINY[8:]


def test_trainer_with_the_collator_learns_on_mixed_lengths_and_runs_at_32(tmp_path) -> None:
    task = load_task("palindrome", n=(6, 12), size=400, seed=1)
    torch.manual_seed(0)
    config = AsenConfig(
        vocab_size=task.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, symmetries={"palindrome": task.symmetry},
    )  # fmt: skip
    model = AsenForTokenClassification(config)
    args = TrainingArguments(
        output_dir=str(tmp_path / "trainer"), max_steps=30, per_device_train_batch_size=16,
        learning_rate=3e-3, report_to=[], save_strategy="no", logging_steps=10, use_cpu=True,
        disable_tqdm=True,
    )  # fmt: skip
    trainer = Trainer(
        model=model, args=args, train_dataset=task.data["train"], data_collator=AsenDataCollator()
    )
    losses = [row["loss"] for row in trainer.train() and trainer.state.log_history if "loss" in row]
    assert len(losses) == 3 and all(np.isfinite(losses)) and losses[-1] < losses[0]
    model.save_pretrained(tmp_path / "ckpt")
    loaded = AsenForTokenClassification.from_pretrained(tmp_path / "ckpt").double().eval()
    long = {"input_ids": torch.randint(0, task.vocab_size, (4, 32))}
    report = assert_equivariant(loaded, long, group=Family.parse("reversal(*)").group(32), outside="auto")
    assert report["outside_error"] > 0


def test_pretrain_and_finetune_scripts_on_a_mixed_length_folder(
    pretrain_script, finetune_script, tmp_path
) -> None:
    folder = load_task("palindrome", n=(6, 12), size=200).save(tmp_path / "pal")
    fixed = load_task("intersect", n=10, size=200).save(tmp_path / "intersect")
    pre = pretrain_script.main(
        [*TINY, "--tasks", f"{folder},{fixed}", "--max_steps", "6", "--eval_every", "3", "--save_every", "0",
         "--output_dir", str(tmp_path / "pre")]
    )  # fmt: skip
    assert pre["tasks"]["palindrome"]["group"] == "reversal(*)" and pre["tasks"]["palindrome"]["n"] is None
    assert 0 <= pre["final"]["palindrome"]["test"]["accuracy"] <= 1
    tuned = finetune_script.main(
        [*FINETUNE_TINY, "--model", str(tmp_path / "pre"), "--task", f"{folder}", "--head_name", "pal",
         "--max_steps", "4",
         "--eval_every", "0", "--save_every", "0", "--output_dir", str(tmp_path / "ft")]
    )  # fmt: skip
    model = AsenForMultiTask.from_pretrained(tuned["model_dir"]).eval()
    assert model.config.symmetries["pal"] == {"spec": "reversal(*)", "max_n": 512, "exact": 32}
    with torch.no_grad():
        logits = model(input_ids=torch.randint(0, 7, (2, 32)), task="pal").logits
    assert logits.shape == (2, 32, 2) and torch.isfinite(logits).all()
    assert Task.load(folder).family.max_n >= 32
