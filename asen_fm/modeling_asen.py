"""The ASEN transformer: an S_n-equivariant pre-LN encoder made G-equivariant by orbit colorings.

A transformer without positional encodings is S_n-equivariant. Per symmetry G, a ``SymmetryEmbedder``
adds a learned embedding of the node-orbit id to every node (A^(1)) and a learned per-head bias
``table[pair_orbit(i, j), h]`` to every attention logit (A^(2)); with ``config.pair_embeddings`` also a
learned vector per pair orbit on keys and values. The model is then equivariant exactly to the
automorphism group of the whole breaking input: the 2-closure G^(2) for a plain group. With a graph
(``edges`` and a ``framework``: ``sparse`` attends along edges and self-loops only, ``weakly_sparse``
colors edges and non-edges apart) the symmetry is Aut(node colors, pair colors, graph), which contains
G^(2) ∩ Aut(graph) and equals G^(2) when G maps edges to edges.

Batches may be padded (``attention_mask`` [B, n_max], 1 = real node) and may mix symmetries of different
degrees (``symmetry`` a list of B names; example b's nodes are positions 0..n_b - 1). Every example's
output at its real nodes equals its output run alone.

Inputs reach the backbone through named adapters (``config.input_adapters``): a token embedding or a
linear map of (optionally standardised) node features; each task names the adapter it feeds.

Parameter prefixes (stable, used by training code through ``parameter_groups``):
``asen.input_adapters.<name>.*`` (inputs), ``asen.symmetry_embedders.<name>.*``,
``asen.backbone.*`` (layers + final norm), ``head.*`` (single-task classes) or ``heads.<task>.*``
(``AsenForMultiTask``).

This file is shipped next to the weights for ``trust_remote_code`` loading: it imports only torch, numpy,
transformers and the flat sibling modules ``configuration_asen`` and ``orbit_coloring``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.activations import ACT2FN
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.modeling_outputs import BaseModelOutput, SequenceClassifierOutput, TokenClassifierOutput
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.processing_utils import Unpack
from transformers.utils import TransformersKwargs, logging
from transformers.utils.generic import can_return_tuple
from transformers.utils.import_utils import is_torchdynamo_compiling
from transformers.utils.output_capturing import capture_outputs

from .configuration_asen import AUTO_MAP, AsenConfig
from .family_coloring import (
    check_family_size,
    family_coloring,
    family_parts,
    family_size,
    family_table_sizes,
    is_family,
)
from .input_adapters import (
    LEGACY_WEIGHT_NAMES,
    TOKENS,
    check_input_fits,
    describe,
    normalize_adapter,
    unknown_adapter,
)
from .orbit_coloring import symmetry_coloring

logger = logging.get_logger(__name__)

# Keyword arguments forward accepts beyond its named ones (what Trainer and HF utilities pass).
ACCEPTED_KWARGS = frozenset({"output_hidden_states", "output_attentions", "num_items_in_batch"})
GRID_SPEC = re.compile(r"^\s*grid\(\s*(\d+)\s*,\s*(\d+)")


def check_kwargs(kwargs: dict[str, Any], method: str) -> None:
    """TypeError naming every keyword ``forward`` does not know (a typo must never be swallowed)."""
    unknown = sorted(set(kwargs) - ACCEPTED_KWARGS)
    if unknown:
        raise TypeError(f"{method}() got unexpected keyword argument(s) {unknown}")


def tracing() -> bool:
    """True under torch.compile / torch.export, where data-dependent checks must be skipped."""
    return is_torchdynamo_compiling() or torch.compiler.is_exporting()


def declared_dynamic(size: torch.SymInt) -> bool:
    """Whether the caller of torch.export declared this dimension dynamic by name (``Dim("n")``), rather
    than leaving it to the trace to keep or specialize (``Dim.AUTO``)."""
    shape_env = size.node.shape_env
    declared = getattr(shape_env, "source_name_to_debug_name", {})
    sources = getattr(shape_env, "var_to_sources", {}).get(size.node.expr, [])
    return any((source.name() if callable(source.name) else source.name) in declared for source in sources)


# --------------------------------------------------------------------------------------------------
# Orbit colorings (NumPy, cached per symmetry entry) and the per-symmetry embedder
# --------------------------------------------------------------------------------------------------

_COLORINGS: dict[str, tuple[torch.Tensor, torch.Tensor | None]] = {}
# A pair table with more rows than this many per node is O(n^2): the model says so when it builds one.
LARGE_PAIR_TABLE = 16


def orbit_ids(entry: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(node ids long[n], pair ids [n, n] with -1 where the framework allows no attention, or None for
    node-only breaking), cached per entry. Pair ids are kept compact: int16 below 32768 pair orbits (a
    64 x 64 torus: 32 MiB), else int32."""
    key = json.dumps(entry, sort_keys=True)
    if key not in _COLORINGS:
        nodes, pairs, attend = symmetry_coloring(entry)
        if "positions" in entry:  # row/column embeddings: node i looks up its own row of the summed table
            nodes = np.arange(entry["n"])
        if pairs is not None:
            pairs = pairs.astype(np.int16 if int(pairs.max()) < 2**15 - 1 else np.int32, copy=False)
            if attend is not None:
                pairs[~attend] = -1
            pairs = torch.from_numpy(pairs)
        _COLORINGS[key] = (torch.from_numpy(nodes.astype(np.int64)), pairs)
    return _COLORINGS[key]


_FAMILY_COLORINGS: dict[tuple[str, tuple[int, ...]], tuple[torch.Tensor, torch.Tensor | None]] = {}


