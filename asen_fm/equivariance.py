"""Numerical equivariance checks for any model that maps node sets to node outputs (e3nn-style).

For a per-node output f: error = max |f(g . x) - g . f(x)|; for a pooled (sequence) output:
error = max |f(g . x) - f(x)|, with the convention ``g . x = x[argsort(g)]`` along the node axis (axis 1).

``assert_equivariant(model, inputs, group=..., symmetry=...)`` draws random elements of the claimed group,
checks each within a tolerance for the output dtype, and (``outside=``) checks that a permutation outside
the claimed symmetry really breaks it, so a model that ignores its input cannot pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from transformers.modeling_outputs import BaseModelOutput, SequenceClassifierOutput

from asen_fm.family_coloring import is_family
from asen_fm.orbit_coloring import group_part

# Allowed |error| per output dtype, relative to max(1, max |output|).
TOLERANCES = {torch.float64: 1e-9, torch.float32: 2e-5, torch.float16: 5e-3, torch.bfloat16: 3e-2}
NODE_INPUTS = ("input_ids", "node_features")


def act_on_nodes(x: torch.Tensor, g: np.ndarray, axis: int = 1) -> torch.Tensor:
    """g . x along ``axis``: the item at i moves to g[i], i.e. ``x.index_select(axis, argsort(g))``."""
    index = torch.as_tensor(np.argsort(np.asarray(g)), device=x.device)
    return x.index_select(axis, index)


def _check_permutation(g: Any, n: int) -> np.ndarray:
    perm = np.asarray(g)
    if perm.shape != (n,) or not np.issubdtype(perm.dtype, np.integer):
        raise ValueError(f"g must be an integer permutation of length n={n}, got shape {perm.shape}")
    if not np.array_equal(np.sort(perm), np.arange(n)):
        raise ValueError(f"g is not a permutation of 0..{n - 1}: {perm.tolist()}")
    return perm


def _output_tensor(output: Any) -> tuple[torch.Tensor, bool]:
    """(tensor, is_per_node) of a model output: logits of a head, or last_hidden_state of AsenModel."""
    if isinstance(output, BaseModelOutput):
        return output.last_hidden_state, True
    return output.logits, not isinstance(output, SequenceClassifierOutput)


def _selector(symmetry: Any, task: Any) -> dict[str, Any]:
    if symmetry is not None and task is not None:
        raise ValueError("pass symmetry=... or task=..., not both")
    if task is not None:
        return {"task": task}
    return {"symmetry": symmetry} if symmetry is not None else {}


def _node_inputs(inputs: Mapping[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], int]:
    if not inputs or not set(inputs) & set(NODE_INPUTS):
        raise ValueError(f"inputs must hold {' and/or '.join(NODE_INPUTS)}, got {sorted(inputs)}")
    lengths = {value.shape[1] for key, value in inputs.items() if key in NODE_INPUTS}
    if len(lengths) != 1:
        raise ValueError(f"inputs disagree on the node axis length: {sorted(lengths)}")
    return dict(inputs), lengths.pop()


def equivariance_error(
    model: torch.nn.Module,
    inputs: Mapping[str, torch.Tensor],
    g: Any,
    *,
    symmetry: str | None = None,
    task: str | None = None,
) -> float:
    """Max abs violation of f(g . x) = g . f(x) (per-node outputs) or f(g . x) = f(x) (pooled outputs).

    ``inputs`` holds ``input_ids`` [B, n] and/or ``node_features`` [B, n, d] (and optionally
    ``attention_mask`` [B, n], moved with the nodes); ``symmetry`` (or ``task`` for a multi-task model)
    selects the symmetry. Runs in eval mode without gradients.
    """
    inputs, n = _node_inputs(inputs)
    perm = _check_permutation(g, n)
    selector = _selector(symmetry, task)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out, per_node = _output_tensor(model(**inputs, **selector))
            moved = {key: act_on_nodes(value, perm) for key, value in inputs.items()}
            out_moved, _ = _output_tensor(model(**moved, **selector))
    finally:
        model.train(was_training)
    expected = act_on_nodes(out, perm) if per_node else out
    return float((out_moved - expected).abs().max())


def _tolerance(model: torch.nn.Module, inputs: Mapping[str, torch.Tensor], selector: dict) -> float:
    with torch.no_grad():
        out, _ = _output_tensor(model.eval()(**inputs, **selector))
    scale = max(1.0, float(out.abs().max()))
    return TOLERANCES.get(out.dtype, 1e-4) * scale


def assert_equivariant(
    model: torch.nn.Module,
    inputs: Mapping[str, torch.Tensor],
    group: Any = None,
    *,
    symmetry: str | None = None,
    task: str | None = None,
    samples: int = 8,
    outside: Any = None,
    atol: float | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Assert f(g . x) = g . f(x) (or f(x)) for ``samples`` random g in ``group``; return the errors.

    ``group`` is a PermGroup or spec (default: the group of the selected symmetry in ``model.config``; for
    a family such as ``reversal(*)``, its member at the inputs' length).
    ``outside`` is a permutation that must *break* the model (error above 100 x the tolerance), or
    ``"auto"`` to draw one outside G^(2), the largest symmetry orbit colorings can pin down. The
    tolerance is ``atol`` or a per-dtype default (float64 1e-9, float32 2e-5, ...) times
    max(1, max |output|). Raises AssertionError naming the element that fails.
    """
    from asen_fm.symmetry import PermGroup

    inputs, n = _node_inputs(inputs)
    selector = _selector(symmetry, task)
    if group is None:
        group = _configured_group(model, symmetry, task, n)
    group = PermGroup.parse(group)
    if group.n != n:
        raise ValueError(f"group acts on {group.n} points but the inputs have {n} nodes")
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    tolerance = atol if atol is not None else _tolerance(model, inputs, selector)
    rng = np.random.default_rng(seed)
    report = {"tolerance": tolerance, "max_error": 0.0}
    for _ in range(samples):
        g = group.random_element(rng)
        error = equivariance_error(model, inputs, g, **selector)
        report["max_error"] = max(report["max_error"], error)
        if not error <= tolerance:
            raise AssertionError(
                f"not equivariant under g = {g.tolist()} in {group}: error {error:.3g} > "
                f"tolerance {tolerance:.3g}"
            )
    if outside is not None:
        g = _outside_element(group, rng) if isinstance(outside, str) and outside == "auto" else outside
        error = equivariance_error(model, inputs, g, **selector)
        report["outside_error"] = error
        if not error > 100 * tolerance:
            raise AssertionError(
                f"g = {np.asarray(g).tolist()} lies outside the claimed symmetry but the model is "
                "equivariant "
                f"to it (error {error:.3g} <= 100 x tolerance {tolerance:.3g}): the symmetry breaking is too "
                "weak to see (try float64 and a larger initializer_range) or the model ignores it"
            )
    return report


