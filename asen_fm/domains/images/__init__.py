"""Image tasks as node sets (pixel (r, c) = node r * w + c): Pathfinder (own generator) and 8 x 8 digits.

Each ``*_task`` function returns ``(datasets.DatasetDict, card)``: image-shaped ``input_ids`` [h, w],
``node_features`` [h, w, 1] and ``labels``, plus a JSON-plain card (symmetry, head, num_labels, ...).
"""

from asen_fm.domains.images.common import image_card, image_split, quantise
from asen_fm.domains.images.digits import DIGITS_VOCAB, digits_task, load_digits_arrays, stratified_split
from asen_fm.domains.images.pathfinder import PathfinderBatch, generate_pathfinder, render
from asen_fm.domains.images.pathfinder_style import LEVELS, RESOLUTIONS, PathfinderStyle, pathfinder_style
from asen_fm.domains.images.pathfinder_task import pathfinder_task
from asen_fm.domains.images.plot import plot_examples

__all__ = [
    "DIGITS_VOCAB",
    "LEVELS",
    "RESOLUTIONS",
    "PathfinderBatch",
    "PathfinderStyle",
    "digits_task",
    "generate_pathfinder",
    "image_card",
    "image_split",
    "load_digits_arrays",
    "pathfinder_style",
    "pathfinder_task",
    "plot_examples",
    "quantise",
    "render",
    "stratified_split",
]
