"""Human3.6M in VideoPose3D's files -> the 16-joint lifting task (standard protocol).

Input files (in ``source``):

- ``data_3d_h36m.npz``: key ``positions_3d``, a pickled dict ``positions_3d[subject][action]`` of
  world-frame joints (T, 32, 3) in metres (the 17-joint selection (T, 17, 3) and the SemGCN-style
  16-joint arrays (T, 16, 3) are accepted too);
- ``data_2d_h36m_gt.npz``: key ``positions_2d``, ``positions_2d[subject][action]`` a list of the four
  cameras' (T, 17, 2) pixel coordinates (or SemGCN-style (T, 16, 2)), plus ``metadata``.

Joint mapping. VideoPose3D keeps 17 of the 32 mocap joints, ``KEEP_32_TO_17`` (hip, right leg, left
leg, spine, thorax, neck/nose, head, left arm, right arm); SemGCN's 16-joint layout drops the
neck/nose joint (index 9 of the 17), ``KEEP_17_TO_16``. The result is the package's layout
(:mod:`.skeleton`).

Protocol: train S1 S5 S6 S7 S8, test S9 S11, each (subject, action, camera) a sequence; 3-D joints in
that camera's frame (Human3.6M's calibration, :mod:`.h36m_cameras`) minus the hip, in metres; 2-D
screen-normalised with the camera's resolution (1000 x 1002 for cameras 0 and 3, 1000 x 1000 for 1
and 2). ``frame_stride`` keeps every k-th frame. Validation is the last ``validation_fraction`` of
each training sequence (frames, after subsampling), so it shares no frame with train.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets
import numpy as np

from asen_fm.domains.pose.camera import H36M_INTRINSICS, normalize_screen, world_to_camera
from asen_fm.domains.pose.card import pose_card, pose_dataset
from asen_fm.domains.pose.h36m_cameras import H36M_EXTRINSICS
from asen_fm.domains.pose.skeleton import NUM_JOINTS
from asen_fm.symmetry import PermGroup

__all__ = [
    "KEEP_17_TO_16",
    "KEEP_32_TO_17",
    "TEST_SUBJECTS",
    "TRAIN_SUBJECTS",
    "build_h36m",
    "convert_sequence",
    "load_npz_dict",
    "to_16_joints",
]

KEEP_32_TO_17 = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)
NECK_NOSE_17 = 9
KEEP_17_TO_16 = tuple(j for j in range(17) if j != NECK_NOSE_17)
TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS = ("S9", "S11")
FILE_3D = "data_3d_h36m.npz"
FILE_2D = "data_2d_h36m_gt.npz"


def to_16_joints(joints: np.ndarray) -> np.ndarray:
    """(..., J, C) with J = 32 (mocap), 17 (VideoPose3D) or 16 (SemGCN) -> (..., 16, C)."""
    j = joints.shape[-2]
    if j == 32:
        joints = joints[..., list(KEEP_32_TO_17), :]
        j = 17
    if j == 17:
        return joints[..., list(KEEP_17_TO_16), :]
    if j == 16:
        return joints
    raise ValueError(f"expected 32, 17 or 16 joints, got {j} (array shape {joints.shape})")


def load_npz_dict(path: str | Path, key: str) -> dict[str, Any]:
    """``np.load(path, allow_pickle=True)[key]`` as the dict it pickles, with errors naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"Human3.6M file {path} does not exist")
    with np.load(path, allow_pickle=True) as data:
        if key not in data.files:
            raise ValueError(f"{path.name} has no {key!r} entry (found {', '.join(data.files)})")
        value = data[key]
    obj = (
        value.item()
        if isinstance(value, np.ndarray) and value.dtype == object and value.shape == ()
        else value
    )
    if not isinstance(obj, dict):
        raise ValueError(f"{path.name}: {key!r} must hold a dict subject -> action -> array")
    return obj


