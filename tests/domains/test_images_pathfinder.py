"""Pathfinder generator: determinism, labels checked by flood fills on the drawn paths, balance, shapes."""

from __future__ import annotations

from functools import cache
from math import ceil

import numpy as np
import pytest
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from asen_fm.domains.images import LEVELS, RESOLUTIONS, generate_pathfinder, pathfinder_style, render
from asen_fm.domains.images.raster import pixels_of

EIGHT = np.ones((3, 3), dtype=bool)  # 8-connectivity


@cache
def _batch(resolution: int, level: str, count: int = 120, seed: int = 3):
    return generate_pathfinder(count, resolution, level, seed=seed)


CASES = [(16, "baseline"), (32, "baseline"), (32, "contour_length_14"), (64, "contour_length_9")]


def _component_at(components: np.ndarray, point: np.ndarray) -> int:
    r, c = pixels_of(point)
    return int(components[r, c])


def test_same_seed_same_bytes_and_other_seeds_differ():
    a = generate_pathfinder(64, 32, "contour_length_9", seed=11)
    b = generate_pathfinder(64, 32, "contour_length_9", seed=11)
    assert a.images.tobytes() == b.images.tobytes()
    assert np.array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.paths, b.paths)
    np.testing.assert_array_equal(a.distractors, b.distractors)
    for other in (
        generate_pathfinder(64, 32, "contour_length_9", seed=12),
        generate_pathfinder(64, 32, "contour_length_9", seed=11, stream=1),
    ):
        assert other.images.tobytes() != a.images.tobytes()


@pytest.mark.parametrize("resolution,level", CASES)
def test_label_is_connectivity_of_the_gap_free_drawing(resolution, level):
    """Flood fill (8-connected) over every drawn pixel, strokes gap-free: the dots meet iff label 1."""
    batch = _batch(resolution, level)
    solid = render(batch, dashed=False)
    for k in range(len(batch)):
        components, _ = ndimage.label(solid[k] > 0, structure=EIGHT)
        a, b = (_component_at(components, dot) for dot in batch.dots[k])
        assert a > 0 and b > 0, "a dot centre is not drawn"
        assert (a == b) == bool(batch.labels[k]), (
            f"image {k}: connectivity disagrees with label {batch.labels[k]}"
        )


@pytest.mark.parametrize("resolution,level", CASES)
def test_each_path_alone_connects_both_dots_only_for_positives(resolution, level):
    batch = _batch(resolution, level)
    for p in (0, 1):
        alone = render(batch, dashed=False, paths=(p,), dots=False, distractors=False)
        with_dots = render(batch, dashed=False, paths=(p,), distractors=False)
        for k in range(len(batch)):
            components, _ = ndimage.label(with_dots[k] > 0, structure=EIGHT)
            a, b = (_component_at(components, dot) for dot in batch.dots[k])
            assert (a == b) == (bool(batch.labels[k]) and p == 0)
            for d in (0, 1):  # a dot's centre lies on its own path's pixels, and only there
                r, c = pixels_of(batch.dots[k, d])
                assert (alone[k, r, c] > 0) == (batch.dot_paths[k, d] == p)


def _bridged_components(image: np.ndarray, reach: int) -> tuple[np.ndarray, np.ndarray]:
    """Components of the drawn pixels when pixels up to ``reach`` apart (Chebyshev) count as touching."""
    points = np.argwhere(image > 0)
    far = np.abs(points[:, None, :] - points[None, :, :]).max(axis=-1)
    i, j = np.nonzero(far <= reach)
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(len(points), len(points)))
    return points, connected_components(graph, directed=False)[1]


@pytest.mark.parametrize("resolution,level", [(32, "baseline"), (32, "contour_length_14")])
def test_dashed_image_alone_determines_the_label(resolution, level):
    """Bridging gaps of up to ceil(gap) - 1 empty pixels joins each dashed path and nothing else."""
    batch = _batch(resolution, level, count=60)
    reach = ceil(batch.style.gap)
    for k in range(len(batch)):
        points, labels = _bridged_components(batch.images[k], reach)
        ends = [labels[np.flatnonzero((points == pixels_of(dot)).all(axis=1))[0]] for dot in batch.dots[k]]
        assert (ends[0] == ends[1]) == bool(batch.labels[k])


def test_dashed_pixels_are_a_strict_subset_of_the_gap_free_ones():
    batch = _batch(32, "contour_length_14")
    dashed, solid = batch.images > 0, render(batch, dashed=False) > 0
    np.testing.assert_array_equal(render(batch), batch.images)
    assert not np.any(dashed & ~solid)
    assert dashed.sum() < 0.9 * solid.sum(), "dashes show no gaps"


