"""Single-seed probes (one change each, not table cells): chosen by name, printed as markdown rows."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any


def curve_text(evaluations: Iterable[dict[str, Any]]) -> str:
    """``step:accuracy`` pairs of a validation curve, in order."""
    return " ".join(f"{e['step']}:{e['accuracy']:.3f}" for e in evaluations)


def commit_text(code: dict[str, Any]) -> str:
    """A run's short commit, ``+dirty`` when its package source differed from that commit."""
    return str(code.get("git_commit") or "?")[:7] + ("+dirty" if code.get("git_dirty") else "")


def run_probes(
    argv: Sequence[str],
    known: Iterable[str],
    setup: Callable[[], Any],
    probe: Callable[[Any, str], dict[str, Any]],
) -> int:
    """Train (or read back) the probes named in ``argv`` (all of ``known`` when none) and print their rows.

    An unknown name is one line on stderr and exit status 2, before ``setup`` (the experiment) is built."""
    names = list(known)
    unknown = [name for name in argv if name not in names]
    if unknown:
        print(f"unknown probe(s) {unknown}; known: {', '.join(names)}", file=sys.stderr)
        return 2
    context = setup()
    rows = [probe(context, name) for name in (argv or names)]
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(str(v) for v in row.values()) + " |")
    return 0
