"""Each group's |G| and 2-closure computed once per process, shared by the config's 2-closure warning,
the model card and ``asen orbits``.

The key is the group's canonical JSON: ``PermGroup.to_json()`` dumped with sorted keys and no spaces,
so the same group reached as a spec string, a JSON dict, JSON text or a ``PermGroup`` hits one entry
(groups with different generators are different keys even when they are equal as sets; that only
costs a second computation). Results are exact, so caching changes no answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from asen_fm.group_specs import NamedGroup, named_group
from asen_fm.symmetry.closure import TwoClosure, two_closure
from asen_fm.symmetry.groups import PermGroup

__all__ = ["cache_clear", "cached_group", "cached_order", "cached_two_closure", "canonical_json"]

_SIZE = 256


def canonical_json(group: PermGroup | str | Mapping[str, Any]) -> str:
    """The cache key: ``PermGroup.parse(group).to_json()`` as compact JSON with sorted keys."""
    if isinstance(group, Mapping):
        return _key_of_text(json.dumps(dict(group), sort_keys=True))
    if isinstance(group, str):
        return _key_of_text(group)
    return _key(PermGroup.parse(group))


def _key(group: PermGroup) -> str:
    return json.dumps(group.to_json(), sort_keys=True, separators=(",", ":"))


@lru_cache(maxsize=_SIZE)
def _key_of_text(text: str) -> str:
    """Spec strings and JSON texts are parsed once each."""
    return _key(PermGroup.parse(text))


@lru_cache(maxsize=_SIZE)
def cached_group(key: str) -> PermGroup:
    """The PermGroup of a canonical key, built once (so its |G| and stabilizer chain are kept too)."""
    return PermGroup.from_json(json.loads(key))


def cached_order(group: PermGroup | str | Mapping[str, Any]) -> int:
    """|G|, computed at most once per canonical group (closed form for a named group)."""
    named = _named(group)
    if named is not None:
        return named.order
    return _order(canonical_json(group))


@lru_cache(maxsize=_SIZE)
def _order(key: str) -> int:
    return cached_group(key).order()


def cached_two_closure(group: PermGroup | str | Mapping[str, Any]) -> TwoClosure:
    """:func:`two_closure` of the group, computed at most once per canonical group; in closed form (no pair
    table, ``group`` None) for a named group known to be 2-closed with a closed-form pair-orbit count."""
    named = _named(group)
    if named is not None and named.two_closed and named.pair_count is not None:
        return TwoClosure(
            n=named.n,
            order=named.order,
            closure_order=named.order,
            node_orbit_count=int(named.node_ids().max()) + 1,
            pair_orbit_count=named.pair_count,
        )
    return _closure(canonical_json(group))


def _named(group: PermGroup | str | Mapping[str, Any]) -> NamedGroup | None:
    """The closed-form description of a spec string or a stored spec-only JSON group (else None)."""
    if isinstance(group, str) and not group.lstrip().startswith("{"):
        return _named_of_spec(group)
    if isinstance(group, Mapping) and "generators" not in group and isinstance(group.get("spec"), str):
        return _named_of_spec(group["spec"])
    return None


@lru_cache(maxsize=_SIZE)
def _named_of_spec(spec: str) -> NamedGroup | None:
    return named_group(spec)


@lru_cache(maxsize=_SIZE)
def _closure(key: str) -> TwoClosure:
    _order(key)  # shares |G| with cached_order
    return two_closure(cached_group(key))


def cache_clear() -> None:
    """Forget every cached group, order and 2-closure (for benchmarks and tests)."""
    for fn in (_key_of_text, cached_group, _order, _closure, _named_of_spec):
        fn.cache_clear()
