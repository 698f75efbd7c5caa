"""``asen data build pose-synthetic | h36m``: the pose builders as task folders (registered by data.py).

    asen data build pose-synthetic --out data/pose [--seed 0 --train_size 20000 --test_size 5000
                                   --validation_size N --noise_px 2 --group NAME --framework F --pairs P]
    asen data build h36m --source DIR --out data/h36m [--frame_stride 5 --group NAME --framework F --pairs P]

``--group``: trivial (default), skeleton16_flip, skeleton16_limbs, skeleton16_pairs or any spec / JSON
group on 16 points; ``--framework``: full (default), sparse, weakly_sparse; ``--pairs``: orbits (default:
G's pair orbits in every cell, as in the paper) or default (the model's own choice). A flag that does not
fit the builder, or a bad value, is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["BUILDERS", "add_arguments", "run"]

BUILDERS: dict[str, str] = {
    "pose-synthetic": "synthetic 16-joint skeleton, 2-D -> 3-D lifting (a stand-in for Human3.6M)",
    "h36m": "Human3.6M from VideoPose3D's data_3d_h36m.npz + data_2d_h36m_gt.npz (--source DIR)",
}
# flag -> the builders it belongs to (None default = not given)
_OWN_FLAGS: dict[str, tuple[str, ...]] = {
    "source": ("h36m",),
    "frame_stride": ("h36m",),
    "train_size": ("pose-synthetic",),
    "validation_size": ("pose-synthetic",),
    "test_size": ("pose-synthetic",),
    "noise_px": ("pose-synthetic",),
    "framework": ("pose-synthetic", "h36m"),
    "pairs": ("pose-synthetic", "h36m"),
}
# data.py's generic flags that no pose builder takes, and their "not given" values
_GENERIC_FLAGS: dict[str, Any] = {"n": None, "size": None, "param": []}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The pose builders' flags, as an argument group of ``asen data build``."""
    pose = parser.add_argument_group("pose builders (task pose-synthetic or h36m)")
    pose.add_argument(
        "--frame_stride", "--frame-stride", type=int, default=None, help="h36m: keep every k-th frame (1)"
    )
    for flag, text in (
        ("train_size", "training examples (20000)"),
        ("validation_size", "validation examples (10 %% of train)"),
        ("test_size", "test examples (5000)"),
    ):
        pose.add_argument(
            f"--{flag}", f"--{flag.replace('_', '-')}", type=int, default=None, help=f"pose-synthetic: {text}"
        )
    pose.add_argument(
        "--noise_px", "--noise-px", type=float, default=None, help="pose-synthetic: 2-D noise std, pixels (2)"
    )


def _fail(message: str) -> int:
    print(f"asen data build: {message}", file=sys.stderr)
    raise SystemExit(2)


def _check_flags(args: argparse.Namespace) -> None:
    for flag, builders in _OWN_FLAGS.items():
        if getattr(args, flag, None) is not None and args.task not in builders:
            _fail(f"--{flag} is for {' / '.join(builders)}, not {args.task}")
    for flag, unset in _GENERIC_FLAGS.items():
        if getattr(args, flag, unset) != unset:
            hint = " (use --train_size / --test_size)" if flag == "size" else ""
            _fail(f"--{flag} does not apply to {args.task}{hint}")


def run(args: argparse.Namespace) -> int:
    """Build ``args.task`` (pose-synthetic or h36m) and save it as a task folder in ``args.out``."""
    from asen_fm.domains.pose.card import pose_task

    _check_flags(args)
    pairs = {None: "orbits", "orbits": "orbits", "none": "none", "auto": None}.get(args.pairs, "bad")
    if pairs == "bad":
        _fail(f"--pairs must be orbits, none or auto, got {args.pairs!r}")
    common = {"group": args.group, "framework": args.framework or "full", "pairs": pairs}
    try:
        from asen_fm.domains.pose.card import resolve_group, symmetry_entry

        symmetry_entry(resolve_group(args.group), common["framework"], pairs)  # bad values before the data
        if args.task == "h36m":
            from asen_fm.domains.pose.h36m import build_h36m

            if not args.source:
                _fail("h36m needs --source DIR (the folder of data_3d_h36m.npz and data_2d_h36m_gt.npz)")
            stride = 1 if args.frame_stride is None else args.frame_stride
            data, card = build_h36m(args.source, frame_stride=stride, **common)
        else:
            from asen_fm.domains.pose.synthetic import build_synthetic_pose

            sizes = {
                key: getattr(args, key)
                for key in ("train_size", "test_size", "validation_size")
                if getattr(args, key) is not None
            }
            noise = {} if args.noise_px is None else {"noise_px": args.noise_px}
            data, card = build_synthetic_pose(seed=args.seed, **sizes, **noise, **common)
        task = pose_task(data, card)
        task.save(args.out)
    except (KeyError, ValueError) as err:
        _fail(str(err.args[0] if err.args else err).splitlines()[0])
    counts = ", ".join(f"{split} {len(rows)}" for split, rows in task.data.items())
    print(f"wrote {args.task} ({counts}; {task.group}, {card['symmetry']['framework']}) to {args.out}")
    return 0
