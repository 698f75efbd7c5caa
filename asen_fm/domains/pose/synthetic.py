"""A built-in synthetic skeleton for 2-D -> 3-D pose lifting. **A stand-in for Human3.6M, not a model of it.**

What it does: forward kinematics on the 16-joint tree (:mod:`.skeleton`) with anthropometric bone
lengths (mm, adult averages close to Human3.6M's), per-subject proportions (overall height ~6 %, each
bone ~3 %) and a small left/right asymmetry (~1.5 % per bone, as real bodies have); joint angles drawn
per pose family (standing, walking at a random gait phase, reaching with one or both arms, crouching,
sitting, asymmetric poses with each side drawn independently) and clipped to joint-angle limits;
a random body yaw, a camera at a random azimuth, elevation (-5..25 degrees) and distance (4-6.5 m)
looking roughly at the body; a pinhole projection with one of Human3.6M's four cameras' intrinsics
(f ~ 1145 px, 1000 x 1002 or 1000 x 1000 images); Gaussian 2-D noise (default 2 px); screen
normalisation as VideoPose3D does. Targets are camera-frame joints minus the hip, in metres. Subjects
are split as Human3.6M's protocol names them (train S1 S5 S6 S7 S8, test S9 S11); validation holds
fresh draws from the training subjects. Deterministic by seed.

What it does not model: real motion (no temporal sequences, no motion capture statistics), soft
tissue, clothing, hands/feet orientation, self-occlusion and detector failure modes (2-D noise is
i.i.d. Gaussian), lens distortion, body-ground contact or balance (a crouch need not be physically
stable), or Human3.6M's actions and their frequencies. Errors on it are not comparable to
Human3.6M numbers; use it to compare models with each other.
"""

from __future__ import annotations

from typing import Any

import datasets
import numpy as np

from asen_fm.domains.pose.camera import H36M_INTRINSICS, normalize_screen, project
from asen_fm.domains.pose.card import pose_card, pose_dataset
from asen_fm.domains.pose.skeleton import NUM_JOINTS, PARENTS
from asen_fm.symmetry import PermGroup

__all__ = [
    "BONE_LENGTHS_MM",
    "FAMILIES",
    "LIMITS_DEG",
    "TEST_SUBJECTS",
    "TRAIN_SUBJECTS",
    "build_synthetic_pose",
    "forward_kinematics",
    "sample_angles",
    "sample_subject",
]

TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS = ("S9", "S11")
FAMILIES = ("standing", "walking", "reaching", "crouching", "sitting", "asymmetric")

# Rest offset of each joint from its parent (body frame: x = subject's left, y = up, z = forward), mm.
# Bone lengths: pelvis half-width 132, thigh 442, shin 454, hip-spine 233, spine-thorax 257,
# thorax-head 235, thorax-shoulder 151, upper arm 279, forearm 250.
REST_OFFSETS_MM = np.array(
    [
        [0, 0, 0],  # Hip (root)
        [-132, 0, 0],  # RHip
        [0, -442, 0],  # RKnee
        [0, -454, 0],  # RFoot
        [132, 0, 0],  # LHip
        [0, -442, 0],  # LKnee
        [0, -454, 0],  # LFoot
        [0, 233, 0],  # Spine
        [0, 257, 0],  # Thorax
        [0, 235, 0],  # Head
        [151, 0, 0],  # LShoulder
        [0, -279, 0],  # LElbow
        [0, -250, 0],  # LWrist
        [-151, 0, 0],  # RShoulder
        [0, -279, 0],  # RElbow
        [0, -250, 0],  # RWrist
    ],
    dtype=np.float64,
)
BONE_LENGTHS_MM = np.linalg.norm(REST_OFFSETS_MM, axis=1)  # [16], 0 for the root

# Angles (degrees) per joint: (flex about x, abduct about z, twist about y); limits for each.
# Joint-angle slots: the rotation applied to the bone *ending* at this joint.
ANGLE_JOINTS = {
    "r_hip": 2,
    "r_knee": 3,
    "l_hip": 5,
    "l_knee": 6,
    "lumbar": 7,
    "thoracic": 8,
    "neck": 9,
    "l_shoulder": 11,
    "l_elbow": 12,
    "r_shoulder": 14,
    "r_elbow": 15,
}
LIMITS_DEG: dict[str, tuple[tuple[float, float], tuple[float, float], tuple[float, float]]] = {
    "hip": ((-25, 125), (-20, 50), (-35, 35)),  # flexion (thigh forward), abduction (outward), twist
    "knee": ((0, 150), (0, 0), (0, 0)),  # flexion only
    "lumbar": ((-20, 50), (-20, 20), (-25, 25)),
    "thoracic": ((-10, 30), (-15, 15), (-25, 25)),
    "neck": ((-40, 50), (-25, 25), (0, 0)),
    "shoulder": ((-50, 175), (-10, 170), (-70, 70)),  # flexion (arm forward), abduction (arm outward)
    "elbow": ((0, 150), (0, 0), (0, 0)),
}


