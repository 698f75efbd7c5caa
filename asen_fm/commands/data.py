"""``asen data build|show|list``: write a built-in task as a task folder, or print examples and its group."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from asen_fm.commands.builders import builder_for, listing
from asen_fm.domains.pose import cli as pose_cli
from asen_fm.domains.traffic import commands as traffic
from asen_fm.tasks import TASKS, Task, task_group
from asen_fm.tasks.dataset import parse_lengths, task_rng


def _param(text: str) -> tuple[str, int]:
    """Parse one ``KEY=INT`` task parameter."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"task parameter must look like KEY=INT, got {text!r}")
    try:
        return key, int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"task parameter {key!r} needs an integer value, got {value!r}"
        ) from None


def _lengths(text: str) -> int | tuple[int, int]:
    """``--n``: one length (10) or a range of lengths (6-14)."""
    try:
        return parse_lengths(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_task_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("task", help="task name (see `asen data list`); `show` also takes a task folder")
    parser.add_argument(
        "--n",
        type=_lengths,
        default=None,
        help="sequence length, or a range such as 6-14 (build only: rows of mixed lengths under the task's "
        "family, e.g. reversal(*)); default: the task's",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--group", default=None, help='group spec to attach instead of the task\'s ("trivial", ...)'
    )
    parser.add_argument(
        "--param",
        type=_param,
        action="append",
        default=[],
        metavar="KEY=INT",
        help="task parameter, e.g. k=4",
    )


def register(subparsers: Any) -> None:
    """Add the ``data`` command and its ``build``, ``show`` and ``list`` subcommands."""
    parser = subparsers.add_parser("data", help="built-in symmetry tasks as task folders (Task.load)")
    commands = parser.add_subparsers(dest="data_command", required=True)

    build = commands.add_parser("build", help="generate a task and save it as a task folder (data + card)")
    _add_task_arguments(build)
    build.add_argument("--size", type=int, default=None, help="number of examples (default: the task's)")
    build.add_argument(
        "--out", required=True, help="output task folder (Task.save: DatasetDict + task_card.json)"
    )
    build.add_argument(
        "--max_n",
        type=int,
        default=None,
        help="with a range --n: the family's bound, the longest length a model of it will accept "
        "(default: 512)",
    )
    domains = build.add_argument_group("domain tasks (pose, traffic, images)")
    domains.add_argument(
        "--source", default=None, help="folder of the real data files (h36m, metr-la, pems-bay)"
    )
    domains.add_argument(
        "--framework",
        default=None,
        help="edge framework of the graph: full (default) | sparse | weakly_sparse",
    )
    domains.add_argument(
        "--pairs",
        default=None,
        help="orbits (pair-orbit table) | none (node-only breaking) | auto (the model's default); "
        "default: orbits for pose (the paper's A^(2) in every cell), auto for traffic",
    )
    pose_cli.add_arguments(build)  # pose-synthetic / h36m
    traffic.add_build_arguments(build)  # metr-la, pems-bay, traffic-synthetic
    build.set_defaults(func=run_build)

    show = commands.add_parser("show", help="print a few examples, the group and its orbit counts")
    _add_task_arguments(show)
    show.add_argument("--examples", type=int, default=5, help="how many examples to print (default: 5)")
    show.set_defaults(func=run_show)

    commands.add_parser("list", help="list every task `build` can write").set_defaults(func=run_list)


def run_build(args: argparse.Namespace) -> int:
    """Build ``args.task`` with its registered builder and write it to ``args.out``."""
    try:
        builder = builder_for(args.task)
    except KeyError as err:
        raise SystemExit(f"asen data build: {err.args[0]}") from None
    if builder.domain != "sequences" and (isinstance(args.n, tuple) or args.max_n is not None):
        flag = "--max_n" if args.max_n is not None else f"--n {args.n[0]}-{args.n[1]}"
        raise SystemExit(
            f"asen data build: {flag} (rows of mixed lengths) is for the sequence tasks, not {args.task}"
        )
    return builder.build(args)


def run_show(args: argparse.Namespace) -> int:
    """Print the task, its group with orbit counts, and ``args.examples`` labelled examples."""
    from asen_fm.symmetry import node_orbits, pair_orbits

    if args.task not in TASKS and Path(args.task).is_dir():
        return show_folder(args)
    try:
        spec = TASKS[args.task]
        n = spec.default_n if args.n is None else args.n
        if isinstance(n, tuple):
            raise ValueError(f"--n {n[0]}-{n[1]}: show takes one length (build writes a range)")
        params = spec.resolve_params(**dict(args.param))
        spec.check_n(n, **params)
        if args.examples < 1:
            raise ValueError(f"--examples must be >= 1, got {args.examples}")
        group = task_group(args.task, n, args.group, **params)
        data = spec.generate(n, args.examples, task_rng(args.task, args.seed), **params)
    except (KeyError, ValueError) as err:
        raise SystemExit(f"asen data show: {err.args[0] if err.args else err}") from None

    shown = ", ".join(f"{k}={v}" for k, v in params.items()) or "none"
    print(f"task:    {spec.name} ({spec.head} head, {spec.problem_type}) - {spec.description}")
    print(f"n:       {n}   params: {shown}   vocab_size: {spec.vocab_size_for(n, **params)}")
    print(f"group:   {group}   order {group.order()}")
    node_count = int(node_orbits(group).max()) + 1
    pair_count = int(pair_orbits(group).max()) + 1
    print(f"orbits:  {node_count} on positions, {pair_count} on pairs of positions")
    for ids, labels in zip(data["input_ids"], data["labels"], strict=True):
        target = " ".join(str(v) for v in labels.tolist()) if spec.head == "token" else f"{labels.item():g}"
        print(f"  {spec.render(ids):<30}  ->  {target}")
    return 0


def show_folder(args: argparse.Namespace) -> int:
    """Load and check a task folder; print its card, group, split sizes and a few rows."""
    try:
        task = Task.load(args.task)
        if args.examples < 1:
            raise ValueError(f"--examples must be >= 1, got {args.examples}")
    except (KeyError, ValueError) as err:
        raise SystemExit(f"asen data show: {err.args[0] if err.args else err}") from None
    graph = task.symmetry if isinstance(task.symmetry, dict) and "edges" in task.symmetry else None
    print(
        f"task:    {task.name} ({task.head} head, {task.problem_type}, loss {task.loss}) - {task.description}"
    )
    family = task.family
    if family is not None:
        column = "input_ids" if task.vocab_size else "node_features"
        lengths = sorted({len(row) for split in task.data.values() for row in split[column]})
        print(f"n:       {lengths[0]}..{lengths[-1]} (mixed)   vocab_size: {task.vocab_size}   "
              f"input_dim: {task.input_dim}")  # fmt: skip
        print(f"group:   {family} (a family: G_n at each length n <= {family.max_n})")
    else:
        group = task.group
        print(f"n:       {task.n}   vocab_size: {task.vocab_size}   input_dim: {task.input_dim}")
        print(f"group:   {group}   order {group.order()}")
    if graph is not None:
        print(f"graph:   {len(graph['edges'])} edges, framework {graph.get('framework', 'full')}")
    print(f"metrics: {', '.join(task.metrics)}")
    print("splits:  " + ", ".join(f"{split} {len(rows)}" for split, rows in task.data.items()))
    for row in task.data["train"].select(range(min(args.examples, len(task.data["train"])))):
        shown = {key: value for key, value in row.items() if key in ("input_ids", "labels")}
        print(f"  {shown}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print every registered builder: domain, input kind, default n and group, description."""
    print("\n".join(listing()))
    return 0
