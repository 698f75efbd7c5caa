"""Model card (README.md) of a saved ASEN checkpoint: its symmetries, their groups and orbit statistics.

For each symmetry: spec, degree n, |G|, node/pair orbit counts and whether G is 2-closed (|G^(2)|), since
the model is equivariant to exactly G^(2).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from asen_fm.configuration_asen import format_order
from asen_fm.family_coloring import family_table_sizes, is_family
from asen_fm.input_adapters import describe
from asen_fm.orbit_coloring import group_node_ids, group_part
from asen_fm.symmetry.breaking import group_key, symmetry_order
from asen_fm.symmetry.cache import cached_group, cached_order, cached_two_closure, canonical_json


def _group_row(group_json: dict[str, Any]) -> tuple[str, int, int, int, int, int]:
    """(spec, n, |G|, node orbits, pair orbits, |G^(2)|) of a JSON group (shared per-process cache; closed
    forms for named groups)."""
    closure = cached_two_closure(group_key(group_json))
    return (
        str(group_json.get("spec", closure.group)),
        closure.n,
        closure.order,
        closure.node_orbit_count,
        closure.pair_orbit_count,
        closure.closure_order,
    )


def _node_only_row(entry: dict[str, Any], group_json: dict[str, Any]) -> tuple[str, int, int, int, int, int]:
    """The same row for node-only breaking: pair orbits 0, and the node coloring's automorphism group (the
    product of symmetric groups on the node orbits, or trivial for row/column positions) in place of G^(2).
    Nothing here is O(n^2), and a named group is never built."""
    key = group_key(group_json)
    nodes = int(group_node_ids(group_json).max()) + 1
    spec = group_json.get("spec") or str(cached_group(canonical_json(key)))
    return spec, group_json["n"], cached_order(key), nodes, 0, symmetry_order(entry)


def symmetry_rows(config: Any) -> list[dict[str, Any]]:
    """One dict per symmetry of ``config``: name, spec, n, order, orbit counts, closure order, 2-closed."""
    rows = []
    for name, entry in config.symmetries.items():
        if is_family(entry):
            rows.append(_family_row(name, entry))
            continue
        group_json = group_part(entry)
        if entry.get("pairs") == "none":  # node-only: no pair table, and no 2-closure to compute
            spec, n, order, nodes, pairs, closure = _node_only_row(entry, group_json)
        else:
            spec, n, order, nodes, pairs, closure = _group_row(group_json)
        framework = entry.get("framework", "full")
        rows.append(
            {
                "name": name,
                "spec": group_json.get("spec", spec),
                "n": n,
                "order": order,
                "node_orbits": nodes,
                "pair_orbits": pairs,
                "closure_order": closure,
                "two_closed": order == closure,
                "framework": framework if "edges" in entry else "-",
                "edges": len(entry.get("edges", [])),
                "symmetry_order": symmetry_order(entry),
            }
        )
    return rows


def _family_row(name: str, entry: dict[str, Any]) -> dict[str, Any]:
    """A family's row: any n up to its bound, its fixed table sizes, and G_n as the symmetry at every n."""
    nodes, pairs = family_table_sizes(entry)
    return {
        "name": name,
        "spec": entry["spec"],
        "n": f"any n <= {entry['max_n']}",
        "order": "\\|G_n\\|",
        "node_orbits": f"{nodes} rows (shared across n)",
        "pair_orbits": f"{pairs} rows (shared across n)" if pairs else "-",
        "closure_order": "G_n",
        "two_closed": True,
        "framework": "-",
        "edges": 0,
        "symmetry_order": "G_n at every n",
    }


def _cell(value: Any) -> str:
    return format_order(value) if isinstance(value, int) else str(value)


def model_card_text(config: Any) -> str:
    """Markdown model card with YAML metadata for the Hub."""
    lines = [
        "---",
        "library_name: transformers",
        "tags:",
        "- asen",
        "- equivariance",
        "- permutation-groups",
        "---",
        "",
        "# ASEN transformer",
        "",
        "An Any-Subgroup Equivariant transformer: an S_n-equivariant encoder (no positional encoding) made",
        "G-equivariant by a learned embedding of G's node orbits and a per-head attention bias looked up",
        "by G's orbits on node pairs. The model is equivariant to exactly the 2-closure G^(2) of each group.",
        "",
        f"Backbone: {config.num_hidden_layers} layers, hidden size {config.hidden_size}, "
        f"{config.num_attention_heads} heads, intermediate size {config.intermediate_size}.",
        "",
        "Input adapters (each task feeds one): "
        + "; ".join(f"`{name}` {describe(spec)}" for name, spec in config.input_adapters.items())
        + ".",
        "",
        "## Symmetries",
        "",
        "| name | group | n | \\|G\\| | node orbits | pair orbits | 2-closed (\\|G^(2)\\|) | graph framework "
        "| edges | order of the symmetry |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row, entry in zip(symmetry_rows(config), config.symmetries.values(), strict=True):
        closed = "yes" if row["two_closed"] else f"no ({format_order(row['closure_order'])})"
        if is_family(entry):
            closed = f"family: exactly G_n's orbits for distances < {entry['exact']}, buckets past them"
        elif entry.get("pairs") == "none":
            closed = "- (node-only breaking)"
        lines.append(
            f"| {row['name']} | `{row['spec']}` | {row['n']} | {_cell(row['order'])} | "
            f"{row['node_orbits']} | {row['pair_orbits']} | {closed} | {row['framework']} | {row['edges']} | "
            f"{_cell(row['symmetry_order'])} |"
        )
    lines += [
        "",
        "The model is equivariant to the symmetry of its whole breaking input: G^(2) for a group alone; "
        "with a graph under the sparse or weakly sparse framework, the permutations that also keep the "
        "graph (last column).",
    ]
    if config.tasks:
        lines += [
            "",
            "## Tasks",
            "",
            "| task | symmetry | input adapter | head | labels | problem type |",
            "|---|---|---|---|---|---|",
        ]
        for name, task in config.tasks.items():
            adapter = task.get("adapter") or "by input kind"
            lines.append(
                f"| {name} | {task['symmetry']} | {adapter} | {task['head']} | {task['num_labels']} "
                f"| {task['problem_type']} |"
            )
    lines += [
        "",
        "## Loading",
        "",
        "```python",
        "from transformers import AutoModel",
        "model = AutoModel.from_pretrained(path, trust_remote_code=True)   # backbone + symmetry embedders",
        "# the class saved in config.architectures (e.g. the multi-task model) loads the same way:",
        "from transformers.dynamic_module_utils import get_class_from_dynamic_module",
        'cls = get_class_from_dynamic_module("modeling_asen.AsenForMultiTask", path)',
        "model = cls.from_pretrained(path)",
        "```",
        "",
        "With `asen_fm` installed, `from asen_fm import AsenForMultiTask` works without remote code.",
        "",
    ]
    return "\n".join(lines)


def write_model_card(config: Any, save_directory: str | os.PathLike) -> Path:
    """Write ``README.md`` for ``config`` into ``save_directory`` and return its path."""
    path = Path(save_directory) / "README.md"
    path.write_text(model_card_text(config), encoding="utf-8")
    return path


__all__ = ["model_card_text", "symmetry_rows", "write_model_card"]
