"""``PermGroup``: a permutation group G <= S_n given by validated generators in array form.

Equality: ``G == H`` iff they have the same degree and are the same set of permutations (decided by
membership of each one's generators in the other, after cheap checks). ``hash`` uses the degree and
the node orbits, both group invariants, so equal groups hash equally whatever generators describe them.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping, Sequence
from functools import cached_property
from math import factorial, prod
from typing import TYPE_CHECKING, Any

import numpy as np

from asen_fm.group_specs import named_group
from asen_fm.orbit_coloring import (
    decode_generators,
    degree_and_generators,
    node_orbits,
    parse_group_json,
    validate_permutation,
)
from asen_fm.symmetry import named
from asen_fm.symmetry.bsgs import StabilizerChain
from asen_fm.symmetry.order import group_order
from asen_fm.symmetry.perms import format_cycles, parse_cycles
from asen_fm.symmetry.registry import group_builder, group_names, register_group
from asen_fm.symmetry.specs import SpecCall, has_free_degree, parse_spec

if TYPE_CHECKING:
    from sympy.combinatorics import PermutationGroup

__all__ = ["PermGroup"]


class PermGroup:
    """G = <generators> <= S_n, generators stored as read-only int64 arrays (g[i] = image of i)."""

    def __init__(self, n: int, generators: Sequence[Any] = ()) -> None:
        n, gens = degree_and_generators((named.check_degree(n), list(generators)))
        identity = np.arange(n)
        kept = []
        for g in gens:
            if not np.array_equal(g, identity):
                g.setflags(write=False)
                kept.append(g)
        self.n: int = n
        self.generators: tuple[np.ndarray, ...] = tuple(kept)
        self._spec: str | None = None  # set by the named constructors; str() falls back to cycles
        self._order: int | None = None  # known in closed form for named groups

    @classmethod
    def _named(cls, n: int, generators: Sequence[Any], spec: str, order: int) -> PermGroup:
        group = cls(n, generators)
        group._spec, group._order = spec, int(order)
        return group

    # ----------------------------------------------------------------- named constructors
    @classmethod
    def trivial(cls, n: int) -> PermGroup:
        """{e} <= S_n."""
        n = named.check_degree(n)
        return cls._named(n, [], f"trivial({n})", 1)

    @classmethod
    def symmetric(cls, n: int) -> PermGroup:
        """S_n: all permutations of range(n)."""
        n = named.check_degree(n)
        return cls._named(n, named.symmetric_generators(n), f"symmetric({n})", factorial(n))

    @classmethod
    def alternating(cls, n: int) -> PermGroup:
        """A_n: the even permutations (its 2-closure is S_n for n >= 4)."""
        n = named.check_degree(n)
        return cls._named(n, named.alternating_generators(n), f"alternating({n})", max(factorial(n) // 2, 1))

    @classmethod
    def cyclic(cls, n: int) -> PermGroup:
        """C_n: rotations i -> i + k mod n."""
        n = named.check_degree(n)
        return cls._named(n, named.cyclic_generators(n), f"cyclic({n})", n)

    @classmethod
    def dihedral(cls, n: int) -> PermGroup:
        """D_n: rotations and reflections of an n-cycle."""
        n = named.check_degree(n)
        return cls._named(n, named.dihedral_generators(n), f"dihedral({n})", 2 * n if n >= 3 else n)

    @classmethod
    def reversal(cls, n: int) -> PermGroup:
        """{e, i -> n - 1 - i} (palindrome symmetry)."""
        n = named.check_degree(n)
        return cls._named(n, named.reversal_generators(n), f"reversal({n})", min(n, 2))

    @classmethod
    def fix_first(cls, n: int) -> PermGroup:
        """S_{n-1} on positions 1..n-1, position 0 fixed (Detect Capital)."""
        n = named.check_degree(n)
        gens = named.symmetric_generators(n - 1, offset=1, degree=n)
        return cls._named(n, gens, f"fix_first({n})", factorial(n - 1))

    @classmethod
    def block_product(cls, sizes: Sequence[int]) -> PermGroup:
        """S_{n1} x S_{n2} x ... acting on consecutive blocks of sizes n1, n2, ..."""
        n, gens = named.block_generators(sizes)
        spec = "block_product(" + ", ".join(str(int(s)) for s in sizes) + ")"
        return cls._named(n, gens, spec, prod(factorial(int(s)) for s in sizes))

    @classmethod
    def clusters(cls, assignment: Sequence[Any]) -> PermGroup:
        """S_{C_1} x ... x S_{C_k} on arbitrary index sets: node i lies in cluster ``assignment[i]``.

        Labels are any hashables, renumbered by first occurrence; the spec lists the renumbered ids, e.g.
        ``clusters([0, 1, 0, 1])`` (sensor clusters, patches with ragged borders, ...).
        """
        labels = list(assignment) if not isinstance(assignment, np.ndarray) else assignment.tolist()
        if not labels:
            raise ValueError("clusters needs a non-empty cluster assignment, one label per node")
        first: dict[Any, int] = {}
        ids = np.array([first.setdefault(label, len(first)) for label in labels], dtype=np.int64)
        gens, sizes = [], np.bincount(ids)
        for k, size in enumerate(sizes):
            if size > 1:
                points = np.flatnonzero(ids == k)
                gens.extend(named.symmetric_generators(int(size), degree=len(ids), points=points))
        spec = "clusters([" + ", ".join(str(int(i)) for i in ids) + "])"
        return cls._named(len(ids), gens, spec, prod(factorial(int(size)) for size in sizes))

    @classmethod
    def swap_halves(cls, n: int) -> PermGroup:
        """S_{n/2} x S_{n/2} x S_2: both halves permuted freely and swapped (Intersect)."""
        n = named.check_degree(n, minimum=2)
        gens = named.swap_halves_generators(n)
        return cls._named(n, gens, f"swap_halves({n})", 2 * factorial(n // 2) ** 2)

    @classmethod
    def grid(cls, h: int, w: int, kind: str = "torus", patch: int | None = None) -> PermGroup:
        """A group on the h x w grid (node r * w + c): kind "torus" (translations), "d4" (rotations and
        flips of a square grid) or "patch" (S_{p*p} inside each p x p patch, p = ``patch``)."""
        h, w = named.check_degree(h, what="grid height h"), named.check_degree(w, what="grid width w")
        gens = named.grid_generators(h, w, kind, patch)
        spec = f"grid({h}, {w}, {kind})" if patch is None else f"grid({h}, {w}, {kind}, {int(patch)})"
        return cls._named(h * w, gens, spec, named.grid_order(h, w, kind, patch))

    @classmethod
    def from_generators(cls, generators: Sequence[Sequence[int]], n: int | None = None) -> PermGroup:
        """<generators>, each a list in array form; n is read from them unless given (needed for none)."""
        generators = list(generators)
        if n is None:
            if not generators:
                raise ValueError("from_generators needs n when no generators are given")
            n = len(generators[0])
        return cls(n, generators)

    @classmethod
    def from_cycles(cls, n: int, *cycles: str) -> PermGroup:
        """<g1, g2, ...> with each generator in cycle notation, e.g. ``from_cycles(6, "(0 1)(2 3)")``."""
        n = named.check_degree(n)
        return cls(n, [parse_cycles(n, c) for c in cycles])

    @classmethod
    def direct_product(cls, groups: Sequence[PermGroup]) -> PermGroup:
        """G1 x G2 x ... with G_k acting on the k-th consecutive block of points."""
        groups = list(groups)
        if not groups:
            raise ValueError("direct_product needs at least one group")
        for k, g in enumerate(groups):
            if not isinstance(g, PermGroup):
                raise ValueError(f"direct_product factor {k} is a {type(g).__name__}, not a PermGroup")
        n = sum(g.n for g in groups)
        gens, offset = [], 0
        for g in groups:
            for s in g.generators:
                full = np.arange(n, dtype=np.int64)
                full[offset : offset + g.n] = s + offset
                gens.append(full)
            offset += g.n
        spec = "direct_product(" + ", ".join(str(g) for g in groups) + ")"
        return cls._named(n, gens, spec, prod(g.order() for g in groups))

    # ----------------------------------------------------------------- specs and JSON
    @classmethod
    def parse(cls, spec: str | Mapping[str, Any] | PermGroup) -> PermGroup:
        """A group from a spec string (``"dihedral(12)"``), its JSON form (dict or text) or a PermGroup."""
        if isinstance(spec, PermGroup):
            return spec
        if isinstance(spec, Mapping):
            return cls.from_json(spec)
        if isinstance(spec, str) and spec.lstrip().startswith("{"):
            try:
                return cls.from_json(json.loads(spec))
            except json.JSONDecodeError as err:
                raise ValueError(f"group JSON could not be decoded: {err}") from None
        call = parse_spec(spec)
        if has_free_degree(call):
            raise ValueError(
                f"{spec!r} is a family across sizes (a free degree '*'), not a group of one degree: use it "
                "as a symmetry (AsenConfig, Task) or take one member with Family.parse(spec).group(n)"
            )
        return cls._build(call, spec)

    @classmethod
    def _build(cls, call: SpecCall, text: str) -> PermGroup:
        builder = group_builder(call.name)
        if builder is None:
            raise ValueError(
                f"unknown group name {call.name!r} in spec {text!r}; known: {', '.join(group_names())}"
            )
        args = [cls._build(a, text) if isinstance(a, SpecCall) else a for a in call.args]
        try:
            inspect.signature(builder).bind(*args)
        except TypeError as err:
            raise ValueError(f"wrong arguments for {call.name} in spec {text!r}: {err}") from None
        return builder(*args)

    def __str__(self) -> str:
        if self._spec is not None:
            return self._spec
        if not self.generators:
            return f"trivial({self.n})"
        return f"from_cycles({self.n}, " + ", ".join(repr(format_cycles(g)) for g in self.generators) + ")"

    def __repr__(self) -> str:
        return f"PermGroup.parse({str(self)!r})"

    def to_json(self) -> dict[str, Any]:
        """The stored JSON form (``orbit_coloring.parse_group_json``): ``{"n", "spec"}`` for a named group the
        model files can build from its spec, else ``{"n", "generators": <compact>[, "spec"]}``;
        ``from_json`` inverts it."""
        if self._spec is not None and named_group(self._spec) is not None:
            return {"n": self.n, "spec": self._spec}
        gens = np.stack(self.generators) if self.generators else np.zeros((0, self.n), dtype=np.int64)
        return parse_group_json({"n": self.n, "generators": gens, "spec": str(self)}, name="group JSON")

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> PermGroup:
        """Inverse of :meth:`to_json` (older generator lists too): a spec alone builds the named group;
        where generators are given they are the truth, and a ``spec`` beside them must agree."""
        obj = parse_group_json(obj, name="group JSON")
        if "generators" not in obj:
            return cls.parse(obj["spec"])
        group = cls(obj["n"], decode_generators(obj["generators"], obj["n"]))
        spec = obj.get("spec")
        if spec is None:
            return group
        named_group = cls.parse(spec)
        if not named_group._same_generators(group) and named_group != group:
            raise ValueError(f"group JSON: spec {spec!r} does not describe the group its generators generate")
        return cls._named(group.n, group.generators, str(named_group), named_group.order())

    # ----------------------------------------------------------------- group theory
    @cached_property
    def sympy(self) -> PermutationGroup:
        """The same group as a SymPy PermutationGroup (same array-form convention); a test oracle only,
        imported on first use."""
        from sympy.combinatorics import Permutation, PermutationGroup

        gens = [Permutation(g.tolist()) for g in self.generators] or [Permutation(list(range(self.n)))]
        return PermutationGroup(gens)

    def order(self) -> int:
        """|G| as an exact integer: closed form for named groups, else :func:`group_order` (structure
        recognition and a verified Schreier-Sims, see ``order.py``)."""
        if self._order is None:
            self._order = group_order(self.n, self.generators)
        return self._order

    def contains(self, perm: Any) -> bool:
        """Whether the permutation ``perm`` (array form, length n) lies in G."""
        perm = validate_permutation(perm, self.n, name="perm")
        if not self.generators:
            return bool(np.array_equal(perm, np.arange(self.n)))
        residue, level = self.chain.sift(perm)
        return level == len(self.chain.base) and bool(np.array_equal(residue, np.arange(self.n)))

    def random_element(self, rng: np.random.Generator) -> np.ndarray:
        """A uniformly random element of G: u_0 o u_1 o ... o u_k, u_i uniform in the i-th transversal."""
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if not self.generators:
            return np.arange(self.n, dtype=np.int64)
        out = np.arange(self.n, dtype=np.int64)
        for transversal in reversed(self._transversals):
            u = transversal[rng.integers(len(transversal))]
            out = u[out]
        return out

    @cached_property
    def chain(self) -> StabilizerChain:
        """A base and strong generating set (NumPy Schreier-Sims, exact given ``order()``)."""
        return StabilizerChain(self.n, self.generators, self.order())

    @cached_property
    def _transversals(self) -> list[np.ndarray]:
        return [np.stack(list(level.values())) for level in self.chain.levels]

    # ----------------------------------------------------------------- equality
    def _same_generators(self, other: PermGroup) -> bool:
        """Identical generator lists (a sufficient, cheap test for equality)."""
        return len(self.generators) == len(other.generators) and all(
            np.array_equal(a, b) for a, b in zip(self.generators, other.generators, strict=True)
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PermGroup):
            return NotImplemented
        if self.n != other.n:
            return False
        if self._same_generators(other):
            return True
        if not np.array_equal(node_orbits(self), node_orbits(other)):
            return False
        return all(other.contains(g) for g in self.generators) and all(
            self.contains(g) for g in other.generators
        )

    def __hash__(self) -> int:
        return hash((self.n, node_orbits(self).tobytes()))


def _block_product_spec(*sizes: Any) -> PermGroup:
    """``block_product(2, 3)`` or ``block_product([2, 3])``."""
    if len(sizes) == 1 and isinstance(sizes[0], list):
        sizes = tuple(sizes[0])
    return PermGroup.block_product(list(sizes))


def _direct_product_spec(*groups: PermGroup) -> PermGroup:
    """``direct_product(cyclic(3), trivial(2), ...)``."""
    return PermGroup.direct_product(list(groups))


# The core's names; other layers register theirs through ``asen_fm.symmetry.registry``.
for _name, _builder in {
    "trivial": PermGroup.trivial,
    "symmetric": PermGroup.symmetric,
    "alternating": PermGroup.alternating,
    "cyclic": PermGroup.cyclic,
    "dihedral": PermGroup.dihedral,
    "reversal": PermGroup.reversal,
    "fix_first": PermGroup.fix_first,
    "block_product": _block_product_spec,
    "swap_halves": PermGroup.swap_halves,
    "grid": PermGroup.grid,
    "from_generators": PermGroup.from_generators,
    "from_cycles": PermGroup.from_cycles,
    "direct_product": _direct_product_spec,
    "clusters": PermGroup.clusters,
}.items():
    register_group(_name, _builder)
