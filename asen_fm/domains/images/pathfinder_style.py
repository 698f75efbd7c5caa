"""Pathfinder's geometry per resolution and difficulty level (all lengths in pixels).

Levels follow Linsley et al. (2018), whose target contours are 6, 9 or 14 dashes ("paddles") long; the
Long Range Arena release names them ``curv_baseline`` (easy), ``curv_contour_length_9`` (intermediate)
and ``curv_contour_length_14`` (hard; the level LRA's Pathfinder-32 and Path-X numbers are usually
reported on). Here they are ``baseline``, ``contour_length_9`` and ``contour_length_14`` (the LRA names and
easy / intermediate / hard are accepted too).

A dash is ``dash`` long and followed by a ``gap`` before the next one, so a target path spans about
``dashes * (dash + gap)`` pixels: 0.47, 0.70 and 1.09 image widths at the three levels from 32 x 32 up,
0.56, 0.84 and 1.31 at 16 x 16. Consecutive dashes turn by at most 45 degrees.

16 x 16 is the miniature for CPU-sized experiments, and there the strokes are gap-free (a 1-pixel dash
and a half-pixel gap round to touching pixels) and there are no distractor snakes: with single-pixel
dashes, 1-pixel gaps and two distractors (the style until issue 23) a small CNN and the ASEN transformers
all stayed at chance after 2,000 steps on 8,000 training images, and with distractors but gap-free strokes
the CNNs still did; without distractors the CNN reaches 0.97 (RESULTS.md, the images section). The label
is still connectivity: the dots are on one path iff a flood fill joins them, and every image holds two
paths of equal length, so the ink count says nothing. Separate objects (the two
paths with their dots, a path and a distractor) keep at least ``separation = ceil(gap)`` empty pixels
between them, more than the widest gap inside a dashed path (``ceil(gap) - 1`` empty pixels, since
rounding moves a point by at most half a pixel per axis), so the label is a function of the image: the
dots are on one path iff they are connected once gaps of up to ``ceil(gap) - 1`` pixels are bridged.

Speed (one shared core, ``generate_pathfinder``): about 15k images/s at 32 x 32 for ``baseline`` and
``contour_length_9``, about 1k/s for ``contour_length_14`` (two 35-pixel paths in a 32 x 32 image often
come too close and are redrawn). 16 x 16 stops at ``contour_length_9``: two separated 21-pixel paths
almost never fit, so ``contour_length_14`` is refused there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import ceil, pi
from typing import Any

__all__ = ["LEVELS", "RESOLUTIONS", "PathfinderStyle", "level_name", "pathfinder_style"]

LEVELS: dict[str, int] = {"baseline": 6, "contour_length_9": 9, "contour_length_14": 14}
_ALIASES = {
    "curv_baseline": "baseline",
    "curv_contour_length_9": "contour_length_9",
    "curv_contour_length_14": "contour_length_14",
    "easy": "baseline",
    "intermediate": "contour_length_9",
    "hard": "contour_length_14",
}
# resolution -> (dash, gap, dot radius, stroke thickness, distractor snakes per image)
_SCALE: dict[int, tuple[float, float, float, int, int]] = {
    16: (1.0, 0.5, 1.0, 1, 0),
    32: (1.25, 1.25, 1.5, 1, 6),
    64: (2.75, 2.25, 2.5, 1, 12),
    128: (5.5, 4.5, 4.0, 2, 20),
}
RESOLUTIONS: tuple[int, ...] = tuple(_SCALE)
_TOO_LONG = {(16, "contour_length_14")}  # refused unless the geometry is overridden


@dataclass(frozen=True)
class PathfinderStyle:
    """Everything the generator needs besides the seed (lengths in pixels, angles in radians)."""

    resolution: int
    level: str
    dashes: int  # dashes per target path
    dash: float  # drawn length of one dash
    gap: float  # empty length after a dash
    max_turn: float  # largest direction change between consecutive dashes
    dot_radius: float  # marker disc radius
    thickness: int  # stroke width (a thickness x thickness square stamped at each point)
    separation: int  # empty pixels at least between two separate objects
    distractors: int  # distractor snakes tried per image
    distractor_dashes: int  # longest distractor snake (1 .. this many dashes, uniformly)

    @property
    def step(self) -> float:
        """Distance from one dash's start to the next one's."""
        return self.dash + self.gap

    def to_dict(self) -> dict[str, Any]:
        """JSON-plain fields, for a task card."""
        return asdict(self)


def level_name(level: str) -> str:
    """The canonical name of ``level`` (given as such, as an LRA directory name, or easy / hard ...)."""
    name = _ALIASES.get(level, level)
    if name not in LEVELS:
        known = ", ".join([*LEVELS, *_ALIASES])
        raise ValueError(f"unknown Pathfinder level {level!r}; known levels: {known}")
    return name


def pathfinder_style(resolution: int, level: str = "baseline", **overrides: Any) -> PathfinderStyle:
    """The style for ``resolution`` (16, 32, 64 or 128) and ``level``; ``overrides`` replace fields."""
    if isinstance(resolution, bool) or resolution not in _SCALE:
        raise ValueError(f"resolution must be one of {list(RESOLUTIONS)}, got {resolution!r}")
    name = level_name(level)
    dash, gap, radius, thickness, distractors = _SCALE[resolution]
    fields: dict[str, Any] = {
        "resolution": resolution,
        "level": name,
        "dashes": LEVELS[name],
        "dash": dash,
        "gap": gap,
        "max_turn": pi / 4,
        "dot_radius": radius,
        "thickness": thickness,
        "separation": ceil(gap),
        "distractors": distractors,
        "distractor_dashes": 3,
    }
    allowed = sorted(set(fields) - {"resolution", "level"})
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        raise ValueError(f"cannot override {unknown}; overridable style fields: {allowed}")
    if (resolution, name) in _TOO_LONG and not {"dashes", "dash", "gap", "separation"} & set(overrides):
        raise ValueError(
            f"level {name!r} is too long for {resolution} x {resolution} images (two separated paths of "
            f"{LEVELS[name]} dashes almost never fit); use baseline or contour_length_9 there"
        )
    fields.update(overrides)
    style = PathfinderStyle(**fields)
    _check(style)
    return style


def _check(style: PathfinderStyle) -> None:
    positive = {"dash": style.dash, "gap": style.gap, "dot_radius": style.dot_radius}
    for name, value in positive.items():
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value}")
    for name in ("dashes", "thickness", "separation", "distractor_dashes"):
        if int(getattr(style, name)) < 1:
            raise ValueError(f"{name} must be >= 1, got {getattr(style, name)}")
    if style.distractors < 0:
        raise ValueError(f"distractors must be >= 0, got {style.distractors}")
    if not 0 <= style.max_turn <= pi:
        raise ValueError(f"max_turn must be in [0, pi], got {style.max_turn}")
