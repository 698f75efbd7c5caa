"""Cluster groups on arbitrary index sets (orders against SymPy) and the clustering helper."""

from __future__ import annotations

import json
from math import factorial
from pathlib import Path

import numpy as np
import pytest
from sympy.combinatorics import Permutation, PermutationGroup

from asen_fm.domains.traffic.clusters import (
    cluster_group,
    cluster_sizes,
    kmeans,
    make_clusters,
    normalize_clusters,
    read_clusters,
    spectral_clusters,
)
from asen_fm.symmetry import PermGroup, node_orbits, pair_orbits


@pytest.mark.parametrize(
    "assignment",
    [
        [0, 1, 0, 2, 1, 0],
        ["b", "a", "a", "b", "c", "a", "b"],
        [5, 5, 5, 5],
        [0, 1, 2],
        [3, 1, 3, 1, 1, 7, 3, 7],
    ],
)
def test_order_is_the_product_of_factorials_and_matches_sympy(assignment: list) -> None:
    group = cluster_group(assignment)
    ids = normalize_clusters(assignment)
    expected = int(np.prod([factorial(int(s)) for s in np.bincount(ids)]))
    assert group.order() == expected
    gens = [Permutation(g.tolist()) for g in group.generators] or [Permutation(list(range(len(ids))))]
    assert PermutationGroup(gens).order() == expected
    assert PermGroup.parse(str(group)) == group


def test_elements_preserve_clusters_and_orbits_are_the_clusters() -> None:
    ids = np.array([2, 0, 1, 0, 2, 2, 1, 0, 0])
    group = cluster_group(ids)
    rng = np.random.default_rng(0)
    for _ in range(50):
        g = group.random_element(rng)
        assert np.array_equal(ids[g], ids)  # every node stays in its cluster
    orbits = node_orbits(group)
    assert len(set(zip(orbits.tolist(), ids.tolist(), strict=True))) == 3 == int(orbits.max()) + 1
    # Pair orbits: (same node), (same cluster), (cluster a, cluster b) for each ordered pair -> 3 + 3 + 6.
    assert int(pair_orbits(group).max()) + 1 == 12
    swap_across = np.arange(9)
    swap_across[[0, 1]] = [1, 0]
    assert not group.contains(swap_across)


def test_large_cluster_group_is_cheap() -> None:
    sizes = [10, 38, 10, 23, 8, 15, 21, 71, 11]
    ids = np.repeat(np.arange(9), sizes)[np.random.default_rng(0).permutation(207)]
    group = cluster_group(ids)
    assert group.order() == int(np.prod([factorial(s) for s in sizes], dtype=object))
    assert cluster_sizes(ids) == [cluster_sizes(ids)[k] for k in range(9)] and sorted(
        cluster_sizes(ids)
    ) == sorted(sizes)
    assert int(node_orbits(group).max()) + 1 == 9


def test_read_clusters_from_files(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps({"clusters": [4, 4, 9, 4]}))
    (tmp_path / "l.json").write_text(json.dumps(["x", "y", "x"]))
    (tmp_path / "c.csv").write_text("sensor_id,cluster\n773869,1\n767541,0\n767542,1\n")
    np.save(tmp_path / "c.npy", np.array([7, 7, 3]))
    assert read_clusters(tmp_path / "c.json").tolist() == [0, 0, 1, 0]
    assert read_clusters(tmp_path / "l.json").tolist() == [0, 1, 0]
    assert read_clusters(tmp_path / "c.csv").tolist() == [0, 1, 0]
    assert read_clusters(tmp_path / "c.npy").tolist() == [0, 0, 1]
    with pytest.raises(ValueError, match="does not exist"):
        read_clusters(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text(json.dumps({"groups": []}))
    with pytest.raises(ValueError, match="'clusters'"):
        read_clusters(tmp_path / "bad.json")


def test_make_clusters_recovers_obvious_structure() -> None:
    rng = np.random.default_rng(0)
    blobs = np.concatenate([rng.normal(0, 0.1, (15, 2)), rng.normal(5, 0.1, (10, 2))])
    assert make_clusters(2, coordinates=blobs).tolist() == [0] * 15 + [1] * 10
    w = np.zeros((9, 9))
    for block in (range(0, 4), range(4, 9)):  # two disconnected paths
        for i in list(block)[:-1]:
            w[i, i + 1] = w[i + 1, i] = 1.0
    assert spectral_clusters(w, 2).tolist() == [0] * 4 + [1] * 5
    assert make_clusters(2, weights=w).tolist() == [0] * 4 + [1] * 5
    with pytest.raises(ValueError, match="exactly one"):
        make_clusters(2)
    with pytest.raises(ValueError, match="m >= k"):
        kmeans(np.zeros((2, 2)), 3)
