"""The spec parser knows the domains' groups: they print and parse as named specs."""

from __future__ import annotations

import numpy as np

from asen_fm.domains.pose.skeleton import GROUPS
from asen_fm.domains.traffic.clusters import cluster_group
from asen_fm.symmetry import PermGroup


def test_registered_specs_round_trip() -> None:
    for name in ("skeleton16_flip", "skeleton16_limbs", "skeleton16_pairs"):
        group = GROUPS[name]()
        assert str(group) == f"{name}()"
        assert PermGroup.parse(str(group)) == group
        assert PermGroup.from_json(group.to_json()).order() == group.order()
    group = cluster_group(["b", "a", "b", "c"])
    assert str(group) == "clusters([0, 1, 0, 2])"
    again = PermGroup.parse(str(group))
    assert again == group and again.order() == 2
    assert np.array_equal(again.generators[0], group.generators[0])
