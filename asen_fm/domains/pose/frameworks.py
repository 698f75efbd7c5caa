"""The symmetry each (group, edge framework) cell of Tab. 1 actually has, by brute force.

The model sees node colours (G's node orbits) and pair colours (G's orbits on ordered pairs). Under the
frameworks of the paper:

- ``full``: every pair carries its G-orbit colour;
- ``sparse``: only skeleton edges (and the diagonal) carry a colour, all other pairs are "no edge";
- ``weakly_sparse``: every pair carries its G-orbit colour *and* an edge / no-edge flag.

A cell's symmetry is the group of permutations that preserve all of that (node colours, pair colours,
and the edge set where the framework uses it). :func:`cell_symmetry` finds it by enumerating every
permutation that preserves the node colours (a product of symmetric groups on G's node orbits; tiny
for the skeleton groups) and keeping those that preserve the pair structure.

Results for the four skeleton groups (tested): ``full`` gives G back (all four are 2-closed);
``weakly_sparse`` gives G ∩ Aut(skeleton) (S_2^6 shrinks to S_2^2); ``sparse`` does the same except
that S_2 *grows* to S_2^2: the only pair colours tying the arms' swap to the legs' swap are on
non-edges (e.g. RHip-RShoulder vs RHip-LShoulder), which the sparse framework hides. So the sparse
S_2 and S_2^2 cells have the same symmetry.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from math import factorial, prod

import numpy as np

from asen_fm.domains.pose.card import FRAMEWORKS
from asen_fm.domains.pose.skeleton import EDGES, adjacency
from asen_fm.symmetry import PermGroup, node_orbits, pair_orbits

__all__ = ["cell_symmetry", "framework_colouring"]


def framework_colouring(
    group: PermGroup, framework: str, edges: Iterable[Sequence[int]] = EDGES
) -> np.ndarray:
    """int64 [n, n] pair colours the model sees under ``framework`` (-1 = no edge, for ``sparse``)."""
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {', '.join(FRAMEWORKS)}, got {framework!r}")
    colours = pair_orbits(group).astype(np.int64)
    if framework == "full":
        return colours
    support = adjacency(edges, group.n) | np.eye(group.n, dtype=bool)
    if framework == "sparse":
        return np.where(support, colours, -1)
    return colours * 2 + support  # weakly sparse: orbit colour and edge flag together


def cell_symmetry(
    group: PermGroup, framework: str, edges: Iterable[Sequence[int]] = EDGES, limit: int = 200_000
) -> PermGroup:
    """The permutations preserving node colours and ``framework_colouring`` (see the module docstring)."""
    edges = [tuple(e) for e in edges]
    colours = framework_colouring(group, framework, edges)
    orbits = node_orbits(group)
    classes = [np.flatnonzero(orbits == k) for k in range(int(orbits.max()) + 1)]
    candidates = prod(factorial(len(c)) for c in classes)
    if candidates > limit:
        raise ValueError(f"{candidates} node-colour-preserving permutations exceed limit={limit}")
    kept = []
    for images in itertools.product(*(itertools.permutations(c.tolist()) for c in classes)):
        g = np.empty(group.n, dtype=np.int64)
        for c, image in zip(classes, images, strict=True):
            g[c] = image
        inv = np.argsort(g)
        if np.array_equal(colours[np.ix_(inv, inv)], colours):
            kept.append(g)
    return PermGroup(group.n, kept)
