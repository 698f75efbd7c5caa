"""Reading group spec strings such as ``"dihedral(12)"`` or ``"direct_product(cyclic(3), trivial(2))"``.

The parser lives in :mod:`asen_fm.group_specs` (shipped with saved models, so that a stored spec rebuilds its
colorings without asen_fm) and is re-exported here, with ``*`` (a free degree: the family specs
``reversal(*)``, ``grid(*, *, torus)``, read as the string ``"*"``).
"""

from asen_fm.group_specs import FREE, SpecCall, has_free_degree, parse_spec

__all__ = ["FREE", "SpecCall", "has_free_degree", "parse_spec"]
