"""``asen orbits SPEC [--plot FILE.png]``: a group's orbit coloring summary and 2-closure check."""

from __future__ import annotations

import argparse
import sys
import time

from asen_fm.configuration_asen import format_order
from asen_fm.symmetry import PermGroup, node_orbits, pair_orbits
from asen_fm.symmetry.cache import cached_order, cached_two_closure

CLOSURE_MAX_N = 256


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``orbits`` subcommand."""
    parser = subparsers.add_parser(
        "orbits",
        help="orbit coloring (A^(1), A^(2)) and 2-closure of a permutation group",
        description="Print n, |G|, node and pair orbit counts and whether G is 2-closed.",
    )
    parser.add_argument("spec", help='group spec, e.g. "dihedral(8)", "swap_halves(10)", "grid(8, 8, torus)"')
    parser.add_argument("--plot", metavar="FILE.png", help="save the A^(1) strip and A^(2) heatmap here")
    parser.add_argument(
        "--closure-max-n",
        type=int,
        default=CLOSURE_MAX_N,
        metavar="N",
        help=f"compute the 2-closure only up to this degree (default {CLOSURE_MAX_N})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        group = PermGroup.parse(args.spec)
    except (ValueError, KeyError) as err:
        print(f"asen orbits: error: {err}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    a1, a2 = node_orbits(group), pair_orbits(group)
    orbit_seconds = time.perf_counter() - start
    rows = [
        ("group", str(group)),
        ("n", str(group.n)),
        ("|G|", format_order(cached_order(group))),
        ("node orbits", str(int(a1.max()) + 1)),
        ("pair orbits", str(int(a2.max()) + 1)),
    ]
    if group.n <= args.closure_max_n:
        start = time.perf_counter()
        result = cached_two_closure(group)
        closure_seconds = time.perf_counter() - start
        if result.is_two_closed:
            verdict = "2-closed (G^(2) = G)"
        else:
            verdict = (
                f"NOT 2-closed: |G^(2)| = {format_order(result.closure_order)} = "
                f"{format_order(result.index)} x |G|"
            )
        rows += [
            ("2-closure", verdict),
            ("time", f"orbits {orbit_seconds:.3f} s, 2-closure {closure_seconds:.3f} s"),
        ]
    else:
        rows += [
            ("2-closure", f"not computed (n > {args.closure_max_n}; raise --closure-max-n)"),
            ("time", f"orbits {orbit_seconds:.3f} s"),
        ]
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    if args.plot:
        from asen_fm.symmetry.plot import plot_orbit_coloring

        try:
            saved = plot_orbit_coloring(group, args.plot)
        except ValueError as err:
            print(f"asen orbits: error: {err}", file=sys.stderr)
            return 2
        print(f"{'plot':<{width}}  {saved}")
    return 0
