"""The symmetry a whole symmetry-breaking input actually has: node colors, pair colors and the graph.

For a plain group the model is equivariant to G^(2). With a graph under the sparse or weakly sparse
framework the pair coloring also marks edges, so the symmetry is Aut(A^(1), A^(2), graph), which contains
G^(2) ∩ Aut(graph) and equals G^(2) when G maps edges to edges.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from asen_fm.orbit_coloring import symmetry_coloring
from asen_fm.symmetry.closure import automorphism_group_order, two_closure
from asen_fm.symmetry.groups import PermGroup

__all__ = ["symmetry_order"]


def symmetry_order(entry: dict[str, Any]) -> int:
    """|Aut| of a stored symmetry entry's breaking input (exact int); |G^(2)| without a graph."""
    return _order(json.dumps(entry, sort_keys=True))


@lru_cache(maxsize=256)
def _order(text: str) -> int:
    entry = json.loads(text)
    if entry.get("framework", "full") == "full":
        group = PermGroup.from_json({k: entry[k] for k in ("n", "generators", "spec") if k in entry})
        return two_closure(group).closure_order
    _, pair_ids, _ = symmetry_coloring(entry)
    order, _ = automorphism_group_order(pair_ids)
    return order