def family_ids(entry: dict[str, Any], size: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(node rows long[n], pair rows long[n, n] or None) of a family at ``size``, built once per size."""
    key = (json.dumps(entry, sort_keys=True), tuple(size))
    if key not in _FAMILY_COLORINGS:
        if len(_FAMILY_COLORINGS) >= 256:
            _FAMILY_COLORINGS.pop(next(iter(_FAMILY_COLORINGS)))
        nodes, pairs = family_coloring(entry, size)
        _FAMILY_COLORINGS[key] = (torch.from_numpy(nodes), None if pairs is None else torch.from_numpy(pairs))
    return _FAMILY_COLORINGS[key]


class SymmetryEmbedder(nn.Module):
    """Learned A^(1), A^(2) of one symmetry: node_embedding[node_orbit[i]], pair_bias[.., pair_orbit[i, j], h]
    (plus pair_key / pair_value vectors with ``config.pair_embeddings``).

    Orbit ids are not weights: they are recomputed from the JSON entry (NumPy, cached) and kept as plain CPU
    tensors, so meta-device construction in ``from_pretrained`` needs no buffer refill. A family across
    sizes (``reversal(*)``) has ``n = None`` and tables of fixed size; ``ids(size)`` builds the rows of
    each length when a batch needs it.
    """

    def __init__(self, config: AsenConfig, entry: dict[str, Any]):
        super().__init__()
        self.entry = entry
        self.family = is_family(entry)
        self.framework = entry.get("framework", "full")
        self.num_edges = len(entry.get("edges", []))
        if self.family:
            self.n, self.node_ids, self.pair_ids = None, None, None
            self.num_node_orbits, self.num_pair_orbits = family_table_sizes(entry)
            self.has_pairs = entry.get("pairs") != "none"
        else:
            self.node_ids, self.pair_ids = orbit_ids(entry)
            self.n = int(entry["n"])
            self.num_node_orbits = int(self.node_ids.max()) + 1
            self.num_pair_orbits = 0 if self.pair_ids is None else int(self.pair_ids.max()) + 1
            self.has_pairs = self.pair_ids is not None
        self.positions = entry.get("positions")
        if self.positions is None:
            self.node_embedding = nn.Embedding(self.num_node_orbits, config.hidden_size)
        else:  # the "2-D positions" baseline: row embedding + column embedding
            self.row_embedding = nn.Embedding(self.positions[0], config.hidden_size)
            self.column_embedding = nn.Embedding(self.positions[1], config.hidden_size)
        if self.n is not None and self.num_pair_orbits > LARGE_PAIR_TABLE * self.n:
            logger.warning_once(
                f"symmetry {entry.get('spec', '')!r}: its pair-orbit table has {self.num_pair_orbits} rows "
                f"for n = {self.n} nodes (O(n^2) per head and layer); node-only breaking (pairs='none') "
                "or a coarser pair_group is far cheaper where it is exact"
            )
        lead = () if config.share_orbit_bias else (config.num_hidden_layers,)
        self.pair_bias = self.pair_key = self.pair_value = None
        if self.has_pairs:
            self.pair_bias = nn.Parameter(
                torch.zeros(*lead, self.num_pair_orbits, config.num_attention_heads)
            )
        if config.pair_embeddings and self.has_pairs:
            head_dim = config.hidden_size // config.num_attention_heads
            self.pair_key = nn.Parameter(torch.zeros(*lead, self.num_pair_orbits, head_dim))
            self.pair_value = nn.Parameter(torch.zeros(*lead, self.num_pair_orbits, head_dim))
        self.bias_scale = float(config.orbit_bias_scale)

    def ids(self, size: tuple[int, ...] | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(node ids long[n], pair ids [n, n] or None; int16 / int32 pair ids for a fixed degree): the fixed
        degree's, or a family's at ``size``."""
        return family_ids(self.entry, size) if self.family else (self.node_ids, self.pair_ids)

    def extra_repr(self) -> str:
        if self.family:
            pairs = f"{self.num_pair_orbits} pair rows" if self.has_pairs else "node-only"
            bound = f"n <= {self.entry['max_n']}"
            return f"{self.entry['spec']} ({bound}): {self.num_node_orbits} node rows, {pairs}"
        text = f"{self.entry.get('spec', f'degree {self.n}')}: {self.num_node_orbits} node orbits, "
        text += f"{self.num_pair_orbits} pair orbits" if self.pair_ids is not None else "node-only"
        if self.num_edges:
            text += f", {self.framework} framework on {self.num_edges} edges"
        return text

    def node_table(self) -> torch.Tensor:
        """Embedding rows [num_node_orbits, hidden] that ``node_ids`` index (A^(1))."""
        if self.positions is None:
            return self.node_embedding.weight
        rows, columns = self.row_embedding.weight, self.column_embedding.weight
        return (rows[:, None, :] + columns[None, :, :]).reshape(-1, rows.shape[-1])

    def tables(self, layer: int) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """(bias [P, heads] x ``orbit_bias_scale``, pair keys [P, d] or None, pair values) of ``layer``."""
        shared = self.pair_bias.dim() == 2
        bias = self.pair_bias if shared else self.pair_bias[layer]
        if self.pair_key is None:
            return self.bias_scale * bias, None, None
        keys = self.pair_key if shared else self.pair_key[layer]
        values = self.pair_value if shared else self.pair_value[layer]
        return self.bias_scale * bias, keys, values


@dataclass
class OrbitLayout:
    """Where each example of a batch finds its orbit ids in the concatenated tables of its symmetries.

    ``node_index`` [B', n] indexes the stacked node embeddings (last row: zeros, for padding);
    ``pair_index`` int32 [B', n, n] the stacked pair tables, whose two extra rows are FILL (zero bias: a
    padded node's query to a real key) and MASK (no attention: a padded key, or a non-edge of a sparse
    graph); None when no symmetry of the batch has a pair table. B' = 1 when the whole batch shares one
    symmetry.
    """

    embedders: tuple[SymmetryEmbedder, ...]
    node_index: torch.Tensor
    pair_index: torch.Tensor | None
    lengths: torch.Tensor

    @property
    def fill_id(self) -> int:
        return sum(e.num_pair_orbits for e in self.embedders)

    @property
    def node_only(self) -> bool:
        """No symmetry of the batch has a pair table: attention needs no bias beyond padding."""
        return not any(e.has_pairs for e in self.embedders)

    def to(self, device: torch.device) -> OrbitLayout:
        pairs = None if self.pair_index is None else self.pair_index.to(device)
        return OrbitLayout(self.embedders, self.node_index.to(device), pairs, self.lengths.to(device))

    def padded(self, n_max: int | torch.SymInt) -> OrbitLayout:
        """The same layout padded to ``n_max`` >= its width (a symbolic length under torch.export): extra
        nodes take the zero node row, extra rows FILL towards real keys, extra columns MASK."""
        extra = n_max - self.node_index.shape[1]
        nodes = sum(e.num_node_orbits for e in self.embedders)
        node_index = nn.functional.pad(self.node_index, (0, extra), value=nodes)
        if self.pair_index is None:  # node-only: padded keys are masked by the key bias alone
            return OrbitLayout(self.embedders, node_index, None, self.lengths)
        pair_index = nn.functional.pad(self.pair_index, (0, 0, 0, extra), value=self.fill_id)
        pair_index = nn.functional.pad(pair_index, (0, extra), value=self.fill_id + 1)
        return OrbitLayout(self.embedders, node_index, pair_index, self.lengths)

    def node_states(self) -> torch.Tensor:
        """Orbit positional embeddings [B', n, hidden] (zeros at padded nodes)."""
        weights = [e.node_table() for e in self.embedders]
        stacked = torch.cat([*weights, weights[0].new_zeros(1, weights[0].shape[1])])
        return nn.functional.embedding(self.node_index, stacked)

    def layer_tables(
        self, layer: int, dtype: torch.dtype
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """Stacked (bias [P+2, heads], keys [P+2, d] or None, values) of ``layer``, FILL and MASK last."""
        parts = [e.tables(layer) for e in self.embedders if e.has_pairs]
        bias = torch.cat([p[0] for p in parts]).to(dtype)
        extra = bias.new_zeros(2, bias.shape[1])
        extra[1] = torch.finfo(dtype).min
        bias = torch.cat([bias, extra])
        if parts[0][1] is None:
            return bias, None, None
        keys = torch.cat([p[1] for p in parts]).to(dtype)
        values = torch.cat([p[2] for p in parts]).to(dtype)
        return bias, nn.functional.pad(keys, (0, 0, 0, 2)), nn.functional.pad(values, (0, 0, 0, 2))


def build_layout(
    embedders: Sequence[SymmetryEmbedder], n_max: int, sizes: Sequence[tuple[int, ...] | None] | None = None
) -> OrbitLayout:
    """The ``OrbitLayout`` (CPU) of a batch whose example b uses ``embedders[b]``, padded to ``n_max``;
    ``sizes[b]`` is the size a family embedder colors example b at (None for a fixed degree)."""
    unique = tuple(dict.fromkeys(embedders))
    node_offset, pair_offset, nodes, pairs = {}, {}, 0, 0
    for e in unique:
        node_offset[e], pair_offset[e] = nodes, pairs
        nodes, pairs = nodes + e.num_node_orbits, pairs + e.num_pair_orbits
    fill, mask = pairs, pairs + 1
    node_index = torch.full((len(embedders), n_max), nodes, dtype=torch.long)
    lengths = torch.zeros(len(embedders), dtype=torch.long)
    colorings = []
    for b, e in enumerate(embedders):
        node_ids, pair_ids = e.ids(sizes[b] if sizes is not None else None)
        n = lengths[b] = len(node_ids)
        node_index[b, :n] = node_ids + node_offset[e]
        colorings.append((n, pair_ids, pair_offset[e]))
    if not any(e.has_pairs for e in unique):  # node-only: no [n, n] index at all
        return OrbitLayout(unique, node_index, None, lengths)
    pair_index = torch.full((len(embedders), n_max, n_max), mask, dtype=torch.int32)
    for b, (n, pair_ids, offset) in enumerate(colorings):
        if pair_ids is None:  # node-only: no bias inside the example
            pair_index[b, :n, :n] = fill
        else:
            pair_index[b, :n, :n] = torch.where(pair_ids >= 0, pair_ids.int() + offset, mask)
        pair_index[b, n:, :n] = fill
    return OrbitLayout(unique, node_index, pair_index, lengths)


# --------------------------------------------------------------------------------------------------
# Attention: eager / sdpa (materialized float bias), flex_attention (score_mod lookup), pair embeddings
# --------------------------------------------------------------------------------------------------


def eager_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float,
    dropout: float = 0.0,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q k^T * scaling + mask) v; returns (output [B, n, H, d], weights [B, H, n, n])."""
    scores = torch.matmul(query, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        scores = scores + attention_mask
    weights = nn.functional.softmax(scores, dim=-1, dtype=torch.promote_types(query.dtype, torch.float32)).to(
        query.dtype
    )
    weights = nn.functional.dropout(weights, p=dropout, training=module.training)
    output = torch.matmul(weights, value).transpose(1, 2).contiguous()
    return output, weights


def pair_embedding_attention(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    bias: torch.Tensor,
    ids: torch.Tensor,
    pair_keys: torch.Tensor,
    pair_values: torch.Tensor,
    scaling: float,
    dropout: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Relative-position-style attention with pair-orbit keys and values; returns (out [B, n, H, d], weights).

    logits_ij = (q_i . (k_j + a^K[id_ij])) * scaling + bias_ij and out_i = sum_j w_ij (v_j + a^V[id_ij]).
    With few orbits (P <= n) queries are projected onto the P pair keys and looked up, and the weights are
    summed per orbit before meeting the P pair values: nothing of size [B, n, n, d] is built. With many
    orbits (e.g. the trivial group's n^2) the per-pair vectors [B', n, n, d] (B' = 1 for one symmetry) are
    gathered once instead.
    """
    batch, heads, n, _ = query.shape
    ids = ids.long()
    scores = torch.matmul(query, key.transpose(2, 3))
    small = pair_keys.shape[0] <= n
    if small:
        index = ids[:, None].expand(batch, heads, n, n)
        scores = scores + torch.gather(torch.matmul(query, pair_keys.T), -1, index)
    else:
        gathered_keys = pair_keys[ids]
        scores = scores + torch.einsum("bhid,bijd->bhij", query, gathered_keys.expand(batch, -1, -1, -1))
    scores = scores * scaling + bias
    weights = nn.functional.softmax(scores, dim=-1, dtype=torch.promote_types(query.dtype, torch.float32)).to(
        query.dtype
    )
    weights = nn.functional.dropout(weights, p=dropout, training=module.training)
    output = torch.matmul(weights, value)
    if small:
        mass = weights.new_zeros(batch, heads, n, pair_values.shape[0]).scatter_add(-1, index, weights)
        output = output + torch.matmul(mass, pair_values)
    else:
        gathered_values = pair_values[ids].expand(batch, -1, -1, -1)
        output = output + torch.einsum("bhij,bijd->bhid", weights, gathered_values)
    return output.transpose(1, 2).contiguous(), weights


# Query rows per block of the CPU orbit-bias attention: a block's [B, H, rows, n] scores hold ~1 M floats
# (at n = 1024, B = 2, H = 4: 128 rows, 75 MiB of temporaries and no slower than 512 rows with 170 MiB).
BLOCK_SCORES = 2**20


class BlockedOrbitAttention(torch.autograd.Function):
    """softmax(q k^T * scaling + table[ids]) v over blocks of query rows, forward and backward.

    The bias is gathered per block from ``table`` [P, H] (``ids`` int [B', n, n], B' = 1 or B) and never
    exists as [B', H, n, n]; the backward recomputes each block's softmax (flash-attention style) instead of
    keeping the attention weights, so memory grows with B x H x rows x n rather than B x H x n^2, and the
    table's gradient is summed per block with ``index_add_``. Exact: the same arithmetic as the unblocked
    softmax attention, up to float rounding (tests/model/test_model_large_n.py).
    """

    @staticmethod
    def forward(ctx, query, key, value, table, ids, scaling: float, rows: int):  # noqa: ANN001, ANN205
        scaled = query * scaling
        heads_table = table.t().contiguous()  # [H, P]
        output = torch.empty_like(query)
        for start in range(0, query.shape[2], rows):
            probs = _block_probs(scaled, key, heads_table, ids, start, rows)
            output[:, :, start : start + rows] = torch.matmul(probs, value)
        ctx.save_for_backward(query, key, value, table, ids, output)
        ctx.scaling, ctx.rows = scaling, rows
        return output

    @staticmethod
    def backward(ctx, grad_output):  # noqa: ANN001, ANN205
        query, key, value, table, ids, output = ctx.saved_tensors
        scaling, rows = ctx.scaling, ctx.rows
        scaled = query * scaling
        heads_table = table.t().contiguous()
        grad_output = grad_output.contiguous()
        delta = (grad_output * output).sum(-1, keepdim=True)  # [B, H, n, 1]
        grad_query, grad_key, grad_value = (
            torch.empty_like(query),
            torch.zeros_like(key),
            torch.zeros_like(value),
        )
        grad_table = torch.zeros_like(heads_table)  # [H, P]
        for start in range(0, query.shape[2], rows):
            stop = min(start + rows, query.shape[2])
            probs = _block_probs(scaled, key, heads_table, ids, start, rows)
            block_grad = grad_output[:, :, start:stop]
            grad_value += torch.matmul(probs.transpose(-1, -2), block_grad)
            scores_grad = torch.matmul(block_grad, value.transpose(-1, -2))
            scores_grad.sub_(delta[:, :, start:stop]).mul_(probs)  # d(logits) [B, H, rows, n]
            grad_query[:, :, start:stop] = torch.matmul(scores_grad, key)
            grad_key += torch.matmul(scores_grad.transpose(-1, -2), query[:, :, start:stop])
            bias_grad = scores_grad.sum(0, keepdim=True) if ids.shape[0] == 1 else scores_grad
            block_ids = ids[:, start:stop].reshape(-1).long()
            grad_table.index_add_(1, block_ids, bias_grad.transpose(0, 1).reshape(bias_grad.shape[1], -1))
        grad_query.mul_(scaling)
        grad_key.mul_(scaling)
        return grad_query, grad_key, grad_value, grad_table.t(), None, None, None


def _block_probs(
    scaled: torch.Tensor,
    key: torch.Tensor,
    heads_table: torch.Tensor,
    ids: torch.Tensor,
    start: int,
    rows: int,
) -> torch.Tensor:
    """Softmax weights [B, H, rows, n] of query rows start..start + rows, bias looked up from [H, P]."""
    block_ids = ids[:, start : start + rows]  # [B', rows, n]
    flat = block_ids.reshape(-1)
    heads = heads_table.shape[0]
    bias = heads_table.new_empty(heads, flat.numel())
    for head in range(heads):  # one 1-D index_select per head: far faster than a 2-D gather on CPU
        torch.index_select(heads_table[head], 0, flat, out=bias[head])
    scores = torch.matmul(scaled[:, :, start : start + rows], key.transpose(-1, -2))
    scores += bias.view(heads, *block_ids.shape).transpose(0, 1)  # [B', H, rows, n]
    return scores.softmax(dim=-1)


def blocked_orbit_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    table: torch.Tensor,
    ids: torch.Tensor,
    scaling: float,
) -> torch.Tensor:
    """:class:`BlockedOrbitAttention` with rows chosen so a block holds about ``BLOCK_SCORES`` scores;
    returns [B, n, H, d] like the other attention functions."""
    batch, heads, n, _ = query.shape
    rows = max(16, BLOCK_SCORES // max(batch * heads * n, 1))
    output = BlockedOrbitAttention.apply(query, key, value, table, ids, scaling, rows)
    return output.transpose(1, 2).contiguous()


def flex_orbit_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    table: torch.Tensor,
    ids: torch.Tensor,
    scaling: float,
    training: bool,
) -> torch.Tensor:
    """flex_attention with ``score_mod = score + table[ids[b, q, k], h]``; returns [B, n, H, d].

    The n x n bias is never materialized: the kernel gathers one table entry per score. On GPU the compiled
    kernel is used; on CPU torch offers only an uncompiled, forward-only reference (inference checks).
    """
    per_example = ids.shape[0] > 1

    def score_mod(score, batch_idx, head_idx, q_idx, kv_idx):
        row = batch_idx if per_example else 0
        return score + table[ids[row, q_idx, kv_idx], head_idx]

    if query.device.type == "cpu":
        from torch.nn.attention.flex_attention import flex_attention

        if torch.is_grad_enabled() and (query.requires_grad or table.requires_grad):
            raise ValueError(
                "flex_attention has no backward on CPU: use attn_implementation='sdpa' for CPU training, "
                "or run inference under torch.no_grad()"
            )
        output = flex_attention(query, key, value, score_mod=score_mod, scale=scaling)
    else:
        from transformers.integrations.flex_attention import compile_friendly_flex_attention

        output = compile_friendly_flex_attention(
            query, key, value, score_mod=score_mod, scale=scaling, training=training
        )
    if isinstance(output, tuple):
        output = output[0]
    return output.transpose(1, 2).contiguous()


