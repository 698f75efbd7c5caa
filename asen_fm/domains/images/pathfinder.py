"""Pathfinder (Linsley et al., 2018; the contour-integration task of Long Range Arena), own generator.

Each image holds two dashed curved paths, two marker dots and short distractor snakes. A path is a chain
of ``dashes`` dashes whose direction turns by at most ``max_turn`` from one dash to the next (uniformly in
[-max_turn, max_turn]). The dots sit on the two ends of one path (label 1) or on one end of each path
(label 0). Paths, dots and distractors never come within ``separation`` pixels of another object, so
the label is a function of the picture (see :mod:`pathfinder_style`). A negative's second dot is placed
at a distance from the first drawn from the positives' distribution, so the distance between the dots
says nothing about the label (without this, a threshold on it alone scores 0.82 at the baseline level).

Generation is batched: whole chunks of images are proposed at once and the proposals that break a
constraint are redrawn, so no Python loop runs over images. Labels are exactly balanced (half and half,
in a seeded random order) and everything is a function of the seed. :class:`PathfinderBatch` keeps the
geometry, and :func:`render` draws it again, dashed or gap-free, whole or one object at a time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from asen_fm.domains.images.pathfinder_style import PathfinderStyle, pathfinder_style
from asen_fm.domains.images.raster import (
    disc_offsets,
    paint,
    pixels_of,
    sample_segments,
    square_dilate,
    stamp,
)

__all__ = ["PathfinderBatch", "generate_pathfinder", "iter_pathfinder", "render"]

_MAX_ROUNDS = 400  # redraw rounds (per path placement, and for separating the two paths)
_DISTRACTOR_TRIES = 4  # placement tries per distractor slot (a slot left empty after these)


@dataclass(frozen=True)
class PathfinderBatch:
    """Images with their geometry. Points are (row, col) floats; pixel = floor(point + 0.5).

    images: [B, R, R] uint8, the dashed picture (background 0, strokes ``intensity``).
    labels: [B] int64, 1 iff both dots lie on the same path.
    paths: [B, 2, dashes + 1, 2] vertices of the two target paths; dash k starts at vertex k and runs
        ``dash`` pixels toward vertex k + 1 (the last vertex is the end of the last dash).
    dots: [B, 2, 2] centres of the two marker dots, each at an end of a path.
    dot_paths: [B, 2] which path (0 or 1) each dot sits on: (0, 0) for positives, (0, 1) for negatives.
    distractors: [B, D, distractor_dashes + 1, 2] vertices of the distractor snakes, NaN where a slot or
        a dash is unused.
    intensity: [B] uint8 stroke value of each image.
    """

    style: PathfinderStyle
    images: np.ndarray
    labels: np.ndarray
    paths: np.ndarray
    dots: np.ndarray
    dot_paths: np.ndarray
    distractors: np.ndarray
    intensity: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def _walks(
    rng: np.random.Generator, count: int, dashes: int, style: PathfinderStyle, step: float
) -> np.ndarray:
    """``count`` random polylines of ``dashes`` segments (the last one ``style.dash`` long), at the origin."""
    turns = rng.uniform(-style.max_turn, style.max_turn, (count, dashes))
    turns[:, 0] = rng.uniform(0.0, 2 * np.pi, count)  # first direction: uniform
    angle = np.cumsum(turns, axis=1)
    lengths = np.full(dashes, step)
    lengths[-1] = style.dash
    moves = np.stack([np.sin(angle), np.cos(angle)], axis=-1) * lengths[None, :, None]
    return np.concatenate([np.zeros((count, 1, 2)), np.cumsum(moves, axis=1)], axis=1)


def _shorten(walks: np.ndarray, used: np.ndarray, dash: float) -> np.ndarray:
    """Cut each walk ``[B, V, 2]`` after ``used[b]`` segments, the last one ``dash`` long; NaN beyond."""
    rows = np.arange(len(walks))
    out = walks.copy()
    last, before = walks[rows, used], walks[rows, used - 1]
    direction = (last - before) / np.linalg.norm(last - before, axis=1, keepdims=True)
    out[rows, used] = before + dash * direction
    out[np.arange(walks.shape[1])[None, :] > used[:, None]] = np.nan
    return out


def _place(
    rng: np.random.Generator, walks: np.ndarray, margin: float, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Translate each walk uniformly among the shifts keeping it inside [margin, size - 1 - margin]^2.

    Returns (placed walks, fits): a walk whose extent is larger than the box does not fit (and is left
    unplaced). Ignores NaN vertices.
    """
    low, high = np.fmin.reduce(walks, axis=1), np.fmax.reduce(walks, axis=1)  # [B, 2], NaN ignored
    room = (size - 1 - 2 * margin) - (high - low)
    fits = np.all(room >= 0, axis=1)
    shift = margin - low + rng.uniform(0.0, 1.0, low.shape) * np.maximum(room, 0.0)
    return walks + shift[:, None, :], fits


