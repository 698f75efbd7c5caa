"""Named permutation groups from their spec strings, NumPy only: how ``config.json`` stores a symmetry.

A spec is a call ``name(arg, ...)`` (``"dihedral(12)"``, ``"grid(64, 64, patch, 3)"``,
``"direct_product(cyclic(3), trivial(2))"``) whose arguments are integers, lists of integers, bare words,
``*`` (a free degree: a family across sizes, see ``family_coloring``) or nested specs; the text is read
with :mod:`ast` and never evaluated. For every name in :data:`NAMED` this
module knows, without building G, its degree, its order |G|, its node orbits, its pair orbits (closed forms:
``(j - i) mod n`` for rotations, per-axis differences for torus translations, class pairs for products of
symmetric groups, ...), whether node colors alone pin G (``young``: G is the product of the symmetric groups
on its node orbits, e.g. trivial, S_n, block products, clusters, patch-local grids) and, where a proof is at
hand, whether G is 2-closed. Generators are built only when asked for.

It is shipped next to the weights (with ``orbit_coloring.py``, which imports it), so a ``config.json`` that
stores ``{"n": 4096, "spec": "grid(64, 64, torus)"}`` rebuilds its colorings in a process without asen_fm.
Names it does not know (a domain's named groups, ``from_cycles``) are stored with their generators.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Union

import numpy as np

__all__ = [
    "FREE",
    "GRID_KINDS",
    "NAMED",
    "NamedGroup",
    "SpecCall",
    "alternating_generators",
    "block_generators",
    "check_degree",
    "cyclic_generators",
    "dihedral_generators",
    "grid_generators",
    "grid_order",
    "has_free_degree",
    "ids_from_minima",
    "named_group",
    "parse_spec",
    "patch_blocks",
    "reversal_generators",
    "swap_halves_generators",
    "symmetric_generators",
]

Gens = list[np.ndarray]
GRID_KINDS = ("torus", "d4", "patch")
SpecArg = Union[int, str, list, "SpecCall"]
FREE = "*"  # a free degree argument (a family across sizes, ``reversal(*)``)
_FREE_NAME = "__free_degree__"
_FREE_ARG = re.compile(r"(?<=[(,])\s*\*\s*(?=[,)])")


# --------------------------------------------------------------------------------------------------
# Spec strings
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecCall:
    """One ``name(args...)`` node of a parsed spec."""

    name: str
    args: tuple[SpecArg, ...]


def parse_spec(text: str) -> SpecCall:
    """Parse ``text`` into a :class:`SpecCall` tree; ValueError naming the problem if it is malformed."""
    if not isinstance(text, str):
        raise ValueError(f"a group spec must be a string, got {type(text).__name__}")
    try:
        tree = ast.parse(_FREE_ARG.sub(_FREE_NAME, text.strip()), mode="eval")
    except SyntaxError as err:
        raise ValueError(f"cannot parse group spec {text!r}: {err.msg}") from None
    node = tree.body
    if isinstance(node, ast.Name):  # "symmetric" alone is not a spec: the degree is missing
        glued = re.fullmatch(r"([A-Za-z_]*[A-Za-z_])(\d+)", node.id)  # "dihedral12": the degree glued on
        example = f"{glued[1]}({glued[2]})" if glued else f"{node.id}(8)"
        raise ValueError(f"group spec {text!r} needs arguments in parentheses, e.g. {example}")
    return _call(node, text)


def _call(node: ast.expr, text: str) -> SpecCall:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise ValueError(f"group spec {text!r} must look like name(arg, ...)")
    if node.keywords:
        names = ", ".join(kw.arg or "**" for kw in node.keywords)
        raise ValueError(f"group spec {text!r}: keyword arguments ({names}) are not supported")
    return SpecCall(node.func.id, tuple(_arg(a, text) for a in node.args))


def _arg(node: ast.expr, text: str) -> SpecArg:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, str))
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _arg(node.operand, text)
        if isinstance(inner, int):
            return -inner
    if isinstance(node, ast.Name):
        return FREE if node.id == _FREE_NAME else node.id
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_arg(e, text) for e in node.elts]
        if all(isinstance(i, (int, list)) for i in items):
            return items  # type: ignore[return-value]
        raise ValueError(f"group spec {text!r}: lists may only hold integers or lists of integers")
    if isinstance(node, ast.Call):
        return _call(node, text)
    raise ValueError(f"group spec {text!r}: cannot read argument {ast.unparse(node)!r}")


def has_free_degree(call: SpecCall) -> bool:
    """Whether a parsed spec has a ``*`` argument anywhere (a family across sizes, not one group)."""
    return any(a == FREE or (isinstance(a, SpecCall) and has_free_degree(a)) for a in call.args)


# --------------------------------------------------------------------------------------------------
# Generators of the named groups (array form); every builder checks its arguments
# --------------------------------------------------------------------------------------------------


def check_degree(value: Any, what: str = "n", minimum: int = 1) -> int:
    """``value`` as an int >= minimum, else ValueError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value}")
    return int(value)