class AsenAttention(nn.Module):
    """Multi-head self-attention with the orbit bias (and pair embeddings) on the logits."""

    def __init__(self, config: AsenConfig, layer_idx: int):
        super().__init__()
        self.config = config
        self.layer_idx = layer_idx
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.scaling = self.head_dim**-0.5
        self.is_causal = False
        self.attention_dropout = config.attention_probs_dropout_prob
        self.qkv = nn.Linear(config.hidden_size, 3 * config.hidden_size)
        self.out_proj = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(
        self,
        hidden_states: torch.Tensor,
        layout: OrbitLayout,
        ids: torch.Tensor | None,
        key_bias: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``ids`` [B', n, n] index the layout's stacked tables; for node-only batches ``ids`` is None and
        ``key_bias`` [B, 1, 1, n] (or None without padding) is the whole additive mask."""
        batch, n, _ = hidden_states.shape
        qkv = self.qkv(hidden_states).view(batch, n, 3, self.num_heads, self.head_dim)
        query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each [B, H, n, d]
        dropout = self.attention_dropout if self.training else 0.0
        implementation = self.config._attn_implementation or "eager"
        if ids is None:  # node-only breaking: the plain transformer's attention
            if need_weights:
                implementation = "eager"
            elif implementation == "flex_attention":  # nothing for a score_mod to add
                implementation = "sdpa"
            attention: Callable = ALL_ATTENTION_FUNCTIONS.get_interface(
                implementation, eager_attention_forward
            )
            output, weights = attention(
                self, query, key, value, key_bias, dropout=dropout, scaling=self.scaling, is_causal=False
            )
            return self.out_proj(output.reshape(batch, n, -1)), weights
        table, pair_keys, pair_values = layout.layer_tables(self.layer_idx, query.dtype)
        if need_weights or pair_keys is not None:
            implementation = "eager"
        weights = None
        if implementation == "flex_attention":
            if dropout > 0:
                raise ValueError("flex_attention does not support attention dropout; set the model to eval()")
            output = flex_orbit_attention(query, key, value, table, ids, self.scaling, self.training)
        elif (
            implementation == "sdpa"
            and pair_keys is None
            and query.device.type == "cpu"
            and not dropout
            and not tracing()
        ):
            output = blocked_orbit_attention(query, key, value, table, ids, self.scaling)
        else:
            bias = table[ids].permute(0, 3, 1, 2)  # [B', H, n, n]
            if pair_keys is not None:
                output, weights = pair_embedding_attention(
                    self, query, key, value, bias, ids, pair_keys, pair_values, self.scaling, dropout
                )
            else:
                attention: Callable = ALL_ATTENTION_FUNCTIONS.get_interface(
                    implementation, eager_attention_forward
                )
                output, weights = attention(
                    self, query, key, value, bias, dropout=dropout, scaling=self.scaling, is_causal=False
                )
        return self.out_proj(output.reshape(batch, n, -1)), weights


class AsenLayer(GradientCheckpointingLayer):
    """Pre-LN block: x + Attn(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, config: AsenConfig, layer_idx: int):
        super().__init__()
        self.attention_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attention = AsenAttention(config, layer_idx)
        self.mlp_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.mlp = nn.Sequential(
            nn.Linear(config.hidden_size, config.intermediate_size),
            ACT2FN[config.hidden_act],
            nn.Linear(config.intermediate_size, config.hidden_size),
        )
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self,
        hidden_states: torch.Tensor,
        layout: OrbitLayout,
        ids: torch.Tensor | None,
        key_bias: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> torch.Tensor:
        attended, _ = self.attention(self.attention_norm(hidden_states), layout, ids, key_bias, need_weights)
        hidden_states = hidden_states + self.dropout(attended)
        return hidden_states + self.dropout(self.mlp(self.mlp_norm(hidden_states)))


class AsenBackbone(nn.Module):
    """The shared S_n-equivariant encoder: ``layers`` then a final LayerNorm ``norm``."""

    def __init__(self, config: AsenConfig):
        super().__init__()
        self.layers = nn.ModuleList(AsenLayer(config, i) for i in range(config.num_hidden_layers))
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)


# --------------------------------------------------------------------------------------------------
# Input adapters
# --------------------------------------------------------------------------------------------------


class TokenAdapter(nn.Module):
    """``input_ids`` [B, n] -> embedding rows [B, n, hidden]."""

    kind = "tokens"

    def __init__(self, config: AsenConfig, spec: dict[str, Any]):
        super().__init__()
        self.embedding = nn.Embedding(spec["vocab_size"], config.hidden_size)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.embedding(input_ids)


class FeatureAdapter(nn.Module):
    """``node_features`` [B, n, width] -> (x - mean) / std (when stored) -> linear map to [B, n, hidden].

    The statistics come from the config (not weights): plain CPU tensors, like the orbit ids.
    """

    kind = "features"

    def __init__(self, config: AsenConfig, spec: dict[str, Any]):
        super().__init__()
        self.width = int(spec["width"])
        self.projection = nn.Linear(self.width, config.hidden_size)
        # torch.from_numpy: a CPU tensor even under from_pretrained's meta-device construction
        self.mean = torch.from_numpy(np.asarray(spec["mean"], dtype=np.float32)) if "mean" in spec else None
        self.std = torch.from_numpy(np.asarray(spec["std"], dtype=np.float32)) if "std" in spec else None

    def forward(self, node_features: torch.Tensor) -> torch.Tensor:
        values = node_features.to(self.projection.weight.dtype)
        if self.mean is not None:
            mean = self.mean.to(device=values.device, dtype=values.dtype)
            values = (values - mean) / self.std.to(device=values.device, dtype=values.dtype)
        return self.projection(values)


def make_adapter(config: AsenConfig, spec: dict[str, Any]) -> nn.Module:
    return TokenAdapter(config, spec) if spec["kind"] == "tokens" else FeatureAdapter(config, spec)


# --------------------------------------------------------------------------------------------------
# Pretrained base class
# --------------------------------------------------------------------------------------------------


class AsenPreTrainedModel(PreTrainedModel):
    """Weight init, parameter groups and symmetry management shared by every ASEN class."""

    config_class = AsenConfig
    config: AsenConfig
    base_model_prefix = "asen"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flex_attn = True
    _supports_attention_backend = False
    _no_split_modules = ["AsenLayer"]
    _can_record_outputs: ClassVar[dict[str, Any]] = {"hidden_states": AsenLayer, "attentions": AsenAttention}
    # Set by the asen_fm package (asen_fm/hub.py) to write the model card into saved folders; absent when
    # only the shipped files are loaded (trust_remote_code), where saving works without a card.
    save_hook: ClassVar[Callable[[AsenConfig, Any], None] | None] = None
    push_hook: ClassVar[Callable[..., Any] | None] = None

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, SymmetryEmbedder):
            for table in (module.pair_bias, module.pair_key, module.pair_value):
                if table is not None:
                    init.normal_(table, mean=0.0, std=self.config.initializer_range)

    def add_symmetry(
        self,
        name: str,
        group: Any,
        edges: Any = None,
        framework: str | None = None,
        directed: bool | None = None,
    ) -> SymmetryEmbedder:
        """Add a freshly initialized embedder for ``group`` (optionally on a graph); record it in config."""
        return self.base_model.add_symmetry(name, group, edges=edges, framework=framework, directed=directed)

    def add_input_adapter(self, name: str, spec: dict[str, Any]) -> nn.Module:
        """Add a freshly initialized input adapter (``{"kind": "tokens", "vocab_size": V}`` or
        ``{"kind": "features", "width": d[, "mean", "std"]}``); record it in config."""
        return self.base_model.add_input_adapter(name, spec)

    def head_modules(self) -> dict[str, nn.Module]:
        """Heads by task name (single-task classes: one head named ``"head"``)."""
        head = getattr(self, "head", None)
        return {"head": head} if head is not None else {}

    def parameter_groups(
        self, symmetries: Iterable[str] | None = None, heads: Iterable[str] | None = None
    ) -> dict[str, list[nn.Parameter]]:
        """Parameters by role: ``backbone``, ``symmetry`` (embedders), ``embeddings`` (inputs), ``heads``.

        ``symmetries`` / ``heads`` restrict those two groups to the given names (KeyError on unknown names).
        """
        model = self.base_model
        embedders = dict(model.symmetry_embedders.items())
        head_modules = self.head_modules()
        chosen_symmetries = _select(embedders, symmetries, "symmetry")
        chosen_heads = _select(head_modules, heads, "head")
        return {
            "backbone": list(model.backbone.parameters()),
            "symmetry": [p for name in chosen_symmetries for p in embedders[name].parameters()],
            "embeddings": list(model.input_adapters.parameters()),
            "heads": [p for name in chosen_heads for p in head_modules[name].parameters()],
        }

    def save_pretrained(self, save_directory: Any, *args: Any, **kwargs: Any) -> None:
        """``PreTrainedModel.save_pretrained`` with the complete ``auto_map`` (and asen_fm's model card)."""
        self.config.auto_map = dict(AUTO_MAP)
        super().save_pretrained(save_directory, *args, **kwargs)
        if kwargs.get("is_main_process", True) and type(self).save_hook is not None:
            type(self).save_hook(self.config, save_directory)

    def push_to_hub(self, repo_id: str, *args: Any, **kwargs: Any) -> Any:
        """Upload to the Hub; with asen_fm installed via ``asen_fm.hub.push_to_hub`` (keeps the ASEN card)."""
        hook = type(self).push_hook
        if hook is None:
            return super().push_to_hub(repo_id, *args, **kwargs)
        return hook(self, repo_id, *args, **kwargs)

    @classmethod
    def from_pretrained(cls, *args: Any, **kwargs: Any) -> Any:
        """``PreTrainedModel.from_pretrained``; warns when the checkpoint was saved from another head.

        Weights of checkpoints written before input adapters existed (``token_embeddings``,
        ``input_projection``) load into the adapters ``tokens`` and ``features``.
        """
        kwargs["key_mapping"] = {**LEGACY_WEIGHT_NAMES, **(kwargs.get("key_mapping") or {})}
        loaded = super().from_pretrained(*args, **kwargs)
        model = loaded[0] if isinstance(loaded, tuple) else loaded  # output_loading_info=True
        conversions = getattr(model, "_weight_conversions", None)
        if conversions:  # save under today's names: do not reverse the legacy renaming on save_pretrained
            model._weight_conversions = [
                c
                for c in conversions
                if not set(getattr(c, "source_patterns", ())) & set(LEGACY_WEIGHT_NAMES)
            ]
        saved = (getattr(model.config, "architectures", None) or [None])[0]
        if (
            saved is not None
            and saved != cls.__name__
            and cls.__name__ != "AsenModel"
            and saved != "AsenModel"
        ):
            logger.warning(
                f"This checkpoint was saved from {saved} but is loaded as {cls.__name__}: its head is new "
                f"and untrained (and its outputs differ in kind); load it with {saved} to keep the trained "
                "head."
            )
        return loaded


