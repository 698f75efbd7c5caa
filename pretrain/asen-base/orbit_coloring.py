"""Orbit colorings of a permutation group G <= S_n (the paper's Algorithm 1, computed fast).

A^(1)[i] = A^(1)[k]  iff  k = g(i) for some g in G              (node orbits)
A^(2)[i, j] = A^(2)[k, l]  iff  (k, l) = (g(i), g(j)) for some g in G   (pair orbits)

This module depends on NumPy and the standard library only, and imports nothing else from asen_fm:
a saved model folder ships it next to ``modeling_asen.py`` so that ``config.json`` alone (groups in
``PermGroup.to_json()`` form) rebuilds every coloring. Every function takes either an object with
``.n`` and ``.generators`` (a ``PermGroup``) or a plain ``(n, generators)`` pair.

Orbits are the connected components of the graph x -> s(x) over the generators s, found by vectorized
union-find (root hooking and pointer jumping, see ``_orbit_minima``). Each orbit ends up labelled by
its smallest point, which is also its first occurrence in row-major order, so canonical ids need no
sort.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .group_specs import NAMED, NamedGroup, ids_from_minima, named_group

__all__ = [
    "FRAMEWORKS",
    "SymmetryTooLarge",
    "check_pair_memory",
    "decode_generators",
    "encode_generators",
    "group_generators",
    "group_node_ids",
    "group_pair_ids",
    "named_part",
    "canonical_ids",
    "coloring_from_json",
    "degree_and_generators",
    "edge_support",
    "group_part",
    "node_orbits",
    "pair_orbits",
    "parse_edges",
    "parse_group_json",
    "symmetry_coloring",
    "validate_permutation",
]

# Edge frameworks of the paper's Sec. 5.1: full A_f^(2), sparse A_s^(2), weakly sparse A_f^(2) + A_s^(2).
FRAMEWORKS = ("full", "sparse", "weakly_sparse")

# Lifted generators (one int32 index array of n^2 entries each) are kept across sweeps up to this size.
_CACHE_BYTES = 512 * 2**20


def validate_permutation(perm: Any, n: int, name: str = "permutation") -> np.ndarray:
    """Return ``perm`` as an int64 array after checking it is a bijection of range(n).

    Raises ValueError naming ``name`` when the shape, dtype or values are wrong.
    """
    arr = np.asarray(perm)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be a 1-D sequence of length n={n}, got shape {arr.shape}")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or _is_integral_float(arr)):
        raise ValueError(f"{name} must contain integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= n:
        raise ValueError(f"{name} has entries outside range({n}): min {arr.min()}, max {arr.max()}")
    seen = np.bincount(arr, minlength=n)
    if not np.all(seen == 1):
        missing = int(np.flatnonzero(seen == 0)[0])
        raise ValueError(f"{name} is not a bijection of range({n}): {missing} is never an image")
    return arr


def _is_integral_float(arr: np.ndarray) -> bool:
    return np.issubdtype(arr.dtype, np.floating) and bool(np.all(np.isfinite(arr) & (arr == np.round(arr))))


def degree_and_generators(group: Any) -> tuple[int, tuple[np.ndarray, ...]]:
    """Read ``(n, generators)`` from a PermGroup-like object or an ``(n, generators)`` pair, validated."""
    if hasattr(group, "n") and hasattr(group, "generators"):
        n, gens = group.n, group.generators
    elif isinstance(group, Sequence) and not isinstance(group, str) and len(group) == 2:
        n, gens = group
    else:
        raise ValueError(
            "expected a PermGroup (an object with .n and .generators) or an (n, generators) pair, "
            f"got {type(group).__name__}"
        )
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"degree n must be a positive integer, got {n!r}")
    n = int(n)
    checked = tuple(validate_permutation(g, n, name=f"generator {k}") for k, g in enumerate(gens))
    return n, checked


def canonical_ids(labels: np.ndarray) -> np.ndarray:
    """Renumber arbitrary labels to 0..k-1 in order of first occurrence (row-major); same shape, int32."""
    flat = np.asarray(labels).ravel()
    if flat.size == 0:
        return np.zeros(np.shape(labels), dtype=np.int32)
    _, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse.ravel()].astype(np.int32).reshape(np.shape(labels))


def _orbit_minima(size: int, images: Callable[[], Iterable[np.ndarray]]) -> np.ndarray:
    """L[x] = smallest point in the orbit of x under the permutations that ``images()`` yields.

    Each is an index array of length size (x -> s(x)); ``images`` is called once per sweep so that
    callers may build the arrays lazily instead of holding them all. L is a forest of parent pointers
    with L[x] <= x; a sweep hooks, for every edge x -> s(x) joining two trees, the larger root under
    the smaller one, then compresses all paths to roots. It stops when no edge joins two trees, and
    then each tree is an orbit whose root is its smallest point.
    """
    index_dtype = np.int32 if size < 2**31 else np.int64
    parent = np.arange(size, dtype=index_dtype)
    root_of_image = np.empty_like(parent)
    while True:
        hooked = False
        for image in images():
            np.take(parent, image, out=root_of_image)
            split = np.flatnonzero(parent != root_of_image)
            if split.size == 0:
                continue
            a, b = parent[split], root_of_image[split]
            parent[np.maximum(a, b)] = np.minimum(a, b)  # any smaller neighbouring root will do
            hooked = True
            _compress(parent, root_of_image)
        if not hooked:
            return parent


def _compress(parent: np.ndarray, scratch: np.ndarray) -> None:
    """Pointer jumping in place until every entry points at a root (parent[parent[x]] = parent[x])."""
    while True:
        np.take(parent, parent, out=scratch)
        if np.array_equal(scratch, parent):
            return
        parent[:] = scratch


def node_orbits(group: Any) -> np.ndarray:
    """A^(1): int32[n], A^(1)[i] = A^(1)[k] iff i and k lie in one G-orbit; ids canonical."""
    n, gens = degree_and_generators(group)
    return ids_from_minima(_orbit_minima(n, lambda: gens))


def _pair_minima(n: int, gens: tuple[np.ndarray, ...]) -> np.ndarray:
    """Orbit minima of the diagonal action on pairs, pair (i, j) encoded as i * n + j."""
    dtype = np.int32 if n * n < 2**31 else np.int64

    def lifted() -> Iterator[np.ndarray]:
        for g in gens:
            g = g.astype(dtype)
            yield (g[:, None] * dtype(n) + g[None, :]).ravel()

    if len(gens) * n * n * np.dtype(dtype).itemsize <= _CACHE_BYTES:
        cached = list(lifted())
        return _orbit_minima(n * n, lambda: cached).reshape(n, n)
    return _orbit_minima(n * n, lifted).reshape(n, n)


def _check_support(support: Any, n: int) -> np.ndarray:
    arr = np.asarray(support)
    if arr.shape != (n, n):
        raise ValueError(f"support must be a boolean adjacency of shape ({n}, {n}), got shape {arr.shape}")
    if arr.dtype != bool:
        if not (np.issubdtype(arr.dtype, np.number) and np.all((arr == 0) | (arr == 1))):
            raise ValueError("support must be boolean (or contain only 0 and 1)")
        arr = arr.astype(bool)
    return arr


def pair_orbits(group: Any, support: Any = None, combine: bool = False) -> np.ndarray:
    """A^(2): int32[n, n], A^(2)[i, j] = A^(2)[k, l] iff (k, l) = (g(i), g(j)) for some g in G.

    ``support`` (boolean n x n) gives the sparse framework: pairs outside it share one "no edge" id.
    With ``combine=True`` it gives the weakly sparse framework instead: the orbit partition refined by
    the support, so edges and non-edges of one orbit get different ids. Ids are canonical (numbered
    0..k-1 by first occurrence in row-major order) in every case, so the "no edge" id is whatever id
    the first non-edge received. The automorphism group of the result is G^(2) when support is None.
    """
    n, gens = degree_and_generators(group)
    check_pair_memory(n, "pair_orbits")
    if support is None and combine:
        raise ValueError("combine=True needs a support adjacency to refine the pair orbits with")
    minima = _pair_minima(n, gens)
    if support is None:
        return ids_from_minima(minima)
    mask = _check_support(support, n)
    labels = minima.astype(np.int64)
    if combine:
        return canonical_ids(2 * labels + mask)
    return canonical_ids(np.where(mask, labels, -1))


# Pair-orbit tables larger than this (bytes while building them: ids, labels and scratch, ~16 per pair) are
# refused before any allocation; ASEN_FM_MEMORY_LIMIT_GB overrides it (a config.json from anyone's repository
# may ask for dihedral(2000000), whose table would need 64 TiB).
DEFAULT_MEMORY_LIMIT_GB = 4.0
BYTES_PER_PAIR = 16


class SymmetryTooLarge(ValueError):
    """A symmetry whose tables would exceed the memory limit (raised before anything is allocated)."""


def memory_limit() -> int:
    """The pair-table memory limit in bytes: ``ASEN_FM_MEMORY_LIMIT_GB`` (a positive number) or 4 GiB."""
    text = os.environ.get("ASEN_FM_MEMORY_LIMIT_GB")
    if text is None:
        return int(DEFAULT_MEMORY_LIMIT_GB * 2**30)
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ValueError(f"ASEN_FM_MEMORY_LIMIT_GB must be a positive number of GiB, got {text!r}")
    return int(value * 2**30)


def format_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024 or unit == "PiB":
            return f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def check_pair_memory(n: int, what: str = "symmetry") -> None:
    """Refuse (SymmetryTooLarge) an [n, n] pair-orbit table that would exceed :func:`memory_limit`."""
    need = n * n * BYTES_PER_PAIR
    limit = memory_limit()
    if need > limit:
        raise SymmetryTooLarge(
            f"{what}: its pair-orbit table over n = {n} nodes ({n * n:.3g} pairs) needs about "
            f"{format_bytes(need)}, above the memory limit of {format_bytes(limit)} "
            "(ASEN_FM_MEMORY_LIMIT_GB); use node-only breaking (pairs='none') where it is exact, a coarser "
            "pair_group, or raise the limit"
        )


def encode_generators(generators: Sequence[Any], n: int) -> dict[str, str]:
    """The compact stored form of generators of a group on range(n): little-endian int16 (n <= 32768) or
    int32 values, all generators concatenated, in base64: ``{"dtype": "int16", "base64": "..."}``."""
    dtype = "int16" if n <= 2**15 else "int32"
    array = np.asarray(generators, dtype=np.int64).reshape(-1, n) if len(generators) else np.zeros((0, n))
    data = array.astype(np.dtype(dtype).newbyteorder("<")).tobytes()
    return {"dtype": dtype, "base64": base64.b64encode(data).decode("ascii")}


def decode_generators(stored: Any, n: int, name: str = "group") -> np.ndarray:
    """Generators int64[k, n] from the compact form (see :func:`encode_generators`) or a list of lists,
    each checked to be a permutation of range(n) (ValueError naming the first one that is not)."""
    if isinstance(stored, Mapping):
        unknown = set(stored) - {"dtype", "base64"}
        if (
            unknown
            or stored.get("dtype") not in ("int16", "int32")
            or not isinstance(stored.get("base64"), str)
        ):
            raise ValueError(
                f"{name}: compact generators must be {{'dtype': 'int16' | 'int32', 'base64': '...'}}, got "
                f"keys {sorted(stored)} with dtype {stored.get('dtype')!r}"
            )
        try:
            data = base64.b64decode(stored["base64"].encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError):
            raise ValueError(f"{name}: compact generators are not valid base64") from None
        dtype = np.dtype(stored["dtype"]).newbyteorder("<")
        values = np.frombuffer(data, dtype=dtype) if len(data) % dtype.itemsize == 0 else None
        if values is None or values.size % n:
            count = len(data) / dtype.itemsize
            raise ValueError(
                f"{name}: compact generators hold {count:g} {stored['dtype']} values, "
                f"not a multiple of n = {n}"
            )
        array = values.astype(np.int64).reshape(-1, n)
        if not _all_permutations(array, n):
            bad = next(k for k in range(len(array)) if not _all_permutations(array[k : k + 1], n))
            raise ValueError(f"{name}: compact generator {bad} is not a permutation of range({n})")
        return array
    if isinstance(stored, (str, bytes)) or not isinstance(stored, Iterable):
        raise ValueError(f"{name}: 'generators' must be a list of permutations, got {type(stored).__name__}")
    stored = list(stored)
    fast = _valid_generator_array(stored, n)
    if fast is not None:
        return fast
    checked = [validate_permutation(g, n, name=f"{name}: generator {k}") for k, g in enumerate(stored)]
    return np.stack(checked) if checked else np.zeros((0, n), dtype=np.int64)


def _all_permutations(array: np.ndarray, n: int) -> bool:
    return bool(np.array_equal(np.sort(array, axis=1), np.broadcast_to(np.arange(n), array.shape)))


def _valid_generator_array(generators: list[Any], n: int) -> np.ndarray | None:
    """All generators as int64[k, n] when they are valid permutations of range(n) (checked at once), else
    None. Thousands of generators of a large grid group take milliseconds instead of seconds."""
    if not generators:
        return np.zeros((0, n), dtype=np.int64)
    try:
        array = np.asarray(generators)
    except ValueError:  # ragged
        return None
    if array.ndim != 2 or array.shape[1] != n or not np.issubdtype(array.dtype, np.integer):
        return None
    return array.astype(np.int64) if _all_permutations(array, n) else None


def parse_group_json(obj: Any, name: str = "group") -> dict[str, Any]:
    """The one parser of the stored JSON group form (dict or JSON text); returns its normalized copy.

    Stored forms: ``{"n": n, "spec": "grid(64, 64, torus)"}`` for a spec this module knows (see
    :mod:`group_specs`: the colorings come from the spec alone), else ``{"n": n, "generators": {"dtype":
    "int16", "base64": "..."}[, "spec": name]}``. Older checkpoints store ``"generators"`` as lists of
    ints (with or without a spec): they are read too, re-encoded compactly, and stay the truth wherever they
    are given (a spec beside them is a name that ``PermGroup.from_json`` checks against them). Every problem
    is a ValueError that starts with ``name``. Extra keys are left to the caller (symmetry entries carry
    ``edges`` / ``framework`` beside the group).
    """
    if isinstance(obj, str):
        try:
            obj = json.loads(obj)
        except json.JSONDecodeError as err:
            raise ValueError(f"{name}: group JSON could not be decoded: {err}") from None
    if not isinstance(obj, Mapping):
        raise ValueError(
            f"{name}: a group JSON must be an object with 'n' and 'spec' or 'generators', "
            f"got {type(obj).__name__}"
        )
    missing = ["n"] * ("n" not in obj) + ["spec or generators"] * (
        "generators" not in obj and "spec" not in obj
    )
    if missing:
        raise ValueError(
            f"{name}: a group JSON needs 'n' and 'spec' or 'generators', missing {missing} (got keys "
            f"{sorted(obj)}: a truncated or hand-edited config.json?)"
        )
    n = obj["n"]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name}: 'n' must be a positive int, got {n!r}")
    n = int(n)
    spec = obj.get("spec")
    if spec is not None and not isinstance(spec, str):
        raise ValueError(f"{name}: 'spec' must be a string, got {type(spec).__name__}")
    named = _named_or_none(spec, name)
    if named is not None and named.n != n:
        raise ValueError(f"{name}: spec {spec!r} acts on {named.n} points, but n = {n}")
    if named is not None and "generators" not in obj:
        return {"n": n, "spec": named.spec}
    if "generators" not in obj:
        raise ValueError(
            f"{name}: spec {spec!r} is not one that the model files can build ({', '.join(sorted(NAMED))}); "
            "store its generators beside it"
        )
    generators = decode_generators(obj["generators"], n, name)
    out: dict[str, Any] = {"n": n, "generators": encode_generators(generators, n)}
    if spec is not None and not spec.startswith(("from_cycles(", "from_generators(")):
        out["spec"] = spec  # a name for people (e.g. a domain's group); the generators are the truth
    return out


def _named_or_none(spec: str | None, name: str) -> NamedGroup | None:
    if spec is None:
        return None
    try:
        return named_group(spec)
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None


def named_part(entry: Mapping[str, Any]) -> NamedGroup | None:
    """The :class:`NamedGroup` of a normalized entry stored by its spec alone (None: it has generators)."""
    if "generators" in entry or not entry.get("spec"):
        return None
    return named_group(entry["spec"])


def group_generators(entry: Mapping[str, Any]) -> np.ndarray:
    """int64[k, n] generators of a normalized entry's group (decoded, or built from its spec)."""
    named = named_part(entry)
    if named is None:
        return decode_generators(entry["generators"], entry["n"])
    gens = named.generators()
    return np.stack(gens) if gens else np.zeros((0, entry["n"]), dtype=np.int64)