def _limit_key(slot: str) -> str:
    return slot.split("_", 1)[-1] if slot.startswith(("l_", "r_")) else slot


def _rot(axis: int, angle: np.ndarray) -> np.ndarray:
    """Batch of rotations [B, 3, 3] about axis 0 (x), 1 (y) or 2 (z) by ``angle`` radians [B]."""
    c, s = np.cos(angle), np.sin(angle)
    r = np.zeros(angle.shape + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    r[..., axis, axis] = 1
    r[..., i, i] = c
    r[..., j, j] = c
    r[..., i, j] = -s
    r[..., j, i] = s
    return r


def _joint_rotation(slot: str, angles_deg: np.ndarray) -> np.ndarray:
    """Local rotation [B, 3, 3] for one slot from (flex, abduct, twist) degrees [B, 3].

    Flexion moves a downward limb forward (+z) for hips and shoulders, and folds the knee backward;
    abduction moves it outward (away from the midline), mirrored for the right side.
    """
    a = np.deg2rad(angles_deg)
    side = -1.0 if slot.startswith("r_") else 1.0
    key = _limit_key(slot)
    flex_sign = 1.0 if key == "knee" else -1.0
    if key in ("lumbar", "thoracic", "neck"):
        flex_sign = 1.0  # bending forward tips the upward bone toward +z
    return _rot(1, side * a[:, 2]) @ _rot(2, side * a[:, 1]) @ _rot(0, flex_sign * a[:, 0])


def forward_kinematics(
    offsets_mm: np.ndarray, angles_deg: dict[str, np.ndarray], root_yaw: np.ndarray
) -> np.ndarray:
    """Joint positions [B, 16, 3] (mm, body/world frame with y up, hip at the origin).

    ``offsets_mm`` [B, 16, 3] are the subjects' rest offsets; ``angles_deg`` maps each slot of
    ``ANGLE_JOINTS`` to [B, 3] (flex, abduct, twist); ``root_yaw`` [B] radians turns the body about y.
    """
    b = len(root_yaw)
    frames = np.zeros((b, NUM_JOINTS, 3, 3))
    pos = np.zeros((b, NUM_JOINTS, 3))
    frames[:, 0] = _rot(1, np.asarray(root_yaw, dtype=np.float64))
    slot_of = {j: s for s, j in ANGLE_JOINTS.items()}
    for j in range(1, NUM_JOINTS):
        p = PARENTS[j]
        local = _joint_rotation(slot_of[j], angles_deg[slot_of[j]]) if j in slot_of else np.eye(3)[None]
        frames[:, j] = frames[:, p] @ local
        pos[:, j] = pos[:, p] + np.einsum("bij,bj->bi", frames[:, j], offsets_mm[:, j])
    return pos


def sample_subject(rng: np.random.Generator) -> np.ndarray:
    """One subject's rest offsets [16, 3] (mm): height scale, bone proportions, left/right asymmetry."""
    scale = rng.normal(1.0, 0.06)
    proportion = rng.normal(1.0, 0.03, size=NUM_JOINTS)
    for right, left in ((1, 4), (2, 5), (3, 6), (13, 10), (14, 11), (15, 12)):
        proportion[left] = proportion[right]  # symmetric proportions first ...
    asymmetry = rng.normal(1.0, 0.015, size=NUM_JOINTS)  # ... then a small per-side difference
    return REST_OFFSETS_MM * (scale * proportion * asymmetry)[:, None]


def _draw(
    rng: np.random.Generator, b: int, mean: tuple[float, float, float], sd: tuple[float, float, float]
) -> np.ndarray:
    return rng.normal(mean, sd, size=(b, 3))


def sample_angles(rng: np.random.Generator, family: str, b: int) -> dict[str, np.ndarray]:
    """Joint angles (degrees, [b, 3] per slot) for ``b`` poses of ``family``, clipped to the limits."""
    if family not in FAMILIES:
        raise ValueError(f"unknown pose family {family!r}; known: {', '.join(FAMILIES)}")
    d = _draw
    quiet = {
        "r_hip": d(rng, b, (0, 5, 0), (5, 3, 5)),
        "r_knee": d(rng, b, (5, 0, 0), (4, 0, 0)),
        "lumbar": d(rng, b, (3, 0, 0), (4, 3, 6)),
        "thoracic": d(rng, b, (2, 0, 0), (3, 3, 6)),
        "neck": d(rng, b, (5, 0, 0), (10, 6, 0)),
        "r_shoulder": d(rng, b, (5, 8, 0), (8, 5, 10)),
        "r_elbow": d(rng, b, (15, 0, 0), (10, 0, 0)),
    }
    for right in ("r_hip", "r_knee", "r_shoulder", "r_elbow"):
        quiet["l_" + right[2:]] = quiet[right] + rng.normal(0, 3, size=(b, 3))
    angles = quiet
    if family == "walking":
        phase = rng.uniform(0, 2 * np.pi, size=b)
        swing = rng.uniform(18, 30, size=b)
        for side, shift in (("l", 0.0), ("r", np.pi)):
            ph = phase + shift
            angles[f"{side}_hip"][:, 0] = swing * np.sin(ph)
            angles[f"{side}_knee"][:, 0] = 10 + 50 * np.clip(np.sin(ph + 1.2), 0, None)
            angles[f"{side}_shoulder"][:, 0] = -0.7 * swing * np.sin(ph)
            angles[f"{side}_elbow"][:, 0] = 20 + 15 * np.clip(-np.sin(ph), 0, None)
    elif family == "reaching":
        both = rng.random(b) < 0.4
        left = rng.random(b) < 0.5
        for side in ("l", "r"):
            active = both | (left if side == "l" else ~left)
            arm = d(rng, b, (100, 25, 0), (45, 25, 30))
            angles[f"{side}_shoulder"][active] = arm[active]
            angles[f"{side}_elbow"][active, 0] = rng.uniform(0, 60, size=int(active.sum()))
        angles["lumbar"] += d(rng, b, (10, 0, 0), (12, 8, 15))
    elif family == "crouching":
        for side in ("l", "r"):
            angles[f"{side}_hip"] = d(rng, b, (100, 15, 0), (12, 6, 8))
            angles[f"{side}_knee"][:, 0] = rng.normal(120, 12, size=b)
            angles[f"{side}_shoulder"] = d(rng, b, (40, 10, 0), (20, 8, 15))
            angles[f"{side}_elbow"][:, 0] = rng.normal(40, 20, size=b)
        angles["lumbar"][:, 0] = rng.normal(30, 10, size=b)
    elif family == "sitting":
        for side in ("l", "r"):
            angles[f"{side}_hip"] = d(rng, b, (88, 8, 0), (6, 5, 6))
            angles[f"{side}_knee"][:, 0] = rng.normal(90, 8, size=b)
            angles[f"{side}_shoulder"] = d(rng, b, (25, 8, 0), (12, 5, 10))
            angles[f"{side}_elbow"][:, 0] = rng.normal(80, 15, size=b)
    elif family == "asymmetric":
        for side in ("l", "r"):
            angles[f"{side}_hip"] = d(rng, b, (40, 15, 0), (40, 15, 15))
            angles[f"{side}_knee"][:, 0] = rng.uniform(0, 120, size=b)
            angles[f"{side}_shoulder"] = d(rng, b, (60, 50, 0), (60, 50, 30))
            angles[f"{side}_elbow"][:, 0] = rng.uniform(0, 140, size=b)
        angles["lumbar"] += d(rng, b, (5, 0, 0), (10, 10, 15))
    for slot, value in angles.items():
        limits = np.array(LIMITS_DEG[_limit_key(slot)])
        angles[slot] = np.clip(value, limits[:, 0], limits[:, 1])
    return angles


def _look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    """World->camera rotations [B, 3, 3] (rows: right, down, forward) for y-up world coordinates."""
    forward = target - eye
    forward /= np.linalg.norm(forward, axis=1, keepdims=True)
    right = np.cross(forward, np.array([0.0, 1.0, 0.0]))
    right /= np.linalg.norm(right, axis=1, keepdims=True)
    down = np.cross(forward, right)
    return np.stack([right, down, forward], axis=1)


def _render(
    rng: np.random.Generator, offsets: np.ndarray, size: int, noise_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """``size`` examples of one subject: (2-D inputs [size, 16, 2], 3-D targets [size, 16, 3] metres)."""
    family = rng.integers(len(FAMILIES), size=size)
    pos = np.zeros((size, NUM_JOINTS, 3))
    for k, name in enumerate(FAMILIES):
        rows = np.flatnonzero(family == k)
        if len(rows) == 0:
            continue
        angles = sample_angles(rng, name, len(rows))
        yaw = rng.uniform(0, 2 * np.pi, size=len(rows))
        pos[rows] = forward_kinematics(np.broadcast_to(offsets, (len(rows),) + offsets.shape), angles, yaw)
    pos /= 1000.0  # metres; hip at the origin, y up
    hip_height = 0.95
    azimuth = rng.uniform(0, 2 * np.pi, size=size)
    elevation = np.deg2rad(rng.uniform(-5, 25, size=size))
    distance = rng.uniform(4.0, 6.5, size=size)
    target = np.stack([np.zeros(size), np.full(size, hip_height), np.zeros(size)], 1)
    eye = target + distance[:, None] * np.stack(
        [np.cos(elevation) * np.sin(azimuth), np.sin(elevation), np.cos(elevation) * np.cos(azimuth)], 1
    )
    rot = _look_at(eye, target + rng.normal(0, 0.25, size=(size, 3)))
    world = pos + target[:, None, :]
    cam = np.einsum("bij,bkj->bki", rot, world - eye[:, None, :])
    camera = rng.integers(len(H36M_INTRINSICS), size=size)
    inputs = np.zeros((size, NUM_JOINTS, 2))
    for c, intr in enumerate(H36M_INTRINSICS):
        rows = camera == c
        pix = project(cam[rows], intr) + rng.normal(0, noise_px, size=(int(rows.sum()), NUM_JOINTS, 2))
        inputs[rows] = normalize_screen(pix, intr.width, intr.height)
    return inputs, cam - cam[:, :1, :]


def build_synthetic_pose(
    train_size: int = 20000,
    test_size: int = 5000,
    validation_size: int | None = None,
    seed: int = 0,
    *,
    group: str | PermGroup | None = None,
    framework: str = "full",
    noise_px: float = 2.0,
    pairs: str | None = "orbits",
) -> tuple[datasets.DatasetDict, dict[str, Any]]:
    """(DatasetDict train/validation/test, card) of synthetic 2-D -> 3-D lifting examples.

    Train and validation come from subjects S1 S5 S6 S7 S8, test from S9 S11 (each subject its own body);
    ``validation_size`` defaults to 10 % of ``train_size``. ``group`` names the card's skeleton group
    (``trivial``, ``skeleton16_flip``, ``skeleton16_limbs``, ``skeleton16_pairs`` or a PermGroup) and
    ``framework`` its edge framework; the data do not depend on either. ``pairs`` is the card's pair-table
    choice ("orbits": G's pair orbits in every cell, as in the paper; None: the model's default).
    """
    validation_size = max(1, train_size // 10) if validation_size is None else validation_size
    for name, value in (
        ("train_size", train_size),
        ("test_size", test_size),
        ("validation_size", validation_size),
    ):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if noise_px < 0:
        raise ValueError(f"noise_px must be >= 0, got {noise_px}")
    subjects = TRAIN_SUBJECTS + TEST_SUBJECTS
    bodies = {s: sample_subject(np.random.default_rng([int(seed), 1, k])) for k, s in enumerate(subjects)}
    splits = {}
    for split_index, (split, names, total) in enumerate(
        (
            ("train", TRAIN_SUBJECTS, train_size),
            ("validation", TRAIN_SUBJECTS, validation_size),
            ("test", TEST_SUBJECTS, test_size),
        )
    ):
        counts = [total // len(names) + (k < total % len(names)) for k in range(len(names))]
        xs, ys, who = [], [], []
        for k, (name, count) in enumerate(zip(names, counts, strict=True)):
            if count == 0:
                continue
            x, y = _render(
                np.random.default_rng([int(seed), 2, split_index, k]), bodies[name], count, noise_px
            )
            xs.append(x)
            ys.append(y)
            who += [name] * count
        splits[split] = pose_dataset(np.concatenate(xs), np.concatenate(ys), who, split)
    description = (
        "Synthetic skeleton (a stand-in for Human3.6M): screen-normalised 2-D joints of a 16-joint body "
        "-> camera-frame 3-D joints relative to the hip (metres); pose families, random cameras with "
        "Human3.6M intrinsics, 2-D noise; train S1 S5 S6 S7 S8, test S9 S11."
    )
    source = {
        "builder": "pose-synthetic",
        "synthetic": True,
        "seed": int(seed),
        "noise_px": float(noise_px),
        "train_size": train_size,
        "validation_size": validation_size,
        "test_size": test_size,
    }
    card = pose_card(group, framework, description, source, name="pose", pairs=pairs)
    return datasets.DatasetDict(splits), card
