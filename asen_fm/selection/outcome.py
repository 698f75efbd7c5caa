"""What a selection plans and produces: ``SelectionPlan``, one ``CandidateRow`` per candidate, the
ranked ``Selection``, and a row as plain JSON. Built by ``select.py``, written out by ``report.py``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from asen_fm.metrics import METRICS
from asen_fm.selection.candidates import Candidate
from asen_fm.selection.runs import RunJob, SelectionFlags, run_dir
from asen_fm.selection.statistics import PairedComparison

__all__ = ["CandidateRow", "Selection", "SelectionPlan", "row_json", "row_status"]


@dataclass
class SelectionPlan:
    """What a selection will do: its task, candidates, metric, runs to train and runs to read back."""

    flags: SelectionFlags
    output_dir: Path
    task: Any
    candidates: list[Candidate]
    seeds: int
    metric: str
    jobs: list[RunJob]
    finished: dict[str, dict[str, Any]]  # run folder -> run.json record (read back, not retrained)
    stale: set[str] = field(default_factory=set)  # folders reused although trained by other code
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def higher_is_better(self) -> bool:
        return METRICS[self.metric].higher_is_better


@dataclass
class CandidateRow:
    """One candidate's results over seeds, its group facts and its comparison with the best."""

    candidate: Candidate
    validation: list[float]
    test: list[float]
    seeds: list[int]
    facts: dict[str, Any]
    parameters: int
    step_seconds: float
    stale_runs: int = 0
    comparison: PairedComparison | None = None  # None for the best itself

    def mean(self, split: str = "validation") -> float:
        return float(np.mean(getattr(self, split)))

    def std(self, split: str = "validation") -> float:
        values = getattr(self, split)
        return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


@dataclass
class Selection:
    """A finished selection: rows ranked by validation (best first) and what produced them."""

    plan: SelectionPlan
    rows: list[CandidateRow]
    trained: int
    reused: int
    seconds: float

    @property
    def best(self) -> CandidateRow:
        return self.rows[0]

    def run_folders(self, row: CandidateRow) -> list[Path]:
        """One candidate's run folders, by seed (each holds ``model/``, ``metrics.json``, ``run.json``)."""
        return [run_dir(self.plan.output_dir, row.candidate, seed) for seed in row.seeds]

    def run_payloads(self, row: CandidateRow) -> list[dict[str, Any]]:
        """The runs' ``metrics.json`` payloads, by seed; ``"stale": True`` on runs reused from other code."""
        payloads = []
        for folder in self.run_folders(row):
            payload = json.loads((folder / "metrics.json").read_text())
            payloads.append({**payload, "stale": True} if str(folder) in self.plan.stale else payload)
        return payloads

    def table(self) -> list[dict[str, Any]]:
        """One plain dict per candidate, best first (what ``selection.json`` lists)."""
        return [row_json(row, rank) for rank, row in enumerate(self.rows, start=1)]


def row_status(row: CandidateRow) -> str:
    """best | untested (1 seed) | within noise | worse (against the best, by the paired test)."""
    comparison = row.comparison
    if comparison is None:
        return "best"
    if not comparison.tested:
        return "untested (1 seed)"
    return "within noise" if comparison.within_noise else "worse"


def row_json(row: CandidateRow, rank: int) -> dict[str, Any]:
    """One candidate as plain JSON (exact group orders as strings: they outgrow JSON numbers)."""
    facts = row.facts
    return {
        "rank": rank,
        "label": row.candidate.label,
        "entry": row.candidate.to_json()["entry"],
        "why": row.candidate.why,
        "status": row_status(row),
        "validation": {
            "mean": row.mean("validation"),
            "std": row.std("validation"),
            "values": row.validation,
        },
        "test": {"mean": row.mean("test"), "std": row.std("test"), "values": row.test},
        "seeds": row.seeds,
        "versus_best": row.comparison.to_json() if row.comparison else None,
        "order": str(facts["order"]),
        "closure_order": str(facts["closure_order"]),
        "two_closed": facts["two_closed"],
        "model_symmetry_order": str(facts["model_symmetry_order"]),
        "node_orbits": facts["node_orbits"],
        "pair_orbits": facts["pair_orbits"],
        "parameters": row.parameters,
        "median_step_seconds": row.step_seconds,
        "stale_runs": row.stale_runs,
    }
