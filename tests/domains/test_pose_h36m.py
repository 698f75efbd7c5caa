"""The Human3.6M converter on tiny files written in VideoPose3D's exact formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from asen_fm.domains.pose.camera import H36M_INTRINSICS
from asen_fm.domains.pose.h36m import build_h36m, convert_sequence, to_16_joints
from asen_fm.domains.pose.h36m_cameras import H36M_EXTRINSICS

# Written out by hand from the two conventions: mocap indices of the 16 joints, in the package's order.
MOCAP_OF_16 = [0, 1, 2, 3, 6, 7, 8, 12, 13, 15, 17, 18, 19, 25, 26, 27]
SUBJECTS = ("S1", "S5", "S6", "S7", "S8", "S9", "S11")


def _camera_frame(world_m: np.ndarray, subject: str, camera: int) -> np.ndarray:
    """Independent world -> camera transform via SciPy (quaternions stored w, x, y, z)."""
    (w, x, y, z), centre = H36M_EXTRINSICS[subject][camera]
    rot = Rotation.from_quat([x, y, z, w]).as_matrix()
    return (world_m - np.array(centre) / 1000.0) @ rot


def _pixels(cam_m: np.ndarray, camera: int) -> np.ndarray:
    intr = H36M_INTRINSICS[camera]
    return cam_m[..., :2] / cam_m[..., 2:] * np.array(intr.focal) + np.array(intr.center)


def _write(folder: Path, frames: dict[str, int], joints_3d: int = 32, joints_2d: int = 17) -> dict:
    """Random-walk bodies near the world origin, projected into the four cameras; saved like VideoPose3D."""
    rng = np.random.default_rng(0)
    positions_3d: dict = {}
    positions_2d: dict = {}
    for subject, t in frames.items():
        positions_3d[subject], positions_2d[subject] = {}, {}
        for action in ("Walking 1", "Eating"):
            body = rng.normal(0, 0.3, size=(t, 32, 3)) + np.array([0.2, -0.1, 0.9])
            positions_3d[subject][action] = body.astype(np.float32)
            views = []
            for c in range(4):
                cam = _camera_frame(
                    body[:, [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27]], subject, c
                )
                views.append(_pixels(cam, c).astype(np.float32)[: t + 2 if c == 0 else t])
            positions_2d[subject][action] = views
    if joints_3d == 16:
        positions_3d = {
            s: {a: v[:, MOCAP_OF_16] for a, v in acts.items()} for s, acts in positions_3d.items()
        }
    if joints_2d == 16:
        positions_2d = {
            s: {a: [v[:, [j for j in range(17) if j != 9]] for v in views] for a, views in acts.items()}
            for s, acts in positions_2d.items()
        }
    np.savez_compressed(folder / "data_3d_h36m.npz", positions_3d=positions_3d)
    metadata = {
        "layout_name": "h36m",
        "num_joints": 17,
        "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]],
    }
    np.savez_compressed(folder / "data_2d_h36m_gt.npz", positions_2d=positions_2d, metadata=metadata)
    return positions_3d


def test_joint_selection_32_17_16() -> None:
    code = np.arange(32)[None, :, None] * np.ones((1, 1, 3))
    assert to_16_joints(code)[0, :, 0].tolist() == MOCAP_OF_16
    seventeen = np.arange(17)[None, :, None].astype(float)
    assert to_16_joints(seventeen)[0, :, 0].tolist() == [
        0,
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        10,
        11,
        12,
        13,
        14,
        15,
        16,
    ]
    with pytest.raises(ValueError, match="32, 17 or 16"):
        to_16_joints(np.zeros((1, 15, 3)))


@pytest.mark.parametrize("subject", SUBJECTS)
def test_calibration_sees_the_capture_volume(subject: str) -> None:
    # A point at the centre of the capture area, 0.9 m up, is 4-7 m in front of each camera and on its image.
    for c, intr in enumerate(H36M_INTRINSICS):
        cam = _camera_frame(np.array([[0.0, 0.0, 0.9]]), subject, c)
        assert 3.5 < cam[0, 2] < 7.5
        u, v = _pixels(cam, c)[0]
        assert 0 < u < intr.width and 0 < v < intr.height


@pytest.mark.parametrize("layout", [(32, 17), (16, 16)])
def test_converter_on_tiny_videopose3d_files(tmp_path: Path, layout: tuple[int, int]) -> None:
    frames = {s: 20 for s in SUBJECTS}
    positions_3d = _write(tmp_path, frames, *layout)
    ds, card = build_h36m(tmp_path, frame_stride=2, group="skeleton16_pairs", framework="sparse")
    # 7 subjects x 2 actions x 4 cameras, 10 frames each after stride 2; 10 % of train frames -> validation.
    assert {k: len(v) for k, v in ds.items()} == {
        "train": 5 * 2 * 4 * 9,
        "validation": 5 * 2 * 4,
        "test": 2 * 2 * 4 * 10,
    }
    assert set(ds["test"]["subject"]) == {"S9", "S11"}
    assert card["symmetry"]["framework"] == "sparse" and card["num_labels"] == 3
    # The first test row: S9 (protocol order), action "Eating" (actions sorted), camera 0, frame 0.
    world = positions_3d["S9"]["Eating"][0].astype(np.float64)
    world16 = world[MOCAP_OF_16] if world.shape[0] == 32 else world
    cam = _camera_frame(world16, "S9", 0)
    y = np.array(ds["test"]["labels"][0])
    assert np.allclose(y, cam - cam[0], atol=1e-5)
    x = np.array(ds["test"]["node_features"][0])
    pix = _pixels(cam, 0)
    assert np.allclose(x, pix / 1000 * 2 - [1, 1002 / 1000], atol=1e-5)


def test_convert_sequence_cuts_to_the_shorter_length() -> None:
    world = np.random.default_rng(1).normal(0, 0.2, size=(9, 17, 3)) + [0, 0, 0.9]
    pixels = np.zeros((12, 17, 2))
    x, y = convert_sequence(world, pixels, "S1", 2, frame_stride=4)
    assert x.shape == (3, 16, 2) and y.shape == (3, 16, 3)
    assert np.allclose(x[..., 0], -1.0) and np.allclose(y[:, 0], 0)


def test_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        build_h36m(tmp_path)
    _write(tmp_path, {"S1": 4, "S9": 4})
    with pytest.raises(ValueError, match="subject 'S5'"):
        build_h36m(tmp_path)
    with pytest.raises(ValueError, match="unknown subject"):
        convert_sequence(np.zeros((2, 17, 3)), np.zeros((2, 17, 2)), "S2", 0)
    with pytest.raises(ValueError, match="frame_stride"):
        build_h36m(tmp_path, frame_stride=0)
