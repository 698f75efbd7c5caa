"""Candidate lists for ``asen select``: parsing, checks against the task's n, and ``auto`` proposals."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import datasets
import numpy as np
import pytest
from planted import planted_task

from asen_fm.selection import CandidateError, auto_candidates, parse_candidates
from asen_fm.selection.candidates import graph_automorphisms
from asen_fm.symmetry import PermGroup
from asen_fm.tasks import Task

# A 6-node tree: 1 - 3 joined, leaves 0, 2 on node 1 and 4, 5 on node 3. |Aut| = 8.
EDGES = [[0, 1], [1, 2], [1, 3], [3, 4], [3, 5]]


@pytest.fixture(scope="module")
def sequence_task() -> Task:
    return planted_task(n=8, rows=(20, 10, 10))


def graph_task(edges=EDGES, n: int = 6, framework: str = "sparse") -> Task:
    rng = np.random.default_rng(0)
    splits = {
        split: datasets.Dataset.from_dict(
            {"node_features": rng.normal(size=(4, n, 2)).tolist(), "labels": rng.normal(size=(4, n)).tolist()}
        )
        for split in ("train", "validation", "test")
    }
    return Task.from_dataset(
        datasets.DatasetDict(splits), group=f"trivial({n})", head="node_regression", edges=edges,
        framework=framework, name="tree",
    )  # fmt: skip


def grid_task(h: int = 4, w: int = 4) -> Task:
    rng = np.random.default_rng(0)
    splits = {
        split: datasets.Dataset.from_dict(
            {"input_ids": rng.integers(0, 5, (6, h, w)).tolist(), "labels": rng.integers(0, 3, 6).tolist()}
        )
        for split in ("train", "validation", "test")
    }
    return Task.from_dataset(datasets.DatasetDict(splits), group=f"trivial({h * w})", head="sequence")


def brute_force_automorphisms(n: int, edges) -> list[tuple[int, ...]]:
    adjacency = {frozenset(e) for e in edges}
    return [
        p
        for p in itertools.permutations(range(n))
        if {frozenset((p[i], p[j])) for i, j in edges} == adjacency
    ]


def test_specs_bare_names_and_entries(sequence_task: Task, tmp_path: Path) -> None:
    chosen = parse_candidates("trivial; reversal(8) ; cyclic", sequence_task)
    assert [c.label for c in chosen] == ["trivial(8)", "reversal(8)", "cyclic(8)"]
    assert [c.group.order() for c in chosen] == [1, 2, 8]
    entries = [{"group": "trivial(8)", "positions": [2, 4], "name": "rows and columns"}, "dihedral(8)"]
    listed = parse_candidates(json.dumps(entries), sequence_task)
    assert listed[0].label == "rows and columns" and listed[0].stored["positions"] == [2, 4]
    assert listed[0].entry == {"group": "trivial(8)", "positions": [2, 4]}  # "name" is the label only
    path = tmp_path / "candidates.json"
    path.write_text(json.dumps(entries))
    assert [c.label for c in parse_candidates(f"@{path}", sequence_task)] == [c.label for c in listed]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("trivial; reversal(12)", "candidate 2 'reversal(12)' acts on 12 points but the task has n = 8"),
        ("trivial; reversal(8", "candidate 2 'reversal(8' does not parse"),
        ("trivial; frobnicate(8)", "unknown group name 'frobnicate'"),
        ("dihedral(8); trivial; dihedral", "duplicate candidates: 'dihedral(8)' and 'dihedral(8)'"),
        # the same group written two ways is still one candidate
        ("cyclic(8); from_cycles(8, '(0 1 2 3 4 5 6 7)')", "are the same symmetry"),
        ("trivial;; cyclic(8)", "candidate 2 is empty"),
        ('[{"group": "trivial(8)", "edges": [[0, 9]]}]', "outside"),
        ('[{"group": "cyclic(8)", "positions": [2, 4]}]', "use them with the trivial group"),
        ("[1, 2", "does not decode"),
        ("", "is empty"),
    ],
)
def test_bad_candidates_name_the_problem(sequence_task: Task, text: str, message: str) -> None:
    with pytest.raises(CandidateError) as caught:
        parse_candidates(text, sequence_task)
    assert message in str(caught.value)


def test_auto_for_a_sequence(sequence_task: Task) -> None:
    chosen = parse_candidates("auto", sequence_task)
    labels = [c.label for c in chosen]
    # the card's trivial group is merged into "trivial(8)", with both reasons
    assert labels == ["trivial(8)", "symmetric(8)", "reversal(8)", "cyclic(8)", "dihedral(8)"]
    assert "card" in chosen[0].why and all(c.why for c in chosen)
    # given candidates come first; auto adds only what is new, and a given one it also proposes keeps one run
    mixed = parse_candidates("swap_halves(8); cyclic(8); auto", sequence_task)
    assert [c.label for c in mixed][:2] == ["swap_halves(8)", "cyclic(8)"]
    assert "auto: sequence: rotations" in mixed[1].why and len(mixed) == 6


def test_auto_for_a_grid() -> None:
    labels = [c.label for c in auto_candidates(grid_task(4, 4))]
    assert labels == [
        "trivial(16)", "symmetric(16)", "grid(4, 4, torus)", "grid(4, 4, d4)", "grid(4, 4, patch, 2)",
        "2-D positions 4 x 4",
    ]  # fmt: skip
    assert "grid(3, 5, d4)" not in [c.label for c in auto_candidates(grid_task(3, 5))]  # not square


def test_auto_for_a_graph_finds_aut_graph_as_brute_force_does() -> None:
    chosen = {c.label: c for c in auto_candidates(graph_task())}
    assert list(chosen) == ["trivial(6)", "symmetric(6)", "card: trivial(6) + sparse graph", "Aut(graph)",
                            "orbit clusters"]  # fmt: skip
    aut = chosen["Aut(graph)"]
    brute = brute_force_automorphisms(6, EDGES)
    assert aut.group.order() == len(brute) == 8
    assert all(aut.group.contains(np.array(p)) for p in brute)
    assert aut.stored["edges"] == sorted(sorted(e) for e in EDGES) and aut.stored["framework"] == "sparse"
    # the product of symmetric groups on Aut(graph)'s node orbits {0, 2, 4, 5}, {1, 3}: 4! * 2! = 48
    orbits = {frozenset(p[i] for p in brute) for i in range(6)}
    clusters = chosen["orbit clusters"].group
    assert clusters.order() == 48 and orbits == {frozenset({0, 2, 4, 5}), frozenset({1, 3})}
    assert all(clusters.contains(np.array(p)) for p in brute)


@pytest.mark.parametrize("seed", range(3))
def test_graph_automorphisms_against_brute_force_on_random_graphs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 6
    edges = [[i, j] for i in range(n) for j in range(i + 1, n) if rng.random() < 0.4]
    group = graph_automorphisms(n, edges)
    brute = brute_force_automorphisms(n, edges)
    assert group.order() == len(brute)
    assert all(group.contains(np.array(p)) for p in brute)


def test_a_proposal_equal_to_the_cards_group_is_merged() -> None:
    # the card declares the orbit cluster group: auto proposes it once, with both reasons
    task = graph_task().with_group(str(PermGroup.clusters([0, 1, 0, 1, 0, 0])))
    chosen = auto_candidates(task)
    assert "orbit clusters" not in [c.label for c in chosen] and len(chosen) == 4
    assert "also orbit clusters" in chosen[2].why
