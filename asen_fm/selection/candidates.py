"""Candidate symmetries for ``asen select``: read from the command line or proposed from the task's structure.

A candidate is one model ``symmetries`` entry, exactly as ``AsenForMultiTask.add_task`` takes it:

- a group spec, ``"reversal(10)"`` (a bare name such as ``"trivial"`` gets the task's n): the group alone,
  with no graph, whatever the task's card carries;
- an entry ``{"group": ..., "edges": [[i, j], ...], "framework": ..., "pairs": "none", "positions": [h, w]}``
  (optionally with ``"name"``, the label the report uses).

``--candidates`` text is ``;``-separated specs, a JSON list of specs and entries, ``@file.json`` holding such
a list, or ``auto`` (alone or among others: ``"auto; swap_halves(10)"``). Every candidate is normalised by
the model's own config code and checked against the task's n before anything trains.

``auto`` (:func:`auto_candidates`) always proposes trivial, S_n and the card's own symmetry, then by
structure: sequences (1-D rows, no graph) reversal, cyclic and dihedral; grids (image-shaped rows
[h, w]) the torus, D4 (square grids), 2 x 2 patch-local blocks and 2-D row/column positions; a graph
support (the card's ``edges``) Aut(graph), found by the package's automorphism search, and the product of
symmetric groups on its node orbits, both on the card's graph. Proposals that are the same symmetry are
merged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from asen_fm.configuration_asen import ENTRY_KEYS, format_order, normalize_symmetry
from asen_fm.symmetry import PermGroup, node_orbits
from asen_fm.symmetry.pieces import automorphism_group_order

__all__ = ["Candidate", "CandidateError", "auto_candidates", "graph_automorphisms", "parse_candidates"]


class CandidateError(ValueError):
    """A candidate list that cannot be used (the message names the candidate)."""


@dataclass(frozen=True)
class Candidate:
    """One symmetry to try: its label, the entry handed to the model, and why it is in the list."""

    label: str
    entry: str | dict[str, Any]
    why: str = "given"

    @cached_property
    def stored(self) -> dict[str, Any]:
        """The entry in the model's stored form (JSON group with its options), as ``config.json`` keeps it."""
        stored, _ = normalize_symmetry(_copy(self.entry), self.label)
        return stored

    @property
    def n(self) -> int:
        return int(self.stored["n"])

    @property
    def group(self) -> PermGroup:
        return PermGroup.from_json(
            {k: self.stored[k] for k in ("n", "generators", "spec") if k in self.stored}
        )

    def options(self) -> dict[str, Any]:
        """The entry's options besides the group (edges, framework, pairs, positions, ...)."""
        return {k: self.stored[k] for k in ENTRY_KEYS if k in self.stored}

    def same_symmetry(self, other: Candidate) -> bool:
        """Equal groups (as sets) with equal options: the same model."""
        return self.options() == other.options() and self.group == other.group

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "entry": _copy(self.entry), "why": self.why}


def _copy(entry: Any) -> Any:
    return json.loads(json.dumps(entry))


def _label_of(entry: str | Mapping[str, Any]) -> str:
    if isinstance(entry, str):
        return entry.strip()
    group = entry.get("group")
    text = group if isinstance(group, str) else str(PermGroup.parse(group)) if group is not None else "?"
    extras = []
    if "edges" in entry:
        extras.append(f"{entry.get('framework', 'full')} graph")
    if "positions" in entry:
        extras.append("2-D positions")
    elif entry.get("pairs") == "none":
        extras.append("node-only")
    return text + (f" + {', '.join(extras)}" if extras else "")


def _split_text(text: str) -> list[Any]:
    """The raw items of a ``--candidates`` value: specs, entries and the word ``auto``."""
    text = text.strip()
    if not text:
        raise CandidateError("--candidates is empty; give specs separated by ';', a JSON list, @file or auto")
    if text.startswith("@"):
        path = Path(text[1:]).expanduser()
        if not path.is_file():
            raise CandidateError(f"--candidates {text}: no such file")
        text = path.read_text().strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as err:
            raise CandidateError(
                f"--candidates: the JSON list does not decode ({err.msg} at {err.pos})"
            ) from None
        if not isinstance(items, list) or not items:
            raise CandidateError("--candidates: the JSON must be a non-empty list of specs and entries")
        return items
    if text.startswith("{"):
        raise CandidateError("--candidates: put symmetry entries in a JSON list, [{...}, {...}]")
    items = [part.strip() for part in text.split(";")]
    empty = [k + 1 for k, part in enumerate(items) if not part]
    if empty:
        raise CandidateError(f"--candidates {text!r}: candidate {empty[0]} is empty (a stray ';')")
    return items


