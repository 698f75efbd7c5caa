"""``select``: train every candidate symmetry with several seeds and rank them with their noise.

    from asen_fm.selection import select
    result = select("intersect", "trivial; reversal(10); swap_halves(10)", seeds=3, output_dir="runs/sel",
                    train_size=150, max_steps=300)
    result.table()        # one dict per candidate, best first

Everything that can be wrong with the input (task, candidates, flags, output folder, stale runs) is
checked by :func:`plan_selection` before anything trains, and raised as ``SelectionError``.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np

from asen_fm.selection.candidates import Candidate, CandidateError, parse_candidates
from asen_fm.selection.outcome import CandidateRow, Selection, SelectionPlan
from asen_fm.selection.runs import (
    FLAGS_FILE,
    RunJob,
    SelectionFlags,
    load_selection_task,
    run_dir,
    run_state,
    train_run,
    worker_setup,
)
from asen_fm.selection.statistics import paired_t_test

__all__ = ["CandidateRow", "Selection", "SelectionError", "SelectionPlan", "plan_selection", "select"]


class SelectionError(ValueError):
    """Input a selection cannot use; the message is one line naming the problem."""


def _metric_of(task: Any, metric: str) -> str:
    if not metric:
        return task.metrics[0]
    if metric not in task.metrics:
        raise SelectionError(
            f"--metric {metric!r} is not one of the task's metrics ({', '.join(task.metrics)})"
        )
    return metric


def _facts(candidate: Candidate) -> dict[str, Any]:
    """|G|, |G^(2)|, whether G is 2-closed, and |Aut| of the whole breaking input (the model's symmetry)."""
    from asen_fm.symmetry.breaking import group_key, symmetry_order
    from asen_fm.symmetry.cache import cached_order, cached_two_closure

    stored = candidate.stored
    key = group_key(stored)
    order = cached_order(key)
    closure = cached_two_closure(key)
    return {
        "n": candidate.n,
        "order": order,
        "closure_order": closure.closure_order,
        "two_closed": closure.is_two_closed,
        "model_symmetry_order": symmetry_order(stored),
        "node_orbits": closure.node_orbit_count,
        "pair_orbits": 0 if stored.get("pairs") == "none" else closure.pair_orbit_count,
    }


def _check_output_dir(output_dir: Path, flags: SelectionFlags) -> None:
    if output_dir.exists() and not output_dir.is_dir():
        raise SelectionError(f"--output_dir {output_dir} exists and is not a folder")
    saved_file = output_dir / FLAGS_FILE
    if saved_file.is_file():
        differences = flags.differences(json.loads(saved_file.read_text()))
        if differences:
            raise SelectionError(
                f"--output_dir {output_dir} holds a selection with other flags ({'; '.join(differences)}); "
                "use another folder, or the same flags to resume it"
            )
    elif output_dir.is_dir() and any(not p.name.startswith(".") for p in output_dir.iterdir()):
        raise SelectionError(
            f"--output_dir {output_dir} is not empty and holds no selection; use a new folder"
        )


def plan_selection(
    task: str,
    candidates: str | list[Any],
    *,
    seeds: int = 3,
    output_dir: str | Path,
    metric: str = "",
    rerun_stale: bool = False,
    reuse_stale: bool = False,
    **flag_values: Any,
) -> SelectionPlan:
    """Check everything and decide which runs to train: raises ``SelectionError`` before any training."""
    from asen_fm.training.outputs import code_version

    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise SelectionError(f"--seeds must be >= 1, got {seeds}")
    if rerun_stale and reuse_stale:
        raise SelectionError("--rerun_stale and --reuse_stale exclude each other")
    flags = SelectionFlags(task=task, **flag_values)
    for name in ("max_steps", "batch_size", "hidden_size", "num_layers", "num_heads", "intermediate_size"):
        if getattr(flags, name) < 1:
            raise SelectionError(f"--{name} must be >= 1, got {getattr(flags, name)}")
    for name in ("n", "size", "data_seed", "train_size", "warmup_steps", "eval_size", "vocab_size"):
        if getattr(flags, name) < 0:
            raise SelectionError(f"--{name} must be >= 0, got {getattr(flags, name)}")
    if not flags.lr > 0 or (flags.backbone_lr_scale is not None and not flags.backbone_lr_scale >= 0):
        raise SelectionError(
            f"--lr must be > 0 and --backbone_lr_scale >= 0, got {flags.lr} and {flags.backbone_lr_scale}"
        )
    if flags.model:
        from asen_fm.training.scripts import UsageError, resolve_model_dir

        try:
            resolve_model_dir(flags.model)
        except UsageError as err:
            raise SelectionError(str(err)) from None
    from asen_fm.tasks import TASKS

    if flags.vary_data_seed and flags.task not in TASKS:
        raise SelectionError(
            f"--vary_data_seed draws a built-in task's data per seed; {task!r} is not a built-in task"
        )
    try:
        loaded = load_selection_task(flags.task, flags.n, flags.size, flags.data_seed, flags.train_size)
    except (ValueError, KeyError, OSError) as err:
        raise SelectionError(f"--task {task}: {err.args[0] if err.args else err}") from None
    try:
        chosen = parse_candidates(candidates, loaded)
    except CandidateError as err:
        raise SelectionError(str(err)) from None
    metric_name = _metric_of(loaded, metric)
    root = Path(output_dir)
    _check_output_dir(root, flags)
    code = code_version()
    jobs, finished, stale, refused = [], {}, set(), []
    for candidate in chosen:
        for seed in range(seeds):
            folder = run_dir(root, candidate, seed)
            state, record = run_state(folder, flags, code["source_sha256"])
            if state == "finished" or (state == "stale" and reuse_stale):
                finished[str(folder)] = record  # type: ignore[assignment]
                if state == "stale":
                    stale.add(str(folder))
            elif state == "stale" and not rerun_stale:
                refused.append(folder)
            else:
                jobs.append(RunJob(flags, candidate, seed, str(folder), code))
    if refused:
        raise SelectionError(
            f"{len(refused)} finished run(s) in {root} were trained by other code (e.g. {refused[0]}); pass "
            "--rerun_stale to retrain them or --reuse_stale to use them marked stale"
        )
    facts = {c.label: _facts(c) for c in chosen}
    return SelectionPlan(flags, root, loaded, chosen, seeds, metric_name, jobs, finished, stale, facts)


def _run_jobs(
    plan: SelectionPlan, jobs: int, progress: Callable[[RunJob], None]
) -> dict[str, dict[str, Any]]:
    """Train ``plan.jobs`` (in ``jobs`` worker processes when > 1); records by folder."""
    records: dict[str, dict[str, Any]] = {}
    if jobs <= 1 or len(plan.jobs) <= 1:
        for job in plan.jobs:
            records[job.folder] = train_run(job)
            progress(job)
        return records
    context = multiprocessing.get_context("spawn")  # no forked torch state
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=worker_setup)
    try:
        pending = {pool.submit(train_run, job): job for job in plan.jobs}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                records[job.folder] = future.result()
                progress(job)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return records


