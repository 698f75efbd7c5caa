"""Pretraining throughput on CPU at the paper's sizes, against a plain ``torch.nn.TransformerEncoder``.

Sizes: n = 10, hidden 128, 4 layers, 4 heads, feed-forward 512, batch 64, dropout 0.1, AdamW, clipping 1.0.
One optimizer step of each variant on Intersect rows (1750 training examples -> 27.3 steps per epoch):

  plain encoder   embedding -> nn.TransformerEncoder (pre-LN) -> linear head, a bare PyTorch loop (baseline)
  ASEN, bare loop AsenForMultiTask (orbit embedding + orbit attention bias) in the same bare loop
  ASEN, pretrain  the package's pretraining loop (asen_fm.training.run_training: task sampler, Accelerate,
                  accumulation context, clipping, scheduler, loss reduction and history), one task

Variants are measured in interleaved rounds so that a busy machine slows all of them alike; each figure is
the median step time over all rounds. The paper's GATv2 implementation (85-101 s per Intersect epoch on 2
CPU cores, quoted from the issue) is a reference, not measured here.

    OMP_NUM_THREADS=1 python benchmarks/train.py                 # 5 rounds x 30 timed steps per variant
    OMP_NUM_THREADS=1 python benchmarks/train.py --rounds 2 --steps 10
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
from accelerate import Accelerator  # noqa: E402
from torch import nn  # noqa: E402

from asen_fm import AsenConfig, AsenForMultiTask  # noqa: E402
from asen_fm.progress import progress_bar  # noqa: E402
from asen_fm.tasks import load_task  # noqa: E402
from asen_fm.training.data import TaskData, task_tensors  # noqa: E402
from asen_fm.training.loop import LoopSettings, run_training  # noqa: E402
from asen_fm.training.optim import build_optimizer, build_scheduler  # noqa: E402

N, HIDDEN, LAYERS, HEADS, FFN, BATCH, VOCAB = 10, 128, 4, 4, 512, 64, 7
EPOCH_ROWS = 1750  # Intersect training split (2500 examples, 70 %)
GATV2_SECONDS_PER_EPOCH = (85.0, 101.0)  # the paper's public implementation, 2 CPU cores (issue 5)
WARMUP_STEPS = 3


class PlainEncoder(nn.Module):
    """Token embedding -> pre-LN nn.TransformerEncoder -> per-node linear head (no symmetry inputs)."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, HIDDEN)
        layer = nn.TransformerEncoderLayer(
            HIDDEN, HEADS, FFN, dropout=0.1, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(HIDDEN)
        self.head = nn.Linear(HIDDEN, 2)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.encoder(self.embed(input_ids))))


def asen_model(task: TaskData) -> AsenForMultiTask:
    config = AsenConfig(
        vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
        intermediate_size=FFN, hidden_dropout_prob=0.1,
    )  # fmt: skip
    model = AsenForMultiTask(config)
    task.attach_to(model, "intersect")
    return model


def bare_loop_times(model: nn.Module, loss_of: Callable, task: TaskData, steps: int) -> list[float]:
    """Seconds per step of: batch -> forward -> loss -> backward -> clip -> AdamW -> schedule."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01, fused=True)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    generator = torch.Generator().manual_seed(0)
    model.train()
    times = []
    for _ in range(WARMUP_STEPS + steps):
        tic = time.perf_counter()
        rows = torch.randint(0, task.size("train"), (BATCH,), generator=generator)
        batch = task.batch("train", rows)
        loss = loss_of(model, batch)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        scheduler.step()
        loss.item()
        times.append(time.perf_counter() - tic)
    return times[WARMUP_STEPS:]


def plain_loss(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    logits = model(batch["input_ids"])
    return nn.functional.cross_entropy(logits.reshape(-1, 2), batch["labels"].reshape(-1))


def asen_loss(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return model(input_ids=batch["input_ids"], task="intersect", labels=batch["labels"]).loss


def pretrain_loop_times(accelerator: Accelerator, task: TaskData, steps: int, workdir: str) -> list[float]:
    """Per-step seconds of ``run_training`` itself (evaluation and saving excluded by construction)."""
    model = asen_model(task)
    rates = dict.fromkeys(("backbone", "symmetry", "embeddings", "heads"), 1e-3)
    optimizer = build_optimizer(model, rates, weight_decay=0.01)
    scheduler = build_scheduler(optimizer, warmup_steps=10, total_steps=WARMUP_STEPS + steps)
    settings = LoopSettings(
        max_steps=WARMUP_STEPS + steps,
        batch_size=BATCH,
        log_every=10,
        eval_size=BATCH,
        eval_batch_size=BATCH,
        tracker_project="benchmark",
    )
    outcome = run_training(accelerator, model, optimizer, scheduler, {"intersect": task}, settings, workdir)
    return outcome.step_seconds[WARMUP_STEPS:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per variant")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per variant per round")
    args = parser.parse_args()
    torch.manual_seed(0)
    task = task_tensors(load_task("intersect", n=N, size=2500, seed=0))
    accelerator = Accelerator(cpu=True)
    variants: dict[str, Callable[[], list[float]]] = {
        "plain nn.TransformerEncoder, bare loop": lambda: bare_loop_times(
            PlainEncoder(), plain_loss, task, args.steps
        ),
        "ASEN model, bare loop": lambda: bare_loop_times(asen_model(task), asen_loss, task, args.steps),
        "ASEN model, asen-fm pretraining loop": lambda: pretrain_loop_times(
            accelerator, task, args.steps, workdir
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as workdir:
        for _ in progress_bar(range(args.rounds), desc="rounds"):
            for name, run in variants.items():
                times[name] += run()

    steps_per_epoch = EPOCH_ROWS / BATCH
    base = statistics.median(times["plain nn.TransformerEncoder, bare loop"])
    cpu = platform.processor() or platform.machine()
    print(f"\nCPU training step, n={N}, hidden {HIDDEN}, {LAYERS} layers, batch {BATCH}; "
          f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {cpu}; "
          f"{args.rounds} rounds x {args.steps} steps, medians")  # fmt: skip
    columns = f"{'ms/step':>8} | {'steps/s':>8} | {'examples/s':>10} | {'s/epoch':>8} | {'vs plain':>8}"
    header = f"| {'variant':<42} | {columns} |"
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for name, values in times.items():
        step = statistics.median(values)
        print(f"| {name:<42} | {step * 1e3:>8.2f} | {1 / step:>8.1f} | {BATCH / step:>10.0f} | "
              f"{step * steps_per_epoch:>8.2f} | {step / base:>7.2f}x |")  # fmt: skip
    ours = statistics.median(times["ASEN model, asen-fm pretraining loop"]) * steps_per_epoch
    low, high = GATV2_SECONDS_PER_EPOCH
    print(f"| {'paper GATv2, 2 cores (quoted, unmeasured)':<42} | {'':>8} | {'':>8} | {'':>10} | "
          f"{f'{low:.0f}-{high:.0f}':>8} | {'':>8} |")  # fmt: skip
    print(
        f"\nIntersect epoch ({EPOCH_ROWS} rows): asen-fm pretraining loop {ours:.2f} s, i.e. "
        f"{low / ours:.0f}-{high / ours:.0f}x faster than the paper's quoted GATv2 figure."
    )


if __name__ == "__main__":
    main()