def _select(modules: dict[str, nn.Module], names: Iterable[str] | None, what: str) -> list[str]:
    if names is None:
        return list(modules)
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        if name not in modules:
            raise KeyError(f"unknown {what} {name!r}; known: {sorted(modules)}")
    return names


# --------------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------------


class AsenModel(AsenPreTrainedModel):
    """Input embedding + orbit embedding of the chosen symmetry -> shared encoder -> states [B, n, hidden]."""

    _auto_class = "AutoModel"

    def __init__(self, config: AsenConfig):
        super().__init__(config)
        config.adopt_legacy_sizes()
        if not config.input_adapters:
            raise ValueError(
                "AsenConfig needs an input: vocab_size > 0 (token inputs), input_dim > 0 (node features) "
                "or input_adapters"
            )
        self.input_adapters = nn.ModuleDict(
            {name: make_adapter(config, spec) for name, spec in config.input_adapters.items()}
        )
        self.symmetry_embedders = nn.ModuleDict(
            {name: SymmetryEmbedder(config, entry) for name, entry in config.symmetries.items()}
        )
        self.embedding_dropout = nn.Dropout(config.hidden_dropout_prob)
        self.backbone = AsenBackbone(config)
        self.gradient_checkpointing = False
        self._layouts: dict[tuple, OrbitLayout] = {}
        self.post_init()

    def _token_adapter_name(self) -> str | None:
        """``tokens``, else the only token adapter, else None."""
        names = [name for name, spec in self.config.input_adapters.items() if spec["kind"] == "tokens"]
        return TOKENS if TOKENS in names else (names[0] if len(names) == 1 else None)

    def get_input_embeddings(self) -> nn.Module | None:
        name = self._token_adapter_name()
        return None if name is None else self.input_adapters[name].embedding

    def set_input_embeddings(self, value: nn.Module) -> None:
        name = self._token_adapter_name()
        if name is None:
            raise ValueError(f"this model has no token input adapter to set ({sorted(self.input_adapters)})")
        self.input_adapters[name].embedding = value
        self.config.set_adapter_vocab_size(name, value.num_embeddings)

    def add_input_adapter(self, name: str, spec: dict[str, Any]) -> nn.Module:
        """Add an input adapter (same device/dtype as the model) and record it in the config."""
        entry = self.config.add_input_adapter(name, spec)
        adapter = make_adapter(self.config, entry)
        reference = self.backbone.norm.weight
        adapter.to(device=reference.device, dtype=reference.dtype)
        adapter.apply(self._init_weights)
        self.input_adapters[name] = adapter
        return adapter

    def resolve_symmetry(self, symmetry: str | None) -> str:
        """The symmetry name to use: ``symmetry`` itself, or the only one when omitted."""
        known = sorted(self.symmetry_embedders)
        if symmetry is None:
            if len(known) != 1:
                raise ValueError(f"pass symmetry=... : this model has {len(known)} symmetries {known}")
            return known[0]
        if not isinstance(symmetry, str):
            raise TypeError(f"symmetry must be a name or a list of names, got {type(symmetry).__name__}")
        if symmetry not in self.symmetry_embedders:
            raise KeyError(f"unknown symmetry {symmetry!r}; known symmetries: {known}")
        return symmetry

    def resolve_symmetries(self, symmetry: str | Sequence[str] | None, batch: int) -> tuple[str, ...]:
        """One name per example, or a single name when the whole batch shares it."""
        if symmetry is None or isinstance(symmetry, str):
            return (self.resolve_symmetry(symmetry),)
        if not isinstance(symmetry, (list, tuple)):
            raise TypeError(f"symmetry must be a name or a list of names, got {type(symmetry).__name__}")
        if len(symmetry) != batch:
            raise ValueError(f"symmetry lists {len(symmetry)} names for a batch of {batch} examples")
        names = tuple(self.resolve_symmetry(name) for name in symmetry)
        return names[:1] if len(set(names)) == 1 else names

    def add_symmetry(
        self,
        name: str,
        group: Any,
        edges: Any = None,
        framework: str | None = None,
        directed: bool | None = None,
    ) -> SymmetryEmbedder:
        """Add an embedder for ``group`` under ``name`` (same device/dtype as the model) and record it.

        ``edges`` ([[i, j], ...], undirected unless ``directed``) and ``framework`` (``"full"``,
        ``"sparse"``, ``"weakly_sparse"``) put the symmetry on a graph, as in ``AsenConfig.symmetries``.
        """
        entry = self.config.add_symmetry(name, group, edges=edges, framework=framework, directed=directed)
        embedder = SymmetryEmbedder(self.config, entry)
        reference = self.backbone.norm.weight
        embedder.to(device=reference.device, dtype=reference.dtype)
        embedder.apply(self._init_weights)
        self.symmetry_embedders[name] = embedder
        return embedder

    def layout(
        self,
        names: tuple[str, ...],
        n_max: int,
        device: torch.device,
        sizes: tuple[tuple[int, ...] | None, ...] | None = None,
    ) -> OrbitLayout:
        """The batch's ``OrbitLayout`` on ``device``, cached for the last 32 batch compositions (``sizes``:
        each example's size under a family symmetry, see ``family_sizes``).

        A symbolic ``n_max`` (torch.export / torch.compile with a dynamic length, padded batches only) gets
        the layout of the batch's widest symmetry, padded symbolically. Layouts built while exporting (fake
        tensors) are not cached.
        """
        if isinstance(n_max, torch.SymInt):
            width = max(self.symmetry_embedders[name].n for name in names)
            return self.layout(names, width, device, sizes).padded(n_max)
        key = (names, n_max, device, sizes)
        if torch.compiler.is_exporting() and key not in self._layouts:  # export traces with fake tensors:
            embedders = [self.symmetry_embedders[name] for name in names]  # keep them out of the cache
            return build_layout(embedders, n_max, sizes).to(device)
        if key not in self._layouts:
            if len(self._layouts) >= 32:
                self._layouts.pop(next(iter(self._layouts)))
            embedders = [self.symmetry_embedders[name] for name in names]
            self._layouts[key] = build_layout(embedders, n_max, sizes).to(device)
        return self._layouts[key]

    def family_sizes(
        self,
        names: tuple[str, ...],
        batch: int,
        n_max: int,
        attention_mask: torch.Tensor | None,
        image_shape: tuple[int, int] | None,
    ) -> tuple[tuple[str, ...], tuple[tuple[int, ...] | None, ...] | None]:
        """(names, sizes): the size each example is colored at under a family symmetry (None for a fixed
        degree), read off its real nodes; names are repeated per example when the sizes differ.

        A family example's real nodes come first (``attention_mask`` 1 then 0) and its length must be one
        the family has within its bound (ValueError naming the example otherwise).
        """
        embedders = [self.symmetry_embedders[name] for name in names]
        if not any(e.family for e in embedders):
            return names, None
        if attention_mask is None:
            lengths = [n_max] * batch
        else:
            mask = attention_mask.bool()
            gaps = (mask[:, 1:] & ~mask[:, :-1]).any(dim=1)
            if gaps.any():
                b = int(gaps.nonzero()[0])
                raise ValueError(
                    f"attention_mask of example {b} has a real node after padding: under a family symmetry "
                    "the real nodes come first"
                )
            lengths = mask.sum(dim=1).tolist()
        per_example = embedders if len(embedders) == batch else embedders * batch
        sizes = []
        for b, (e, length) in enumerate(zip(per_example, lengths, strict=True)):
            if not e.family:
                sizes.append(None)
                continue
            size = family_size(e.entry, int(length), image_shape if length == n_max else None)
            check_family_size(e.entry, size, where=f"example {b} (symmetry {e.entry['spec']})")
            sizes.append(size)
        if len(names) == 1 and len(set(sizes)) == 1:
            return names, tuple(sizes[:1])
        return (names if len(names) == batch else names * batch), tuple(sizes)

    def flatten_images(
        self, tensor: torch.Tensor | None, names: tuple[str, ...], what: str, batch_dims: int
    ) -> torch.Tensor | None:
        """[B, h, w, ...] -> [B, h * w, ...] (row-major) when every example's symmetry is grid(h, w, ...)."""
        if tensor is None or tensor.dim() != batch_dims + 2:  # [B, n(, d)] or a shape embed_inputs refuses
            return tensor
        shapes = set()
        for name in names:
            entry = self.config.symmetries[name]
            if is_family(entry) and family_parts(entry)[0] == "grid":  # any h x w: the family checks the fit
                shapes.add(tuple(tensor.shape[1:3]))
                continue
            match = GRID_SPEC.match(entry.get("spec", ""))
            shapes.add((int(match[1]), int(match[2])) if match else None)
        shape = shapes.pop() if len(shapes) == 1 else None
        if shape is None or tuple(tensor.shape[1:3]) != shape:
            wanted = "[batch, n]" if batch_dims == 1 else "[batch, n, input_dim]"
            raise ValueError(
                f"{what} must be {wanted}, got shape {tuple(tensor.shape)}; image-shaped inputs need a "
                f"grid(h, w, ...) symmetry of that h x w (symmetry {list(dict.fromkeys(names))}), otherwise "
                f"flatten them row-major with .flatten(1, 2)"
            )
        return tensor.flatten(1, 2)

    def resolve_adapters(
        self, input_ids: torch.Tensor | None, node_features: torch.Tensor | None, adapter: str | None
    ) -> list[tuple[str, torch.Tensor]]:
        """(adapter name, input) pairs to embed: the named ``adapter``, or by input kind when omitted.

        Omitted, ids go to the ``tokens`` adapter and features to ``features`` (or to the only adapter of
        their kind and width), summed when both are given: how checkpoints without adapters ran.
        """
        specs = self.config.input_adapters
        if adapter is not None:
            if adapter not in specs:
                raise unknown_adapter(adapter, specs)
            if input_ids is not None and node_features is not None:
                raise ValueError(
                    f"input adapter {adapter!r} takes one input, {describe(specs[adapter])}; got both "
                    "input_ids and node_features"
                )
            given = input_ids if input_ids is not None else node_features
            kind = "tokens" if input_ids is not None else "features"
            width = int(node_features.shape[-1]) if node_features is not None and node_features.dim() else 0
            check_input_fits(adapter, specs[adapter], kind, width=width)
            return [(adapter, given)]
        pairs = []
        for kind, given in (("tokens", input_ids), ("features", node_features)):
            if given is None:
                continue
            preferred = TOKENS if kind == "tokens" else "features"
            if preferred in specs and specs[preferred]["kind"] == kind:
                pairs.append((preferred, given))
                continue
            width = int(given.shape[-1]) if kind == "features" and given.dim() else 0
            fits = [n for n, sp in specs.items() if sp["kind"] == kind and sp.get("width", width) == width]
            if len(fits) != 1:
                what = "input_ids" if kind == "tokens" else f"node_features of width {width}"
                legacy = (
                    f"vocab_size={self.config.vocab_size}"
                    if kind == "tokens"
                    else (f"input_dim={self.config.input_dim}")
                )
                known = ", ".join(f"{n}: {describe(sp)}" for n, sp in specs.items())
                problem = "no input adapter takes" if not fits else "pass adapter=... : several adapters take"
                raise ValueError(f"{problem} {what} ({legacy}); this model's input adapters are {known}")
            pairs.append((fits[0], given))
        return pairs

    def embed_inputs(
        self,
        input_ids: torch.Tensor | None,
        node_features: torch.Tensor | None,
        adapter: str | None = None,
    ) -> torch.Tensor:
        """The inputs through their adapters (summed when ids and features both come), [B, n, hidden]."""
        if input_ids is None and node_features is None:
            raise ValueError("pass input_ids [B, n] and/or node_features [B, n, input_dim]")
        states = None
        for name, given in self.resolve_adapters(input_ids, node_features, adapter):
            spec = self.config.input_adapters[name]
            if spec["kind"] == "tokens":
                if given.dim() != 2:
                    raise ValueError(
                        f"input_ids must be [batch, n] (or [batch, h, w] for a grid symmetry), got shape "
                        f"{tuple(given.shape)}"
                    )
                if not tracing():
                    bad = given[(given < 0) | (given >= spec["vocab_size"])]
                    if bad.numel():
                        raise ValueError(
                            f"input_ids holds {int(bad[0])}, outside [0, vocab_size={spec['vocab_size']}) of "
                            f"input adapter {name!r}"
                        )
            elif given.dim() != 3 or given.shape[-1] != spec["width"]:
                raise ValueError(
                    f"node_features must be [batch, n, {spec['width']}] (or [batch, h, w, {spec['width']}] "
                    f"for a grid symmetry) for input adapter {name!r}, got shape {tuple(given.shape)}"
                )
            embedded = self.input_adapters[name](given)
            if states is not None and states.shape[:2] != embedded.shape[:2]:
                raise ValueError(
                    f"input_ids {tuple(states.shape[:2])} and node_features {tuple(embedded.shape[:2])} "
                    "disagree on [batch, n]"
                )
            states = embedded if states is None else states + embedded
        return states

    def check_lengths(
        self, names: tuple[str, ...], n_max: int, attention_mask: torch.Tensor | None, batch: int
    ) -> None:
        """Each example's nodes are positions 0..n_b - 1 of its symmetry's degree n_b; the rest is padding."""
        degrees = [self.symmetry_embedders[name].n or n_max for name in names]  # families: any length
        if len(names) == 1 and attention_mask is None and n_max != degrees[0]:
            raise ValueError(
                f"sequence length {n_max} does not match symmetry {names[0]!r} of degree n={degrees[0]} "
                "(pad with an attention_mask to batch shorter examples)"
            )
        for name, degree in zip(names, degrees, strict=True):
            if degree > n_max:
                raise ValueError(
                    f"sequence length {n_max} does not match symmetry {name!r} of degree n={degree}"
                )
        if attention_mask is None:
            return
        if attention_mask.shape != (batch, n_max):
            raise ValueError(
                f"attention_mask must be [batch, n] = {(batch, n_max)}, got {tuple(attention_mask.shape)}"
            )
        if tracing():
            return
        lengths = torch.tensor(degrees, device=attention_mask.device).expand(batch)
        beyond = attention_mask.bool() & (
            torch.arange(n_max, device=attention_mask.device) >= lengths[:, None]
        )
        if beyond.any():
            b, i = (int(v) for v in beyond.nonzero()[0])
            name = names[b if len(names) > 1 else 0]
            raise ValueError(
                f"attention_mask marks node {i} of example {b} as real, but its symmetry {name!r} has degree "
                f"{degrees[b if len(names) > 1 else 0]}: real nodes come first, one per point of the group"
            )

    def check_dynamic_length(self, names: tuple[str, ...], attention_mask: torch.Tensor | None) -> None:
        """torch.export with a sequence length declared dynamic: only a padded batch of fixed-degree
        symmetries has one graph for every length (>= the widest degree); ValueError saying why otherwise."""
        families = [name for name in names if self.symmetry_embedders[name].family]
        if families:
            raise ValueError(
                f"the sequence length (dim 1 of the inputs) cannot be dynamic under the family symmetry "
                f"{families[0]!r}: each length has its own orbit coloring, fixed at trace time; export one "
                "program per length (a static dim 1)"
            )
        if attention_mask is None:
            degree = self.symmetry_embedders[names[0]].n
            raise ValueError(
                f"the sequence length (dim 1 of the inputs) cannot be dynamic without an attention_mask: "
                f"symmetry {names[0]!r} fixes it to its degree n={degree}; pass attention_mask (a padded "
                f"batch) to export every length >= {degree}, or make dim 1 static"
            )

    def node_mask(
        self,
        symmetry: str | Sequence[str] | None,
        batch: int,
        n_max: int,
        attention_mask: torch.Tensor | None,
        device: torch.device,
    ) -> torch.Tensor | None:
        """Bool [B', n]: the real nodes of each example (None when every node is real)."""
        names = self.resolve_symmetries(symmetry, batch)
        degrees = [self.symmetry_embedders[name].n or n_max for name in names]  # a family: the mask's nodes
        if attention_mask is None and all(degree == n_max for degree in degrees):
            return None
        lengths = torch.tensor(degrees, device=device)
        valid = torch.arange(n_max, device=device) < lengths[:, None]
        if attention_mask is not None:
            valid = valid & attention_mask.bool()
        return valid

    @capture_outputs
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        node_features: torch.Tensor | None = None,
        symmetry: str | Sequence[str] | None = None,
        attention_mask: torch.Tensor | None = None,
        adapter: str | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> BaseModelOutput:
        """Node states [B, n, hidden] of a G-equivariant encoder, G = ``config.symmetries[symmetry]``.

        ``symmetry`` is a name, or one name per example; ``attention_mask`` [B, n] marks real nodes
        (1) and padding (0); ``adapter`` names the input adapter (omitted: ids -> ``tokens``, features
        -> ``features``). Grid symmetries also take image-shaped inputs [B, h, w(, d)] (flattened
        row-major).
        """
        check_kwargs(kwargs, "AsenModel.forward")
        reference = input_ids if input_ids is not None else node_features
        if reference is None:
            raise ValueError("pass input_ids [B, n] and/or node_features [B, n, input_dim]")
        names = self.resolve_symmetries(symmetry, reference.shape[0])
        image_shape = (
            tuple(reference.shape[1:3]) if reference.dim() == (3 if input_ids is not None else 4) else None
        )
        input_ids = self.flatten_images(input_ids, names, "input_ids", 1)
        node_features = self.flatten_images(node_features, names, "node_features", 2)
        states = self.embed_inputs(input_ids, node_features, adapter)
        batch, n_max, _ = states.shape
        if isinstance(n_max, torch.SymInt) and declared_dynamic(n_max):
            self.check_dynamic_length(names, attention_mask)
        self.check_lengths(names, n_max, attention_mask, batch)
        names, sizes = self.family_sizes(names, batch, n_max, attention_mask, image_shape)
        layout = self.layout(names, n_max, states.device, sizes)
        ids, key_bias = layout.pair_index, None
        if layout.node_only:  # no pair table: only padded keys need masking
            ids = None
            valid = self.node_mask(symmetry, batch, n_max, attention_mask, states.device)
            if valid is not None:
                key_bias = states.new_zeros(valid.shape[0], 1, 1, n_max)
                key_bias = key_bias.masked_fill(~valid[:, None, None, :], torch.finfo(states.dtype).min)
        elif attention_mask is not None:  # padded keys take the MASK row of the tables
            ids = torch.where(attention_mask.bool()[:, None, :], ids, layout.fill_id + 1)
        need_weights = kwargs.get("output_attentions", self.config.output_attentions)
        if need_weights and (self.config._attn_implementation or "eager") != "eager":
            logger.warning_once(
                f"output_attentions=True needs attention weights, which {self.config._attn_implementation} "
                "does "
                "not return: this call runs the eager attention instead"
            )
        states = self.embedding_dropout(states + layout.node_states())
        for layer in self.backbone.layers:
            states = layer(states, layout, ids, key_bias, bool(need_weights))
        return BaseModelOutput(last_hidden_state=self.backbone.norm(states))


