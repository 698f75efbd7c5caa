"""The symmetry each (group, edge framework) cell of Tab. 1 actually has, computed by the model's own code.

A cell is the model's ``symmetries`` entry ``{"group": G, "edges": the 15 bones, "framework": F,
"pairs": "orbits"}``. :func:`cell_entry` normalises it exactly as ``AsenConfig`` stores it,
:func:`cell_colouring` is the model's breaking input for it (``asen_fm.orbit_coloring.symmetry_coloring``:
node colours A^(1), pair colours A^(2), and under ``sparse`` the attention support), and
:func:`cell_order` is |Aut| of that whole input (``asen_fm.symmetry.breaking.symmetry_order``), the
symmetry the model really has. There is no second colouring here: the test suite checks these against an
independent brute force (tests/domains/test_pose_frameworks.py).

Orders for the four skeleton groups, pairs="orbits":

| group | full | sparse | weakly sparse |
|---|---|---|---|
| I | 1 | 1 | 1 |
| S_2 | 2 | 4 | 2 |
| S_2^2 | 4 | 4 | 4 |
| S_2^6 | 64 | 4 | 4 |

``full`` keeps G (all four are 2-closed). ``weakly_sparse`` keeps G ∩ Aut(skeleton): S_2^6 shrinks to
S_2^2. ``sparse`` does the same, except that S_2 *grows* to S_2^2: the only pair colours tying the arms'
swap to the legs' swap lie on non-edges (e.g. RHip-RShoulder vs RHip-LShoulder), which sparse attention
never sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from asen_fm.configuration_asen import normalize_symmetry
from asen_fm.domains.pose.card import FRAMEWORKS, PAIR_MODES, resolve_group
from asen_fm.domains.pose.skeleton import EDGES
from asen_fm.orbit_coloring import symmetry_coloring
from asen_fm.symmetry import PermGroup
from asen_fm.symmetry.breaking import symmetry_order

__all__ = ["cell_colouring", "cell_entry", "cell_order"]


def cell_entry(
    group: str | PermGroup | None,
    framework: str,
    *,
    pairs: str | None = "orbits",
    edges: Iterable[Sequence[int]] = EDGES,
) -> dict[str, Any]:
    """The stored ``config.symmetries`` entry of a Tab. 1 cell (``AsenConfig``'s own normalisation)."""
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {', '.join(FRAMEWORKS)}, got {framework!r}")
    if pairs is not None and pairs not in PAIR_MODES:
        raise ValueError(f"pairs must be one of {', '.join(PAIR_MODES)} or None, got {pairs!r}")
    value: dict[str, Any] = {
        "group": resolve_group(group),
        "edges": [[int(i), int(j)] for i, j in edges],
        "framework": framework,
    }
    if pairs is not None:
        value["pairs"] = pairs
    entry, _ = normalize_symmetry(value, "pose")
    return entry


def cell_colouring(
    group: str | PermGroup | None, framework: str, **kwargs: Any
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(node colours [16], pair colours [16, 16] or None, attention support [16, 16] or None): the model's
    symmetry-breaking input for the cell (``symmetry_coloring``)."""
    return symmetry_coloring(cell_entry(group, framework, **kwargs))


def cell_order(group: str | PermGroup | None, framework: str, **kwargs: Any) -> int:
    """|Aut| of the cell's whole breaking input (``symmetry_order``): the order of the symmetry it has."""
    return symmetry_order(cell_entry(group, framework, **kwargs))
