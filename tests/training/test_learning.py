"""Training learns, and the right group is what makes it learn from few examples.

Planted task (n = 12 binary tokens on a cycle): node i is labelled 1 iff x_i == x_{i+1 mod n}. Labels are
balanced (chance 0.5) and the map is C_12-equivariant. With C_12 the model's pair orbits are the cyclic
offsets, so "compare with the next node" is one pattern shared by every position; with the trivial group
each position's neighbour has to be learned separately. From 8 training sequences (96 labels) and 200
steps (a few seconds), measured with training-data seeds 1-4: C_12 0.81 / 1.00 / 0.98 / 1.00 test
accuracy, the trivial group 0.58 / 0.58 / 0.60 / 0.51 (chance 0.5). The test uses seed 3 and asserts
with wide margins.
"""

from __future__ import annotations

import numpy as np
import torch

from asen_fm import AsenConfig, AsenForTokenClassification

N = 12


def planted(rows: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = np.random.default_rng(seed).integers(0, 2, (rows, N))
    return torch.tensor(x), torch.tensor((x == np.roll(x, -1, axis=1)).astype(np.int64))


def trained_accuracy(group: str, train: tuple[torch.Tensor, torch.Tensor], test, steps: int = 200) -> float:
    """Train a tiny model on ``train`` under ``group`` and return its accuracy on ``test``."""
    torch.manual_seed(0)
    config = AsenConfig(
        vocab_size=2, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        hidden_dropout_prob=0.0, num_labels=2, symmetries={"g": group},
    )  # fmt: skip
    model = AsenForTokenClassification(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    x, y = train
    rows = torch.Generator().manual_seed(0)
    for _ in range(steps):
        batch = torch.randint(0, len(x), (32,), generator=rows)
        loss = model(input_ids=x[batch], labels=y[batch]).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return float((model(input_ids=test[0]).logits.argmax(-1) == test[1]).float().mean())


def test_the_right_group_learns_a_planted_task_the_trivial_group_cannot() -> None:
    train, test = planted(8, seed=3), planted(1000, seed=2)
    chance = max(float(test[1].float().mean()), 1 - float(test[1].float().mean()))
    assert chance < 0.53  # balanced labels: the majority class is no shortcut
    right = trained_accuracy(f"cyclic({N})", train, test)
    trivial = trained_accuracy(f"trivial({N})", train, test)
    assert right > 0.8, f"C_{N}: {right:.3f} (chance {chance:.3f})"
    assert right > trivial + 0.2, f"C_{N} {right:.3f} vs trivial {trivial:.3f}"
