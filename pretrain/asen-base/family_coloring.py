"""Symmetry families across sizes: one canonical orbit naming for every degree (NumPy only).

A family such as ``reversal(*)`` is the named group at every degree n. Its coloring names each node orbit
and each pair orbit by something that means the same at every n, so one embedding row serves that orbit at
every length and a model runs at lengths it never saw:

============  ===========================================  ================================================
family        node name                                    pair name (i, j)
============  ===========================================  ================================================
reversal      distance to the nearest end, min(i, n-1-i)   (that distance, j - i pointing away from that end;
                                                           |j - i| for the middle node of an odd n)
cyclic        one orbit                                    signed offset (j - i) mod n in (-n/2, n/2]
dihedral      one orbit                                    undirected cyclic distance min(k, n - k)
symmetric     one orbit                                    diagonal / off-diagonal
swap_halves   one orbit                                    diagonal / same half / other half
trivial       absolute position i (node-only breaking)     (i, j) when pairs are asked for
relative      one orbit                                    signed offset j - i (T5's relative positions)
grid torus    one orbit                                    signed (row, column) offsets mod (h, w)
============  ===========================================  ================================================

``relative(*)`` is the trivial group colored the way a relative-position transformer sees a sequence: its
coloring is far coarser than trivial(n)'s n^2 pair orbits, yet the +1 offsets form a directed path that no
permutation but the identity keeps, so the model it gives has exactly the trivial symmetry.

Tables stay bounded: distances below ``exact`` get a row each and longer ones share T5-style logarithmic
buckets up to ``max_n`` (the family's bound: no example may be longer). Within ``exact`` the coloring is
exactly ``pair_orbits(G_n)`` (renumbered); past it, buckets merge orbits, but offsets +-1 keep their own
rows, so the colored graph still pins the path / cycle / torus and its automorphism group is still G_n:
the model stays exactly G_n-equivariant at every n (tests check both claims). ``symmetric``,
``swap_halves`` and ``trivial`` are exact at every n.

A saved model folder ships this module next to ``modeling_asen.py`` (with ``group_specs.py``, whose spec
parser it reads family specs with), so a checkpoint builds the coloring of an unseen length on the fly
without the package. A stored family entry is the spec and its bounds, ``{"spec": "reversal(*)", "max_n":
512, "exact": 32}`` (and ``"pairs": "none"`` for node-only breaking), like any named group in config.json.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .group_specs import FREE, has_free_degree, parse_spec

__all__ = [
    "DEFAULT_EXACT",
    "DEFAULT_MAX_N",
    "FAMILIES",
    "FREE",
    "check_family_entry",
    "check_family_size",
    "distance_bucket",
    "distance_rows",
    "exact_at",
    "family_coloring",
    "family_parts",
    "family_size",
    "family_table_sizes",
    "is_family",
]

DEFAULT_MAX_N = 512
DEFAULT_EXACT = 32


@lru_cache(maxsize=256)
def _free_call(spec: str) -> tuple[str, tuple[Any, ...]] | None:
    """(name, args) of a spec with a free degree ``*``; None for any other text."""
    try:
        call = parse_spec(spec)
    except ValueError:
        return None
    return (call.name, tuple(call.args)) if has_free_degree(call) else None


def is_family(entry: Any) -> bool:
    """Whether a ``config.symmetries`` entry is a family (a spec with a free degree ``*``, or the first
    stored form ``{"family", "args"}``) rather than one group of one degree."""
    if not isinstance(entry, Mapping):
        return False
    spec = entry.get("spec")
    return "family" in entry or (isinstance(spec, str) and FREE in spec and _free_call(spec) is not None)


def family_parts(entry: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """(family name, spec arguments) of a family entry: ("grid", ["*", 8, "torus"])."""
    if "family" in entry:  # the first stored form (before specs were the storage), still read
        return str(entry["family"]), list(entry.get("args", [FREE]))
    parts = _free_call(str(entry.get("spec")))
    if parts is None:
        raise ValueError(f"symmetry {entry.get('spec')!r} is not a family spec such as reversal(*)")
    return parts[0], list(parts[1])


# --------------------------------------------------------------------------------------------------
# Buckets
# --------------------------------------------------------------------------------------------------


def distance_bucket(distance: np.ndarray, exact: int, max_n: int) -> np.ndarray:
    """Row of each non-negative distance: itself below ``exact``, else one of ``exact`` log buckets up to
    ``max_n`` (T5-style: bucket exact + floor(log(d / exact) / log(max_n / exact) * exact))."""
    d = np.asarray(distance, dtype=np.int64)
    if max_n <= exact:
        return d
    far = np.maximum(d, exact).astype(np.float64) / exact
    log = np.floor(np.log(far) / math.log(max_n / exact) * exact).astype(np.int64)
    return np.where(d < exact, d, exact + np.minimum(log, exact - 1))


def distance_rows(exact: int, max_n: int) -> int:
    """How many rows ``distance_bucket`` uses for distances 0..max_n - 1."""
    return max_n if max_n <= exact else 2 * exact


def signed_bucket(offset: np.ndarray, exact: int, max_n: int) -> np.ndarray:
    """Bucket of |offset| with the sign kept, shifted to 0..2D - 2 (D = ``distance_rows``)."""
    offset = np.asarray(offset, dtype=np.int64)
    rows = distance_rows(exact, max_n)
    return np.sign(offset) * distance_bucket(np.abs(offset), exact, max_n) + rows - 1


def signed_mod(offset: np.ndarray, n: int) -> np.ndarray:
    """offset mod n as its representative in (-n/2, n/2]."""
    s = np.mod(offset, n)
    return np.where(s > n // 2, s - n, s)


# --------------------------------------------------------------------------------------------------
# The families
# --------------------------------------------------------------------------------------------------

Size = tuple[int, ...]
Names = tuple[np.ndarray, np.ndarray | None]


@dataclass(frozen=True)
class FamilyRule:
    """How one family names its orbits at a size, and how big its tables are.

    ``names(size, exact, max_n)`` -> (node rows int64[n], pair rows int64[n, n]); ``tables(exact, max_n)``
    -> (node rows, pair rows); ``min_n`` the smallest degree; ``reach(size)`` the longest distance the
    names bucket at that size (``None``: nothing is bucketed, the coloring is exact at every size).
    """

    names: Callable[[Size, int, int], Names]
    tables: Callable[[int, int], tuple[int, int]]
    min_n: int
    reach: Callable[[Size], int] | None = None
    group: str | None = None  # the registered group of each member, when not the family's own name
    partition: bool = True  # False: never G_n's orbit partition (coarser), though Aut(colors) = G_n
    even: bool = False
    dims: int = 1  # 2 for grids: the size is (h, w)


def _reversal(size: Size, exact: int, max_n: int) -> Names:
    (n,) = size
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    end = np.minimum(np.arange(n), n - 1 - np.arange(n))
    left, right = (2 * i < n - 1), (2 * i > n - 1)
    away = np.where(left, j - i, np.where(right, i - j, np.abs(j - i)))  # middle node: |j - i|
    rows = distance_rows(exact, max_n)
    node = distance_bucket(end, exact, max_n)
    pair = node[:, None] * (2 * rows - 1) + signed_bucket(away, exact, max_n)
    return node, pair


def _cyclic(size: Size, exact: int, max_n: int) -> Names:
    (n,) = size
    offset = signed_mod(np.arange(n)[None, :] - np.arange(n)[:, None], n)
    return np.zeros(n, dtype=np.int64), signed_bucket(offset, exact, max_n)


def _dihedral(size: Size, exact: int, max_n: int) -> Names:
    (n,) = size
    offset = np.abs(signed_mod(np.arange(n)[None, :] - np.arange(n)[:, None], n))
    return np.zeros(n, dtype=np.int64), distance_bucket(offset, exact, max_n)


def _symmetric(size: Size, exact: int, max_n: int) -> Names:
    (n,) = size
    return np.zeros(n, dtype=np.int64), 1 - np.eye(n, dtype=np.int64)


def _swap_halves(size: Size, exact: int, max_n: int) -> Names:
    (n,) = size
    half = np.arange(n) >= n // 2
    pair = np.where(half[:, None] == half[None, :], 1, 2) - np.eye(n, dtype=np.int64)
    return np.zeros(n, dtype=np.int64), pair


def _trivial(size: Size, exact: int, max_n: int) -> Names:
    (n,) = size
    node = np.arange(n, dtype=np.int64)
    return node, node[:, None] * max_n + node[None, :]


def _relative(size: Size, exact: int, max_n: int) -> Names:
    (n,) = size
    offset = np.arange(n)[None, :] - np.arange(n)[:, None]
    return np.zeros(n, dtype=np.int64), signed_bucket(offset, exact, max_n)


def _grid_torus(size: Size, exact: int, max_n: int) -> Names:
    h, w = size
    rows, cols = np.divmod(np.arange(h * w), w)
    dr = signed_bucket(signed_mod(rows[None, :] - rows[:, None], h), exact, max_n)
    dc = signed_bucket(signed_mod(cols[None, :] - cols[:, None], w), exact, max_n)
    return np.zeros(h * w, dtype=np.int64), dr * (2 * distance_rows(exact, max_n) - 1) + dc


def _rows(exact: int, max_n: int) -> int:
    return distance_rows(exact, max_n)


FAMILIES: dict[str, FamilyRule] = {
    "reversal": FamilyRule(
        _reversal,
        lambda e, m: (_rows(e, m), _rows(e, m) * (2 * _rows(e, m) - 1)),
        min_n=1,
        reach=lambda size: size[0] - 1,
    ),
    "cyclic": FamilyRule(
        _cyclic, lambda e, m: (1, 2 * _rows(e, m) - 1), min_n=1, reach=lambda size: size[0] // 2
    ),
    "dihedral": FamilyRule(
        _dihedral, lambda e, m: (1, _rows(e, m)), min_n=3, reach=lambda size: size[0] // 2
    ),
    "symmetric": FamilyRule(_symmetric, lambda e, m: (1, 2), min_n=1),
    "swap_halves": FamilyRule(_swap_halves, lambda e, m: (1, 3), min_n=2, even=True),
    "trivial": FamilyRule(_trivial, lambda e, m: (m, m * m), min_n=1),
    "relative": FamilyRule(
        _relative, lambda e, m: (1, 2 * _rows(e, m) - 1), min_n=1, group="trivial", partition=False
    ),
    "grid": FamilyRule(
        _grid_torus,
        lambda e, m: (1, (2 * _rows(e, m) - 1) ** 2),
        min_n=1,
        reach=lambda size: max(size) // 2,
        dims=2,
    ),
}


# --------------------------------------------------------------------------------------------------
# Entries
# --------------------------------------------------------------------------------------------------


def _name(entry: Mapping[str, Any]) -> str:
    return f"symmetry {entry.get('spec', entry.get('family'))!r}"


def check_family_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A family entry (``{"spec": "cyclic(*)", "max_n": ..., "exact": ..., "pairs": ...}``) validated, in its
    stored JSON-plain form (ValueError naming the problem)."""
    family, args = family_parts(entry)
    if family not in FAMILIES:
        known = ", ".join(f"{name}(*)" for name in FAMILIES if name != "grid") + ", grid(*, *, torus)"
        raise ValueError(f"{_name(entry)}: no family named {family!r}; known families: {known}")
    rule = FAMILIES[family]
    if family == "grid":
        if len(args) != 3 or args[2] != "torus" or FREE not in args[:2]:
            raise ValueError(
                f"{_name(entry)}: the grid family is grid(*, *, torus), grid(*, w, torus) or "
                "grid(h, *, torus)"
            )
        for side in args[:2]:
            if side != FREE and (isinstance(side, bool) or not isinstance(side, int) or side < 1):
                raise ValueError(f"{_name(entry)}: a fixed grid side must be a positive int, got {side!r}")
    elif args != [FREE]:
        raise ValueError(f"{_name(entry)}: the {family} family takes only the free degree: {family}(*)")
    out: dict[str, Any] = {"spec": _spec(family, args)}
    for key, default in (("max_n", DEFAULT_MAX_N), ("exact", DEFAULT_EXACT)):
        value = entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 2:
            raise ValueError(f"{_name(entry)}: {key} must be an int >= 2, got {value!r}")
        out[key] = value
    if out["max_n"] < rule.min_n:
        raise ValueError(
            f"{_name(entry)}: max_n = {out['max_n']} is below the family's minimum degree {rule.min_n}"
        )
    pairs = entry.get("pairs", "none" if family == "trivial" else "orbits")
    if pairs not in ("orbits", "none"):
        raise ValueError(f"{_name(entry)}: pairs must be 'orbits' or 'none', got {pairs!r}")
    if pairs == "none":
        out["pairs"] = "none"
    unknown = sorted(set(entry) - {"spec", "family", "args", "max_n", "exact", "pairs"})
    if unknown:
        raise ValueError(
            f"{_name(entry)}: a family takes max_n, exact and pairs, not {unknown} (graphs, pair_group and "
            "positions need one degree)"
        )
    return out


