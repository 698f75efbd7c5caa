"""``BUILDERS``: every task ``asen data build`` can write, with what ``asen data list`` shows about it.

One entry per builder name: its domain, input kind, default n and group, whether it reads real data files
(``--source DIR``), a one-line description, and the function that builds it from the parsed command line.
The ten sequence tasks come from :data:`asen_fm.tasks.TASKS`; the pose, traffic and image builders from
their domains. ``asen data build`` dispatches through this table and ``asen data list`` prints it, so a
builder is listed exactly when it can be built.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from asen_fm.domains.images.build import build_image_task
from asen_fm.domains.pose import cli as pose_cli
from asen_fm.domains.traffic import commands as traffic
from asen_fm.tasks import TASKS, Task, load_task

__all__ = ["BUILDERS", "TaskBuilder", "builder_for", "listing"]

# data.py's flags that only the pose and traffic builders take (None = not given)
_GRAPH_FLAGS = ("source", "framework", "pairs", "frame_stride", "train_size", "test_size", "noise_px")


@dataclass(frozen=True)
class TaskBuilder:
    """One buildable task: the facts ``asen data list`` prints and the function ``asen data build`` runs."""

    name: str
    domain: str  # sequences | pose | traffic | images
    inputs: str  # tokens | node features | tokens + node features
    n: int  # the default number of nodes (what --n, --param resolution or the source files change)
    group: str  # the default group, as a spec
    description: str
    build: Callable[[argparse.Namespace], int]
    needs_source: bool = False  # reads real data files: --source DIR


def _fail(message: str) -> int:
    print(f"asen data build: {message}", file=sys.stderr)
    return 2


def _save_built(args: argparse.Namespace, make: Callable[[], Task]) -> int:
    """Refuse the pose/traffic-only flags, build the task with ``make()`` and save it to ``args.out``."""
    for flag in _GRAPH_FLAGS:
        if getattr(args, flag, None) is not None:
            return _fail(f"--{flag} applies to the pose and traffic tasks, not {args.task}")
    try:
        task = make()
        task.save(args.out)
    except (KeyError, ValueError) as err:
        return _fail(str(err.args[0] if err.args else err))
    counts = ", ".join(f"{split} {len(rows)}" for split, rows in task.data.items())
    print(f"wrote {args.task} ({counts}) to {args.out}")
    return 0


def _build_sequence_task(args: argparse.Namespace) -> int:
    """A sequence task from ``asen_fm.tasks`` (``--n``, ``--size``, ``--param``, ``--group``)."""
    return _save_built(
        args,
        lambda: load_task(
            args.task,
            n=args.n,
            size=args.size,
            seed=args.seed,
            group=args.group,
            max_n=getattr(args, "max_n", None),
            **dict(args.param),
        ),
    )


def _build_image_task(args: argparse.Namespace) -> int:
    """digits / pathfinder (``--param``, ``--size``, ``--group``; n is fixed by the images)."""

    def make() -> Task:
        if args.n is not None:
            raise ValueError(f"{args.task} has a fixed n; --n is not accepted")
        return build_image_task(args.task, dict(args.param), args.seed, args.size, args.group)

    return _save_built(args, make)


def _sequence_builders() -> list[TaskBuilder]:
    return [
        TaskBuilder(
            name=name,
            domain="sequences",
            inputs="tokens",
            n=spec.default_n,
            group=spec.group_spec(spec.default_n, **spec.resolve_params()),
            description=spec.description,
            build=_build_sequence_task,
        )
        for name, spec in TASKS.items()
    ]


_DOMAIN_BUILDERS = [
    TaskBuilder(
        "pose-synthetic", "pose", "node features", 16, "trivial(16)",
        pose_cli.BUILDERS["pose-synthetic"], pose_cli.run,
    ),
    TaskBuilder(
        "h36m", "pose", "node features", 16, "trivial(16)", pose_cli.BUILDERS["h36m"], pose_cli.run,
        needs_source=True,
    ),
    TaskBuilder(
        "metr-la", "traffic", "node features", 207, "symmetric(207)",
        "METR-LA speed forecasting from DCRNN's metr-la.h5 + adj_mx.pkl", traffic.run_build,
        needs_source=True,
    ),
    TaskBuilder(
        "pems-bay", "traffic", "node features", 325, "symmetric(325)",
        "PEMS-BAY speed forecasting from DCRNN's pems-bay.h5 + adj_mx_bay.pkl", traffic.run_build,
        needs_source=True,
    ),
    TaskBuilder(
        "traffic-synthetic", "traffic", "node features", 207, "symmetric(207)",
        "synthetic road network speed forecasting (a stand-in for METR-LA; --n sensors)", traffic.run_build,
    ),
    TaskBuilder(
        "digits", "images", "tokens + node features", 64, "trivial(64)",
        "the 8 x 8 handwritten digits (scikit-learn's bundled copy), 10 classes", _build_image_task,
    ),
    TaskBuilder(
        "pathfinder", "images", "tokens + node features", 32 * 32, "grid(32, 32, d4)",
        "Pathfinder: are the two dots joined by a dashed path? (--param resolution, dashes)",
        _build_image_task,
    ),
]  # fmt: skip


class _BuilderTable(dict[str, TaskBuilder]):
    """A dict of builders whose missing-key error names every known one."""

    def __missing__(self, key: str) -> TaskBuilder:
        raise KeyError(f"unknown task {key!r}; known tasks: {', '.join(self)}")


BUILDERS: dict[str, TaskBuilder] = _BuilderTable(
    (builder.name, builder) for builder in [*_sequence_builders(), *_DOMAIN_BUILDERS]
)


def builder_for(name: str) -> TaskBuilder:
    """The builder called ``name``; KeyError naming every known one otherwise."""
    return BUILDERS[name]


def listing() -> list[str]:
    """``asen data list``: a header and one line per builder."""
    rows = [("task", "domain", "inputs", "n", "group", "description")]
    for b in BUILDERS.values():
        note = "[needs --source] " if b.needs_source else ""
        rows.append((b.name, b.domain, b.inputs, str(b.n), b.group, note + b.description))
    widths = [max(len(row[k]) for row in rows) for k in range(5)]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths, strict=True)) + "  " + row[5]
        for row in rows
    ]
