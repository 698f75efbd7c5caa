"""The synthetic sensor network: structure, DCRNN-style weights, missing readings, daily cycle, waves."""

from __future__ import annotations

import numpy as np
import pytest

from asen_fm.domains.traffic.clusters import cluster_group
from asen_fm.domains.traffic.synthetic import (
    SEGMENT_SIZES,
    STEPS_PER_DAY,
    build_synthetic_traffic,
    make_network,
    simulate,
)


@pytest.fixture(scope="module")
def full() -> tuple:
    net = make_network(207, seed=0)
    speeds, missing, stamps = simulate(net, days=7, seed=0)
    return net, speeds, missing, stamps


def test_network_structure(full: tuple) -> None:
    net = full[0]
    assert sorted(np.bincount(net.branch).tolist()) == [77, 130]
    assert np.bincount(net.segment).tolist() == list(SEGMENT_SIZES)
    assert not np.array_equal(net.segment, np.sort(net.segment))  # clusters are not consecutive blocks
    for k in range(9):  # each segment lies on one branch
        assert len(set(net.branch[net.segment == k].tolist())) == 1


def test_weights_are_thresholded_gaussian_kernels(full: tuple) -> None:
    net = full[0]
    w, d = net.weights, net.distance
    assert np.allclose(np.diag(w), 1.0) and np.allclose(w, w.T)
    nz = w > 0
    assert w[nz].min() >= 0.1 - 1e-6
    off = nz & ~np.eye(len(w), dtype=bool)
    sigma = np.sqrt(-(d[off] ** 2) / np.log(w[off].astype(np.float64)))
    assert np.allclose(sigma, sigma[0], rtol=1e-4)  # one sigma for the whole kernel
    assert 3 < off.sum(1).mean() < 15  # sparse, like METR-LA's graph
    # The minor branch is connected to the main one only near the merge.
    across = off & (net.branch[:, None] != net.branch[None, :])
    assert 0 < across.sum() < 60


def test_missing_fraction_and_zeros(full: tuple) -> None:
    _, speeds, missing, _ = full
    assert 0.065 < missing.mean() < 0.095
    assert np.all(speeds[missing] == 0) and np.all(speeds[~missing] > 0)


def test_daily_cycle_with_rush_hours_and_quiet_weekends(full: tuple) -> None:
    _, speeds, missing, _ = full
    hour = (np.arange(len(speeds)) % STEPS_PER_DAY) // 12
    day = np.arange(len(speeds)) // STEPS_PER_DAY
    weekday = (day + 3) % 7 < 5  # day 0 is Thursday 2012-03-01
    obs = np.where(missing, np.nan, speeds)
    night = np.nanmean(obs[weekday & (hour == 3)])
    morning = np.nanmean(obs[weekday & (hour == 8)])
    evening = np.nanmean(obs[weekday & (hour == 17)])
    weekend_evening = np.nanmean(obs[~weekday & (hour == 17)])
    assert night - morning > 3 and night - evening > 3
    assert weekend_evening - evening > 2


def test_congestion_travels_upstream(full: tuple) -> None:
    net, speeds, missing, _ = full
    main = np.flatnonzero(net.branch == 0)
    main = main[np.argsort(net.position[main])]  # upstream -> downstream
    obs = np.where(missing[:, main], np.nan, speeds[:, main])
    tod = np.arange(len(obs)) % STEPS_PER_DAY
    profile = np.stack([np.nanmean(obs[tod == k], 0) for k in range(STEPS_PER_DAY)])
    anomaly = np.nan_to_num(obs - profile[tod])  # non-recurrent part: waves and incidents

    def corr(a: np.ndarray, b: np.ndarray) -> float:
        return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))

    # A slowdown at sensor i now reaches the sensor 2 places upstream one step later (more than downstream).
    upstream_later = corr(anomaly[:-1, 2:], anomaly[1:, :-2])
    downstream_later = corr(anomaly[:-1, :-2], anomaly[1:, 2:])
    assert upstream_later > downstream_later + 0.08


def test_dataset_card_and_determinism() -> None:
    ds, card = build_synthetic_traffic(40, days=2, seed=1, framework="sparse")
    again, card2 = build_synthetic_traffic(40, days=2, seed=1, framework="sparse")
    assert ds["test"]["labels"] == again["test"]["labels"] and card == card2
    other, _ = build_synthetic_traffic(40, days=2, seed=2)
    assert ds["test"]["labels"] != other["test"]["labels"]
    assert sum(len(v) for v in ds.values()) == 2 * STEPS_PER_DAY - 3
    assert len(card["clusters"]["2"]) == len(card["clusters"]["9"]) == 40
    assert cluster_group(card["clusters"]["9"]).n == 40
    assert card["symmetry"]["framework"] == "sparse" and card["synthetic"] is True
    assert card["normalization"]["std"] > 0
    mask = np.array(ds["train"]["label_mask"])
    assert 0.85 < mask.mean() < 0.96


def test_bad_sizes() -> None:
    with pytest.raises(ValueError, match="num_sensors"):
        make_network(10)
    with pytest.raises(ValueError, match="days"):
        simulate(make_network(40), days=0)
