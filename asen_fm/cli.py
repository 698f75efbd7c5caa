"""The ``asen`` command: a thin dispatcher over the library's subcommands."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each module in asen_fm.commands exposes ``register(subparsers)``; the parser it adds sets ``func``.
COMMANDS = ("orbits", "data", "demo", "select")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="asen", description="Any-Subgroup Equivariant transformers.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"asen_fm.commands.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"asen_fm.commands.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SystemExit as exit_:  # a command refusing its input: one line on stderr, exit status 2
        if isinstance(exit_.code, str):
            print(exit_.code, file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    raise SystemExit(main())
