"""A built-in synthetic road-sensor network so the traffic pipeline runs anywhere. **A stand-in for
METR-LA, not a model of it.**

What it has: a highway of two branches (130 and 77 sensors at the default size) made of nine segments
of sizes 10, 38, 10, 23, 8, 15, 21, 71, 11 (the sizes of the paper's nine clusters; the branches are
the paper's two clusters), the minor branch merging into the main one; sensors every ~0.4-0.9 km; road
distance weights thresholded as DCRNN does (w_ij = exp(-(d_ij / sigma)^2), sigma the std of the
distances of nearby pairs (within 6 km), zeroed below 0.1; about 7 neighbours per sensor);
5-minute speeds (mph) with free-flow speeds per sensor, a daily demand cycle with morning and
evening peaks and quieter weekends, rush-hour congestion waves that start at
bottlenecks (the merge, the downstream ends) and travel *upstream* at 12-20 km/h, incidents whose
queue grows upstream for 30-90 minutes, sensor bias and noise, and about 8 % missing readings (isolated
dropouts plus multi-hour sensor outages) stored as 0 as in DCRNN's files.

What it does not model: real geography or ramps, traffic volume/occupancy, weather, holidays, special
events, detector malfunction other than dropouts (stuck or drifting values), direction-specific
carriageways, or any calibration to METR-LA's statistics. Numbers on it say how models rank on this
kind of signal, not what they would score on METR-LA.

Sensors are numbered in a seeded random order (``shuffle=True``), so clusters are arbitrary index sets
as in the real files, not consecutive blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import datasets
import numpy as np

from asen_fm.domains.traffic.windows import build_forecasting
from asen_fm.symmetry import PermGroup

__all__ = [
    "BRANCH_OF_SEGMENT",
    "SEGMENT_SIZES",
    "Network",
    "build_synthetic_traffic",
    "make_network",
    "simulate",
]

SEGMENT_SIZES = (10, 38, 10, 23, 8, 15, 21, 71, 11)
# Main branch (130 sensors): segments 0, 1, 7, 8 upstream -> downstream; minor branch (77): 2..6.
BRANCH_OF_SEGMENT = (0, 0, 1, 1, 1, 1, 1, 0, 0)
MAIN_ORDER = (0, 1, 7, 8)
MINOR_ORDER = (2, 3, 4, 5, 6)
STEP_MINUTES = 5
STEPS_PER_DAY = 24 * 60 // STEP_MINUTES
START = np.datetime64("2012-03-01T00:00")  # a Thursday, METR-LA's first day
THRESHOLD = 0.1
NEARBY_KM = 6.0


@dataclass(frozen=True)
class Network:
    """Geometry of the synthetic highway (all arrays indexed by sensor)."""

    branch: np.ndarray  # int64 [N]: 0 main, 1 minor (the 2-cluster assignment)
    segment: np.ndarray  # int64 [N]: 0..8 (the 9-cluster assignment)
    position: np.ndarray  # float64 [N]: km along the sensor's branch, increasing downstream
    coordinates: np.ndarray  # float64 [N, 2]: planar km
    distance: np.ndarray  # float64 [N, N]: road distance (km) between sensors
    weights: np.ndarray  # float32 [N, N]: thresholded Gaussian kernel, 1 on the diagonal
    merge_position: float  # km on the main branch where the minor branch joins

    @property
    def num_sensors(self) -> int:
        return len(self.branch)


def _segment_sizes(num_sensors: int) -> list[int]:
    if not isinstance(num_sensors, int) or num_sensors < 2 * len(SEGMENT_SIZES):
        raise ValueError(f"num_sensors must be an int >= {2 * len(SEGMENT_SIZES)}, got {num_sensors!r}")
    total = sum(SEGMENT_SIZES)
    sizes = [max(2, round(s * num_sensors / total)) for s in SEGMENT_SIZES]
    sizes[7] += num_sensors - sum(sizes)  # the longest segment absorbs rounding
    return sizes


def make_network(num_sensors: int = 207, seed: int = 0, shuffle: bool = True) -> Network:
    """The two-branch, nine-segment highway with ``num_sensors`` sensors (deterministic by seed)."""
    rng = np.random.default_rng([int(seed), 7])
    sizes = _segment_sizes(num_sensors)
    segment_list, branch_list, pos_list = [], [], []
    for branch, order in ((0, MAIN_ORDER), (1, MINOR_ORDER)):
        gaps = rng.uniform(0.4, 0.9, size=sum(sizes[s] for s in order))
        positions = np.cumsum(gaps)
        segment_list += [s for s in order for _ in range(sizes[s])]
        branch_list += [branch] * len(positions)
        pos_list += positions.tolist()
    segment, branch, position = np.array(segment_list), np.array(branch_list), np.array(pos_list)
    main_pos = position[branch == 0]
    # The minor branch joins between segments 1 and 7 of the main branch.
    merge = float(main_pos[(segment[branch == 0] == 1)].max() + 0.3)
    minor_len = float(position[branch == 1].max() + 0.3)

    coords = np.zeros((len(position), 2))
    m = branch == 0
    coords[m, 0] = position[m]
    coords[m, 1] = 1.5 * np.sin(position[m] / 12.0)
    angle = np.deg2rad(55.0)
    back = minor_len - position[~m]  # km upstream of the merge
    merge_xy = np.array([merge, 1.5 * np.sin(merge / 12.0)])
    coords[~m] = merge_xy[None] + back[:, None] * np.array([-np.cos(angle), np.sin(angle)])[None]

    # Road distance: along the branch, or through the merge point between branches.
    to_merge = np.where(m, np.abs(position - merge), minor_len - position)
    same = branch[:, None] == branch[None, :]
    along = np.abs(position[:, None] - position[None, :])
    distance = np.where(same, along, to_merge[:, None] + to_merge[None, :])
    # As in DCRNN's distance file, only nearby pairs (here within NEARBY_KM) have a distance at all;
    # sigma is the std of those, and far pairs get weight 0.
    off = ~np.eye(len(position), dtype=bool)
    near = off & (distance <= NEARBY_KM)
    sigma = float(distance[near].std())
    weights = np.exp(-((distance / sigma) ** 2))
    weights[(weights < THRESHOLD) | (distance > NEARBY_KM)] = 0.0

    perm = rng.permutation(len(position)) if shuffle else np.arange(len(position))
    # Sensor k of the output is sensor perm[k] of the construction order.
    return Network(
        branch=branch[perm].astype(np.int64),
        segment=segment[perm].astype(np.int64),
        position=position[perm],
        coordinates=coords[perm],
        distance=distance[np.ix_(perm, perm)],
        weights=weights[np.ix_(perm, perm)].astype(np.float32),
        merge_position=merge,
    )


def _demand(tod_hours: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """Peak demand in [0, ~1.1]: morning (8:00) and evening (17:30) rush hours, weekends at 30 %."""
    morning = np.exp(-0.5 * ((tod_hours - 8.0) / 1.0) ** 2)
    evening = 1.1 * np.exp(-0.5 * ((tod_hours - 17.5) / 1.3) ** 2)
    return (morning + evening) * np.where(weekday < 5, 1.0, 0.3)


def _add_queue(
    slow: np.ndarray,
    net: Network,
    branch: int,
    head: float,
    t0: int,
    duration: int,
    depth: float,
    speed_kmh: float,
    grow: bool,
) -> None:
    """Add a speed drop travelling (or, for an incident, growing) upstream from ``head`` (km)."""
    on = np.flatnonzero(net.branch == branch)
    pos = net.position[on]
    steps = np.arange(t0, min(t0 + duration, slow.shape[0]))
    if len(steps) == 0:
        return
    elapsed = (steps - t0)[:, None] * STEP_MINUTES / 60.0
    shift = speed_kmh * elapsed
    life = np.sin(np.pi * (steps - t0 + 0.5)[:, None] / duration)  # ramps up and down
    if grow:  # incident: queue from head back to head - shift, full depth at the head
        inside = (pos[None] <= head) & (pos[None] >= head - shift - 0.5)
        drop = depth * inside * np.minimum(1.0, 3 * life + 0.2)
    else:  # wave: a bump of width ~1.5 km whose centre moves upstream
        centre = head - shift
        drop = depth * life * np.exp(-0.5 * ((pos[None] - centre) / 0.75) ** 2)
    slow[np.ix_(steps, on)] += drop


def simulate(net: Network, days: int = 21, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Speeds (mph, float64 [T, N], 0 where missing), the missing mask (bool [T, N]) and timestamps
    (datetime64[m] [T]) for ``days`` days of 5-minute steps (deterministic by seed)."""
    if not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a positive int, got {days!r}")
    rng = np.random.default_rng([int(seed), 11])
    n, t_steps = net.num_sensors, days * STEPS_PER_DAY
    stamps = START + np.arange(t_steps) * np.timedelta64(STEP_MINUTES, "m")
    tod = (np.arange(t_steps) % STEPS_PER_DAY) * STEP_MINUTES / 60.0
    weekday = ((np.arange(t_steps) // STEPS_PER_DAY) + 3) % 7  # START is a Thursday (Mon = 0)
    demand = _demand(tod, weekday)

    free = rng.normal(65.0, 3.0, size=n)
    # Recurrent slowdown is strongest just upstream of bottlenecks (the merge, the main branch's end).
    main_end = net.position[net.branch == 0].max()
    up_merge = np.where(net.branch == 0, net.merge_position - net.position, np.inf)
    bottleneck = np.exp(-np.clip(np.minimum(up_merge, main_end - net.position), 0, None) / 4.0)
    bottleneck = np.where(
        net.branch == 1, 0.5 * np.exp(-(net.position.max() - net.position) / 4.0), bottleneck
    )
    slow = demand[:, None] * (6.0 + 14.0 * bottleneck[None, :])

    heads = {0: [net.merge_position, main_end], 1: [net.position[net.branch == 1].max()]}
    for day in range(days):
        for peak_hour in (8.0, 17.5):
            strength = float(_demand(np.array([peak_hour]), np.array([(day + 3) % 7]))[0])
            for branch, head_list in heads.items():
                for head in head_list:
                    for _ in range(rng.poisson(2.5 * strength)):
                        start_h = peak_hour + rng.normal(0, 0.8)
                        t0 = day * STEPS_PER_DAY + int(start_h * 60 / STEP_MINUTES)
                        duration = int(rng.integers(12, 30))
                        _add_queue(
                            slow,
                            net,
                            branch,
                            head,
                            t0,
                            duration,
                            rng.uniform(12, 30) * strength,
                            rng.uniform(12, 20),
                            grow=False,
                        )
    for _ in range(rng.poisson(0.6 * days)):  # incidents: a few per week, any time of day
        branch = int(rng.integers(2))
        pos = net.position[net.branch == branch]
        head = float(rng.uniform(pos.min(), pos.max()))
        t0 = int(rng.integers(t_steps))
        _add_queue(
            slow,
            net,
            branch,
            head,
            t0,
            int(rng.integers(6, 19)),
            rng.uniform(25, 40),
            rng.uniform(3, 8),
            grow=True,
        )

    bias = rng.normal(0.0, 1.0, size=n)
    speeds = free[None] - slow + bias[None] + rng.normal(0.0, 1.5, size=(t_steps, n))
    speeds = np.clip(speeds, 3.0, 80.0)

    missing = rng.random((t_steps, n)) < 0.04  # isolated dropouts
    for k in range(n):  # multi-hour outages: about 4 % of each sensor's time on average
        for _ in range(rng.poisson(0.04 * t_steps / 48)):
            start = int(rng.integers(t_steps))
            missing[start : start + int(rng.integers(12, 85)), k] = True
    return np.where(missing, 0.0, speeds), missing, stamps


def build_synthetic_traffic(
    num_sensors: int = 207,
    days: int = 21,
    seed: int = 0,
    *,
    group: PermGroup | None = None,
    framework: str = "full",
    stride: int = 1,
    max_examples: int | None = None,
    shuffle: bool = True,
) -> tuple[datasets.DatasetDict, dict[str, Any]]:
    """The synthetic network's forecasting task: (DatasetDict, card), the same layout as
    :func:`asen_fm.domains.traffic.metr_la.build_metr_la`. The card adds ``clusters`` ({"2": branch of
    each sensor, "9": segment of each sensor}), ``coordinates`` (km) and ``synthetic: True``;
    ``group`` defaults to S_N (use ``cluster_group(card["clusters"]["9"])`` for the 9-cluster group)."""
    net = make_network(num_sensors, seed=seed, shuffle=shuffle)
    speeds, missing, stamps = simulate(net, days=days, seed=seed)
    tod = (np.arange(len(stamps)) % STEPS_PER_DAY) / STEPS_PER_DAY
    description = (
        f"Synthetic highway (a stand-in for METR-LA): {net.num_sensors} sensors on two branches and nine "
        f"segments, {days} days of 5-minute speeds with rush-hour waves travelling upstream, incidents, "
        "noise and ~8 % missing readings; predict the next step from the last 3 (speed and time of day)."
    )
    extra = {
        "synthetic": True,
        "clusters": {"2": net.branch.tolist(), "9": net.segment.tolist()},
        "coordinates": net.coordinates.round(4).tolist(),
        "seed": int(seed),
        "days": days,
    }
    return build_forecasting(
        speeds,
        tod,
        net.weights,
        missing=missing,
        group=group,
        framework=framework,
        stride=stride,
        max_examples=max_examples,
        description=description,
        extra=extra,
    )
