"""Symmetry families across sizes (``reversal(*)``, ``grid(*, *, torus)``, user-defined): the package side.

The coloring itself (canonical orbit names shared by every degree, bounded tables) lives in
:mod:`asen_fm.family_coloring`, which a saved model ships; here a family spec is parsed by the package's one
spec parser, each member G_n is available as a ``PermGroup``, and users add families of their own.

>>> family = Family.parse("dihedral(*)")
>>> family.group(12)
PermGroup.parse('dihedral(12)')
>>> family.coloring(12)[1][0, :4].tolist()  # undirected cyclic distance from node 0
[0, 1, 2, 3]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from asen_fm.family_coloring import (
    FAMILIES,
    FREE,
    FamilyRule,
    check_family_entry,
    check_family_size,
    exact_at,
    family_coloring,
    family_parts,
    family_size,
    family_table_sizes,
    is_family,
)
from asen_fm.orbit_coloring import canonical_ids, node_orbits, pair_orbits
from asen_fm.symmetry.groups import PermGroup
from asen_fm.symmetry.registry import group_builder, register_group
from asen_fm.symmetry.specs import has_free_degree, parse_spec

__all__ = ["Family", "family_entry", "is_family", "is_family_spec", "register_family"]


def is_family_spec(value: Any) -> bool:
    """Whether ``value`` is a spec string with a free degree (``"reversal(*)"``)."""
    if not isinstance(value, str) or FREE not in value:
        return False
    try:
        return has_free_degree(parse_spec(value))
    except ValueError:
        return False


def family_entry(
    spec: str, max_n: int | None = None, exact: int | None = None, pairs: str | None = None
) -> dict:
    """The stored ``config.symmetries`` entry of a family spec and its bounds (ValueError naming problems)."""
    if not has_free_degree(parse_spec(spec)):
        raise ValueError(f"{spec!r} has no free degree '*': it is one group, not a family")
    entry: dict[str, Any] = {"spec": spec}
    for key, value in (("max_n", max_n), ("exact", exact), ("pairs", pairs)):
        if value is not None:
            entry[key] = value
    return check_family_entry(entry)


@dataclass(frozen=True)
class Family:
    """A family of groups G_n, one per degree, and its coloring with names shared across n.

    ``max_n`` bounds the sizes (and the tables); distances below ``exact`` get their own rows, longer
    ones share logarithmic buckets.
    """

    entry: Mapping[str, Any]

    @classmethod
    def parse(cls, spec: str | Mapping[str, Any], **bounds: Any) -> Family:
        """A family from its spec (``"cyclic(*)"``; bounds ``max_n=``, ``exact=``, ``pairs=``) or entry."""
        if isinstance(spec, Mapping):
            return cls(check_family_entry(spec))
        return cls(family_entry(spec, **bounds))

    @property
    def name(self) -> str:
        return family_parts(self.entry)[0]

    @property
    def spec(self) -> str:
        return str(self.entry["spec"])

    @property
    def min_n(self) -> int:
        return FAMILIES[self.name].min_n

    @property
    def max_n(self) -> int:
        return int(self.entry["max_n"])

    def size(self, n: int, image_shape: tuple[int, int] | None = None) -> tuple[int, ...]:
        """(n,) or, for a grid, (h, w)."""
        return family_size(self.entry, n, image_shape)

    def check(self, n: int, where: str = "", image_shape: tuple[int, int] | None = None) -> None:
        """ValueError unless the family is defined at ``n`` nodes (minimum degree, parity, bound)."""
        try:
            size = self.size(n, image_shape)
        except ValueError as err:
            raise ValueError(f"{where}: {err}" if where else str(err)) from None
        check_family_size(self.entry, size, where)

    def group(self, n: int | tuple[int, int]) -> PermGroup:
        """G_n: the named group of degree n (a grid family takes (h, w) or n with one side fixed)."""
        size = tuple(n) if isinstance(n, tuple) else self.size(n)
        check_family_size(self.entry, size)
        free = iter(size)
        args = [next(free) if arg == FREE else arg for arg in family_parts(self.entry)[1]]
        name = FAMILIES[self.name].group or self.name
        builder = group_builder(name)
        if builder is None:
            raise ValueError(f"family {self.name!r}: no group named {name!r} is registered")
        return builder(*args)

    def coloring(self, n: int | tuple[int, int]) -> tuple[np.ndarray, np.ndarray | None]:
        """(node rows [n], pair rows [n, n] or None) into the family's fixed tables."""
        size = tuple(n) if isinstance(n, tuple) else self.size(n)
        return family_coloring(self.entry, size)

    def table_sizes(self) -> tuple[int, int]:
        """(node rows, pair rows) of the embedding tables (fixed by the bounds, whatever n)."""
        return family_table_sizes(self.entry)

    def exact_at(self, n: int | tuple[int, int]) -> bool:
        """Whether the coloring at n is exactly G_n's orbit partition (True), or merges orbits in buckets
        (False; the automorphism group of the coloring is still G_n for the built-in families)."""
        size = tuple(n) if isinstance(n, tuple) else self.size(n)
        return exact_at(self.entry, size)

    def __str__(self) -> str:
        return self.spec


def register_family(
    name: str,
    group_of: Callable[[int], PermGroup] | None = None,
    *,
    min_n: int = 1,
    even: bool = False,
) -> None:
    """Add a family ``name(*)`` whose member at degree n is ``group_of(n)`` (registered as the group spec
    ``name(n)`` too), or, without ``group_of``, the already registered group ``name(n)``.

    Its orbits are named by first occurrence (``canonical_ids`` of G_n's node and pair orbits), which is
    the same name at every n when the family keeps its orbits in the same order (e.g. "position 0 fixed,
    the rest free"); tables hold ``max_n`` node rows and ``max_n ** 2`` pair rows, so keep ``max_n``
    small. The coloring is exactly ``pair_orbits(G_n)`` at every n. Saved models need this registration
    (the function is code, not JSON) in the process that loads them.
    """
    if not isinstance(name, str) or not name.isidentifier() or name in FAMILIES:
        raise ValueError(
            f"family name {name!r} must be a new identifier (taken: {', '.join(sorted(FAMILIES))})"
        )
    if group_of is not None:
        register_group(name, group_of)
    elif group_builder(name) is None:
        raise ValueError(f"family {name!r}: pass group_of (n -> PermGroup); no group {name!r} is registered")
    build = group_builder(name)

    def names(size: tuple[int, ...], exact: int, max_n: int) -> tuple[np.ndarray, np.ndarray]:
        group = build(size[0])
        if not isinstance(group, PermGroup) or group.n != size[0]:
            raise ValueError(f"family {name!r}: {name}({size[0]}) must be a PermGroup of degree {size[0]}")
        return canonical_ids(node_orbits(group)), canonical_ids(pair_orbits(group))

    FAMILIES[name] = FamilyRule(names, lambda e, m: (m, m * m), min_n=min_n, even=even)
