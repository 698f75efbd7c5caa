"""Once the spec parser registers this package's builders, the groups print and parse as named specs."""

from __future__ import annotations

import numpy as np
import pytest

import asen_fm.symmetry.groups as groups_module
from asen_fm.domains.pose.skeleton import GROUPS, SPEC_BUILDERS
from asen_fm.domains.traffic.clusters import SPEC_BUILDERS as CLUSTER_BUILDERS
from asen_fm.domains.traffic.clusters import cluster_group
from asen_fm.symmetry import PermGroup


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    original = groups_module._spec_builders
    monkeypatch.setattr(
        groups_module, "_spec_builders", lambda: {**original(), **SPEC_BUILDERS, **CLUSTER_BUILDERS}
    )


def test_unregistered_groups_fall_back_to_cycles() -> None:
    assert str(GROUPS["skeleton16_flip"]()).startswith("from_cycles(16,")
    assert str(cluster_group([0, 1, 0])).startswith("from_cycles(3,")


@pytest.mark.usefixtures("registered")
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
