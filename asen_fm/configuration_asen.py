"""Configuration of the ASEN transformer: backbone sizes, input kinds, symmetries and tasks.

Everything here is JSON-plain so that ``config.json`` alone rebuilds every orbit coloring a checkpoint was
trained with: each symmetry is stored as ``{"n": n, "generators": [[...], ...], "spec": "..."}``.

This file is shipped next to the weights for ``trust_remote_code`` loading, so it imports only
``transformers`` and the standard library at module level; ``asen_fm.symmetry`` (needed only to parse spec
strings or ``PermGroup`` objects given by a user) is imported lazily inside ``try`` blocks.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import field
from typing import Any

from transformers import PreTrainedConfig

SYMMETRY_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")
HEAD_KINDS = ("token", "sequence", "node_regression")
POOLINGS = ("mean", "sum")
REGRESSION_LOSSES = ("l1", "mse")
PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")

# Complete auto_map written into every saved config.json (file stem . class name).
AUTO_MAP = {
    "AutoConfig": "configuration_asen.AsenConfig",
    "AutoModel": "modeling_asen.AsenModel",
    "AutoModelForTokenClassification": "modeling_asen.AsenForTokenClassification",
    "AutoModelForSequenceClassification": "modeling_asen.AsenForSequenceClassification",
    "AsenForNodeRegression": "modeling_asen.AsenForNodeRegression",
    "AsenForMultiTask": "modeling_asen.AsenForMultiTask",
}


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not SYMMETRY_NAME.match(name):
        raise ValueError(f"{what} name {name!r} must be a non-empty string of letters, digits, '_' or '-'")
    return name


def _validate_group_json(obj: dict, name: str) -> dict[str, Any]:
    """Check the JSON group form ``{"n", "generators"[, "spec"]}`` and return a plain-typed copy."""
    if "n" not in obj or "generators" not in obj:
        raise ValueError(
            f"symmetry {name!r}: a group dict needs keys 'n' and 'generators', got {sorted(obj)}"
        )
    n = obj["n"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"symmetry {name!r}: 'n' must be a positive int, got {n!r}")
    gens = []
    for gen in obj["generators"]:
        perm = [int(v) for v in gen]
        if sorted(perm) != list(range(n)):
            raise ValueError(f"symmetry {name!r}: generator {perm} is not a permutation of 0..{n - 1}")
        gens.append(perm)
    out: dict[str, Any] = {"n": n, "generators": gens}
    if obj.get("spec") is not None:
        out["spec"] = str(obj["spec"])
    return out


def group_to_json(group: Any, name: str = "?") -> tuple[dict[str, Any], bool]:
    """Normalize a group given as JSON dict, spec string or ``PermGroup`` to its JSON dict form.

    Returns ``(json_dict, parsed)`` where ``parsed`` says whether ``asen_fm.symmetry`` built it (spec string
    or ``PermGroup``), i.e. whether the group came from a user rather than from a saved ``config.json``.
    """
    if isinstance(group, dict):
        return _validate_group_json(group, name), False
    if isinstance(group, str) or hasattr(group, "to_json"):
        try:
            from asen_fm.symmetry import PermGroup
        except ImportError as err:  # a fresh process that only has the shipped model files
            raise ValueError(
                f"symmetry {name!r}: parsing {group!r} needs the asen_fm package; "
                "pass the JSON form {'n': ..., 'generators': [...]} instead"
            ) from err
        permgroup = PermGroup.parse(group) if isinstance(group, str) else group
        return _validate_group_json(dict(permgroup.to_json()), name), True
    raise ValueError(
        f"symmetry {name!r}: expected a spec string, a PermGroup or a JSON dict, got {type(group).__name__}"
    )


def warn_if_not_two_closed(name: str, group_json: dict[str, Any]) -> None:
    """Warn when G < G^(2): the orbit coloring then makes the model equivariant to the larger 2-closure."""
    try:
        from asen_fm.symmetry.cache import cached_two_closure
    except ImportError:
        return
    result = cached_two_closure(group_json)
    if not result.is_two_closed:
        warnings.warn(
            f"symmetry {name!r}: G = {result.group} is not 2-closed (|G| = {result.order}, "
            f"|G^(2)| = {result.closure_order}); the model will be equivariant to the larger group G^(2)",
            UserWarning,
            stacklevel=3,
        )


def validate_task(name: str, task: dict[str, Any], symmetries: dict[str, Any]) -> dict[str, Any]:
    """Check one ``config.tasks`` entry and fill defaults; returns a JSON-plain copy."""
    _check_name(name, "task")
    if not isinstance(task, dict):
        raise ValueError(f"task {name!r}: expected a dict, got {type(task).__name__}")
    unknown = set(task) - {"symmetry", "head", "num_labels", "problem_type", "loss"}
    if unknown:
        raise ValueError(f"task {name!r}: unknown keys {sorted(unknown)}")
    symmetry = task.get("symmetry", name)
    if symmetry not in symmetries:
        raise KeyError(f"task {name!r} uses symmetry {symmetry!r}; known symmetries: {sorted(symmetries)}")
    head = task.get("head", "token")
    if head not in HEAD_KINDS:
        raise ValueError(f"task {name!r}: head must be one of {HEAD_KINDS}, got {head!r}")
    num_labels = task.get("num_labels", 2)
    if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 1:
        raise ValueError(f"task {name!r}: num_labels must be a positive int, got {num_labels!r}")
    default_problem = "regression" if head == "node_regression" else "single_label_classification"
    problem_type = task.get("problem_type") or default_problem
    if problem_type not in PROBLEM_TYPES:
        raise ValueError(f"task {name!r}: problem_type must be one of {PROBLEM_TYPES}, got {problem_type!r}")
    if head == "node_regression" and problem_type != "regression":
        raise ValueError(f"task {name!r}: a node_regression head needs problem_type 'regression'")
    loss = task.get("loss")
    if loss is not None and loss not in REGRESSION_LOSSES:
        raise ValueError(f"task {name!r}: loss must be one of {REGRESSION_LOSSES} or None, got {loss!r}")
    return {
        "symmetry": symmetry,
        "head": head,
        "num_labels": num_labels,
        "problem_type": problem_type,
        "loss": loss,
    }


class AsenConfig(PreTrainedConfig):
    r"""Configuration of an ASEN transformer (orbit positional embedding + orbit attention bias).

    Args:
        vocab_size: number of token ids for ``input_ids`` inputs (0: the model takes only ``node_features``).
        input_dim: width of continuous ``node_features`` [B, n, input_dim] (0: tokens only).
        hidden_size, num_hidden_layers, num_attention_heads, intermediate_size: pre-LN encoder sizes.
        hidden_act: activation of the feed-forward block.
        hidden_dropout_prob, attention_probs_dropout_prob: dropout on residual branches and attention weights.
        layer_norm_eps, initializer_range: LayerNorm epsilon and normal init std.
        share_orbit_bias: one pair-orbit bias table [P, heads] for all layers (True) or one per layer.
        orbit_bias_scale: the attention bias is ``orbit_bias_scale * table[orbit(i, j), h]``. Gating attention
            between orbits (e.g. "other half" vs "same half" under swap_halves, where every node shares one
            orbit embedding) needs logits of several units, and Adam moves a raw entry by about the learning
            rate per step; the scale lets the bias get there in tens of steps instead of thousands
            (measured in benchmarks/RESULTS.md, "orbit bias scale").
        pooling: ``"mean"`` or ``"sum"`` over nodes for the G-invariant sequence head.
        regression_loss: ``"l1"`` or ``"mse"`` for regression heads (overridable per task).
        classifier_dropout: dropout before the heads (defaults to ``hidden_dropout_prob``).
        symmetries: ``{name: group}``; a group is a spec string (``"dihedral(10)"``), a ``PermGroup`` or the
            JSON dict ``{"n", "generators"[, "spec"]}``; stored as the JSON dict.
        tasks: ``{task: {"symmetry", "head", "num_labels", "problem_type", "loss"}}``
            for ``AsenForMultiTask``.

    Example::

        config = AsenConfig(vocab_size=64, symmetries={"intersect": "swap_halves(10)"})
    """

    model_type = "asen"
    _auto_class = "AutoConfig"

    vocab_size: int = 0
    input_dim: int = 0
    hidden_size: int = 128
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 512
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.0
    layer_norm_eps: float = 1e-5
    initializer_range: float = 0.02
    share_orbit_bias: bool = False
    orbit_bias_scale: float = 10.0
    pooling: str = "mean"
    regression_loss: str = "mse"
    classifier_dropout: float | None = None
    symmetries: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self, **kwargs: Any) -> None:
        super().__post_init__(**kwargs)
        self.auto_map = dict(AUTO_MAP)
        if self.vocab_size < 0 or self.input_dim < 0:
            raise ValueError(f"vocab_size ({self.vocab_size}) and input_dim ({self.input_dim}) must be >= 0")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) is not a multiple of num_attention_heads "
                f"({self.num_attention_heads})"
            )
        if not self.orbit_bias_scale > 0:
            raise ValueError(f"orbit_bias_scale must be > 0, got {self.orbit_bias_scale}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {self.pooling!r}")
        if self.regression_loss not in REGRESSION_LOSSES:
            raise ValueError(
                f"regression_loss must be one of {REGRESSION_LOSSES}, got {self.regression_loss!r}"
            )
        if not isinstance(self.symmetries, dict) or not isinstance(self.tasks, dict):
            raise ValueError("symmetries and tasks must be dicts")
        normalized = {}
        for name, group in self.symmetries.items():
            _check_name(name, "symmetry")
            group_json, parsed = group_to_json(group, name)
            if parsed:
                warn_if_not_two_closed(name, group_json)
            normalized[name] = group_json
        self.symmetries = normalized
        self.tasks = {name: validate_task(name, task, self.symmetries) for name, task in self.tasks.items()}

    def add_symmetry(self, name: str, group: Any) -> dict[str, Any]:
        """Record ``name -> group`` (JSON form) and return the JSON dict; warns if G is not 2-closed."""
        _check_name(name, "symmetry")
        if name in self.symmetries:
            raise ValueError(f"symmetry {name!r} already exists; known symmetries: {sorted(self.symmetries)}")
        group_json, _ = group_to_json(group, name)
        warn_if_not_two_closed(name, group_json)
        self.symmetries = {**self.symmetries, name: group_json}
        return group_json

    def add_task(self, name: str, task: dict[str, Any]) -> dict[str, Any]:
        """Record a validated ``tasks[name]`` entry and return it."""
        if name in self.tasks:
            raise ValueError(f"task {name!r} already exists; known tasks: {sorted(self.tasks)}")
        entry = validate_task(name, task, self.symmetries)
        self.tasks = {**self.tasks, name: entry}
        return entry


__all__ = ["AsenConfig"]