# --------------------------------------------------------------------------------------------------
# Heads and losses
# --------------------------------------------------------------------------------------------------


class NodeHead(nn.Module):
    """Per-node map [B, n, hidden] -> [B, n, k] (G-equivariant): token classification or node regression."""

    def __init__(self, config: AsenConfig, num_labels: int):
        super().__init__()
        dropout = config.classifier_dropout
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.out = nn.Linear(config.hidden_size, num_labels)

    def forward(self, states: torch.Tensor, node_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.out(self.dropout(states))


class PooledHead(nn.Module):
    """G-invariant map: mean, sum or per-channel max over the real nodes, then an MLP to [B, k]."""

    def __init__(self, config: AsenConfig, num_labels: int):
        super().__init__()
        dropout = config.classifier_dropout
        self.pooling = config.pooling
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = ACT2FN[config.hidden_act]
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.out = nn.Linear(config.hidden_size, num_labels)

    def forward(self, states: torch.Tensor, node_mask: torch.Tensor | None = None) -> torch.Tensor:
        if self.pooling == "max":
            if node_mask is not None:  # padding never wins; a graph with no real node pools to zeros
                real = node_mask.bool().expand(states.shape[0], -1).unsqueeze(-1)
                states = states.masked_fill(~real, torch.finfo(states.dtype).min)
                pooled = states.amax(dim=1).masked_fill(~real.any(dim=1), 0.0)
            else:
                pooled = states.amax(dim=1)
        elif node_mask is None:
            pooled = states.sum(dim=1) if self.pooling == "sum" else states.mean(dim=1)
        else:
            weights = node_mask.to(states.dtype).expand(states.shape[0], -1).unsqueeze(-1)
            pooled = (states * weights).sum(dim=1)
            if self.pooling == "mean":
                pooled = pooled / weights.sum(dim=1).clamp(min=1)
        return self.out(self.dropout(self.activation(self.dense(pooled))))


def compute_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    problem_type: str,
    regression_loss: str,
    node_mask: torch.Tensor | None = None,
    num_items_in_batch: torch.Tensor | int | None = None,
) -> torch.Tensor:
    """Cross-entropy (ignores -100), BCE-with-logits, or L1/MSE regression of ``logits`` vs ``labels``.

    ``node_mask`` [B, n] (per-node logits only) leaves padded nodes out; ``num_items_in_batch`` (from
    Trainer with gradient accumulation) turns the cross-entropy mean into a sum over that count.
    """
    num_labels = logits.shape[-1]
    per_node = node_mask is not None and logits.dim() == 3
    if problem_type == "single_label_classification":
        if labels.shape != logits.shape[:-1]:
            raise ValueError(
                f"labels shape {tuple(labels.shape)} != logits shape without classes "
                f"{tuple(logits.shape[:-1])}"
            )
        labels = labels.long()
        if per_node:
            labels = labels.masked_fill(~node_mask.expand_as(labels), -100)
        if num_items_in_batch is None:
            return nn.functional.cross_entropy(logits.reshape(-1, num_labels), labels.reshape(-1))
        total = nn.functional.cross_entropy(
            logits.reshape(-1, num_labels), labels.reshape(-1), reduction="sum"
        )
        return total / num_items_in_batch
    target = labels.to(logits.dtype)
    if target.shape != logits.shape:
        if num_labels == 1 and target.shape == logits.shape[:-1]:
            target = target.unsqueeze(-1)
        else:
            raise ValueError(
                f"labels shape {tuple(labels.shape)} does not match logits {tuple(logits.shape)}"
            )
    if problem_type == "multi_label_classification":
        elementwise = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    elif problem_type == "regression":
        loss = nn.functional.l1_loss if regression_loss == "l1" else nn.functional.mse_loss
        elementwise = loss(logits, target, reduction="none")
    else:
        raise ValueError(f"unknown problem_type {problem_type!r}")
    if not per_node:
        return elementwise.mean()
    weights = node_mask.to(elementwise.dtype).expand(elementwise.shape[:2]).unsqueeze(-1)
    return (elementwise * weights).sum() / (weights.sum() * num_labels).clamp(min=1)


