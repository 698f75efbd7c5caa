"""``results.json`` of one experiment: what ran (command, hardware, wall time, settings) and its tables.

Schema ``asen-fm/experiment-results/v1``; ``benchmarks/build_results.py`` renders it into RESULTS.md:

    experiment, title, mode, command, hardware, finished_utc, settings, model, optimizer,
    wall_seconds      this invocation (small when finished runs were reused),
    run_count, run_wall_seconds   the training runs behind the tables, the sum of their measured wall times,
    stale_run_count   runs reused from other code (``--reuse-stale``); when > 0 every table note says so,
    tables:   [{"title", "columns": [str], "rows": [[str | number]], "note"}]
    plots:    [PNG file names next to results.json]
    findings: [one-line statements computed from the numbers, e.g. "trivial beats the group at 50 rows"]
    data:     experiment-specific raw summaries (mean, std, n, values per cell)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from asen_fm.training.outputs import write_json
from expkit.settings import Experiment, hardware

SCHEMA = "asen-fm/experiment-results/v1"
RESULTS_JSON = "results.json"


@dataclass
class Table:
    """A Markdown table: header, rows of cells, and a one-line note under it."""

    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""

    def add(self, *cells: Any) -> None:
        """Append one row; ValueError when the cell count does not match the header."""
        if len(cells) != len(self.columns):
            raise ValueError(
                f"table {self.title!r}: row has {len(cells)} cells, header has {len(self.columns)}"
            )
        self.rows.append(list(cells))

    def to_json(self) -> dict[str, Any]:
        """JSON-plain form."""
        return {"title": self.title, "columns": self.columns, "rows": self.rows, "note": self.note}


class Clock:
    """Wall time of the whole experiment (``time.perf_counter``)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def seconds(self) -> float:
        """Seconds since construction."""
        return time.perf_counter() - self.start


def run_code_versions(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The distinct code versions the runs trained with (one, when every run is of one commit), each with
    how many runs used it: ``source_sha256`` (the package and scripts, byte for byte), commit, dirtiness."""
    counts: dict[tuple[Any, Any, Any], int] = {}
    for run in runs:
        code = run.get("code") or {}
        key = (code.get("source_sha256"), code.get("git_commit"), code.get("git_dirty"))
        counts[key] = counts.get(key, 0) + 1
    return [
        {"source_sha256": sha, "git_commit": commit, "git_dirty": dirty, "runs": count}
        for (sha, commit, dirty), count in sorted(counts.items(), key=lambda item: str(item[0]))
    ]


def write_results(
    exp: Experiment,
    *,
    title: str,
    clock: Clock,
    tables: list[Table],
    plots: list[Path],
    findings: list[str],
    data: dict[str, Any],
    runs: list[dict[str, Any]],
) -> Path:
    """Write ``<results_dir>/results.json`` (atomically); plots must already lie in ``results_dir``.

    ``runs`` are the metrics payloads of every training run used; their ``wall_seconds`` (measured when each
    run trained, even if this invocation reused it) add up to the experiment's compute time.
    """
    for plot in plots:
        if Path(plot).parent.resolve() != exp.results_dir.resolve():
            raise ValueError(f"plot {plot} must be saved in {exp.results_dir}")
    stale = sum(1 for run in runs if run.get("stale"))
    if stale:
        mark = f"STALE: {stale} of the {len(runs)} runs behind this table ran older code (--reuse-stale)."
        tables = [Table(t.title, t.columns, t.rows, f"{mark} {t.note}".strip()) for t in tables]
    payload = {
        "schema": SCHEMA,
        "experiment": exp.name,
        "title": title,
        "mode": exp.mode,
        "command": exp.command,
        "hardware": hardware(),
        "finished_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_seconds": round(clock.seconds(), 1),
        "run_count": len(runs),
        "run_wall_seconds": round(sum(float(run["wall_seconds"]) for run in runs), 1),
        "stale_run_count": stale,
        "code": run_code_versions(runs),
        "settings": exp.settings,
        "model": exp.model,
        "optimizer": exp.optimizer,
        "tables": [t.to_json() for t in tables],
        "plots": [Path(p).name for p in plots],
        "findings": findings,
        "data": data,
    }
    return write_json(exp.results_dir / RESULTS_JSON, payload)