def _candidate(item: Any, n: int, position: int) -> Candidate:
    """One given item as a Candidate: parsed, normalised and checked against the task's degree n."""
    where = f"candidate {position}"
    if isinstance(item, str):
        spec = item.strip()
        if spec.isidentifier():  # a bare name: the task's degree
            spec = f"{spec}({n})"
        entry: str | dict[str, Any] = spec
        label = spec
    elif isinstance(item, Mapping):
        entry = {k: v for k, v in item.items() if k != "name"}
        if "group" not in entry:
            raise CandidateError(f"{where} {json.dumps(item)[:80]} has no 'group'")
        if isinstance(entry["group"], str) and entry["group"].strip().isidentifier():
            entry["group"] = f"{entry['group'].strip()}({n})"
        label = str(item.get("name") or _label_of(entry))
    else:
        raise CandidateError(f"{where} is a {type(item).__name__}; expected a spec string or an entry object")
    candidate = Candidate(label, entry)
    try:
        degree = PermGroup.parse(entry if isinstance(entry, str) else entry["group"]).n
    except (ValueError, KeyError, TypeError) as err:
        raise CandidateError(
            f"{where} {label!r} does not parse: {err.args[0] if err.args else err}"
        ) from None
    if degree != n:
        raise CandidateError(
            f"{where} {label!r} acts on {degree} points but the task has n = {n}; give a group of degree {n}"
        )
    try:
        _ = candidate.stored  # the model's own checks: edges in range, framework, pairs, positions
    except (ValueError, KeyError, TypeError) as err:
        raise CandidateError(f"{where} {label!r}: {err.args[0] if err.args else err}") from None
    return candidate


def parse_candidates(text: str | Sequence[Any], task: Any) -> list[Candidate]:
    """The candidates of ``text`` (see the module doc) for ``task`` (a ``Task``), ``auto`` expanded.

    Raises ``CandidateError`` for an unparsable spec, a degree other than the task's n, bad entry options,
    or two candidates that are the same symmetry (or carry the same label).
    """
    items = _split_text(text) if isinstance(text, str) else list(text)
    if not items:
        raise CandidateError("--candidates is empty")
    n = task.n
    chosen: list[Candidate] = []
    for position, item in enumerate(items, start=1):
        if isinstance(item, str) and item.strip().lower() == "auto":
            for proposal in auto_candidates(task):
                same = next((k for k, c in enumerate(chosen) if proposal.same_symmetry(c)), None)
                if same is None:
                    chosen.append(proposal)
                else:  # given already: one run, both reasons
                    kept = chosen[same]
                    chosen[same] = Candidate(kept.label, kept.entry, f"{kept.why} (auto: {proposal.why})")
            continue
        candidate = _candidate(item, n, position)
        for k, other in enumerate(chosen):
            auto_has_it = not other.why.startswith("given") and candidate.same_symmetry(other)
            if auto_has_it:  # keep one run, with both reasons
                chosen[k] = Candidate(candidate.label, candidate.entry, f"given (auto: {other.why})")
                break
            if candidate.same_symmetry(other) or candidate.label == other.label:
                raise CandidateError(
                    f"duplicate candidates: {other.label!r} and {candidate.label!r} (candidate {position}) "
                    "are the same symmetry; list each once"
                )
        else:
            chosen.append(candidate)
    return chosen


# ---------------------------------------------------------------------------------------------- auto


def graph_automorphisms(n: int, edges: Sequence[Sequence[int]], directed: bool = False) -> PermGroup:
    """Aut(graph) on range(n), from the package's partition-backtrack automorphism search."""
    matrix = np.full((n, n), 2, dtype=np.int64)  # 2: no edge, 1: edge, 0: the diagonal
    np.fill_diagonal(matrix, 0)
    for i, j in edges:
        matrix[i, j] = 1
        if not directed:
            matrix[j, i] = 1
    _, generators = automorphism_group_order(matrix)
    return PermGroup(n, generators)