def _configured_group(model: torch.nn.Module, symmetry: str | None, task: str | None, n: int) -> Any:
    """The group of the selected symmetry (a family's member of degree n)."""
    config = model.config
    if task is not None:
        symmetry = config.tasks[task]["symmetry"]
    if symmetry is None:
        if len(config.symmetries) != 1:
            raise ValueError(
                f"pass symmetry=... or group=...: the model has symmetries {sorted(config.symmetries)}"
            )
        symmetry = next(iter(config.symmetries))
    entry = config.symmetries[symmetry]
    if is_family(entry):
        from asen_fm.symmetry.sizes import Family

        return Family.parse(entry).group(n)
    return group_part(entry)


def _outside_element(group: Any, rng: np.random.Generator) -> np.ndarray:
    """A random permutation outside G^(2) (the closure of G's orbit coloring)."""
    from asen_fm.symmetry import PermGroup, two_closure

    extra = two_closure(group).extra_generators
    closure = PermGroup(group.n, [g.tolist() for g in (*group.generators, *extra)])
    for _ in range(1000):
        g = rng.permutation(group.n)
        if not closure.contains(g):
            return g
    raise ValueError(f"no permutation outside G^(2) of {group} found: G^(2) is (nearly) all of S_{group.n}")


__all__ = ["TOLERANCES", "act_on_nodes", "assert_equivariant", "equivariance_error"]
