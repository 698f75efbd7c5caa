"""``asen data build digits|pathfinder``: the image tasks as task folders (``Task.save``).

    asen data build digits --param train_rows=300 --seed 0 --out data/digits300
    asen data build pathfinder --param resolution=32 --param dashes=14 --size 10000 --out data/pf32

Parameters (``--param KEY=INT``): digits ``train_rows`` (stratified subsample of the 60 % training split;
default all), ``features`` (1: add the ``node_features`` column, the default; 0: tokens only);
pathfinder ``resolution`` (16, 32, 64 or 128; default 32), ``dashes`` (path length in dashes: 6, 9 or 14,
the levels baseline / contour_length_9 / contour_length_14; default 6), ``levels`` (token vocabulary;
default 16), ``features``. ``--size`` is pathfinder's example count, split 80 / 10 / 10 (default 10000);
digits has a fixed size. ``--group`` replaces the card's symmetry: a spec (``"grid(8, 8, d4)"``) or a
symmetry entry as JSON (``'{"group": "trivial(64)", "positions": [8, 8]}'``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from asen_fm.tasks import Task

__all__ = ["IMAGE_BUILDERS", "build_image_task", "pathfinder_sizes"]

_DASHES = {6: "baseline", 9: "contour_length_9", 14: "contour_length_14"}


def pathfinder_sizes(size: int) -> dict[str, int]:
    """``size`` examples split 80 / 10 / 10 (validation and test rounded down, train the rest)."""
    if size < 3:
        raise ValueError(f"--size must be at least 3 (one row per split), got {size}")
    held = max(1, size // 10)
    return {"train": size - 2 * held, "validation": held, "test": held}


def _check_params(task: str, params: Mapping[str, int], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"{task} takes parameter(s) {', '.join(allowed)}; unknown: {', '.join(unknown)}")
    if "features" in params and params["features"] not in (0, 1):
        raise ValueError(f"features must be 0 or 1, got {params['features']}")


def _digits(params: Mapping[str, int], seed: int, size: int | None) -> Task:
    from asen_fm.domains.images.digits import digits_task

    _check_params("digits", params, ("train_rows", "features"))
    if size is not None:
        raise ValueError("digits has a fixed size (1,797 images); use --param train_rows=K to subsample")
    data, card = digits_task(
        seed=seed, train_rows=params.get("train_rows"), node_features=bool(params.get("features", 1))
    )
    return Task.from_card(data, card)


def _pathfinder(params: Mapping[str, int], seed: int, size: int | None) -> Task:
    from asen_fm.domains.images.pathfinder_task import pathfinder_task

    _check_params("pathfinder", params, ("resolution", "dashes", "levels", "features"))
    dashes = params.get("dashes", 6)
    if dashes not in _DASHES:
        raise ValueError(f"dashes must be one of {', '.join(map(str, _DASHES))}, got {dashes}")
    data, card = pathfinder_task(
        resolution=params.get("resolution", 32),
        level=_DASHES[dashes],
        sizes=pathfinder_sizes(10000 if size is None else size),
        seed=seed,
        levels=params.get("levels", 16),
        node_features=bool(params.get("features", 1)),
    )
    return Task.from_card(data, card)


IMAGE_BUILDERS: dict[str, Callable[[Mapping[str, int], int, int | None], Task]] = {
    "digits": _digits,
    "pathfinder": _pathfinder,
}


def build_image_task(
    name: str, params: Mapping[str, int], seed: int = 0, size: int | None = None, group: Any = None
) -> Task:
    """The task ``name`` (digits | pathfinder) with these parameters, its group replaced by ``group``."""
    task = IMAGE_BUILDERS[name](dict(params), int(seed), size)
    if isinstance(group, str) and group.lstrip().startswith("{"):  # an entry with options, as JSON text
        group = json.loads(group)
    return task if group is None else task.with_group(group)