def _grid_shape(task: Any) -> tuple[int, int] | None:
    """(h, w) when the task's rows are image-shaped ([h, w] ids or [h, w, d] features) or its group a grid."""
    rows = task.data["train"]
    features = rows.features
    for column, trailing in (("input_ids", 0), ("node_features", 1)):
        if column in features:
            shape = getattr(features[column], "shape", None)
            if shape is not None and len(shape) - trailing == 2:
                return int(shape[0]), int(shape[1])
            if shape is None:
                value = np.asarray(rows[0][column])
                if value.ndim - trailing == 2:
                    return int(value.shape[0]), int(value.shape[1])
    match = re.match(r"\s*grid\(\s*(\d+)\s*,\s*(\d+)", str(task.group))
    return (int(match[1]), int(match[2])) if match else None


def auto_candidates(task: Any) -> list[Candidate]:
    """Candidates proposed from ``task``'s card and data (see the module doc), each with the reason."""
    n = task.n
    card = task.symmetry
    graph = isinstance(card, Mapping) and card.get("edges") is not None
    proposals = [
        Candidate(f"trivial({n})", f"trivial({n})", "always: no symmetry prior (every position its own)"),
        Candidate(f"symmetric({n})", f"symmetric({n})", "always: the full permutation group (a set model)"),
        Candidate(f"card: {_label_of(card)}", _copy(card), "always: the group the task's card declares"),
    ]
    shape = _grid_shape(task)
    if graph:
        edges, framework = card["edges"], card.get("framework", "full")
        directed = bool(card.get("directed", False))
        aut = graph_automorphisms(n, edges, directed)
        support = {"edges": _copy(edges), "framework": framework, **({"directed": True} if directed else {})}
        orbits = node_orbits(aut)
        proposals.append(
            Candidate(
                "Aut(graph)",
                {"group": aut.to_json(), **support},
                f"graph support: the card's {len(edges)} edges have |Aut| = {format_order(aut.order())}"
                f" (automorphism search), on the card's {framework} graph",
            )
        )
        proposals.append(
            Candidate(
                "orbit clusters",
                {"group": str(PermGroup.clusters(orbits.tolist())), **support},
                f"graph support: S on each of Aut(graph)'s {int(orbits.max()) + 1} node orbits "
                "(the product of symmetric groups, cluster-style), on the same graph",
            )
        )
    elif shape is not None and shape[0] * shape[1] == n:
        h, w = shape
        proposals += [
            Candidate(f"grid({h}, {w}, torus)", f"grid({h}, {w}, torus)", f"grid {h} x {w}: translations"),
        ]
        if h == w:
            proposals.append(
                Candidate(f"grid({h}, {w}, d4)", f"grid({h}, {w}, d4)", "square grid: rotations and flips")
            )
        if h >= 2 and w >= 2:
            proposals.append(
                Candidate(
                    f"grid({h}, {w}, patch, 2)",
                    f"grid({h}, {w}, patch, 2)",
                    "grid: any order inside each 2 x 2 patch (patch-local blocks)",
                )
            )
        proposals.append(
            Candidate(
                f"2-D positions {h} x {w}",
                {"group": f"trivial({n})", "positions": [h, w]},
                "grid: row + column embeddings (no symmetry, fewer position parameters)",
            )
        )
    else:
        proposals += [
            Candidate(f"reversal({n})", f"reversal({n})", "sequence: reading backwards"),
            Candidate(f"cyclic({n})", f"cyclic({n})", "sequence: rotations (a ring)"),
            Candidate(f"dihedral({n})", f"dihedral({n})", "sequence: rotations and reflections"),
        ]
    merged: list[Candidate] = []
    for proposal in proposals:
        same = next((k for k, kept in enumerate(merged) if kept.same_symmetry(proposal)), None)
        if same is None:
            merged.append(proposal)
        else:  # e.g. the card's group is one of the structural proposals: one run, both reasons
            kept = merged[same]
            merged[same] = Candidate(
                kept.label, kept.entry, f"{kept.why}; also {proposal.label}: {proposal.why}"
            )
    return merged
