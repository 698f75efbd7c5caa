"""Pinhole cameras: Human3.6M's four cameras' intrinsics, projection, screen normalisation, world->camera.

Camera frame as in VideoPose3D / OpenCV: x right, y down, z forward (depth). Image coordinates in
pixels, u = f_x x / z + c_x, v = f_y y / z + c_y (lens distortion is not modelled here).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "H36M_INTRINSICS",
    "Intrinsics",
    "normalize_screen",
    "project",
    "quaternion_to_matrix",
    "world_to_camera",
]


@dataclass(frozen=True)
class Intrinsics:
    """One camera's pinhole intrinsics (pixels) and image size."""

    camera_id: str
    focal: tuple[float, float]
    center: tuple[float, float]
    width: int
    height: int


# Human3.6M's cameras in the order of VideoPose3D's files (index 0..3 of positions_2d[subject][action]);
# the calibration values published with the dataset (as listed in VideoPose3D's h36m_dataset.py).
H36M_INTRINSICS: tuple[Intrinsics, ...] = (
    Intrinsics(
        "54138969", (1145.0494384765625, 1143.7811279296875), (512.54150390625, 515.4514770507812), 1000, 1002
    ),
    Intrinsics(
        "55011271", (1149.6756591796875, 1147.5916748046875), (508.8486328125, 508.0649108886719), 1000, 1000
    ),
    Intrinsics(
        "58860488",
        (1149.1407470703125, 1148.7989501953125),
        (519.8158569335938, 501.40264892578125),
        1000,
        1000,
    ),
    Intrinsics(
        "60457274",
        (1145.5113525390625, 1144.77392578125),
        (514.9682006835938, 501.88201904296875),
        1000,
        1002,
    ),
)


def project(points_cam: np.ndarray, intrinsics: Intrinsics) -> np.ndarray:
    """Camera-frame points [..., 3] (any unit, z > 0) -> pixels [..., 2]."""
    p = np.asarray(points_cam, dtype=np.float64)
    if p.shape[-1] != 3:
        raise ValueError(f"points must end in 3 coordinates, got shape {p.shape}")
    if np.any(p[..., 2] <= 0):
        raise ValueError("a point lies on or behind the camera plane (z <= 0); cannot project it")
    f, c = np.asarray(intrinsics.focal), np.asarray(intrinsics.center)
    return p[..., :2] / p[..., 2:3] * f + c


def normalize_screen(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """VideoPose3D's screen normalisation: [0, w] -> [-1, 1] for u, keeping the aspect ratio for v."""
    p = np.asarray(pixels, dtype=np.float64)
    if p.shape[-1] != 2:
        raise ValueError(f"pixel coordinates must end in 2 values, got shape {p.shape}")
    return p / width * 2 - np.array([1.0, height / width])


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrix [3, 3] of a unit quaternion (w, x, y, z)."""
    w, x, y, z = np.asarray(q, dtype=np.float64) / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def world_to_camera(points: np.ndarray, orientation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """World points [..., 3] -> camera frame, for a camera whose orientation quaternion (w, x, y, z) maps
    camera axes to world axes and whose centre is ``translation`` (same unit as the points):
    x_cam = R^T (x_world - t), R = quaternion_to_matrix(orientation) (VideoPose3D's convention)."""
    r = quaternion_to_matrix(orientation)
    return (np.asarray(points, dtype=np.float64) - np.asarray(translation, dtype=np.float64)) @ r