def convert_sequence(
    world_3d: np.ndarray, pixels_2d: np.ndarray, subject: str, camera: int, frame_stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """One (subject, action, camera): world joints (T, J, 3) metres + pixels (T', J', 2) -> inputs
    (F, 16, 2) screen-normalised and targets (F, 16, 3) camera-frame, hip-relative, metres.
    Sequences are cut to the shorter of the two lengths (as VideoPose3D does), then subsampled."""
    if subject not in H36M_EXTRINSICS:
        raise ValueError(f"unknown subject {subject!r}; calibrated subjects: {', '.join(H36M_EXTRINSICS)}")
    if not 0 <= camera < len(H36M_INTRINSICS):
        raise ValueError(f"camera index must be 0..3, got {camera}")
    world_3d, pixels_2d = np.asarray(world_3d, dtype=np.float64), np.asarray(pixels_2d, dtype=np.float64)
    if world_3d.ndim != 3 or world_3d.shape[-1] != 3:
        raise ValueError(f"{subject}: 3-D joints must be (T, J, 3), got {world_3d.shape}")
    if pixels_2d.ndim != 3 or pixels_2d.shape[-1] != 2:
        raise ValueError(f"{subject}: 2-D joints must be (T, J, 2), got {pixels_2d.shape}")
    frames = min(len(world_3d), len(pixels_2d))
    rows = slice(0, frames, frame_stride)
    orientation, centre_mm = H36M_EXTRINSICS[subject][camera]
    cam = world_to_camera(to_16_joints(world_3d[rows]), np.array(orientation), np.array(centre_mm) / 1000.0)
    intr = H36M_INTRINSICS[camera]
    inputs = normalize_screen(to_16_joints(pixels_2d[rows]), intr.width, intr.height)
    return inputs, cam - cam[:, :1, :]


def build_h36m(
    source: str | Path,
    *,
    frame_stride: int = 1,
    validation_fraction: float = 0.1,
    train_subjects: Sequence[str] = TRAIN_SUBJECTS,
    test_subjects: Sequence[str] = TEST_SUBJECTS,
    group: str | PermGroup | None = None,
    framework: str = "full",
    pairs: str | None = "orbits",
) -> tuple[datasets.DatasetDict, dict[str, Any]]:
    """VideoPose3D's two Human3.6M files in ``source`` -> (DatasetDict train/validation/test, card).

    ``pose_task(*build_h36m(...)).save(folder)`` (or ``asen data build h36m``) writes the task folder."""
    if not isinstance(frame_stride, int) or frame_stride < 1:
        raise ValueError(f"frame_stride must be a positive int, got {frame_stride!r}")
    if not 0 <= validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    source = Path(source)
    positions_3d = load_npz_dict(source / FILE_3D, "positions_3d")
    positions_2d = load_npz_dict(source / FILE_2D, "positions_2d")
    parts: dict[str, tuple[list[np.ndarray], list[np.ndarray], list[str]]] = {
        s: ([], [], []) for s in ("train", "validation", "test")
    }
    for subjects, is_train in ((train_subjects, True), (test_subjects, False)):
        for subject in subjects:
            if subject not in positions_3d:
                raise ValueError(f"subject {subject!r} is not in {FILE_3D} (has {', '.join(positions_3d)})")
            if subject not in positions_2d:
                raise ValueError(f"subject {subject!r} is not in {FILE_2D} (has {', '.join(positions_2d)})")
            for action in sorted(positions_3d[subject]):
                if action not in positions_2d[subject]:
                    raise ValueError(f"{FILE_2D} lacks action {action!r} of subject {subject}")
                views = positions_2d[subject][action]
                if len(views) != len(H36M_INTRINSICS):
                    raise ValueError(
                        f"{subject}/{action}: expected 4 camera views in {FILE_2D}, got {len(views)}"
                    )
                for camera, pixels in enumerate(views):
                    x, y = convert_sequence(
                        positions_3d[subject][action], pixels, subject, camera, frame_stride
                    )
                    cut = len(x) - int(round(len(x) * validation_fraction)) if is_train else len(x)
                    pieces = (
                        (("train", slice(0, cut)), ("validation", slice(cut, None)))
                        if is_train
                        else (("test", slice(None)),)
                    )
                    for split, rows in pieces:
                        parts[split][0].append(x[rows])
                        parts[split][1].append(y[rows])
                        parts[split][2].extend([subject] * len(x[rows]))
    splits = {}
    for split, (xs, ys, who) in parts.items():
        x = np.concatenate(xs) if xs else np.zeros((0, NUM_JOINTS, 2))
        y = np.concatenate(ys) if ys else np.zeros((0, NUM_JOINTS, 3))
        splits[split] = pose_dataset(x, y, who, split)
    description = (
        "Human3.6M (VideoPose3D's ground-truth files): screen-normalised 2-D joints of the 16-joint skeleton "
        f"-> camera-frame 3-D joints relative to the hip (metres); train {' '.join(train_subjects)}, "
        f"test {' '.join(test_subjects)}; every {frame_stride} frame(s)."
    )
    provenance = {
        "builder": "h36m",
        "dataset": "Human3.6M (VideoPose3D ground truth)",
        "files": [FILE_3D, FILE_2D],
        "frame_stride": frame_stride,
        "validation_fraction": validation_fraction,
        "train_subjects": list(train_subjects),
        "test_subjects": list(test_subjects),
    }
    card = pose_card(group, framework, description, provenance, name="pose", pairs=pairs)
    return datasets.DatasetDict(splits), card