def _stroke(polylines: np.ndarray, style: PathfinderStyle, dashed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Pixels ``[B, m, 2]`` of polylines ``[B, P, V, 2]`` (P polylines each) and which ones to draw.

    Gap-free strokes draw every segment whole; dashed ones only its first ``style.dash`` pixels. The
    dashed pixels are a subset of the gap-free ones (same sample points, fewer kept).
    """
    starts, ends = polylines[:, :, :-1, :], polylines[:, :, 1:, :]
    finite = np.isfinite(starts[..., 0]) & np.isfinite(ends[..., 0])  # [B, P, S]
    off = ~finite[..., None]
    points = sample_segments(np.where(off, -1e3, starts), np.where(off, -1e3, ends))  # [B, P, S*s, 2]
    samples = points.shape[2] // starts.shape[2]
    keep = np.repeat(finite, samples, axis=2)
    if dashed:
        length = np.linalg.norm(np.nan_to_num(ends - starts), axis=-1)  # [B, P, S]
        along = np.linspace(0.0, 1.0, samples)[None, None, None, :] * length[..., None]
        keep &= (along <= style.dash + 1e-9).reshape(keep.shape)
    b = polylines.shape[0]
    offsets = np.stack(np.mgrid[0 : style.thickness, 0 : style.thickness], -1).reshape(-1, 2)
    m = points.shape[1] * points.shape[2]
    pixels = stamp(pixels_of(points.reshape(b, m, 2)), offsets)
    keep = np.repeat(keep.reshape(b, m), len(offsets), axis=1)
    return pixels, keep


def _dot_pixels(dots: np.ndarray, style: PathfinderStyle) -> np.ndarray:
    """Pixels ``[B, m, 2]`` of the marker discs centred on ``dots`` ``[B, k, 2]``."""
    return stamp(pixels_of(dots), disc_offsets(style.dot_radius))


def _mask(size: int, pixels: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    canvas = np.zeros((pixels.shape[0], size, size), dtype=bool)
    paint(canvas, pixels, True, keep)
    return canvas


def _path_masks(
    paths: np.ndarray, dots: np.ndarray, dot_paths: np.ndarray, style: PathfinderStyle
) -> np.ndarray:
    """Gap-free occupancy ``[B, 2, R, R]`` of each target path together with the dots on it."""
    size = style.resolution
    masks = []
    for p in range(2):
        pixels, keep = _stroke(paths[:, p : p + 1], style, dashed=False)
        mask = _mask(size, pixels, keep)
        for d in range(2):
            on = dot_paths[:, d] == p
            mask[on] |= _mask(size, _dot_pixels(dots[on, d : d + 1], style))
        masks.append(mask)
    return np.stack(masks, axis=1)


def _fitting_walks(rng: np.random.Generator, count: int, style: PathfinderStyle) -> np.ndarray:
    """``count`` target paths placed inside the image (each walk redrawn until it fits)."""
    k, margin = style.dashes, style.dot_radius + style.thickness - 1
    out = np.full((count, k + 1, 2), np.nan)
    pending = np.arange(count)
    for _ in range(_MAX_ROUNDS):
        if len(pending) == 0:
            return out
        placed, fits = _place(rng, _walks(rng, len(pending), k, style, style.step), margin, style.resolution)
        out[pending[fits]] = placed[fits]
        pending = pending[~fits]
    raise ValueError(
        f"a path of {k} dashes {style.step:g} px apart rarely fits a {style.resolution} x {style.resolution} "
        f"image (none in {_MAX_ROUNDS} tries); use a shorter level, a larger resolution or a larger max_turn"
    )


def _dots(paths: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Dot 0 on the start of path 0; dot 1 on the end of path 0 (label 1) or the start of path 1 (label 0)."""
    other = np.where((labels == 1)[:, None], paths[:, 0, -1], paths[:, 1, 0])
    return np.stack([paths[:, 0, 0], other], axis=1)


def _first_paths(rng: np.random.Generator, labels: np.ndarray, style: PathfinderStyle) -> np.ndarray:
    """Path 0 per image, ``[B, dashes + 1, 2]``; a positive's path is redrawn while its two dots touch."""
    out = _fitting_walks(rng, len(labels), style)
    reach = 2 * np.floor(style.dot_radius) + style.separation
    for _ in range(_MAX_ROUNDS):
        ends = np.max(np.abs(pixels_of(out[:, 0]) - pixels_of(out[:, -1])), axis=1)
        touching = np.flatnonzero((labels == 1) & (ends <= reach))
        if len(touching) == 0:
            return out
        out[touching] = _fitting_walks(rng, len(touching), style)
    raise ValueError(
        f"paths of {style.dashes} dashes keep curling back onto their start; use a smaller max_turn"
    )


def _lookup(forbidden: np.ndarray, image: np.ndarray, pixels: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``[N]`` whether any kept pixel ``pixels[j]`` (``[N, m, 2]``) of image ``image[j]`` is forbidden."""
    size = forbidden.shape[1]
    inside = np.clip(pixels, 0, size - 1)
    return np.any(forbidden[image[:, None], inside[..., 0], inside[..., 1]] & keep, axis=1)


def _anchored(
    rng: np.random.Generator,
    walks: np.ndarray,
    anchors: np.ndarray,
    distance: np.ndarray,
    style: PathfinderStyle,
) -> tuple[np.ndarray, np.ndarray]:
    """Walks ``[N, V, 2]`` (at the origin) moved to start ``distance`` from ``anchors``; (walks, fits).

    Of 8 random bearings the first that keeps the whole walk inside the image is used; a walk fits if
    any does.
    """
    margin = style.dot_radius + style.thickness - 1
    low = margin - walks.min(axis=1)  # [N, 2] lowest allowed start
    high = style.resolution - 1 - margin - walks.max(axis=1)  # highest allowed start
    bearing = rng.uniform(0.0, 2 * np.pi, (len(walks), 8))
    start = anchors[:, None, :] + distance[:, None, None] * np.stack([np.sin(bearing), np.cos(bearing)], -1)
    inside = np.all((start >= low[:, None, :]) & (start <= high[:, None, :]), axis=-1)  # [N, 8]
    chosen = start[np.arange(len(walks)), np.argmax(inside, axis=1)]
    return walks + chosen[:, None, :], inside.any(axis=1)


def _targets(
    rng: np.random.Generator, labels: np.ndarray, style: PathfinderStyle
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two separated target paths and the dots per image: (paths, dots, dot_paths).

    Path 0 (with its dots) is drawn first; then batches of candidates for path 1 (with the dot on its
    start, for a negative) are tried against path 0's ``separation``-neighbourhood, the first one clear
    of it kept; path 0 is redrawn every 8 rounds without success. A negative's path 1 starts at a
    distance from dot 0 drawn from the positives' distribution (the two ends of a path 0 drawn for a
    positive), so the distance between the dots carries no information about the label (the distance
    is redrawn only for the rare negative still unplaced after 64 rounds).
    """
    b, k, size = len(labels), style.dashes, style.resolution
    dot_paths = np.stack([np.zeros(b, dtype=np.int64), 1 - labels], axis=1)
    paths = np.full((b, 2, k + 1, 2), np.nan)
    paths[:, 0] = _first_paths(rng, labels, style)
    spans = _first_paths(rng, np.ones(b, dtype=np.int64), style)
    distance = np.linalg.norm(spans[:, -1] - spans[:, 0], axis=1)  # used by negatives only
    disc = disc_offsets(style.dot_radius)
    per_path = (k * (int(np.ceil(2 * style.step)) + 1) * style.thickness**2) + len(disc)
    pending = np.arange(b)
    for attempt in range(_MAX_ROUNDS):
        if len(pending) == 0:
            break
        if attempt % 8 == 0:
            if attempt:
                paths[pending, 0] = _first_paths(rng, labels[pending], style)
            if attempt and attempt % 64 == 0:  # a rare distance no path 1 fits: draw another one
                spans = _first_paths(rng, np.ones(len(pending), dtype=np.int64), style)
                distance[pending] = np.linalg.norm(spans[:, -1] - spans[:, 0], axis=1)
            pixels, keep = _stroke(paths[pending, 0:1], style, dashed=False)
            near = _mask(size, pixels, keep)
            ends = paths[pending, 0][:, [0, -1]]  # path 0's start (dot 0) and end (dot 1 of a positive)
            dot_keep = np.repeat(np.stack([labels[pending] > -1, labels[pending] == 1], 1), len(disc), axis=1)
            near |= _mask(size, _dot_pixels(ends, style), dot_keep)
            near = square_dilate(near, style.separation)
            forbidden = np.zeros((b, size, size), dtype=bool)
            forbidden[pending] = near
        tries = int(np.clip(2**22 // (len(pending) * per_path), 1, 2 ** min(attempt % 8, 7)))
        rows = np.repeat(pending, tries)
        negative = labels[rows] == 0
        cand = _walks(rng, len(rows), k, style, style.step)
        good = np.zeros(len(rows), dtype=bool)
        cand[~negative], good[~negative] = _place(
            rng, cand[~negative], style.dot_radius + style.thickness - 1, size
        )
        cand[negative], good[negative] = _anchored(
            rng, cand[negative], paths[rows[negative], 0, 0], distance[rows[negative]], style
        )
        vertices = pixels_of(cand)  # a cheap first test: the vertices alone
        good[good] = ~_lookup(forbidden, rows[good], vertices[good], np.ones(vertices.shape[1:2], bool))
        pixels, keep = _stroke(cand[good, None], style, dashed=False)
        dot_pixels = _dot_pixels(cand[good, :1], style)
        pixels = np.concatenate([pixels, dot_pixels], axis=1)
        keep = np.concatenate([keep, np.repeat(negative[good, None], dot_pixels.shape[1], axis=1)], axis=1)
        good[good] = ~_lookup(forbidden, rows[good], pixels, keep)
        good = good.reshape(len(pending), tries)
        found = good.any(axis=1)
        first = np.argmax(good, axis=1)
        chosen = cand.reshape(len(pending), tries, k + 1, 2)[np.arange(len(pending)), first]
        paths[pending[found], 1] = chosen[found]
        pending = pending[~found]
    if len(pending):
        raise ValueError(
            f"could not place two separated paths of {k} dashes in a {size} x {size} image in "
            f"{_MAX_ROUNDS} rounds; use a shorter level or a larger resolution"
        )
    return paths, _dots(paths, labels), dot_paths


def _distractors(rng: np.random.Generator, forbidden: np.ndarray, style: PathfinderStyle) -> np.ndarray:
    """Distractor snakes ``[B, D, distractor_dashes + 1, 2]`` clear of ``forbidden`` ``[B, R, R]``.

    Each slot gets a few placement tries; a slot still unplaced after them is left NaN.
    """
    b, k, size = forbidden.shape[0], style.distractor_dashes, style.resolution
    snakes = np.full((b, style.distractors, k + 1, 2), np.nan)
    rows = np.arange(b)
    for slot in range(style.distractors):
        pending = rows
        used = rng.integers(1, k + 1, b)  # dashes in this snake
        for _ in range(_DISTRACTOR_TRIES):
            if len(pending) == 0:
                break
            walks = _walks(rng, len(pending), k, style, style.step)
            walks = _shorten(walks, used[pending], style.dash)
            placed, fits = _place(rng, walks, style.thickness - 1, size)
            pixels, keep = _stroke(placed[:, None], style, dashed=False)
            ok = fits & ~_lookup(forbidden, pending, pixels, keep)
            snakes[pending[ok], slot] = placed[ok]
            pending = pending[~ok]
    return snakes


def render(
    batch: PathfinderBatch,
    dashed: bool = True,
    paths: tuple[int, ...] = (0, 1),
    dots: bool = True,
    distractors: bool = True,
) -> np.ndarray:
    """Draw ``batch``'s geometry again: ``[B, R, R]`` uint8 (strokes at each image's intensity).

    ``dashed=False`` draws gap-free strokes (same sample points; every dashed pixel is also drawn
    gap-free). ``paths`` picks the target paths to draw, ``dots`` and ``distractors`` the rest.
    """
    style, size = batch.style, batch.style.resolution
    canvas = np.zeros((len(batch), size, size), dtype=np.uint8)
    for p in paths:
        if p not in (0, 1):
            raise ValueError(f"paths holds path indices 0 and 1, got {p!r}")
        pixels, keep = _stroke(batch.paths[:, p : p + 1], style, dashed)
        paint(canvas, pixels, batch.intensity, keep)
    if distractors and batch.distractors.shape[1]:
        pixels, keep = _stroke(batch.distractors, style, dashed)
        paint(canvas, pixels, batch.intensity, keep)
    if dots:
        paint(canvas, _dot_pixels(batch.dots, style), batch.intensity)
    return canvas


def _balanced_labels(rng: np.random.Generator, count: int) -> np.ndarray:
    labels = np.arange(count, dtype=np.int64) % 2
    return rng.permutation(labels)


def generate_pathfinder(
    count: int,
    resolution: int = 32,
    level: str = "baseline",
    seed: int = 0,
    intensity: tuple[int, int] = (255, 255),
    chunk: int = 2048,
    stream: int = 0,
    **style_overrides: float,
) -> PathfinderBatch:
    """``count`` Pathfinder images (half positive, half negative; odd counts get one more negative).

    ``resolution`` is 16, 32, 64 or 128; ``level`` one of ``baseline`` (6 dashes), ``contour_length_9``,
    ``contour_length_14`` (or the LRA names / easy, intermediate, hard); ``intensity`` the (low, high)
    range of each image's stroke value (uniform integers; the default draws every stroke at 255).
    ``style_overrides`` replace :class:`PathfinderStyle` fields (e.g. ``distractors=0``). Same arguments,
    same bytes; ``chunk`` only bounds memory (it is part of the stream, so keep it for reproducibility);
    ``stream`` picks an independent stream for the same seed (the dataset's splits use 0, 1, 2).
    """
    parts = list(iter_pathfinder(count, resolution, level, seed, intensity, chunk, stream, **style_overrides))
    names = [f.name for f in dataclasses.fields(PathfinderBatch) if f.name != "style"]
    return PathfinderBatch(parts[0].style, *(np.concatenate([getattr(p, k) for p in parts]) for k in names))


def iter_pathfinder(
    count: int,
    resolution: int = 32,
    level: str = "baseline",
    seed: int = 0,
    intensity: tuple[int, int] = (255, 255),
    chunk: int = 2048,
    stream: int = 0,
    **style_overrides: float,
) -> Iterator[PathfinderBatch]:
    """:func:`generate_pathfinder`'s images as rendered batches of ``chunk`` (the last shorter): the same
    bytes, with memory bounded by one chunk (the streaming builder of large splits)."""
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    low, high = intensity
    if not 1 <= low <= high <= 255:
        raise ValueError(f"intensity must be (low, high) with 1 <= low <= high <= 255, got {intensity!r}")
    style = pathfinder_style(resolution, level, **style_overrides)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x50415448, int(stream)]))
    labels = _balanced_labels(rng, int(count))
    for begin in range(0, int(count), int(chunk)):
        part_labels = labels[begin : begin + int(chunk)]
        paths, dots, dot_paths = _targets(rng, part_labels, style)
        occupied = _path_masks(paths, dots, dot_paths, style).any(axis=1)
        snakes = _distractors(rng, square_dilate(occupied, style.separation), style)
        values = rng.integers(low, high + 1, len(part_labels)).astype(np.uint8)
        batch = PathfinderBatch(
            style, np.zeros(0, np.uint8), part_labels, paths, dots, dot_paths, snakes, values
        )
        yield dataclasses.replace(batch, images=render(batch))