@pytest.mark.parametrize("count", [101, 400])
def test_classes_are_balanced(count):
    labels = generate_pathfinder(count, 16, "baseline", seed=5).labels
    assert abs(int(labels.sum()) - (count - int(labels.sum()))) <= 1
    assert 0.3 < labels[: count // 2].mean() < 0.7  # shuffled, not sorted


@pytest.mark.parametrize("resolution", RESOLUTIONS)
def test_every_resolution_gives_square_uint8_images(resolution):
    batch = generate_pathfinder(6, resolution, "contour_length_9", seed=0, intensity=(100, 200))
    assert batch.images.shape == (6, resolution, resolution) and batch.images.dtype == np.uint8
    assert batch.paths.shape == (6, 2, LEVELS["contour_length_9"] + 1, 2)
    for k in range(6):
        assert set(np.unique(batch.images[k])) == {0, int(batch.intensity[k])}
    assert np.all((batch.intensity >= 100) & (batch.intensity <= 200))
    style = batch.style
    assert np.all(
        (batch.paths >= style.dot_radius - 1e-9) & (batch.paths <= resolution - 1 - style.dot_radius + 1e-9)
    )


def test_levels_differ_in_path_length_and_accept_lra_names():
    lengths = [
        pathfinder_style(32, level).dashes
        for level in ("curv_baseline", "intermediate", "curv_contour_length_14")
    ]
    assert lengths == [6, 9, 14]
    batch = _batch(32, "contour_length_14")
    steps = np.linalg.norm(np.diff(batch.paths, axis=2), axis=-1)
    np.testing.assert_allclose(steps[..., :-1], batch.style.step)
    np.testing.assert_allclose(steps[..., -1], batch.style.dash)
    turns = np.diff(np.arctan2(*np.moveaxis(np.diff(batch.paths, axis=2), -1, 0)), axis=-1)
    assert np.abs((turns + np.pi) % (2 * np.pi) - np.pi).max() <= batch.style.max_turn + 1e-9


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"resolution": 48}, "resolution"),
        ({"level": "curv_contour_length_20"}, "level"),
        ({"count": 0}, "count"),
        ({"intensity": (0, 255)}, "intensity"),
        ({"wiggle": 1.0}, "wiggle"),
        ({"dash": 0.0}, "dash"),
    ],
)
def test_bad_arguments_raise_naming_the_problem(kwargs, message):
    args = {"count": 4, "resolution": 16, "level": "baseline", **kwargs}
    with pytest.raises(ValueError, match=message):
        generate_pathfinder(**args)


@pytest.mark.parametrize("level", ["baseline", "contour_length_9"])
def test_dot_distance_carries_no_label_information(level):
    """Negatives' dots are placed at distances drawn from the positives' ones: no threshold separates them."""
    batch = generate_pathfinder(2000, 32, level, seed=9, distractors=0)
    distance = np.linalg.norm(batch.dots[:, 0] - batch.dots[:, 1], axis=1)
    positive = batch.labels == 1
    thresholds = np.quantile(distance, np.linspace(0.02, 0.98, 49))
    best = max(
        max(np.mean((distance < t) == positive), np.mean((distance >= t) == positive)) for t in thresholds
    )
    assert best < 0.57, f"dot distance alone predicts the label with accuracy {best:.3f}"


def _best_threshold_accuracy(values: np.ndarray, labels: np.ndarray) -> float:
    positive = labels == 1
    thresholds = np.unique(np.quantile(values, np.linspace(0.02, 0.98, 49)))
    return max(max(np.mean((values < t) == positive), np.mean((values >= t) == positive)) for t in thresholds)


def test_16_is_gap_free_without_distractors_and_neither_ink_nor_dot_distance_gives_the_label():
    """The 16 x 16 miniature (issue 23): touching strokes, no distractors; the label still needs the path."""
    style = pathfinder_style(16)
    assert style.distractors == 0 and style.dash + style.gap <= 1.5 and style.separation == 1
    batch = generate_pathfinder(2000, 16, "baseline", seed=9)
    ink = (batch.images > 0).reshape(len(batch), -1).sum(axis=1).astype(float)
    distance = np.linalg.norm(batch.dots[:, 0] - batch.dots[:, 1], axis=1)
    for name, values in (("ink count", ink), ("dot distance", distance)):
        best = _best_threshold_accuracy(values, batch.labels)
        assert best < 0.57, f"{name} alone predicts the label with accuracy {best:.3f}"


def test_too_long_level_for_16_is_refused_up_front():
    with pytest.raises(ValueError, match="too long"):
        pathfinder_style(16, "hard")