def _cycle_on(points: np.ndarray, n: int) -> np.ndarray:
    """The cycle (p0 p1 ... pk) on the given points, identity elsewhere."""
    g = np.arange(n, dtype=np.int64)
    g[points] = np.roll(points, -1)
    return g


def symmetric_generators(
    n: int, offset: int = 0, degree: int | None = None, points: np.ndarray | None = None
) -> Gens:
    """S_n on points offset..offset+n-1 (or on ``points``) of range(degree): a transposition, an n-cycle."""
    degree = n if degree is None else degree
    points = np.arange(offset, offset + n, dtype=np.int64) if points is None else np.asarray(points)
    if n < 2:
        return []
    gens = [_cycle_on(points[:2], degree)]
    if n > 2:
        gens.append(_cycle_on(points, degree))
    return gens


def alternating_generators(n: int) -> Gens:
    """A_n: the 3-cycle (0 1 2) and an even long cycle, (0 ... n-1) for odd n, (1 ... n-1) for even n."""
    if n < 3:
        return []
    gens = [_cycle_on(np.arange(3), n)]
    if n > 3:
        long_cycle = np.arange(n) if n % 2 == 1 else np.arange(1, n)
        gens.append(_cycle_on(long_cycle, n))
    return gens


def cyclic_generators(n: int) -> Gens:
    """C_n: the rotation i -> i + 1 mod n."""
    return [] if n < 2 else [np.roll(np.arange(n, dtype=np.int64), -1)]


def reversal_generators(n: int) -> Gens:
    """The order-2 reversal i -> n - 1 - i."""
    return [] if n < 2 else [np.arange(n - 1, -1, -1, dtype=np.int64)]


def dihedral_generators(n: int) -> Gens:
    """D_n: rotation and reversal."""
    return cyclic_generators(n) + reversal_generators(n)


def block_generators(sizes: Sequence[int]) -> tuple[int, Gens]:
    """S_{n1} x S_{n2} x ... on consecutive blocks; returns (degree, generators)."""
    sizes = _block_sizes(sizes)
    degree = sum(sizes)
    gens: Gens = []
    offset = 0
    for size in sizes:
        gens += symmetric_generators(size, offset=offset, degree=degree)
        offset += size
    return degree, gens


def _block_sizes(sizes: Any) -> list[int]:
    if isinstance(sizes, (int, np.integer)) or not isinstance(sizes, Sequence) or len(sizes) == 0:
        raise ValueError(f"block sizes must be a non-empty list of positive integers, got {sizes!r}")
    return [check_degree(s, what=f"block size {k}") for k, s in enumerate(sizes)]


def swap_halves_generators(n: int) -> Gens:
    """S_{n/2} x S_{n/2} x S_2: each half permuted freely, and the two halves swapped."""
    if n % 2:
        raise ValueError(f"swap_halves needs an even n, got {n}")
    half = n // 2
    _, gens = block_generators([half, half])
    return gens + [np.roll(np.arange(n, dtype=np.int64), half)]


