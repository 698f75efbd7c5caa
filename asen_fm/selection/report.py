"""The selection report: ``selection.md`` (for people), ``selection.json`` (for programs), ``selection.png``.

Candidates are ranked by their mean validation metric over seeds; each is compared with the best by the
paired test of :mod:`asen_fm.selection.statistics`, and the one-line verdict says which are within noise.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from pathlib import Path
from typing import Any

from asen_fm.configuration_asen import format_order
from asen_fm.selection.outcome import Selection, row_json, row_status
from asen_fm.selection.statistics import ALPHA, TEST_NAME

__all__ = ["REPORT_FILES", "row_json", "verdict", "write_report"]

REPORT_FILES = ("selection.md", "selection.json", "selection.png")
SCHEMA = "asen-fm/selection/v1"


def _cell(values: list[float], digits: int = 4) -> str:
    mean = sum(values) / len(values)
    if len(values) < 2:
        return f"{mean:.{digits}f} (1)"
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return f"{mean:.{digits}f} ± {std:.{digits}f} ({len(values)})"


def verdict(selection: Selection) -> str:
    """One line: the best, those within noise, and how much worse the others are."""
    plan, best = selection.plan, selection.best
    parts = [f"{best.candidate.label} best (validation {plan.metric} {_cell(best.validation, 3)} over seeds)"]
    for row in selection.rows[1:]:
        c = row.comparison
        assert c is not None
        if not c.tested:
            parts.append(f"{row.candidate.label} untested (1 seed), behind by {c.mean:.3f}")
        elif c.within_noise:
            parts.append(f"{row.candidate.label} within noise ({c.mean:+.3f} ± {c.std:.3f}, p = {c.p:.2f})")
        else:
            parts.append(f"{row.candidate.label} worse by {c.mean:.3f} ± {c.std:.3f} (p = {c.p:.3f})")
    return "; ".join(parts)


def _power_note(selection: Selection) -> str:
    k = selection.plan.seeds
    if k < 2:
        return (
            "With 1 seed there is no spread to test against: every candidate is *untested*, and the ranking "
            "is one draw. Use --seeds 3 or more before trusting an order."
        )
    return (
        f"With {k} seeds the test has little power: it separates a candidate from the best only when the "
        f"mean paired difference exceeds t(0.975, {k - 1}) · sd / √{k} (the *detectable* column). "
        "*Within noise* means not separated by these seeds, not shown equal; more seeds narrow the "
        "detectable difference."
    )


def _markdown(selection: Selection, command: str, code: dict[str, Any]) -> str:
    plan = selection.plan
    task, flags = plan.task, plan.flags
    better = "higher" if plan.higher_is_better else "lower"
    lines = [
        f"# Symmetry selection: {flags.task}",
        "",
        f"**Verdict.** {verdict(selection)}",
        "",
        f"Command: `{command}`",
        "",
        f"Task `{flags.task}`: n = {task.n}, {task.data['train'].num_rows} training / "
        f"{task.data['validation'].num_rows} validation / {task.data['test'].num_rows} test rows; ranked by "
        f"validation **{plan.metric}** ({better} is better); {plan.seeds} seed(s) per candidate (seed s: "
        + (
            f"initialisation, batch order and the data, drawn with data_seed {flags.data_seed} + s)."
            if flags.vary_data_seed
            else "initialisation and batch order; the data are the same for every run)."
        ),
        "",
        _training_line(flags),
        "",
        f"Paired comparison with the best: **{TEST_NAME}**, on the validation metric, seeds paired. "
        + _power_note(selection),
        "",
        f"| rank | candidate | validation {plan.metric} | test {plan.metric} | vs best (mean ± sd of paired "
        "difference) | p | detectable | status | \\|G\\| | \\|G^(2)\\| | 2-closed | model's \\|Aut\\| | "
        "parameters | step (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for rank, row in enumerate(selection.rows, start=1):
        c, facts = row.comparison, row.facts
        versus = "-" if c is None else f"{c.mean:+.4f} ± {c.std:.4f}"
        p = "-" if c is None or c.p is None else f"{c.p:.3f}"
        detectable = "-" if c is None or c.detectable is None else f"{c.detectable:.4f}"
        stale = f" ({row.stale_runs} stale run(s))" if row.stale_runs else ""
        lines.append(
            f"| {rank} | `{row.candidate.label}`{stale} | {_cell(row.validation)} | {_cell(row.test)} "
            f"| {versus} | {p} | {detectable} | {row_status(row)} | {format_order(facts['order'])} | "
            f"{format_order(facts['closure_order'])} | {'yes' if facts['two_closed'] else 'no'} | "
            f"{format_order(facts['model_symmetry_order'])} | {row.parameters:,} | "
            f"{1000 * row.step_seconds:.1f} |"
        )
    lines += [
        "",
        "\\|G^(2)\\| is the 2-closure of G (the model is equivariant to it when the pair orbits bias "
        "attention); "
        "*model's \\|Aut\\|* is the symmetry of the whole breaking input (graph supports, node-only breaking "
        "and 2-D positions included). Step time: median seconds per optimizer step, median over seeds.",
        "",
        "## Candidates",
        "",
    ]
    lines += [f"- `{row.candidate.label}`: {row.candidate.why}" for row in selection.rows]
    lines += [
        "",
        f"Runs: {selection.trained} trained, {selection.reused} read back; {selection.seconds:.0f} s for "
        f"this command. Code: commit {code.get('git_commit')}{' (dirty)' if code.get('git_dirty') else ''}, "
        f"source_sha256 {str(code.get('source_sha256'))[:12]}.",
        "",
        "![metric per candidate](selection.png)",
        "",
    ]
    return "\n".join(lines)


def _training_line(flags: Any) -> str:
    if flags.model:
        start = (
            f"Finetuned from `{flags.model}`: a fresh symmetry embedder and head per candidate, backbone at "
            f"lr × {flags.backbone_scale()}"
        )
    else:
        start = (
            f"From scratch: hidden {flags.hidden_size}, {flags.num_layers} layers, {flags.num_heads} heads, "
            f"feed-forward {flags.intermediate_size}, dropout {flags.dropout}"
        )
    return (
        f"{start}; {flags.max_steps} steps, batch {flags.batch_size}, lr {flags.lr}, warmup "
        f"{flags.warmup_steps}, weight decay {flags.weight_decay}; the final weights are evaluated."
    )


def _plot(selection: Selection, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = selection.rows
    labels = [row.candidate.label for row in rows]
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.45 * len(rows)))
    positions = list(range(len(rows)))
    for offset, split, color in ((-0.15, "validation", "tab:blue"), (0.15, "test", "tab:orange")):
        ax.errorbar(
            [row.mean(split) for row in rows], [p + offset for p in positions],
            xerr=[row.std(split) for row in rows], fmt="o", color=color, capsize=3, label=split,
        )  # fmt: skip
    for p, row in zip(positions, rows, strict=True):
        if row.comparison is not None and not row.comparison.within_noise:
            ax.annotate("worse", (row.mean("validation"), p - 0.15), xytext=(6, -3),
                        textcoords="offset points", fontsize=7, color="tab:red")  # fmt: skip
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    better = "higher" if selection.plan.higher_is_better else "lower"
    ax.set_xlabel(
        f"{selection.plan.metric}, {better} is better (mean ± std over {selection.plan.seeds} seed(s))"
    )
    ax.set_title(f"asen select: {Path(selection.plan.flags.task).name} (best first by validation)")
    ax.legend(loc="best", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_report(selection: Selection, command: str) -> list[Path]:
    """Write selection.md, selection.json and selection.png into the selection's folder."""
    from asen_fm.training.outputs import code_version

    root = selection.plan.output_dir
    code = code_version()
    payload = {
        "schema": SCHEMA,
        "command": command,
        "task": selection.plan.flags.task,
        "n": selection.plan.task.n,
        "metric": selection.plan.metric,
        "higher_is_better": selection.plan.higher_is_better,
        "seeds": selection.plan.seeds,
        "flags": selection.plan.flags.to_json(),
        "test": {"name": TEST_NAME, "alpha": ALPHA},
        "verdict": verdict(selection),
        "candidates": selection.table(),
        "runs": {"trained": selection.trained, "read_back": selection.reused},
        "seconds": selection.seconds,
        "code": code,
    }
    _write_atomically(root / "selection.json", json.dumps(payload, indent=2) + "\n")
    _write_atomically(root / "selection.md", _markdown(selection, command, code))
    png = _plot(selection, root / ".selection.tmp.png")
    os.replace(png, root / "selection.png")
    return [root / name for name in REPORT_FILES]
