"""The synthetic skeleton: determinism, bone lengths of the tree, joint limits, cameras and normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from asen_fm.domains.pose.camera import H36M_INTRINSICS, Intrinsics, normalize_screen, project
from asen_fm.domains.pose.skeleton import LEFT_RIGHT_PAIRS, PARENTS
from asen_fm.domains.pose.synthetic import (
    BONE_LENGTHS_MM,
    FAMILIES,
    LIMITS_DEG,
    build_synthetic_pose,
    forward_kinematics,
    sample_angles,
    sample_subject,
)


@pytest.fixture(scope="module")
def small() -> tuple:
    return build_synthetic_pose(300, 140, seed=3, noise_px=0.0)


def _bones(y: np.ndarray) -> np.ndarray:
    return np.stack([np.linalg.norm(y[:, j] - y[:, p], axis=-1) for j, p in enumerate(PARENTS) if p >= 0], 1)


def test_deterministic_by_seed(small: tuple) -> None:
    again, _ = build_synthetic_pose(300, 140, seed=3, noise_px=0.0)
    other, _ = build_synthetic_pose(300, 140, seed=4, noise_px=0.0)
    ds, _ = small
    for split in ("train", "validation", "test"):
        assert ds[split]["node_features"] == again[split]["node_features"]
        assert ds[split]["labels"] == again[split]["labels"]
    assert ds["train"]["labels"] != other["train"]["labels"]


def test_shapes_splits_and_card(small: tuple) -> None:
    ds, card = small
    assert {k: len(v) for k, v in ds.items()} == {"train": 300, "validation": 30, "test": 140}
    assert set(ds["train"]["subject"]) == {"S1", "S5", "S6", "S7", "S8"}
    assert set(ds["test"]["subject"]) == {"S9", "S11"}
    x, y = np.array(ds["train"]["node_features"]), np.array(ds["train"]["labels"])
    assert x.shape == (300, 16, 2) and y.shape == (300, 16, 3)
    assert np.all(y[:, 0] == 0)  # hip-relative
    assert (
        card["num_labels"] == 3
        and card["head"] == "node_regression"
        and card["metrics"] == ["mpjpe", "p_mpjpe"]
    )
    assert card["symmetry"]["framework"] == "full" and len(card["symmetry"]["edges"]) == 15
    assert card["units"] == "m" and card["metric_scale"] == 1000.0


def test_bone_lengths_match_the_tree_and_are_fixed_per_subject(small: tuple) -> None:
    ds, _ = small
    y = np.array(ds["test"]["labels"], dtype=np.float64) * 1000
    who = np.array(ds["test"]["subject"])
    means = []
    for s in ("S9", "S11"):
        bones = _bones(y[who == s])
        assert bones.std(0).max() < 0.05  # mm: rigid body, only float32 rounding
        means.append(bones.mean(0))
    ref = BONE_LENGTHS_MM[1:]
    for m in means:
        assert np.all(np.abs(m / ref - 1) < 0.35)  # anthropometric, per-subject proportions
    assert not np.allclose(means[0], means[1], rtol=1e-3)  # two different bodies


def test_subject_proportions_and_small_asymmetry() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        offsets = sample_subject(rng)
        lengths = np.linalg.norm(offsets, axis=1)
        for right, left in LEFT_RIGHT_PAIRS:
            ratio = lengths[left] / lengths[right]
            assert 0.9 < ratio < 1.1 and ratio != 1.0


def test_forward_kinematics_hand_case() -> None:
    # Rest pose, no rotation: joints are the cumulative offsets; a 90-degree yaw maps x -> -z.
    offsets = sample_subject(np.random.default_rng(1))[None]
    zero = {s: np.zeros((1, 3)) for s in sample_angles(np.random.default_rng(0), "standing", 1)}
    pos = forward_kinematics(offsets, zero, np.zeros(1))[0]
    assert np.allclose(pos[3], offsets[0, 1] + offsets[0, 2] + offsets[0, 3])
    turned = forward_kinematics(offsets, zero, np.array([np.pi / 2]))[0]
    assert np.allclose(turned[4], [0, 0, -offsets[0, 4, 0]])
    bent = dict(zero, l_knee=np.array([[90.0, 0, 0]]))
    shin = forward_kinematics(offsets, bent, np.zeros(1))[0]
    assert np.allclose(shin[6] - shin[5], [0, 0, -np.linalg.norm(offsets[0, 6])])  # shin folds backward


@pytest.mark.parametrize("family", FAMILIES)
def test_angles_respect_joint_limits(family: str) -> None:
    angles = sample_angles(np.random.default_rng(2), family, 500)
    for slot, value in angles.items():
        limits = np.array(LIMITS_DEG[slot.split("_", 1)[-1] if slot[:2] in ("l_", "r_") else slot])
        assert np.all(value >= limits[:, 0]) and np.all(value <= limits[:, 1]), slot


def test_projection_and_screen_normalisation_by_hand() -> None:
    cam = Intrinsics("test", (1000.0, 1000.0), (500.0, 501.0), 1000, 1002)
    assert np.allclose(project(np.array([0.5, -0.25, 5.0]), cam), [600.0, 451.0])
    assert np.allclose(
        normalize_screen(np.array([[500.0, 501.0], [1000.0, 0.0]]), 1000, 1002), [[0, 0], [1, -1.002]]
    )
    with pytest.raises(ValueError, match="behind"):
        project(np.array([0.0, 0.0, -1.0]), cam)
    assert {(c.width, c.height) for c in H36M_INTRINSICS} == {(1000, 1002), (1000, 1000)}


def test_inputs_lie_on_screen_and_noise_moves_them(small: tuple) -> None:
    ds, _ = small
    x = np.array(ds["train"]["node_features"])
    assert np.abs(x).max() < 1.0  # the whole body is in the image
    noisy, _ = build_synthetic_pose(300, 140, seed=3, noise_px=5.0)
    shift = np.abs(np.array(noisy["train"]["node_features"]) - x) * 500  # back to pixels
    assert 2.0 < shift.mean() < 6.0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="train_size"):
        build_synthetic_pose(0, 10)
    with pytest.raises(ValueError, match="family"):
        sample_angles(np.random.default_rng(0), "dancing", 3)