def _spec(family: str, args: list[Any]) -> str:
    return f"{family}({', '.join(str(a) for a in args)})"


def family_table_sizes(entry: Mapping[str, Any]) -> tuple[int, int]:
    """(node table rows, pair table rows; 0 without pairs) of a family entry, fixed by its bounds."""
    nodes, pairs = FAMILIES[family_parts(entry)[0]].tables(entry["exact"], entry["max_n"])
    return nodes, 0 if entry.get("pairs") == "none" else pairs


def family_size(entry: Mapping[str, Any], n: int, image_shape: tuple[int, int] | None = None) -> Size:
    """The size the family is colored at for an example of ``n`` nodes: (n,), or (h, w) for grids (from the
    image shape, or from n and the fixed side)."""
    family, args = family_parts(entry)
    if FAMILIES[family].dims == 1:
        return (int(n),)
    h, w = args[:2]
    if image_shape is not None:
        size = (int(image_shape[0]), int(image_shape[1]))
        if (h != FREE and size[0] != h) or (w != FREE and size[1] != w):
            raise ValueError(
                f"{_name(entry)}: an image of {size[0]} x {size[1]} does not fit {entry['spec']}"
            )
        return size
    if h == FREE and w == FREE:
        raise ValueError(
            f"{_name(entry)}: {entry['spec']} needs image-shaped inputs [batch, h, w] to know each example's "
            "shape (or fix one side: grid(*, w, torus))"
        )
    side = w if h == FREE else h
    if n % side:
        raise ValueError(f"{_name(entry)}: {n} nodes are not whole rows of {entry['spec']}")
    return (n // side, side) if h == FREE else (side, n // side)


def check_family_size(entry: Mapping[str, Any], size: Size, where: str = "") -> None:
    """ValueError unless the family is defined at ``size`` within its bound (``where`` names the example)."""
    rule = FAMILIES[family_parts(entry)[0]]
    n = math.prod(size)
    at = f"{where}: " if where else ""
    if min(size) < rule.min_n:
        raise ValueError(
            f"{at}{entry['spec']} is defined for n >= {rule.min_n}, got n = {n} (the family's minimum degree)"
        )
    if rule.even and n % 2:
        raise ValueError(f"{at}{entry['spec']} splits the nodes into two halves: n must be even, got {n}")
    if max(size) > entry["max_n"] or n > entry["max_n"]:
        raise ValueError(
            f"{at}n = {n} is past the family bound max_n = {entry['max_n']} of {entry['spec']}: rebuild the "
            "symmetry with a larger max_n"
        )


def exact_at(entry: Mapping[str, Any], size: Size) -> bool:
    """Whether the family's coloring at ``size`` is exactly G_n's orbit partition (no bucket merges)."""
    rule = FAMILIES[family_parts(entry)[0]]
    if not rule.partition:
        return math.prod(size) == 1
    if rule.reach is None:
        return True
    distances = np.arange(rule.reach(tuple(size)) + 1)  # exact iff no two of them share a bucket
    return len(np.unique(distance_bucket(distances, entry["exact"], entry["max_n"]))) == len(distances)


def family_coloring(entry: Mapping[str, Any], size: Size) -> tuple[np.ndarray, np.ndarray | None]:
    """(node rows int64[n], pair rows int64[n, n] or None for node-only) of the family at ``size``.

    Rows index the family's fixed tables (``family_table_sizes``): equal names at different sizes are the
    same row.
    """
    check_family_size(entry, size)
    node, pair = FAMILIES[family_parts(entry)[0]].names(tuple(size), entry["exact"], entry["max_n"])
    return node.astype(np.int64), None if entry.get("pairs") == "none" else pair.astype(np.int64)