def _rows(plan: SelectionPlan, records: dict[str, dict[str, Any]]) -> list[CandidateRow]:
    rows = []
    for candidate in plan.candidates:
        folders = [str(run_dir(plan.output_dir, candidate, seed)) for seed in range(plan.seeds)]
        runs = [records[f] for f in folders]
        rows.append(
            CandidateRow(
                candidate=candidate,
                validation=[float(r["final"]["validation"][plan.metric]) for r in runs],
                test=[float(r["final"]["test"][plan.metric]) for r in runs],
                seeds=list(range(plan.seeds)),
                facts=plan.facts[candidate.label],
                parameters=int(runs[0]["parameters"]["total"]),
                step_seconds=float(np.median([r["median_step_seconds"] for r in runs])),
                stale_runs=sum(f in plan.stale for f in folders),
            )
        )
    sign = -1.0 if plan.higher_is_better else 1.0
    rows.sort(key=lambda row: sign * row.mean("validation"))
    best = rows[0]
    for row in rows[1:]:
        row.comparison = paired_t_test(best.validation, row.validation, plan.higher_is_better)
    return rows


def select(
    task: str,
    candidates: str | list[Any],
    *,
    seeds: int = 3,
    output_dir: str | Path,
    jobs: int = 1,
    metric: str = "",
    rerun_stale: bool = False,
    reuse_stale: bool = False,
    verbose: bool = True,
    command: str = "",
    **flags: Any,
) -> Selection:
    """Plan (see :func:`plan_selection`), train what is missing, and write the report into ``output_dir``.

    ``flags`` are :class:`~asen_fm.selection.runs.SelectionFlags` fields (max_steps, train_size, model, ...);
    ``command`` is how the selection was called, for the report (default: this call's arguments).
    """
    import time

    from asen_fm.progress import progress_bar
    from asen_fm.selection.report import write_report

    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise SelectionError(f"--jobs must be >= 1, got {jobs}")
    start = time.perf_counter()
    plan = plan_selection(
        task, candidates, seeds=seeds, output_dir=output_dir, metric=metric,
        rerun_stale=rerun_stale, reuse_stale=reuse_stale, **flags,
    )  # fmt: skip
    say = print if verbose else (lambda *a, **k: None)
    say(f"task {plan.flags.task}: n = {plan.task.n}, {plan.task.data['train'].num_rows} training rows; "
        f"ranking by validation {plan.metric}")  # fmt: skip
    for candidate in plan.candidates:
        facts = plan.facts[candidate.label]
        say(f"  candidate {candidate.label}  (|G| = {_short(facts['order'])}): {candidate.why}")
    plan.output_dir.mkdir(parents=True, exist_ok=True)
    (plan.output_dir / FLAGS_FILE).write_text(json.dumps(plan.flags.to_json(), indent=2) + "\n")
    total = len(plan.candidates) * plan.seeds
    say(f"{total} runs: {len(plan.finished)} finished (read back), {len(plan.jobs)} to train"
        + (f", {jobs} at a time" if jobs > 1 and plan.jobs else ""))  # fmt: skip
    bar = progress_bar(
        total=total, initial=len(plan.finished), desc="select: runs", unit="run", disable=not verbose
    )
    records = dict(plan.finished)

    def advance(job: RunJob) -> None:
        bar.update(1)
        bar.set_postfix_str(f"{job.candidate.label} seed {job.seed}")

    try:
        records.update(_run_jobs(plan, jobs, advance))
    finally:
        bar.close()
    selection = Selection(plan, _rows(plan, records), len(plan.jobs), len(plan.finished),
                          time.perf_counter() - start)  # fmt: skip
    if not command:
        shown = ", ".join(f"{k}={v!r}" for k, v in flags.items())
        command = f"select({task!r}, {candidates!r}, seeds={seeds}, output_dir={str(output_dir)!r}, {shown})"
    paths = write_report(selection, command=command)
    say(selection_verdict(selection))
    say("wrote " + ", ".join(str(p) for p in paths))
    return selection


def _short(order: int) -> str:
    from asen_fm.configuration_asen import format_order

    return format_order(order)


def selection_verdict(selection: Selection) -> str:
    from asen_fm.selection.report import verdict

    return verdict(selection)
