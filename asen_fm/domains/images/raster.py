"""Batched, anti-aliasing-free rasterisation on square pixel grids (NumPy only).

Coordinates are (row, col) floats; a point lands on pixel ``floor(x + 0.5)``. Everything works on a
batch of B images at once: strokes are given as ``[B, m, 2]`` arrays of sample points and painted with
fancy indexing, so no Python loop runs over images.
"""

from __future__ import annotations

import numpy as np

__all__ = ["disc_offsets", "paint", "pixels_of", "sample_segments", "square_dilate", "stamp"]


def sample_segments(starts: np.ndarray, ends: np.ndarray, spacing: float = 0.5) -> np.ndarray:
    """Points along each segment ``starts[..., k, :] -> ends[..., k, :]``, ``[..., K * s, 2]``.

    Every segment gets the same number s of evenly spaced samples (both ends included), enough that
    consecutive samples are at most ``spacing`` apart on the longest segment. With spacing <= 1 the
    rounded samples of one segment form an 8-connected pixel chain.
    """
    if starts.shape != ends.shape or starts.shape[-1] != 2:
        raise ValueError(
            f"starts and ends must share a [..., K, 2] shape, got {starts.shape} and {ends.shape}"
        )
    if not 0 < spacing <= 1:
        raise ValueError(f"spacing must be in (0, 1] for connected strokes, got {spacing}")
    longest = float(np.max(np.abs(ends - starts))) if starts.size else 0.0
    s = int(np.ceil(longest / spacing)) + 1
    t = np.linspace(0.0, 1.0, s)[:, None]  # [s, 1]
    points = starts[..., None, :] + t * (ends - starts)[..., None, :]  # [..., K, s, 2]
    return points.reshape(*starts.shape[:-2], starts.shape[-2] * s, 2)


def pixels_of(points: np.ndarray) -> np.ndarray:
    """Integer pixel (row, col) of each point: ``floor(x + 0.5)``."""
    return np.floor(points + 0.5).astype(np.int64)


def disc_offsets(radius: float) -> np.ndarray:
    """Integer offsets (dr, dc) with dr^2 + dc^2 <= radius^2 (a filled, aliased disc), ``[m, 2]``."""
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    r = int(np.floor(radius))
    dr, dc = np.mgrid[-r : r + 1, -r : r + 1]
    keep = dr**2 + dc**2 <= radius**2 + 1e-9
    return np.stack([dr[keep], dc[keep]], axis=1)


def stamp(pixels: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Every pixel ``[B, m, 2]`` shifted by every offset ``[k, 2]``: ``[B, m * k, 2]``."""
    out = pixels[:, :, None, :] + offsets[None, None, :, :]
    return out.reshape(pixels.shape[0], pixels.shape[1] * offsets.shape[0], 2)


def paint(
    canvas: np.ndarray, pixels: np.ndarray, value: np.ndarray | int | bool, keep: np.ndarray | None = None
) -> None:
    """Set ``canvas[b, r, c] = value[b]`` for each pixel ``pixels[b, j]`` inside the canvas (in place).

    ``canvas`` is ``[B, h, w]``; pixels outside it are dropped; ``keep`` (``[B, m]`` bool) selects which
    pixels to paint (all by default). ``value`` is a scalar or one value per image.
    """
    b_count, h, w = canvas.shape
    rows, cols = pixels[..., 0], pixels[..., 1]
    mask = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    if keep is not None:
        mask &= keep
    image = np.broadcast_to(np.arange(b_count)[:, None], rows.shape)
    values = np.broadcast_to(np.asarray(value).reshape(-1, 1) if np.ndim(value) else value, rows.shape)
    canvas[image[mask], rows[mask], cols[mask]] = values[mask]


def square_dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """``[B, h, w]`` bool mask grown by a (2 radius + 1)^2 square (Chebyshev distance <= radius)."""
    out = mask.copy()
    for _ in range(radius):
        grown = out.copy()
        grown[:, 1:, :] |= out[:, :-1, :]
        grown[:, :-1, :] |= out[:, 1:, :]
        out = grown.copy()
        grown[:, :, 1:] |= out[:, :, :-1]
        grown[:, :, :-1] |= out[:, :, 1:]
        out = grown
    return out
