"""Each Tab. 1 cell's actual symmetry (group x edge framework), by brute force."""

from __future__ import annotations

import numpy as np
import pytest

from asen_fm.domains.pose.frameworks import cell_symmetry, framework_colouring
from asen_fm.domains.pose.skeleton import GROUPS
from asen_fm.symmetry import PermGroup

# Orders of each cell's symmetry. Full keeps G (all four are 2-closed). Weakly sparse keeps
# G ∩ Aut(skeleton): S_2^6 (64) drops to S_2^2 (4). Sparse hides the non-edge pairs, and with them the
# only pair colours that tie the arms' swap to the legs' swap: S_2 *grows* to S_2^2 there.
EXPECTED = {
    "trivial": {"full": 1, "sparse": 1, "weakly_sparse": 1},
    "skeleton16_flip": {"full": 2, "sparse": 4, "weakly_sparse": 2},
    "skeleton16_limbs": {"full": 4, "sparse": 4, "weakly_sparse": 4},
    "skeleton16_pairs": {"full": 64, "sparse": 4, "weakly_sparse": 4},
}


@pytest.mark.parametrize("name", list(EXPECTED))
@pytest.mark.parametrize("framework", ["full", "sparse", "weakly_sparse"])
def test_cell_symmetry(name: str, framework: str) -> None:
    group = GROUPS[name]()
    cell = cell_symmetry(group, framework)
    assert cell.order() == EXPECTED[name][framework]
    if framework == "full":
        assert cell == group
    else:
        grows = name == "skeleton16_flip" and framework == "sparse"
        assert cell == (GROUPS["skeleton16_limbs"]() if name == "skeleton16_pairs" or grows else group)


def test_sparse_colouring_hides_non_edges() -> None:
    colours = framework_colouring(GROUPS["trivial"](), "sparse")
    assert colours[1, 2] >= 0 and colours[1, 5] == -1 and colours[3, 3] >= 0
    with pytest.raises(ValueError, match="framework"):
        framework_colouring(GROUPS["trivial"](), "dense")


def test_cell_symmetry_refuses_huge_candidate_sets() -> None:
    with pytest.raises(ValueError, match="exceed"):
        cell_symmetry(PermGroup.symmetric(16), "full", limit=1000)
    assert np.array_equal(
        cell_symmetry(PermGroup.symmetric(4), "full", edges=[], limit=100).generators[0].shape, (4,)
    )
