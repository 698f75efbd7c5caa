"""The 16-joint Human3.6M skeleton (SemGCN layout), its edges, left/right pairs and the four groups of Tab. 1.

Joints: 0 Hip, 1 RHip, 2 RKnee, 3 RFoot, 4 LHip, 5 LKnee, 6 LFoot, 7 Spine, 8 Thorax, 9 Head,
10 LShoulder, 11 LElbow, 12 LWrist, 13 RShoulder, 14 RElbow, 15 RWrist.

Groups (all acting on the 16 joint indices, all 2-closed):

- ``trivial(16)``: I, order 1 (no equivariance);
- ``skeleton16_flip()``: S_2, all six left/right pairs swapped at once (global reflection), order 2;
- ``skeleton16_limbs()``: S_2^2, the arms swapped and the legs swapped independently, order 4;
- ``skeleton16_pairs()``: S_2^6, each of the six left/right joint pairs swapped on its own, order 64.

The flip and the limbs groups are automorphisms of the skeleton graph; the pairs group is not (swapping
the knees alone turns the edge RHip-RKnee into RHip-LKnee), so under a sparse edge framework its
symmetry shrinks to ``edge_stabilizer(skeleton16_pairs(), EDGES)``, which is the limbs group.

Importing this module registers the three names with the spec parser (``asen_fm.symmetry.registry``), so
``str()`` of each group is its spec above and ``PermGroup.parse`` reads it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from asen_fm.symmetry import PermGroup
from asen_fm.symmetry.registry import register_group

__all__ = [
    "EDGES",
    "GROUPS",
    "JOINTS",
    "LEFT_RIGHT_PAIRS",
    "NUM_JOINTS",
    "PARENTS",
    "adjacency",
    "edge_stabilizer",
    "group_elements",
    "preserves_edges",
    "skeleton16_flip",
    "skeleton16_limbs",
    "skeleton16_pairs",
    "skeleton16_trivial",
]

JOINTS: tuple[str, ...] = (
    "Hip",
    "RHip",
    "RKnee",
    "RFoot",
    "LHip",
    "LKnee",
    "LFoot",
    "Spine",
    "Thorax",
    "Head",
    "LShoulder",
    "LElbow",
    "LWrist",
    "RShoulder",
    "RElbow",
    "RWrist",
)
NUM_JOINTS = len(JOINTS)
PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 8, 10, 11, 8, 13, 14)
# (parent, child) for every non-root joint: the 15 bones.
EDGES: tuple[tuple[int, int], ...] = tuple((p, j) for j, p in enumerate(PARENTS) if p >= 0)
# (right, left) joint pairs; legs first, then arms.
LEG_PAIRS: tuple[tuple[int, int], ...] = ((1, 4), (2, 5), (3, 6))
ARM_PAIRS: tuple[tuple[int, int], ...] = ((13, 10), (14, 11), (15, 12))
LEFT_RIGHT_PAIRS: tuple[tuple[int, int], ...] = LEG_PAIRS + ARM_PAIRS


def adjacency(edges: Iterable[Sequence[int]] = EDGES, n: int = NUM_JOINTS) -> np.ndarray:
    """Symmetric 0/1 adjacency matrix (bool [n, n]) of an undirected edge list."""
    a = np.zeros((n, n), dtype=bool)
    for k, edge in enumerate(edges):
        if len(edge) != 2:
            raise ValueError(f"edge {k} must be a pair [i, j], got {edge!r}")
        i, j = int(edge[0]), int(edge[1])
        if not (0 <= i < n and 0 <= j < n):
            raise ValueError(f"edge {k} = ({i}, {j}) names a node outside 0..{n - 1}")
        a[i, j] = a[j, i] = True
    return a


def _swap(pairs: Iterable[tuple[int, int]], n: int = NUM_JOINTS) -> np.ndarray:
    g = np.arange(n, dtype=np.int64)
    for i, j in pairs:
        g[i], g[j] = j, i
    return g


def _named(generators: list[np.ndarray], spec: str, order: int) -> PermGroup:
    """A group on 16 joints with a known order, printed as ``spec`` (registered below)."""
    return PermGroup._named(NUM_JOINTS, generators, spec, order)


def skeleton16_trivial() -> PermGroup:
    """I: the trivial group on the 16 joints (``trivial(16)``)."""
    return PermGroup.trivial(NUM_JOINTS)


def skeleton16_flip() -> PermGroup:
    """S_2: the global left/right reflection (all six pairs swapped together)."""
    return _named([_swap(LEFT_RIGHT_PAIRS)], "skeleton16_flip()", 2)


def skeleton16_limbs() -> PermGroup:
    """S_2^2: the two arms swapped, and independently the two legs swapped."""
    return _named([_swap(LEG_PAIRS), _swap(ARM_PAIRS)], "skeleton16_limbs()", 4)


def skeleton16_pairs() -> PermGroup:
    """S_2^6: each left/right joint pair (hip, knee, foot, shoulder, elbow, wrist) swapped on its own."""
    return _named([_swap([pair]) for pair in LEFT_RIGHT_PAIRS], "skeleton16_pairs()", 64)


# Spec name -> zero-argument constructor, in Tab. 1's row order (I, S_2, S_2^2, S_2^6).
GROUPS: dict[str, Callable[[], PermGroup]] = {
    "trivial": skeleton16_trivial,
    "skeleton16_flip": skeleton16_flip,
    "skeleton16_limbs": skeleton16_limbs,
    "skeleton16_pairs": skeleton16_pairs,
}


# The spec parser's names for them (``trivial(16)`` is the core's own); ``asen_fm/__init__.py`` declares
# this module as their provider, so the specs parse in any process that imported asen_fm.
for _name, _builder in GROUPS.items():
    if _name != "trivial":
        register_group(_name, _builder)


def group_elements(group: PermGroup, limit: int = 100_000) -> list[np.ndarray]:
    """Every element of ``group`` (closure of its generators), refusing groups larger than ``limit``."""
    if group.order() > limit:
        raise ValueError(f"group {group} has order {group.order()} > {limit}; too large to enumerate")
    identity = np.arange(group.n, dtype=np.int64)
    seen = {identity.tobytes(): identity}
    frontier = [identity]
    while frontier:
        nxt = []
        for h in frontier:
            for g in group.generators:
                gh = g[h]
                key = gh.tobytes()
                if key not in seen:
                    seen[key] = gh
                    nxt.append(gh)
        frontier = nxt
    return list(seen.values())


def _maps_edges(g: np.ndarray, a: np.ndarray) -> bool:
    return bool(np.array_equal(a[np.ix_(np.argsort(g), np.argsort(g))], a))


def preserves_edges(group: PermGroup, edges: Iterable[Sequence[int]] = EDGES) -> bool:
    """Whether every element of ``group`` maps the undirected edge set onto itself (checked on generators)."""
    a = adjacency(edges, group.n)
    return all(_maps_edges(g, a) for g in group.generators)


def edge_stabilizer(group: PermGroup, edges: Iterable[Sequence[int]] = EDGES) -> PermGroup:
    """G ∩ Aut(edges), by enumerating G: the symmetry a sparse edge framework actually keeps.

    Returns ``group`` itself when it preserves the edges; otherwise the subgroup generated by the
    elements that do (e.g. ``skeleton16_pairs()`` -> the limbs group S_2^2).
    """
    if preserves_edges(group, edges):
        return group
    a = adjacency(edges, group.n)
    kept = [g for g in group_elements(group) if _maps_edges(g, a)]
    return PermGroup(group.n, kept)
