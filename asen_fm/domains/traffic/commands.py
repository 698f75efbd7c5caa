"""``asen data build metr-la | pems-bay | traffic-synthetic``: the traffic tasks as task folders.

    asen data build metr-la --source data/METR-LA --out data/metr-la          # DCRNN's files -> task
    asen data build pems-bay --source data/PEMS-BAY --out data/pems-bay
    asen data build traffic-synthetic --out data/traffic --days 21 --seed 0 --clusters 9 --framework sparse

``asen_fm.commands.data`` registers these with :func:`add_build_arguments` and :func:`run_build`.
A bad flag or input is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from asen_fm.domains.traffic.task import TRAFFIC_TASKS

__all__ = ["TRAFFIC_TASKS", "add_build_arguments", "run_build"]


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    """The traffic builders' flags on ``asen data build`` (``--seed``, ``--n``, ``--size``, ``--group``
    are shared with the other tasks: network seed, sensor count, examples kept, group spec)."""
    traffic = parser.add_argument_group("traffic tasks (metr-la, pems-bay, traffic-synthetic)")
    traffic.add_argument("--days", type=int, default=21, help="days of the synthetic network (default: 21)")
    traffic.add_argument(
        "--clusters",
        default=None,
        help="cluster group: a cluster file (.json/.npy/.csv) or '2' / '9' (synthetic)",
    )
    traffic.add_argument("--stride", type=int, default=1, help="keep every k-th window (default: 1)")


def _fail(message: str) -> SystemExit:
    print(f"asen data build: {message}", file=sys.stderr)
    return SystemExit(2)


def run_build(args: argparse.Namespace) -> int:
    """Build the traffic task ``args.task`` and save it to ``args.out``."""
    from asen_fm.domains.traffic.task import traffic_task

    synthetic = TRAFFIC_TASKS[args.task] == "synthetic"
    if synthetic and args.source is not None:
        raise _fail(f"{args.task} is generated; it takes no --source")
    if not synthetic and args.source is None:
        raise _fail(f"{args.task} needs --source DIR (the folder of metr-la.h5 / adj_mx.pkl)")
    if args.days < 1 or args.stride < 1:
        raise _fail(f"--days and --stride must be >= 1, got {args.days} and {args.stride}")
    args.framework = args.framework or "full"
    if args.framework not in ("full", "sparse", "weakly_sparse"):
        raise _fail(f"--framework must be full, sparse or weakly_sparse, got {args.framework!r}")
    if args.pairs not in (None, "auto", "orbits", "none"):
        raise _fail(f"--pairs must be orbits, none or auto, got {args.pairs!r}")
    args.pairs = None if args.pairs == "auto" else args.pairs
    if args.param:
        raise _fail(f"{args.task} takes no --param")
    options: dict[str, Any] = {
        "source": args.source,
        "group": args.group,
        "clusters": args.clusters,
        "framework": args.framework,
        "pairs": args.pairs,
        "stride": args.stride,
        "max_examples": args.size,
    }
    if synthetic:
        options.update(days=args.days, seed=args.seed, num_sensors=args.n or 207)
    try:
        task = traffic_task(args.task, **options)
        task.save(args.out)
    except (KeyError, ValueError, ImportError) as err:
        raise _fail(str(err.args[0] if err.args else err).splitlines()[0]) from None
    counts = ", ".join(f"{split} {len(rows)}" for split, rows in task.data.items())
    entry, group = task.symmetry, str(task.group)
    group = group if len(group) <= 60 else group[:57] + "..."
    print(
        f"wrote {args.task} ({task.n} sensors; {counts}; group {group}, "
        f"{entry['framework']} framework, pairs {entry['pairs']}) to {args.out}"
    )
    return 0
