"""``AsenDataCollator``: examples of different sizes and symmetries -> one padded ASEN batch.

Works as ``transformers.Trainer``'s ``data_collator`` and as a ``DataLoader`` ``collate_fn``. Each example
is a
mapping with ``input_ids`` [n] (or image-shaped [h, w]) and/or ``node_features`` [n, d] (or [h, w, d]),
optional ``labels`` and optional string columns (``symmetry``, ``task``, ...), which are kept as lists.
Real nodes come first and padding after; ``attention_mask`` [B, n_max] marks the real ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

NODE_COLUMNS = {"input_ids": 1, "node_features": 2}  # column -> dims of one example's flat form
PER_NODE_MASKS = {"label_mask"}  # per-node boolean columns, padded with False


@dataclass
class AsenDataCollator:
    """Pad ``input_ids`` / ``node_features`` / per-node ``labels`` to the longest example; build the mask.

    Args:
        label_pad_value: padding for integer per-node labels (-100 is ignored by the cross-entropy);
            float per-node labels are padded with 0.0 and left out of the loss by the node mask.
        labels: ``"auto"`` treats labels whose first axis has the example's node count as per-node (padded)
            and all others as per-example (stacked); ``"node"`` / ``"example"`` force one reading.
        pad_to_multiple_of: round n_max up to a multiple of this (e.g. 8 for tensor cores).
    """

    label_pad_value: int = -100
    labels: Literal["auto", "node", "example"] = "auto"
    pad_to_multiple_of: int | None = None

    def __call__(self, features: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        if not features:
            raise ValueError("AsenDataCollator got an empty list of examples")
        keys = set(features[0])
        for index, example in enumerate(features):
            if set(example) != keys:
                raise ValueError(
                    f"example {index} has columns {sorted(example)}, example 0 has {sorted(keys)}"
                )
        node_columns = [key for key in NODE_COLUMNS if key in keys]
        if not node_columns:
            raise ValueError(f"examples need input_ids and/or node_features, got columns {sorted(keys)}")
        nodes = {
            key: [self._flat(example[key], key, i) for i, example in enumerate(features)]
            for key in node_columns
        }
        lengths = [len(x) for x in nodes[node_columns[0]]]
        for key in node_columns[1:]:
            other = [len(x) for x in nodes[key]]
            if other != lengths:
                raise ValueError(f"input_ids and node_features disagree on node counts: {lengths} vs {other}")
        n_max = max(lengths)
        if self.pad_to_multiple_of:
            n_max = -(-n_max // self.pad_to_multiple_of) * self.pad_to_multiple_of
        batch: dict[str, Any] = {}
        image_shape = self._common_image_shape(features, node_columns)
        for key in node_columns:
            padded = _pad([torch.as_tensor(x) for x in nodes[key]], n_max, 0)
            if image_shape is not None:
                padded = padded.reshape(len(features), *image_shape, *padded.shape[2:])
            batch[key] = padded
        mask = torch.zeros(len(features), n_max, dtype=torch.long)
        for b, length in enumerate(lengths):
            mask[b, :length] = 1
        batch["attention_mask"] = mask
        for key in sorted(keys - set(node_columns)):
            values = [example[key] for example in features]
            if key == "labels":
                batch[key] = self._labels(values, lengths, n_max, image_shape is not None)
            elif key in PER_NODE_MASKS:  # per-node flags: padding is "not scored"
                flags = [torch.as_tensor(np.asarray(v, dtype=bool).reshape(-1)) for v in values]
                batch[key] = _pad(flags, n_max, False)
            elif all(isinstance(v, str) for v in values):
                batch[key] = values
            else:
                try:
                    batch[key] = torch.as_tensor(np.asarray(values))
                except (ValueError, TypeError):
                    batch[key] = values
        return batch

    @staticmethod
    def _flat(value: Any, key: str, index: int) -> np.ndarray:
        array = np.asarray(value)
        dims = NODE_COLUMNS[key]
        if array.ndim == dims + 1:  # image-shaped [h, w(, d)]: row-major nodes
            array = array.reshape(-1, *array.shape[2:])
        if array.ndim != dims:
            wanted = "[n] or [h, w]" if key == "input_ids" else "[n, d] or [h, w, d]"
            raise ValueError(f"example {index}: {key} must be {wanted}, got shape {array.shape}")
        return array

    @staticmethod
    def _common_image_shape(features: Sequence[Mapping[str, Any]], node_columns: list[str]) -> tuple | None:
        """(h, w) when every example is image-shaped with one size (kept image-shaped for grid models)."""
        key = node_columns[0]
        shapes = {np.shape(example[key])[:2] for example in features}
        dims = {np.ndim(example[key]) for example in features}
        if dims == {NODE_COLUMNS[key] + 1} and len(shapes) == 1:
            return shapes.pop()
        return None

    def _labels(self, values: list[Any], lengths: list[int], n_max: int, image: bool) -> torch.Tensor:
        tensors = [torch.as_tensor(np.asarray(v)) for v in values]
        if image:
            tensors = [t.reshape(-1, *t.shape[2:]) if t.dim() >= 2 else t for t in tensors]
        per_node = self.labels == "node" or (
            self.labels == "auto"
            and all(t.dim() >= 1 and t.shape[0] == n for t, n in zip(tensors, lengths, strict=True))
        )
        if not per_node:
            shapes = {tuple(t.shape) for t in tensors}
            if len(shapes) > 1:
                raise ValueError(f"per-example labels differ in shape: {sorted(shapes)}")
            return torch.stack(tensors)
        for index, (t, n) in enumerate(zip(tensors, lengths, strict=True)):
            if t.dim() == 0 or t.shape[0] != n:
                raise ValueError(
                    f"example {index}: per-node labels have shape {tuple(t.shape)} for {n} nodes"
                )
        fill = self.label_pad_value if not tensors[0].is_floating_point() else 0.0
        return _pad(tensors, n_max, fill)


def _pad(tensors: list[torch.Tensor], n_max: int, value: float) -> torch.Tensor:
    """Stack [n_b, ...] tensors into [B, n_max, ...], padding the node axis with ``value``."""
    first = tensors[0]
    out = torch.full((len(tensors), n_max, *first.shape[1:]), value, dtype=first.dtype)
    for b, t in enumerate(tensors):
        out[b, : t.shape[0]] = t
    return out


__all__ = ["AsenDataCollator"]
