"""scikit-learn's bundled 8 x 8 handwritten digits (1,797 images, no download) as an image task.

Pixel values are integers 0..16, used directly as tokens (``input_ids`` [8, 8], vocab 17) and as
``node_features`` [8, 8, 1] = value / 16. Splits are stratified by class and fixed by the seed
(60 / 20 / 20 per class, rounded); ``train_rows`` subsamples the training split only, stratified
(classes in proportion, largest remainders), leaving validation and test unchanged. scikit-learn is
the ``images`` extra (``pip install asen-fm[images]``).

No group is an exact symmetry of the labels (a 6 turned half-way round is a 9), so the card's default
symmetry is ``trivial(64)``; experiments choose their own groups.
"""

from __future__ import annotations

from typing import Any

import datasets
import numpy as np

from asen_fm.domains.images.common import image_card, image_split

__all__ = ["DIGITS_VOCAB", "SPLIT_FRACTIONS", "digits_task", "load_digits_arrays", "stratified_split"]

DIGITS_VOCAB = 17  # pixel values 0..16
SPLIT_FRACTIONS = {"train": 0.6, "validation": 0.2, "test": 0.2}


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """(images int64 [1797, 8, 8] with values 0..16, labels int64 [1797]) from scikit-learn."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("the digits task needs scikit-learn: pip install 'asen-fm[images]'") from error
    bunch = load_digits()
    return bunch.images.astype(np.int64), bunch.target.astype(np.int64)


def _largest_remainder(counts: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``counts`` summing to ``total`` (largest remainders; ties to lower index)."""
    quota = counts * total / counts.sum()
    out = np.floor(quota).astype(np.int64)
    order = np.argsort(-(quota - out), kind="stable")
    out[order[: total - int(out.sum())]] += 1
    return out


def stratified_split(labels: np.ndarray, seed: int, train_rows: int | None = None) -> dict[str, np.ndarray]:
    """Row indices per split, stratified by class, sorted ascending; see the module docstring."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x44494749]))
    parts: dict[str, list[np.ndarray]] = {split: [] for split in SPLIT_FRACTIONS}
    classes = np.unique(labels)
    for c in classes:
        rows = rng.permutation(np.flatnonzero(labels == c))
        n_val = int(round(SPLIT_FRACTIONS["validation"] * len(rows)))
        n_test = int(round(SPLIT_FRACTIONS["test"] * len(rows)))
        parts["validation"].append(rows[:n_val])
        parts["test"].append(rows[n_val : n_val + n_test])
        parts["train"].append(rows[n_val + n_test :])  # kept in permuted order for subsampling
    if train_rows is not None:
        full = sum(len(rows) for rows in parts["train"])
        if isinstance(train_rows, bool) or not isinstance(train_rows, (int, np.integer)):
            raise ValueError(f"train_rows must be an integer or None, got {train_rows!r}")
        if not len(classes) <= train_rows <= full:
            raise ValueError(
                f"train_rows must be in {len(classes)}..{full} (one row per class at least), got {train_rows}"
            )
        take = _largest_remainder(np.array([len(rows) for rows in parts["train"]]), int(train_rows))
        parts["train"] = [rows[:k] for rows, k in zip(parts["train"], take, strict=True)]
    return {split: np.sort(np.concatenate(rows)) for split, rows in parts.items()}


def digits_task(
    seed: int = 0, train_rows: int | None = None, node_features: bool = True
) -> tuple[datasets.DatasetDict, dict[str, Any]]:
    """The digits splits (``index`` column: the row in ``load_digits``) and the task card."""
    images, labels = load_digits_arrays()
    if images.min() < 0 or images.max() >= DIGITS_VOCAB:
        raise ValueError(
            f"digit pixel values must lie in 0..{DIGITS_VOCAB - 1}, got {images.min()}..{images.max()}"
        )
    rows = stratified_split(labels, seed, train_rows)
    splits = {}
    for split, index in rows.items():
        features = (images[index].astype(np.float32) / 16.0)[..., None] if node_features else None
        splits[split] = image_split(
            images[index], features, labels[index], extra={"index": index.astype(np.int64)}
        )
    card = image_card(
        name="digits8x8" if train_rows is None else f"digits8x8_train{train_rows}",
        shape=(8, 8),
        vocab_size=DIGITS_VOCAB,
        num_labels=10,
        symmetry="trivial(64)",
        description=(
            "scikit-learn's 8x8 handwritten digits (UCI optdigits test set, 1,797 images, "
            "pixel values 0..16): "
            "classify the digit 0-9; stratified 60/20/20 split"
            + ("" if train_rows is None else f", training subsampled to {train_rows} rows (stratified)")
            + "."
        ),
        seed=int(seed),
        train_rows=None if train_rows is None else int(train_rows),
        sizes={split: int(len(index)) for split, index in rows.items()},
    )
    return datasets.DatasetDict(splits), card