def grid_generators(h: int, w: int, kind: str, patch: int | None) -> Gens:
    """Groups on an h x w grid, node r * w + c (row-major).

    torus: translations (r, c) -> (r + 1, c) and (r, c + 1) mod (h, w); d4: the square's rotation by 90
    degrees and its left-right flip (h == w); patch: S_{p*p} inside each p x p patch, where p need not
    divide the sides: rows and columns are cut into runs of p from the top left, the last run shorter
    (a 32 x 32 grid with p = 3 has 10 x 10 full patches, and 3 x 2, 2 x 3 and 2 x 2 blocks at the border).
    """
    _check_grid(h, w, kind, patch)
    rows, cols = np.divmod(np.arange(h * w, dtype=np.int64), w)
    if kind == "torus":
        gens = [((rows + 1) % h) * w + cols, rows * w + (cols + 1) % w]
    elif kind == "d4":
        gens = [cols * w + (h - 1 - rows), rows * w + (w - 1 - cols)]
    else:
        gens = []
        for cells in patch_blocks(h, w, int(patch)):  # type: ignore[arg-type]
            # S_(block) on each block: a transposition and a full cycle through the block's cells.
            if len(cells) > 1:
                gens += [_cycle_on(cells[:2], h * w)] + ([_cycle_on(cells, h * w)] if len(cells) > 2 else [])
    return [g for g in gens if not np.array_equal(g, np.arange(h * w))]


def _check_grid(h: int, w: int, kind: str, patch: int | None) -> None:
    if kind not in GRID_KINDS:
        raise ValueError(f"unknown grid kind {kind!r}; known kinds: {', '.join(GRID_KINDS)}")
    if kind != "patch" and patch is not None:
        raise ValueError(f"grid kind {kind!r} takes no patch size (got {patch!r})")
    if kind == "d4" and h != w:
        raise ValueError(f"grid kind 'd4' needs a square grid, got {h} x {w}")
    if kind == "patch":
        if patch is None:
            raise ValueError("grid kind 'patch' needs a patch size p, e.g. grid(8, 8, patch, 2)")
        check_degree(patch, what="patch size")


def patch_blocks(h: int, w: int, p: int) -> list[np.ndarray]:
    """The patches of grid(h, w, patch, p): node ids of each block, blocks row-major, ragged at the border."""

    def runs(side: int) -> list[np.ndarray]:
        return [np.arange(start, min(start + p, side)) for start in range(0, side, p)]

    return [(rows[:, None] * w + cols[None, :]).ravel() for rows in runs(h) for cols in runs(w)]


