"""Configuration of the ASEN transformer: backbone sizes, input kinds, symmetries and tasks.

Everything here is JSON-plain so that ``config.json`` alone rebuilds every orbit coloring a checkpoint was
trained with. Each symmetry is stored as its spec where the shipped ``group_specs`` module knows it
(``{"n": 4096, "spec": "grid(64, 64, patch, 2)", "pairs": "none"}``: a few bytes at any n), else with its
generators in compact form (``{"n": n, "generators": {"dtype": "int16", "base64": "..."}, "spec": ...}``);
beside the group, its breaking options (``edges``, ``framework``, ``directed``, ``pairs``, ``pair_group``,
``positions``).
Older checkpoints (generators as lists of ints) load unchanged; see ``orbit_coloring.parse_group_json``.

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

from .family_coloring import check_family_entry, is_family
from .group_specs import named_group
from .input_adapters import FEATURES, TOKENS, legacy_adapters, normalize_adapter, unknown_adapter
from .orbit_coloring import (
    FRAMEWORKS,
    group_generators,
    group_node_ids,
    group_part,
    parse_edges,
    parse_group_json,
)

SYMMETRY_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")
HEAD_KINDS = ("token", "sequence", "node_regression")
POOLINGS = ("mean", "sum", "max")
REGRESSION_LOSSES = ("l1", "mse")
PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")
ENTRY_KEYS = ("edges", "framework", "directed", "pairs", "pair_group", "positions")
FAMILY_KEYS = ("max_n", "exact")  # a family's bounds (``{"group": "reversal(*)", "max_n": 64}``)
PAIR_MODES = ("orbits", "none")

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


def group_to_json(group: Any, name: str = "?") -> tuple[dict[str, Any], bool]:
    """Normalize a group given as JSON dict, spec string or ``PermGroup`` to its stored JSON form.

    Returns ``(json_dict, parsed)`` where ``parsed`` says whether the group came from a user (spec string or
    ``PermGroup``) rather than from a saved ``config.json``. A spec the model files know (``group_specs``) is
    stored as itself, without building G; any other needs ``asen_fm.symmetry`` and is stored with its
    generators.
    """
    if isinstance(group, dict):
        return parse_group_json(
            {k: group[k] for k in ("n", "generators", "spec") if k in group}, where(name)
        ), False
    if isinstance(group, str):
        try:
            named = named_group(group)
        except ValueError as err:
            raise ValueError(f"{where(name)}: {err}") from None
        if named is not None:
            return {"n": named.n, "spec": named.spec}, True
    if isinstance(group, str) or hasattr(group, "to_json"):
        try:
            from asen_fm.symmetry import PermGroup
        except ImportError as err:  # a fresh process that only has the shipped model files
            raise ValueError(
                f"symmetry {name!r}: parsing {group!r} needs the asen_fm package; "
                "pass the JSON form {'n': ..., 'generators': [...]} instead"
            ) from err
        permgroup = PermGroup.parse(group) if isinstance(group, str) else group
        return parse_group_json(dict(permgroup.to_json()), where(name)), True
    raise ValueError(
        f"symmetry {name!r}: expected a spec string, a PermGroup or a JSON dict, got {type(group).__name__}"
    )


def where(name: str) -> str:
    return f"symmetry {name!r}"


def normalize_symmetry(
    value: Any,
    name: str,
    edges: Any = None,
    framework: str | None = None,
    directed: bool | None = None,
) -> tuple[dict[str, Any], bool]:
    """A ``config.symmetries`` entry in its stored form, and whether a user (not config.json) gave it.

    ``value`` is a group (spec string, ``PermGroup``, JSON group), the user form ``{"group": ..., **options}``
    or the stored form (a JSON group with the options beside ``n`` / ``spec`` / ``generators``). Options:

    - ``edges`` [[i, j], ...], ``framework`` ("full" | "sparse" | "weakly_sparse"), ``directed``: a graph;
    - ``pairs``: "orbits" (G's pair orbits bias the attention) or "none" (node-only breaking: no pair table,
      the attention is the plain one). A user's group without a graph gets "none" where that is exact
      (G is the product of symmetric groups on its node orbits, so the node colors alone pin G^(2)) and
      the pair table would have more than n entries or n > 2048 (no [n, n] ids for S_n at n = 4096); a
      stored entry without it means "orbits";
    - ``pair_group``: a group H containing G whose pair orbits bias the attention instead of G's (a
      coarser, cheaper coloring; the symmetry is then Aut(G's node colors) ∩ Aut(H's pair colors) ⊇ G);
    - ``positions`` [h, w]: row + column embeddings instead of one per node (the "2-D positions" baseline
      of a trivial group on an h x w grid).

    A family across sizes (``"reversal(*)"``, or ``{"group": "cyclic(*)", "max_n": 64, "exact": 16}``) is
    stored as a family entry (see ``family_coloring``): one coloring per length, built when it is needed.
    """
    family = _family_entry(value, name)
    if family is not None:
        if edges is not None or framework is not None or directed is not None:
            raise ValueError(f"{where(name)}: a family across sizes takes no graph (edges need one degree)")
        return family, not is_family(value)
    options: dict[str, Any] = {}
    if isinstance(value, dict) and "group" in value:
        unknown = set(value) - {"group", *ENTRY_KEYS}
        if unknown:
            raise ValueError(
                f"{where(name)}: unknown keys {sorted(unknown)}; allowed: group, {', '.join(ENTRY_KEYS)}"
            )
        options = {k: value[k] for k in ENTRY_KEYS if k in value}
        group_json, _ = group_to_json(value["group"], name)
        parsed = True
    elif isinstance(value, dict):
        unknown = set(value) - {"n", "generators", "spec", *ENTRY_KEYS}
        if unknown:
            raise ValueError(
                f"{where(name)}: unknown keys {sorted(unknown)}; a group dict has n, generators, spec "
                f"and optionally {', '.join(ENTRY_KEYS)} (or use {{'group': ..., 'edges': ...}})"
            )
        options = {k: value[k] for k in ENTRY_KEYS if k in value}
        group_json, parsed = group_to_json(value, name)
    else:
        group_json, parsed = group_to_json(value, name)
    for key, given in (("edges", edges), ("framework", framework), ("directed", directed)):
        if given is not None:
            options[key] = given
            parsed = True
    entry = dict(group_json)
    _add_graph(entry, options, name)
    _add_pair_options(entry, options, name, parsed)
    return entry, parsed


def _family_entry(value: Any, name: str) -> dict[str, Any] | None:
    """The stored family entry of a family given as spec (``"reversal(*)"``), ``{"group": spec, **bounds}``
    or stored entry; None for anything else. Needs only the shipped files (the spec parser is shipped)."""
    group, options = value, {}
    if isinstance(value, dict) and "group" in value:
        group, options = value["group"], {k: v for k, v in value.items() if k != "group"}
    if is_family(group):  # a stored entry (config.json), possibly inside {"group": ...}
        options, group = {**group, **options}, None
    elif not (isinstance(group, str) and is_family({"spec": group})):
        if isinstance(value, dict) and "group" in value and any(key in options for key in FAMILY_KEYS):
            raise ValueError(f"{where(name)}: {', '.join(FAMILY_KEYS)} bound a family such as 'reversal(*)'")
        return None
    unknown = sorted(set(options) - {*FAMILY_KEYS, "pairs", "spec", "family", "args"})
    if unknown:
        raise ValueError(
            f"{where(name)}: a family across sizes takes {', '.join(FAMILY_KEYS)} and pairs, not {unknown} "
            "(graphs, pair_group and positions need one degree)"
        )
    try:
        return check_family_entry({**options, **({"spec": group} if group is not None else {})})
    except ValueError as err:
        raise ValueError(f"{where(name)}: {err}") from None


def _add_graph(entry: dict[str, Any], options: dict[str, Any], name: str) -> None:
    edge_list = options.get("edges")
    chosen = options.get("framework")
    if chosen is not None and chosen not in FRAMEWORKS:
        raise ValueError(f"{where(name)}: framework must be one of {FRAMEWORKS}, got {chosen!r}")
    if edge_list is None:
        if chosen not in (None, "full"):
            raise ValueError(f"{where(name)}: framework {chosen!r} needs edges=[[i, j], ...]")
        if options.get("directed"):
            raise ValueError(f"{where(name)}: directed=True needs edges=[[i, j], ...]")
        return
    is_directed = options.get("directed", False)
    if not isinstance(is_directed, bool):
        raise ValueError(f"{where(name)}: directed must be true or false, got {is_directed!r}")
    entry["edges"] = parse_edges(edge_list, entry["n"], is_directed, name=f"{where(name)}: edges")
    entry["framework"] = chosen or "full"
    if is_directed:
        entry["directed"] = True


def _add_pair_options(entry: dict[str, Any], options: dict[str, Any], name: str, parsed: bool) -> None:
    pairs = options.get("pairs")
    if pairs is not None and pairs not in PAIR_MODES:
        raise ValueError(f"{where(name)}: pairs must be one of {PAIR_MODES}, got {pairs!r}")
    graph = entry.get("framework", "full") != "full"
    positions = options.get("positions")
    if positions is not None:
        if (
            not isinstance(positions, (list, tuple))
            or len(positions) != 2
            or not all(isinstance(v, int) and v > 0 for v in positions)
            or positions[0] * positions[1] != entry["n"]
        ):
            raise ValueError(
                f"{where(name)}: positions must be [h, w] with h * w = n = {entry['n']}, got {positions!r}"
            )
        if int(group_node_ids(entry).max()) + 1 != entry["n"]:  # some node is moved: G is not trivial
            raise ValueError(
                f"{where(name)}: row/column positions give every node its own embedding, so they break "
                "every symmetry: use them with the trivial group"
            )
        entry["positions"] = [int(positions[0]), int(positions[1])]
        pairs = pairs or "none"
    pair_group = options.get("pair_group")
    if pair_group is not None:
        if graph:
            raise ValueError(f"{where(name)}: pair_group needs the full framework")
        if pairs == "none":
            raise ValueError(f"{where(name)}: pair_group gives a pair table; it cannot go with pairs='none'")
        coarse, _ = group_to_json(pair_group, name)
        if coarse["n"] != entry["n"]:
            raise ValueError(f"{where(name)}: pair_group acts on {coarse['n']} points, G on {entry['n']}")
        _check_subgroup(entry, coarse, name)
        entry["pair_group"] = coarse
        pairs = "orbits"
    if pairs == "none" and graph:
        raise ValueError(
            f"{where(name)}: pairs='none' cannot carry the {entry['framework']} framework's graph"
        )
    if pairs is None and parsed and not graph:
        pairs = "none" if _node_only_by_default(entry) else "orbits"
    if pairs == "none":  # stored only when set: an entry without it has a pair table
        entry["pairs"] = pairs


def _check_subgroup(entry: dict[str, Any], coarse: dict[str, Any], name: str) -> None:
    try:
        from asen_fm.symmetry import PermGroup
    except ImportError:  # only the shipped files: the stored entry was checked when it was made
        return
    big = PermGroup.from_json(coarse)
    for generator in group_generators(entry).tolist():
        if not big.contains(generator):
            raise ValueError(
                f"{where(name)}: pair_group must contain G, but G's generator {generator} is not in {big}: "
                "its pair colors would break G"
            )


def _node_only_by_default(entry: dict[str, Any]) -> bool:
    try:
        from asen_fm.symmetry.breaking import node_only_by_default
    except ImportError:
        return False
    return node_only_by_default(entry)


def warn_about_symmetry(name: str, entry: dict[str, Any]) -> None:
    """Every warning a user's symmetry may deserve: the model's symmetry is larger or smaller than G."""
    if is_family(entry):  # exactly G_n at every n (family_coloring's claims, checked by the tests)
        return
    if entry.get("pairs") == "none":
        warn_if_node_only_is_loose(name, entry)
    elif "pair_group" not in entry:
        warn_if_not_two_closed(name, group_part(entry))
    warn_if_edges_not_preserved(name, entry)


def warn_if_edges_not_preserved(name: str, entry: dict[str, Any]) -> None:
    """Warn when G moves an edge of a sparse / weakly sparse graph: the symmetry is then only the part of
    G^(2) that keeps the graph, Aut(node colors, pair colors, graph); its order is in the warning."""
    if entry.get("framework", "full") == "full":
        return
    moved = moved_edge(entry)
    if moved is None:
        return
    generator, edge = moved
    try:
        from asen_fm.symmetry.breaking import symmetry_order
    except ImportError:  # only the shipped model files: the order needs the automorphism search
        remaining = "(order: install asen_fm to compute it)"
    else:
        remaining = f"of order {format_order(symmetry_order(entry))}"
    warnings.warn(
        f"{where(name)}: G does not preserve the graph: generator {generator} maps edge {edge} to "
        f"[{generator[edge[0]]}, {generator[edge[1]]}], which is not an edge; with the "
        f"{entry['framework']} framework the model is equivariant only to Aut(colors, graph) {remaining}, "
        "not to G",
        UserWarning,
        stacklevel=4,
    )


def warn_if_node_only_is_loose(name: str, entry: dict[str, Any]) -> None:
    """Warn when node-only breaking (pairs='none') leaves a symmetry larger than G."""
    if entry.get("pairs") != "none" or "positions" in entry:
        return
    try:
        from asen_fm.symmetry.breaking import node_only_is_exact, symmetry_order
    except ImportError:
        return
    if not node_only_is_exact(entry):
        warnings.warn(
            f"{where(name)}: node-only breaking (pairs='none') pins only the product of symmetric groups on "
            f"G's node orbits (order {format_order(symmetry_order(entry))}), which is larger than G "
            f"{entry.get('spec', '')}: the model is equivariant to that larger group",
            UserWarning,
            stacklevel=4,
        )


def moved_edge(entry: dict[str, Any]) -> tuple[list[int], list[int]] | None:
    """(generator, edge) for the first generator of G that maps an edge to a non-edge, or None."""
    directed = entry.get("directed", False)
    edges = {tuple(e) for e in entry.get("edges", [])}
    if not directed:
        edges |= {(j, i) for i, j in edges}
    for generator in group_generators(entry).tolist():
        for i, j in sorted(edges):
            if (generator[i], generator[j]) not in edges:
                return generator, [i, j]
    return None


def format_order(order: int) -> str:
    """An exact group order, in scientific form once it has more than 15 digits (any size: no str())."""
    if order < 10**15:
        return str(order)
    import math

    log = math.log10(order)
    exponent = math.floor(log)
    return f"{10 ** (log - exponent):.3f}e{exponent}"


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


def validate_task(
    name: str, task: dict[str, Any], symmetries: dict[str, Any], adapters: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Check one ``config.tasks`` entry and fill defaults; returns a JSON-plain copy.

    ``adapter`` names the input adapter the task feeds (None: chosen by input kind at call time, as
    checkpoints without adapters did).
    """
    _check_name(name, "task")
    if not isinstance(task, dict):
        raise ValueError(f"task {name!r}: expected a dict, got {type(task).__name__}")
    unknown = set(task) - {"symmetry", "head", "num_labels", "problem_type", "loss", "adapter"}
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
    adapter = task.get("adapter")
    if adapter is not None and adapter not in (adapters or {}):
        raise unknown_adapter(adapter, adapters or {})
    entry = {"symmetry": symmetry, "head": head, "num_labels": num_labels, "problem_type": problem_type}
    entry["loss"] = loss
    if adapter is not None:  # stored only when set: checkpoints without adapters keep their config
        entry["adapter"] = adapter
    return entry


