"""Generators (array form) of the named permutation groups; ``PermGroup`` wraps each as a constructor.

They live in :mod:`asen_fm.group_specs` (NumPy only, shipped with saved models so that a stored spec rebuilds
its colorings without asen_fm) and are re-exported here.
"""

from asen_fm.group_specs import (
    GRID_KINDS,
    alternating_generators,
    block_generators,
    check_degree,
    cyclic_generators,
    dihedral_generators,
    grid_generators,
    grid_order,
    patch_blocks,
    reversal_generators,
    swap_halves_generators,
    symmetric_generators,
)

__all__ = [
    "GRID_KINDS",
    "alternating_generators",
    "block_generators",
    "check_degree",
    "cyclic_generators",
    "dihedral_generators",
    "grid_generators",
    "grid_order",
    "patch_blocks",
    "reversal_generators",
    "swap_halves_generators",
    "symmetric_generators",
]