def _patch_classes(h: int, w: int, p: int) -> np.ndarray:
    """Block id of every node of grid(h, w, patch, p), blocks numbered row-major (= first occurrence)."""
    rows, cols = np.divmod(np.arange(h * w, dtype=np.int64), w)
    return ((rows // p) * (-(-w // p)) + cols // p).astype(np.int32)


def grid_order(h: int, w: int, kind: str, patch: int | None) -> int:
    """|G| for :func:`grid_generators` (arguments already checked): hw, 8 (or 1) or prod |block|!."""
    if kind == "torus":
        return h * w
    if kind == "d4":
        return 8 if h > 1 else 1
    return _young_order(np.bincount(_patch_classes(h, w, int(patch))))  # type: ignore[arg-type]


def _young_order(sizes: np.ndarray) -> int:
    """prod |class|! over class sizes (one factorial per distinct size, raised to its count)."""
    values, counts = np.unique(np.asarray(sizes, dtype=np.int64), return_counts=True)
    return math.prod(math.factorial(int(v)) ** int(c) for v, c in zip(values, counts, strict=True))


# --------------------------------------------------------------------------------------------------
# Named groups: orbits, orders and 2-closedness in closed form
# --------------------------------------------------------------------------------------------------


def _ranked(positions: np.ndarray) -> np.ndarray:
    """label -> canonical id, given each label's first row-major position (-1: the label never occurs)."""
    mapping = np.full(positions.shape, -1, dtype=np.int64)
    present = np.flatnonzero(positions >= 0)
    mapping[present[np.argsort(positions[present], kind="stable")]] = np.arange(present.size)
    return mapping


def ids_from_minima(minima: np.ndarray) -> np.ndarray:
    """Canonical ids from orbit minima (each orbit's smallest encoded point is its first occurrence)."""
    flat = minima.ravel()
    is_root = flat == np.arange(flat.size, dtype=flat.dtype)
    rank = np.cumsum(is_root, dtype=np.int32 if flat.size < 2**31 else np.int64)
    rank -= 1
    return rank[flat].astype(np.int32, copy=False).reshape(minima.shape)


class NamedGroup:
    """A named group G <= S_n: its spec, degree, order and colorings, computed from the spec alone.

    ``young``: G is the product of the symmetric groups on its node orbits, so node colors alone pin G (and
    G is 2-closed). ``two_closed``: True / False where known in closed form, None where only the
    automorphism search of ``asen_fm.symmetry`` can tell. ``closure_order``: |G^(2)| where known.
    """

    young: bool = False
    two_closed: bool | None = None

    def __init__(self, spec: str, n: int, order: int | Callable[[], int]) -> None:
        self.spec, self.n, self._order = spec, n, order

    @cached_property
    def order(self) -> int:
        """|G| as an exact integer (computed on first use: S_n's has n log n bits)."""
        return self._order() if callable(self._order) else self._order

    def __repr__(self) -> str:
        return f"NamedGroup({self.spec!r})"

    @property
    def closure_order(self) -> int | None:
        return self.order if self.two_closed else None

    def node_ids(self) -> np.ndarray:
        """A^(1): canonical node orbit ids, int32[n]."""
        raise NotImplementedError

    def pair_ids(self) -> np.ndarray:
        """A^(2): canonical pair orbit ids, int32[n, n] (the only method here that is O(n^2))."""
        raise NotImplementedError

    @property
    def pair_count(self) -> int | None:
        """Number of pair orbits in closed form (None: count the built coloring)."""
        return None

    def generators(self) -> Gens:
        raise NotImplementedError


class Young(NamedGroup):
    """prod over classes C of Sym(C), node i in class ``classes[i]`` (canonical: first occurrence order)."""

    young = True
    two_closed = True

    def __init__(self, spec: str, classes: np.ndarray, order: int | None = None) -> None:
        self.classes = np.asarray(classes, dtype=np.int32)
        self.sizes = np.bincount(self.classes)
        super().__init__(
            spec, len(self.classes), (lambda: _young_order(self.sizes)) if order is None else order
        )

    def node_ids(self) -> np.ndarray:
        return self.classes.copy()

    @property
    def pair_count(self) -> int:
        k = len(self.sizes)
        return k + k * k - int(np.sum(self.sizes == 1))

    def pair_ids(self) -> np.ndarray:
        # Labels: off-diagonal (a, b) -> a * k + b, diagonal a -> k * k + a; ranked by first occurrence.
        k, n = len(self.sizes), self.n
        first = np.full(k, n, dtype=np.int64)
        np.minimum.at(first, self.classes, np.arange(n))
        later = np.flatnonzero(np.arange(n) != first[self.classes])
        second = np.full(k, n, dtype=np.int64)
        np.minimum.at(second, self.classes[later], later)
        second[second == n] = -1  # a class of one node has no off-diagonal pair
        a, b = np.divmod(np.arange(k * k, dtype=np.int64), k)
        column = np.where(a == b, second[b], first[b])
        off = np.where(column >= 0, first[a] * n + column, -1)
        diagonal = first * n + first
        mapping = _ranked(np.concatenate([off, diagonal]))
        c = self.classes.astype(np.int64)
        ids = mapping[c[:, None] * k + c[None, :]]
        ids[np.arange(n), np.arange(n)] = mapping[k * k + c]
        return ids.astype(np.int32)

    def generators(self) -> Gens:
        gens: Gens = []
        for k, size in enumerate(self.sizes):
            if size > 1:
                points = np.flatnonzero(self.classes == k)
                gens += symmetric_generators(int(size), degree=self.n, points=points)
        return gens


class Cyclic(NamedGroup):
    """C_n (rotations); with ``mirror`` D_n. Pair orbit of (i, j): d = (j - i) mod n, or min(d, n - d)."""

    two_closed = True

    def __init__(self, spec: str, n: int, mirror: bool) -> None:
        self.mirror = mirror
        super().__init__(spec, n, 2 * n if mirror and n >= 3 else n)
        self.young = n <= (3 if mirror else 2)  # C_2 = S_2, D_3 = S_3

    def node_ids(self) -> np.ndarray:
        return np.zeros(self.n, dtype=np.int32)

    @property
    def pair_count(self) -> int:
        return self.n // 2 + 1 if self.mirror else self.n

    def pair_ids(self) -> np.ndarray:
        d = _differences(self.n)
        return np.minimum(d, self.n - d) if self.mirror else d

    def generators(self) -> Gens:
        return dihedral_generators(self.n) if self.mirror else cyclic_generators(self.n)


class FiniteAction(NamedGroup):
    """A group given by the list of all its elements (small |G|: reversal, D4 on a grid); orbits are the
    minima over the elements, the number of pair orbits Burnside's count sum_g fix(g)^2 / |G|."""

    def __init__(self, spec: str, elements: Callable[[], Gens], order: int, gens: Callable[[], Gens]) -> None:
        self._elements, self._gens = elements, gens
        super().__init__(spec, int(len(elements()[0])), order)
        if self._has_regular_orbit():
            self.two_closed = True

    def _has_regular_orbit(self) -> bool:
        """Some point is moved by every element but the identity. Then G is 2-closed: p in G^(2) agrees with
        some g in G at that point x, and g^-1 p fixes x while mapping each pair (x, y) inside its G-orbit,
        i.e. by an element fixing x, which is the identity; so g^-1 p = e."""
        identity = np.arange(self.n)
        moved = [g != identity for g in self.elements if not np.array_equal(g, identity)]
        return bool(np.logical_and.reduce(moved).any()) if moved else True

    @cached_property
    def elements(self) -> Gens:
        return self._elements()

    def node_ids(self) -> np.ndarray:
        minima = np.minimum.reduce([g for g in self.elements])
        return ids_from_minima(minima)

    @property
    def pair_count(self) -> int:
        identity = np.arange(self.n)
        return sum(int(np.sum(g == identity)) ** 2 for g in self.elements) // len(self.elements)

    def pair_ids(self) -> np.ndarray:
        n = self.n
        dtype = np.int32 if n * n < 2**31 else np.int64
        minima = None
        for g in self.elements:
            g = g.astype(dtype)
            lifted = g[:, None] * dtype(n) + g[None, :]
            minima = lifted if minima is None else np.minimum(minima, lifted, out=minima)
        return ids_from_minima(minima)

    def generators(self) -> Gens:
        return self._gens()


class Torus(NamedGroup):
    """Translations of the h x w torus: the pair orbit of (i, j) is ((r_j - r_i) mod h, (c_j - c_i) mod w)."""

    two_closed = True  # a regular group is the automorphism group of its colored Cayley digraph

    def __init__(self, spec: str, h: int, w: int) -> None:
        self.h, self.w = h, w
        super().__init__(spec, h * w, h * w)
        self.young = self.n <= 2

    def node_ids(self) -> np.ndarray:
        return np.zeros(self.n, dtype=np.int32)

    @property
    def pair_count(self) -> int:
        return self.n

    def pair_ids(self) -> np.ndarray:
        rows = _differences(self.h) * np.int32(self.w)
        cols = _differences(self.w)
        return (rows[:, None, :, None] + cols[None, :, None, :]).reshape(self.n, self.n)

    def generators(self) -> Gens:
        return grid_generators(self.h, self.w, "torus", None)


class SwapHalves(NamedGroup):
    """S_{n/2} wr S_2: pair colors diagonal / same half / other half (the 2-closure of itself)."""

    two_closed = True

    def __init__(self, spec: str, n: int) -> None:
        self.half = n // 2
        super().__init__(spec, n, lambda: 2 * math.factorial(self.half) ** 2)
        self.young = n == 2

    def node_ids(self) -> np.ndarray:
        return np.zeros(self.n, dtype=np.int32)

    @property
    def pair_count(self) -> int:
        return 3 if self.half > 1 else 2

    def pair_ids(self) -> np.ndarray:
        side = np.arange(self.n) >= self.half
        other = side[:, None] != side[None, :]
        ids = np.where(other, self.pair_count - 1, 1).astype(np.int32)
        np.fill_diagonal(ids, 0)
        return ids

    def generators(self) -> Gens:
        return swap_halves_generators(self.n)


class Alternating(NamedGroup):
    """A_n: trivial for n <= 2, C_3 for n = 3, 2-transitive (pair colors of S_n, 2-closure S_n) beyond."""

    def __init__(self, spec: str, n: int) -> None:
        super().__init__(spec, n, lambda: max(math.factorial(n) // 2, 1))
        self.young = n <= 2
        self.two_closed = n <= 3
        self._like = Young(spec, np.arange(n)) if n <= 2 else Cyclic(spec, 3, False) if n == 3 else None

    @property
    def closure_order(self) -> int:
        return self.order if self.two_closed else math.factorial(self.n)

    def node_ids(self) -> np.ndarray:
        return self._like.node_ids() if self._like else np.zeros(self.n, dtype=np.int32)

    @property
    def pair_count(self) -> int:
        return self._like.pair_count if self._like else 2

    def pair_ids(self) -> np.ndarray:
        return self._like.pair_ids() if self._like else Young(self.spec, np.zeros(self.n)).pair_ids()

    def generators(self) -> Gens:
        return alternating_generators(self.n)


class Product(NamedGroup):
    """G_1 x G_2 x ... with G_k on the k-th consecutive block; (G_1 x G_2)^(2) = G_1^(2) x G_2^(2)."""

    def __init__(self, spec: str, factors: list[NamedGroup]) -> None:
        self.factors = factors
        self.offsets = np.cumsum([0] + [f.n for f in factors])
        super().__init__(spec, int(self.offsets[-1]), lambda: math.prod(f.order for f in factors))
        self.young = all(f.young for f in factors)
        closed = [f.two_closed for f in factors]
        self.two_closed = None if None in closed else all(closed)

    @property
    def closure_order(self) -> int | None:
        orders = [f.closure_order for f in self.factors]
        return None if None in orders else math.prod(orders)  # type: ignore[arg-type]

    def node_ids(self) -> np.ndarray:
        parts, shift = [], 0
        for f in self.factors:
            ids = f.node_ids()
            parts.append(ids + shift)
            shift += int(ids.max()) + 1
        return np.concatenate(parts).astype(np.int32)

    @property
    def pair_count(self) -> int | None:
        counts = [f.pair_count for f in self.factors]
        if None in counts:
            return None
        orbits = [int(f.node_ids().max()) + 1 for f in self.factors]
        return sum(counts) + sum(orbits) ** 2 - sum(k * k for k in orbits)  # type: ignore[arg-type]

    def pair_ids(self) -> np.ndarray:
        # Within a block: the factor's ids; across blocks: the pair of node orbits. Then canonical ids.
        n, nodes = self.n, self.node_ids().astype(np.int64)
        k = int(nodes.max()) + 1
        labels = -1 - (nodes[:, None] * k + nodes[None, :])  # across blocks: negative, apart from the rest
        shift = 0
        for f, start in zip(self.factors, self.offsets, strict=False):
            inner = f.pair_ids().astype(np.int64)
            labels[start : start + f.n, start : start + f.n] = inner + shift
            shift += int(inner.max()) + 1
        return _canonical(labels).reshape(n, n)

    def generators(self) -> Gens:
        gens: Gens = []
        for f, start in zip(self.factors, self.offsets, strict=False):
            for s in f.generators():
                full = np.arange(self.n, dtype=np.int64)
                full[start : start + f.n] = s + start
                gens.append(full)
        return gens


def _differences(n: int) -> np.ndarray:
    """int32[n, n] with entry (i, j) = (j - i) mod n, read off one doubled row (no modulo per entry)."""
    doubled = np.concatenate([np.arange(n, dtype=np.int32)] * 2)
    return np.lib.stride_tricks.sliding_window_view(doubled[1:], n)[::-1].copy()


def _canonical(labels: np.ndarray) -> np.ndarray:
    """Renumber labels 0..k-1 by first row-major occurrence (int32, flat)."""
    flat = labels.ravel()
    _, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse.ravel()].astype(np.int32)


def _d4_elements(m: int) -> Gens:
    rows, cols = np.divmod(np.arange(m * m, dtype=np.int64), m)
    rotate, flip = cols * m + (m - 1 - rows), rows * m + (m - 1 - cols)
    out, g = [], np.arange(m * m, dtype=np.int64)
    for _ in range(4):
        out += [g, flip[g]]
        g = rotate[g]
    return out


# --------------------------------------------------------------------------------------------------
# The names: spec arguments -> NamedGroup (each checks its arguments like the PermGroup constructor)
# --------------------------------------------------------------------------------------------------


def _trivial(n: Any) -> NamedGroup:
    n = check_degree(n)
    return Young(f"trivial({n})", np.arange(n), order=1)


def _symmetric(n: Any) -> NamedGroup:
    n = check_degree(n)
    return Young(f"symmetric({n})", np.zeros(n))


def _alternating(n: Any) -> NamedGroup:
    n = check_degree(n)
    return Alternating(f"alternating({n})", n)


def _cyclic(n: Any) -> NamedGroup:
    n = check_degree(n)
    return Cyclic(f"cyclic({n})", n, mirror=False)


def _dihedral(n: Any) -> NamedGroup:
    n = check_degree(n)
    return Cyclic(f"dihedral({n})", n, mirror=True)


def _reversal(n: Any) -> NamedGroup:
    n = check_degree(n)
    if n == 1:
        return Young("reversal(1)", np.zeros(1), order=1)

    def elements() -> Gens:
        return [np.arange(n, dtype=np.int64), np.arange(n - 1, -1, -1, dtype=np.int64)]

    group = FiniteAction(f"reversal({n})", elements, 2, lambda: reversal_generators(n))
    group.young = n == 2
    return group


def _fix_first(n: Any) -> NamedGroup:
    n = check_degree(n)
    return Young(f"fix_first({n})", np.minimum(np.arange(n), 1))


def _block_product(*sizes: Any) -> NamedGroup:
    if len(sizes) == 1 and isinstance(sizes[0], list):
        sizes = tuple(sizes[0])
    sizes = _block_sizes(list(sizes))
    classes = np.repeat(np.arange(len(sizes)), sizes)
    return Young("block_product(" + ", ".join(map(str, sizes)) + ")", classes)


def _clusters(assignment: Any) -> NamedGroup:
    if not isinstance(assignment, list) or not assignment:
        raise ValueError("clusters needs a non-empty cluster assignment, one label per node")
    first: dict[Any, int] = {}
    ids = np.array([first.setdefault(label, len(first)) for label in assignment], dtype=np.int32)
    return Young("clusters([" + ", ".join(map(str, ids.tolist())) + "])", ids)


def _swap_halves(n: Any) -> NamedGroup:
    n = check_degree(n, minimum=2)
    if n % 2:
        raise ValueError(f"swap_halves needs an even n, got {n}")
    return SwapHalves(f"swap_halves({n})", n)


def _grid(h: Any, w: Any, kind: Any = "torus", patch: Any = None) -> NamedGroup:
    h, w = check_degree(h, what="grid height h"), check_degree(w, what="grid width w")
    _check_grid(h, w, kind, patch)
    spec = f"grid({h}, {w}, {kind})" if patch is None else f"grid({h}, {w}, {kind}, {int(patch)})"
    if kind == "patch":
        return Young(spec, _patch_classes(h, w, int(patch)))
    if kind == "torus":
        return Torus(spec, h, w)
    if h == 1:
        return Young(spec, np.zeros(1), order=1)
    group = FiniteAction(spec, lambda: _d4_elements(h), 8, lambda: grid_generators(h, w, "d4", None))
    if h <= 3:  # every point lies on a mirror axis; 2-closed all the same (checked against the search)
        group.two_closed = True
    return group


def _direct_product(*factors: NamedGroup) -> NamedGroup:
    if not factors:
        raise ValueError("direct_product needs at least one group")
    return Product("direct_product(" + ", ".join(f.spec for f in factors) + ")", list(factors))


# Spec name -> builder of its NamedGroup from the spec's arguments (nested specs already built).
NAMED: dict[str, Callable[..., NamedGroup]] = {
    "trivial": _trivial,
    "symmetric": _symmetric,
    "alternating": _alternating,
    "cyclic": _cyclic,
    "dihedral": _dihedral,
    "reversal": _reversal,
    "fix_first": _fix_first,
    "block_product": _block_product,
    "clusters": _clusters,
    "swap_halves": _swap_halves,
    "grid": _grid,
    "direct_product": _direct_product,
}


def named_group(spec: str | SpecCall) -> NamedGroup | None:
    """The :class:`NamedGroup` of a spec whose every name is in :data:`NAMED`; None if some name is not
    (it may still be a spec that ``asen_fm.symmetry.PermGroup.parse`` knows). ValueError for a malformed
    spec or bad arguments."""
    call = parse_spec(spec) if isinstance(spec, str) else spec
    if not _known(call):
        return None
    return _build(call, spec if isinstance(spec, str) else call.name)


def _known(call: SpecCall) -> bool:
    return (
        call.name in NAMED
        and FREE not in call.args
        and all(_known(a) for a in call.args if isinstance(a, SpecCall))
    )


def _build(call: SpecCall, text: str) -> NamedGroup:
    args = [_build(a, text) if isinstance(a, SpecCall) else a for a in call.args]
    try:
        return NAMED[call.name](*args)
    except TypeError as err:
        raise ValueError(f"wrong arguments for {call.name} in spec {text!r}: {err}") from None