class AsenConfig(PreTrainedConfig):
    r"""Configuration of an ASEN transformer (orbit positional embedding + orbit attention bias).

    Args:
        vocab_size: token ids of the default ``tokens`` input adapter (0: none); kept equal to it.
        input_dim: width of the default ``features`` input adapter's ``node_features`` (0: none).
        input_adapters: ``{name: {"kind": "tokens", "vocab_size": V} | {"kind": "features", "width": d[,
            "mean": [...], "std": [...]]}}`` (asen_fm/input_adapters.py): each task feeds one of them, so
            token sequences, 2-D joints and pixels share one backbone. ``vocab_size`` / ``input_dim`` are
            shorthands for the adapters ``tokens`` / ``features`` (how checkpoints without adapters load).
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
        pair_embeddings: also learn a vector per pair orbit added to keys and values, relative-position style
            (``q_i . (k_j + a^K[orbit(i, j)])`` and ``sum_j w_ij (v_j + a^V[orbit(i, j)])``), so pair
            structure
            enters the message and not only the attention weight (the paper's GATv2 edge embeddings). Runs the
            explicit-softmax attention path; cost and the ablation that kept it off by default are in
            benchmarks/RESULTS.md.
        pooling: ``"mean"``, ``"sum"`` or ``"max"`` (per channel) over the real nodes for the G-invariant
            sequence head.
        regression_loss: ``"l1"`` or ``"mse"`` for regression heads (overridable per task).
        classifier_dropout: dropout before the heads (defaults to ``hidden_dropout_prob``).
        symmetries: ``{name: group}``; a group is a spec string (``"dihedral(10)"``), a ``PermGroup``, the
            JSON dict ``{"n", "generators"[, "spec"]}``, or a graph symmetry ``{"group": <any of those>,
            "edges": [[i, j], ...], "framework": "full" | "sparse" | "weakly_sparse", "directed": False}``.
            Stored flat: the JSON group plus ``edges`` / ``framework`` / ``directed`` when a graph is given.
            A family across sizes (``"reversal(*)"``, ``{"group": "cyclic(*)", "max_n": 64}``) serves every
            length up to ``max_n`` with one set of tables (``asen_fm.family_coloring``).
        tasks: ``{task: {"symmetry", "head", "num_labels", "problem_type", "loss"[, "adapter"]}}``
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
    pair_embeddings: bool = False
    pooling: str = "mean"
    regression_loss: str = "mse"
    classifier_dropout: float | None = None
    symmetries: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, Any] = field(default_factory=dict)
    input_adapters: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self, **kwargs: Any) -> None:
        super().__post_init__(**kwargs)
        self.auto_map = dict(AUTO_MAP)
        if self.vocab_size < 0 or self.input_dim < 0:
            raise ValueError(f"vocab_size ({self.vocab_size}) and input_dim ({self.input_dim}) must be >= 0")
        self._set_adapters(self.input_adapters)
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
        for name, value in self.symmetries.items():
            _check_name(name, "symmetry")
            entry, parsed = normalize_symmetry(value, name)
            if parsed:
                warn_about_symmetry(name, entry)
            normalized[name] = entry
        self.symmetries = normalized
        self.tasks = {
            name: validate_task(name, task, self.symmetries, self.input_adapters)
            for name, task in self.tasks.items()
        }

    def _set_adapters(self, given: Any) -> None:
        """Checked adapters, with ``vocab_size`` / ``input_dim`` mapped onto ``tokens`` / ``features``."""
        if not isinstance(given, dict):
            raise ValueError(f"input_adapters must be a dict, got {type(given).__name__}")
        adapters = {name: normalize_adapter(name, spec) for name, spec in given.items()}
        legacy = legacy_adapters(self.vocab_size, self.input_dim)
        for name, spec in legacy.items():
            size = "vocab_size" if name == TOKENS else "width"
            if name in adapters and (
                adapters[name]["kind"] != spec["kind"] or adapters[name][size] != spec[size]
            ):
                field_name = "vocab_size" if name == TOKENS else "input_dim"
                raise ValueError(
                    f"{field_name}={getattr(self, field_name)} disagrees with input adapter {name!r} "
                    f"{adapters[name]}; give one of them"
                )
        self.input_adapters = {**{k: v for k, v in legacy.items() if k not in adapters}, **adapters}
        self._sync_legacy_sizes()

    def _sync_legacy_sizes(self) -> None:
        tokens, features = self.input_adapters.get(TOKENS), self.input_adapters.get(FEATURES)
        self.vocab_size = tokens["vocab_size"] if tokens and tokens["kind"] == "tokens" else 0
        self.input_dim = features["width"] if features and features["kind"] == "features" else 0

    def adopt_legacy_sizes(self) -> None:
        """Carry ``vocab_size`` / ``input_dim`` set after construction into the default adapters.

        ``config.vocab_size = V`` on a built config (as transformers' own tools do) means the ``tokens``
        adapter's vocabulary is V; without this the model would silently keep the adapter's old size.
        """
        legacy = (
            (TOKENS, "tokens", "vocab_size", "vocab_size"),
            (FEATURES, "features", "input_dim", "width"),
        )
        for name, kind, field_name, size in legacy:
            value, entry = getattr(self, field_name), self.input_adapters.get(name)
            if value and entry is not None and entry["kind"] == kind and entry.get(size) not in (None, value):
                self.input_adapters = {
                    **self.input_adapters,
                    name: normalize_adapter(name, {**entry, size: int(value)}),
                }

    def add_input_adapter(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        """Record a new input adapter (see asen_fm/input_adapters.py) and return its stored form."""
        if name in self.input_adapters:
            raise ValueError(f"input adapter {name!r} already exists; known: {sorted(self.input_adapters)}")
        entry = normalize_adapter(name, spec)
        self.input_adapters = {**self.input_adapters, name: entry}
        self._sync_legacy_sizes()
        return entry

    def set_adapter_vocab_size(self, name: str, vocab_size: int) -> None:
        """A token adapter's vocabulary after its embedding was resized."""
        entry = normalize_adapter(name, {**self.input_adapters[name], "vocab_size": int(vocab_size)})
        self.input_adapters = {**self.input_adapters, name: entry}
        self._sync_legacy_sizes()

    def add_symmetry(
        self,
        name: str,
        group: Any,
        edges: Any = None,
        framework: str | None = None,
        directed: bool | None = None,
    ) -> dict[str, Any]:
        """Record ``name -> group`` (stored form, see ``normalize_symmetry``) and return it.

        Warns if G is not 2-closed, or if G moves an edge of a sparse / weakly sparse graph.
        """
        _check_name(name, "symmetry")
        if name in self.symmetries:
            raise ValueError(f"symmetry {name!r} already exists; known symmetries: {sorted(self.symmetries)}")
        entry, _ = normalize_symmetry(group, name, edges=edges, framework=framework, directed=directed)
        warn_about_symmetry(name, entry)
        self.symmetries = {**self.symmetries, name: entry}
        return entry

    def add_task(self, name: str, task: dict[str, Any]) -> dict[str, Any]:
        """Record a validated ``tasks[name]`` entry and return it."""
        if name in self.tasks:
            raise ValueError(f"task {name!r} already exists; known tasks: {sorted(self.tasks)}")
        entry = validate_task(name, task, self.symmetries, self.input_adapters)
        self.tasks = {**self.tasks, name: entry}
        return entry


__all__ = ["AsenConfig"]
