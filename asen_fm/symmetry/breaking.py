"""The symmetry a whole symmetry-breaking input actually has: node colors, pair colors and the graph.

For a plain group the model is equivariant to G^(2). With a graph under the sparse or weakly sparse
framework the pair coloring also marks edges, so the symmetry is Aut(A^(1), A^(2), graph), which contains
G^(2) ∩ Aut(graph) and equals G^(2) when G maps edges to edges.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

import numpy as np

from asen_fm.orbit_coloring import group_node_ids, group_part, named_part, symmetry_coloring
from asen_fm.symmetry.cache import cached_order, cached_two_closure
from asen_fm.symmetry.closure import automorphism_group_order

__all__ = ["group_key", "node_only_by_default", "node_only_is_exact", "pair_table_size", "symmetry_order"]

# Above this many [n, n] pair ids (n > 2048) a group that node colors pin gets node-only breaking by default.
NODE_ONLY_ABOVE_PAIRS = 2**22


def group_key(entry: dict[str, Any]) -> str | dict[str, Any]:
    """What to hand the group cache: the entry's spec when it has one (a stored entry's spec agrees with its
    generators, checked when it was made or loaded; parsing it is far cheaper than thousands of generators
    of a large grid group), else its JSON group."""
    return entry["spec"] if entry.get("spec") else group_part(entry)


def node_only_is_exact(entry: dict[str, Any]) -> bool:
    """Whether G's node coloring alone pins G: |G| = prod |O|! over its node orbits O.

    The automorphism group of a node coloring is the product of the symmetric groups on its color classes,
    so node-only breaking is exactly G-equivariant iff G is that product (trivial, S_n, Young subgroups,
    patch-local grids). Named groups answer in closed form.
    """
    named = named_part(entry)
    if named is not None:
        return named.young
    sizes = np.bincount(group_node_ids(entry))
    product = math.prod(math.factorial(int(size)) for size in sizes)
    return product == cached_order(group_key(entry))


def pair_table_size(entry: dict[str, Any]) -> int:
    """Rows of the pair-orbit table the entry would carry (its pair colors, or its pair_group's)."""
    plain = "pair_group" not in entry and entry.get("framework", "full") == "full"
    named = named_part(entry)
    if plain and named is not None and named.pair_count is not None:
        return named.pair_count
    if plain and node_only_is_exact(entry):  # closed form: k(k - 1) ordered pairs of orbits + diag + off-diag
        sizes = np.bincount(group_node_ids(entry))
        return len(sizes) * (len(sizes) - 1) + int(np.sum(np.where(sizes > 1, 2, 1)))
    _, pairs, _ = symmetry_coloring({key: value for key, value in entry.items() if key != "pairs"})
    return int(pairs.max()) + 1


def node_only_by_default(entry: dict[str, Any]) -> bool:
    """The default breaking of a user's group without a graph: node-only where it is exact and a pair table
    would cost more than the node embeddings (more rows than nodes) or an [n, n] id array of more than
    NODE_ONLY_ABOVE_PAIRS entries (S_n at n = 4096 would need 16.8 M ids for two colors)."""
    if not node_only_is_exact(entry):
        return False
    return entry["n"] ** 2 > NODE_ONLY_ABOVE_PAIRS or pair_table_size(entry) > entry["n"]


def symmetry_order(entry: dict[str, Any]) -> int:
    """|Aut| of a stored symmetry entry's breaking input (exact int); |G^(2)| without a graph."""
    return _order(json.dumps(entry, sort_keys=True))


@lru_cache(maxsize=256)
def _order(text: str) -> int:
    entry = json.loads(text)
    if entry.get("pairs") == "none":  # node colors only: the product of symmetric groups on the classes
        if "positions" in entry:
            return 1
        named = named_part(entry)
        if named is not None and named.young:
            return named.order
        sizes = np.bincount(group_node_ids(entry))
        return math.prod(math.factorial(int(size)) for size in sizes)
    if entry.get("framework", "full") == "full" and "pair_group" not in entry:
        return cached_two_closure(group_key(entry)).closure_order
    nodes, pair_ids, attend = symmetry_coloring(entry)
    colors = pair_ids.astype(np.int64)
    if attend is not None:
        colors = np.where(attend, colors, -1)
    # Node colors on the diagonal, refined with the pair colors (which may come from a coarser group).
    colors = (colors + 1) * (int(nodes.max()) + 1) + nodes[:, None] * np.eye(len(nodes), dtype=np.int64)
    order, _ = automorphism_group_order(colors)
    return order