def loss_mask(
    node_mask: torch.Tensor | None, label_mask: torch.Tensor | None, logits: torch.Tensor
) -> torch.Tensor | None:
    """The per-node mask of targets the loss scores: real nodes (``node_mask``) that ``label_mask`` keeps."""
    if label_mask is None:
        return node_mask
    if logits.dim() != 3 or label_mask.shape != logits.shape[:2]:
        raise ValueError(
            f"label_mask must be [batch, n] = {tuple(logits.shape[:2])} for a per-node head, got "
            f"{tuple(label_mask.shape)}" + ("" if logits.dim() == 3 else " (sequence heads take none)")
        )
    label_mask = label_mask.bool()
    return label_mask if node_mask is None else node_mask & label_mask


def _default_problem_type(config: AsenConfig, num_labels: int) -> str:
    if config.problem_type is not None:
        return config.problem_type
    return "regression" if num_labels == 1 else "single_label_classification"


class _SingleHeadModel(AsenPreTrainedModel):
    """Shared ``forward`` of the single-task classes: backbone then ``self.head``."""

    head_class: type[nn.Module] = NodeHead
    output_class: type = TokenClassifierOutput

    def __init__(self, config: AsenConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.asen = AsenModel(config)
        self.head = self.head_class(config, config.num_labels)
        self.post_init()

    def problem_type(self) -> str:
        return _default_problem_type(self.config, self.num_labels)

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        node_features: torch.Tensor | None = None,
        symmetry: str | Sequence[str] | None = None,
        labels: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        label_mask: torch.Tensor | None = None,
        adapter: str | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> TokenClassifierOutput | SequenceClassifierOutput:
        """Backbone then head; ``labels`` give the loss, ``label_mask`` [B, n] (per-node heads) the targets
        it scores (e.g. sensors with a reading), besides the padding ``attention_mask`` leaves out;
        ``adapter`` names the input adapter (as in ``AsenModel.forward``)."""
        check_kwargs(kwargs, f"{type(self).__name__}.forward")
        num_items_in_batch = kwargs.pop("num_items_in_batch", None)
        outputs = self.asen(
            input_ids=input_ids,
            node_features=node_features,
            symmetry=symmetry,
            attention_mask=attention_mask,
            adapter=adapter,
            return_dict=True,
            **kwargs,
        )
        states = outputs.last_hidden_state
        node_mask = self.asen.node_mask(
            symmetry, states.shape[0], states.shape[1], attention_mask, states.device
        )
        logits = self.head(states, node_mask)
        loss = None
        if labels is not None:
            loss = compute_loss(
                logits,
                labels,
                self.problem_type(),
                self.config.regression_loss,
                loss_mask(node_mask, label_mask, logits),
                num_items_in_batch,
            )
        return self.output_class(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )


class AsenForTokenClassification(_SingleHeadModel):
    """G-equivariant per-node classification: logits [B, n, num_labels], f(g . x) = g . f(x)."""

    _auto_class = "AutoModelForTokenClassification"
    head_class = NodeHead
    output_class = TokenClassifierOutput

    def problem_type(self) -> str:
        return self.config.problem_type or "single_label_classification"


class AsenForSequenceClassification(_SingleHeadModel):
    """G-invariant prediction from pooled node states: logits [B, num_labels], f(g . x) = f(x)."""

    _auto_class = "AutoModelForSequenceClassification"
    head_class = PooledHead
    output_class = SequenceClassifierOutput


class AsenForNodeRegression(_SingleHeadModel):
    """G-equivariant per-node continuous targets (e.g. 3-D joints): logits [B, n, num_labels], L1 or MSE."""

    _auto_class = "AsenForNodeRegression"
    head_class = NodeHead
    output_class = TokenClassifierOutput

    def problem_type(self) -> str:
        return "regression"


class AsenForMultiTask(AsenPreTrainedModel):
    """One shared backbone, one embedder per symmetry and one head per task (``config.tasks``)."""

    _auto_class = "AsenForMultiTask"

    def __init__(self, config: AsenConfig):
        super().__init__(config)
        self.asen = AsenModel(config)
        self.heads = nn.ModuleDict({name: self._make_head(task) for name, task in config.tasks.items()})
        self.post_init()

    def _make_head(self, task: dict[str, Any]) -> nn.Module:
        head_class = PooledHead if task["head"] == "sequence" else NodeHead
        return head_class(self.config, task["num_labels"])

    def head_modules(self) -> dict[str, nn.Module]:
        return dict(self.heads.items())

    def add_task(
        self,
        name: str,
        group: Any = None,
        head: str = "token",
        num_labels: int = 2,
        problem_type: str | None = None,
        loss: str | None = None,
        symmetry: str | None = None,
        edges: Any = None,
        framework: str | None = None,
        adapter: str | dict[str, Any] | None = None,
    ) -> nn.Module:
        """Add a task head (and, when ``group`` is given, its symmetry named ``symmetry`` or ``name``).

        ``adapter`` is the input adapter the task feeds: the name of an existing one, or a new one
        ``{"name": ..., "kind": "tokens" | "features", ...}`` (see asen_fm/input_adapters.py) added with
        the head; None picks the adapter by input kind at call time.
        """
        symmetry = name if symmetry is None else symmetry
        if isinstance(adapter, dict):
            spec = dict(adapter)
            adapter = spec.pop("name", None)
            if not isinstance(adapter, str):
                raise ValueError(f"task {name!r}: a new adapter dict needs a 'name', got {spec}")
            if adapter in self.config.input_adapters:
                raise ValueError(
                    f"task {name!r}: input adapter {adapter!r} already exists; pass adapter={adapter!r} to "
                    "feed it, or another name for a new one"
                )
            normalize_adapter(adapter, spec)  # checked before anything is added
        else:
            spec = None
            if adapter is not None and adapter not in self.config.input_adapters:
                raise unknown_adapter(adapter, self.config.input_adapters)
        if group is not None:
            self.add_symmetry(symmetry, group, edges=edges, framework=framework)
        elif symmetry not in self.config.symmetries:
            raise KeyError(
                f"task {name!r}: pass group=... or symmetry= one of the known symmetries "
                f"{sorted(self.config.symmetries)}"
            )
        elif edges is not None or framework is not None:
            raise ValueError(
                f"task {name!r}: edges / framework belong with group=..., not an existing symmetry"
            )
        if spec is not None:
            self.add_input_adapter(adapter, spec)
        entry = {"symmetry": symmetry, "head": head, "num_labels": num_labels, "problem_type": problem_type}
        task = self.config.add_task(name, {**entry, "loss": loss, "adapter": adapter})
        module = self._make_head(task)
        reference = self.asen.backbone.norm.weight
        module.to(device=reference.device, dtype=reference.dtype)
        module.apply(self._init_weights)
        self.heads[name] = module
        return module

    def resolve_tasks(self, task: str | Sequence[str] | None, batch: int) -> list[str]:
        """One task name per example (a single name for the whole batch is repeated)."""
        known = sorted(self.config.tasks)
        if task is None:
            if len(known) != 1:
                raise ValueError(f"pass task=... : this model has {len(known)} tasks {known}")
            task = known[0]
        names = [task] * batch if isinstance(task, str) else list(task)
        if len(names) != batch:
            raise ValueError(f"task lists {len(names)} names for a batch of {batch} examples")
        for name in names:
            if name not in self.config.tasks:
                raise KeyError(f"unknown task {name!r}; known tasks: {known}")
        kinds = {
            (self.config.tasks[n]["head"] == "sequence", self.config.tasks[n]["num_labels"]) for n in names
        }
        if len(kinds) > 1:
            raise ValueError(
                f"a mixed batch needs tasks with one head kind and num_labels; got {sorted(set(names))}"
            )
        return names

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        node_features: torch.Tensor | None = None,
        task: str | Sequence[str] | None = None,
        labels: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        label_mask: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> TokenClassifierOutput | SequenceClassifierOutput:
        """Run ``task`` (a name, or one per example): its symmetry's embedder, the backbone, its head.

        ``label_mask`` [B, n] (per-node heads) marks the targets the loss scores, as in the single heads.
        """
        check_kwargs(kwargs, "AsenForMultiTask.forward")
        num_items_in_batch = kwargs.pop("num_items_in_batch", None)
        reference = input_ids if input_ids is not None else node_features
        if reference is None:
            raise ValueError("pass input_ids [B, n] and/or node_features [B, n, input_dim]")
        tasks = self.resolve_tasks(task, reference.shape[0])
        unique = list(dict.fromkeys(tasks))
        symmetry: str | list[str] = [self.config.tasks[t]["symmetry"] for t in tasks]
        if len(unique) == 1:
            symmetry = symmetry[0]
        adapters = {self.config.tasks[t].get("adapter") for t in unique}
        if len(adapters) > 1:
            raise ValueError(f"a mixed batch needs tasks that feed one input adapter; got {sorted(unique)}")
        outputs = self.asen(
            input_ids=input_ids,
            node_features=node_features,
            symmetry=symmetry,
            attention_mask=attention_mask,
            adapter=adapters.pop(),
            return_dict=True,
            **kwargs,
        )
        states = outputs.last_hidden_state
        node_mask = self.asen.node_mask(
            symmetry, states.shape[0], states.shape[1], attention_mask, states.device
        )
        if node_mask is not None:
            node_mask = node_mask.expand(states.shape[0], -1)
        loss = None
        if len(unique) == 1:
            logits = self.heads[unique[0]](states, node_mask)
            if labels is not None:
                scored = loss_mask(node_mask, label_mask, logits)
                loss = self._task_loss(unique[0], logits, labels, scored, num_items_in_batch)
        else:
            parts, losses = {}, []
            for name in unique:
                rows = torch.tensor([i for i, t in enumerate(tasks) if t == name], device=states.device)
                sub_mask = None if node_mask is None else node_mask[rows]
                parts[name] = (rows, self.heads[name](states[rows], sub_mask))
                if labels is not None:
                    sub_labels = None if label_mask is None else label_mask[rows]
                    scored = loss_mask(sub_mask, sub_labels, parts[name][1])
                    part_loss = self._task_loss(name, parts[name][1], labels[rows], scored, None)
                    losses.append(part_loss * len(rows))
            first = next(iter(parts.values()))[1]
            logits = first.new_zeros(states.shape[0], *first.shape[1:])
            for rows, part in parts.values():
                logits = logits.index_copy(0, rows, part)
            if labels is not None:
                loss = torch.stack(losses).sum() / states.shape[0]
        is_sequence = self.config.tasks[unique[0]]["head"] == "sequence"
        output_class = SequenceClassifierOutput if is_sequence else TokenClassifierOutput
        return output_class(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )

    def _task_loss(
        self,
        name: str,
        logits: torch.Tensor,
        labels: torch.Tensor,
        node_mask: torch.Tensor | None,
        num_items_in_batch: Any,
    ) -> torch.Tensor:
        spec = self.config.tasks[name]
        regression = spec["loss"] or self.config.regression_loss
        return compute_loss(logits, labels, spec["problem_type"], regression, node_mask, num_items_in_batch)


__all__ = [
    "AsenForMultiTask",
    "AsenForNodeRegression",
    "AsenForSequenceClassification",
    "AsenForTokenClassification",
    "AsenModel",
    "AsenPreTrainedModel",
    "SymmetryEmbedder",
]