def group_node_ids(entry: Mapping[str, Any]) -> np.ndarray:
    """A^(1) of a normalized entry's group: closed form for a spec, union-find over its generators else."""
    named = named_part(entry)
    if named is not None:
        return named.node_ids()
    return node_orbits((entry["n"], decode_generators(entry["generators"], entry["n"])))


def group_pair_ids(entry: Mapping[str, Any], what: str = "symmetry") -> np.ndarray:
    """A^(2) of a normalized entry's group (int32[n, n]), after the memory check."""
    check_pair_memory(entry["n"], what)
    named = named_part(entry)
    if named is not None:
        return named.pair_ids()
    return pair_orbits((entry["n"], decode_generators(entry["generators"], entry["n"])))


def group_part(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON group of a ``config.symmetries`` entry, without its graph and breaking options."""
    return {key: entry[key] for key in ("n", "generators", "spec") if key in entry}


def parse_edges(edges: Any, n: int, directed: bool = False, name: str = "edges") -> list[list[int]]:
    """Validated graph edges as a sorted list of ``[i, j]`` (for undirected graphs i < j, deduplicated).

    Self-loops are dropped: every node attends to itself in every framework.
    """
    arr = np.asarray(edges if edges is not None else [], dtype=object)
    if arr.size == 0:
        return []
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must be a list of [i, j] pairs, got an array of shape {arr.shape}")
    try:
        pairs = np.array([[int(i), int(j)] for i, j in arr.tolist()], dtype=np.int64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold integer node indices") from None
    if not np.array_equal(pairs, arr.astype(float)):
        raise ValueError(f"{name} must hold integer node indices")
    bad = np.flatnonzero((pairs < 0).any(axis=1) | (pairs >= n).any(axis=1))
    if bad.size:
        raise ValueError(f"{name}: edge {pairs[bad[0]].tolist()} has a node outside range({n})")
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    if not directed:
        pairs = np.sort(pairs, axis=1)
    return np.unique(pairs, axis=0).tolist() if len(pairs) else []


def edge_support(n: int, edges: Sequence[Sequence[int]], directed: bool = False) -> np.ndarray:
    """Boolean adjacency [n, n] of the edges plus self-loops (symmetric unless ``directed``)."""
    support = np.eye(n, dtype=bool)
    if len(edges):
        pairs = np.asarray(edges, dtype=np.int64)
        support[pairs[:, 0], pairs[:, 1]] = True
        if not directed:
            support[pairs[:, 1], pairs[:, 0]] = True
    return support


def symmetry_coloring(entry: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(A^(1) int32[n], A^(2) int32[n, n] or None, attend bool[n, n] or None) of a stored symmetry entry.

    ``entry`` is a ``config.symmetries`` value: a JSON group plus optional ``edges``, ``directed``,
    ``framework``, ``pairs`` and ``pair_group``. ``full`` colors every pair by its G-orbit (the graph plays
    no part); ``sparse`` keeps those colors on the graph's edges and self-loops only and returns ``attend``
    (attention runs along the graph alone); ``weakly_sparse`` keeps every pair, its color refined by edge /
    non-edge. ``pairs="none"`` gives no pair coloring at all (node-only breaking); ``pair_group`` takes the
    pair colors from that (larger) group instead of G. Named groups use their closed forms; no [n, n] array
    is built for node-only breaking, and a pair table over the memory limit is refused before it is built.
    """
    group = parse_group_json(group_part(entry), name="symmetry")
    n = group["n"]
    framework = entry.get("framework") or "full"
    if framework not in FRAMEWORKS:
        raise ValueError(f"symmetry: framework must be one of {FRAMEWORKS}, got {framework!r}")
    nodes = group_node_ids(group)
    if entry.get("pairs") == "none":
        return nodes, None, None
    what = f"symmetry {group.get('spec', f'of degree {n}')!r}"
    if entry.get("pair_group") is not None:
        coarse = parse_group_json(entry["pair_group"], name="symmetry: pair_group")
        return nodes, group_pair_ids(coarse, what), None
    pairs = group_pair_ids(group, what)
    if framework == "full":
        return nodes, pairs, None
    directed = bool(entry.get("directed", False))
    support = edge_support(n, parse_edges(entry.get("edges"), n, directed), directed)
    labels = pairs.astype(np.int64)
    if framework == "sparse":
        return nodes, canonical_ids(np.where(support, labels, -1)), support
    return nodes, canonical_ids(2 * labels + support), None


def coloring_from_json(obj: Mapping[str, Any] | str) -> tuple[np.ndarray, np.ndarray]:
    """(A^(1), A^(2)) for a stored JSON group (dict or JSON text, spec or generators)."""
    group = parse_group_json(obj)
    return group_node_ids(group), group_pair_ids(group, "group")
