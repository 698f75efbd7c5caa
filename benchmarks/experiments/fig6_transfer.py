"""Paper Fig. 6, Fig. 7 and App. C.3: does pretraining on tasks with other symmetries help a new task?

For each target task: pretrain one backbone on the other tasks of its set (``pretrain/pretrain.py``, each
task with its own group), then finetune on a small training set of the target with the backbone learning
rate lowered (``finetune/finetune.py``, backbone rate = lr * backbone_lr_scale). Baseline: the same
finetuning from a fresh model of the same size (``--from_scratch``, the paper's "finetune-only").
Equivariant set (Fig. 6): intersect from palindrome + cyclic_sum. Invariant set (Fig. 7): each of four
invariant tasks from the other three, and also from the paper's "NoSym" pretraining (the same tasks, every
one on the trivial group: ``pretrain.py --groups trivial``), finetuned with the target's own group.

Sizes count training rows (the paper's units): pretraining keeps ``pretrain_rows`` per task, and the target
is generated with ``target_rows`` training rows of which ``train_sizes`` are kept (one finetuning per size,
all from the same pretrained model). A task set may set ``paper_groups`` (the paper's group where the card
says another: C_n for cyclic_sum) and ``paper_inputs`` (the paper's invariant setting: token ids fed as one
node feature, no token embedding, and regression labels rescaled onto [0, 1]: ``--ids_as_features
--unit_labels`` in every run of the set).

    OMP_NUM_THREADS=1 python benchmarks/experiments/fig6_transfer.py --full     # or --smoke
"""

from __future__ import annotations

from typing import Any

from expkit.plots import curve_panels
from expkit.report import Clock, Table, write_results
from expkit.runner import RunRecord, common_flags, generated_size, pretrain_model_flags, train
from expkit.settings import Experiment, parse_experiment
from expkit.stats import final_metric, format_cell, mean_curve, metric_curve, ordering, summarize

from asen_fm.progress import progress_bar

NAME = "fig6_transfer"
TITLE = "Transfer: pretrained on other symmetries vs finetune-only (paper Fig. 6, Fig. 7)"
# "pretrained_full_rate" is our ablation: the pretrained model finetuned with the backbone at the full rate.
# "nosym": every pretraining task on the trivial group (paper Fig. 7), then finetuned like "pretrained";
# "nosym_trivial": the same, and the target finetuned on the trivial group too (ASEN with no symmetry at all).
VARIANTS = ("pretrained", "scratch", "pretrained_full_rate")
NOSYM = "nosym"
NOSYM_TRIVIAL = "nosym_trivial"
NOSYM_VARIANTS = (NOSYM, NOSYM_TRIVIAL)
COMPARED = ("pretrained", "scratch")


def variants(family: dict[str, Any]) -> tuple[str, ...]:
    """The finetuning variants run for a task set (NoSym only where the config asks for it)."""
    return (*VARIANTS, *NOSYM_VARIANTS) if family.get("nosym") else VARIANTS


def budget(settings: dict[str, Any], family: dict[str, Any], key: str) -> int:
    """A step count of one task set: its own ``key`` if it sets one, else the experiment's."""
    return int(family.get(key, settings[key]))


def input_flags(family: dict[str, Any]) -> dict[str, Any]:
    """``--ids_as_features --unit_labels`` for a set run in the paper's invariant setting, else nothing."""
    return {"ids_as_features": True, "unit_labels": True} if family.get("paper_inputs") else {}


def pretrain(
    exp: Experiment, family: dict[str, Any], target: str, seed: int, nosym: bool = False
) -> RunRecord:
    """Pretrain on ``family["pool"]`` but ``target`` (``nosym``: every task on the trivial group)."""
    s = exp.settings
    others = [t for t in family["pool"] if t != target]
    paper = "; ".join(f"{t}={g}" for t, g in family.get("paper_groups", {}).items() if t in others)
    flags = {
        **pretrain_model_flags(exp.model),
        **common_flags(exp.optimizer, exp.bookkeeping),
        "tasks": ",".join(others),
        "n": family["n"],
        "size": generated_size(family["pretrain_rows"]),
        "train_size": family["pretrain_rows"],
        "groups": "trivial" if nosym else paper or None,
        "data_seed": seed,
        "seed": seed,
        "max_steps": budget(s, family, "pretrain_steps"),
        "eval_every": budget(s, family, "eval_every"),
        **input_flags(family),
    }
    suffix = "-trivial" if nosym else ""
    return train("pretrain", flags, exp.runs_dir / f"pretrain-without-{target}{suffix}-s{seed}")


def finetune(
    exp: Experiment, family: dict[str, Any], job: tuple[str, int, int], base: RunRecord, variant: str
) -> RunRecord:
    """Finetune the target on ``rows`` training rows from ``base``, or from a fresh model like it."""
    s = exp.settings
    target, rows, seed = job
    flags = {
        **common_flags(exp.optimizer, exp.bookkeeping),
        "model": str(base.model_dir),
        "from_scratch": variant == "scratch",
        "task": target,
        "group": "trivial" if variant == NOSYM_TRIVIAL else family.get("paper_groups", {}).get(target),
        "n": family["n"],
        "size": generated_size(family["target_rows"]),
        "train_size": rows,
        "data_seed": seed,
        "seed": seed,
        "max_steps": budget(s, family, "finetune_steps"),
        "eval_every": budget(s, family, "eval_every"),
        "backbone_lr_scale": s["backbone_lr_scale"] if variant in ("pretrained", *NOSYM_VARIANTS) else 1.0,
        **input_flags(family),
    }
    return train("finetune", {k: v for k, v in flags.items() if v is not None},
                 exp.runs_dir / f"{target}-{variant}-n{rows}-s{seed}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    exp = parse_experiment(NAME, argv, description=__doc__.split("\n")[0])
    clock = Clock()
    s = exp.settings
    jobs = [
        (kind, target, seed)
        for kind in ("equivariant", "invariant")
        for target in s[kind]["targets"]
        for seed in s[kind]["seeds"]
    ]
    payloads: dict[tuple[str, str, int, int], dict[str, Any]] = {}  # (variant, target, rows, seed)
    for kind, target, seed in progress_bar(exp.order(jobs), desc=NAME, unit="target"):
        family = s[kind]
        base = pretrain(exp, family, target, seed)
        payloads["pretrain", target, 0, seed] = base.payload
        nosym_base = pretrain(exp, family, target, seed, nosym=True) if NOSYM in variants(family) else None
        if nosym_base is not None:
            payloads["pretrain_nosym", target, 0, seed] = nosym_base.payload
        for rows in family["train_sizes"]:
            for variant in variants(family):
                start = nosym_base if variant in NOSYM_VARIANTS else base
                run = finetune(exp, family, (target, rows, seed), start, variant)
                payloads[variant, target, rows, seed] = run.payload

    tables, data, findings = [], {}, []
    curves: dict[str, dict[str, dict[str, list[float]]]] = {}
    for kind, metric, better in (("equivariant", "sequence_accuracy", max), ("invariant", "loss", min)):
        family = s[kind]
        if not family["targets"]:
            continue
        ran = variants(family)
        nosym = NOSYM in ran
        table = Table(
            f"{kind.capitalize()} transfer: test {metric} after finetuning (mean ± std over seeds)",
            [
                "target",
                "train rows",
                "pretrained on",
                "pretrained + finetune",
                "finetune only (scratch)",
                "better",
                "seeds",
                *(
                    ["NoSym pretrained + finetune", "NoSym throughout", "NoSym vs own-group pretrained"]
                    if nosym
                    else []
                ),
                "ablation: pretrained, backbone x1",
            ],
            note=f"pretraining {budget(s, family, 'pretrain_steps')} steps on {family['pretrain_rows']} "
            f"training rows per task; finetuning {budget(s, family, 'finetune_steps')} steps, backbone rate "
            f"x{s['backbone_lr_scale']}. "
            + (
                "NoSym: the same pretraining with every task on the trivial group, then finetuned with the "
                "target's group; NoSym throughout: finetuned on the trivial group as well. "
                if nosym
                else ""
            )
            + (
                "Token ids fed as one node feature (no token embedding) and labels rescaled onto [0, 1] "
                "by the training rows' range, as in the paper's App. C.3. "
                if family.get("paper_inputs")
                else ""
            )
            + "'seeds': how the pretrained seeds lie against the scratch seeds (and NoSym against "
            "own-group pretraining). Paper Fig. 6/7 show curves only: pretrained ahead on intersect, and "
            "on detect_capital and has_palindrome in the invariant set.",
        )
        for target in family["targets"]:
            seeds = family["seeds"]
            for rows in family["train_sizes"]:
                values = {
                    v: [final_metric(payloads[v, target, rows, sd], target, metric) for sd in seeds]
                    for v in ran
                }
                cell = {v: summarize(values[v]) for v in ran}
                means = {v: cell[v]["mean"] for v in COMPARED}
                winner = "tie" if len(set(means.values())) == 1 else better(COMPARED, key=means.__getitem__)
                lower = metric == "loss"
                order = ordering(values["pretrained"], values["scratch"], lower_is_better=lower)
                others = ", ".join(t for t in family["pool"] if t != target)
                nosym_cells = []
                if nosym:
                    versus = ordering(values[NOSYM], values["pretrained"], lower_is_better=lower)
                    nosym_cells = [format_cell(cell[NOSYM]), format_cell(cell[NOSYM_TRIVIAL]), versus]
                table.add(
                    target,
                    rows,
                    others,
                    format_cell(cell["pretrained"]),
                    format_cell(cell["scratch"]),
                    winner,
                    order,
                    *nosym_cells,
                    format_cell(cell["pretrained_full_rate"]),
                )
                data.update({f"{target}/{rows}/{v}/{metric}": cell[v] for v in ran})
                findings.append(f"{target}, {rows} rows: {winner} is better on test {metric} ({order})")
                if nosym:
                    gap = cell[NOSYM]["mean"] - cell["pretrained"]["mean"]
                    findings.append(
                        f"{target}, {rows} rows: NoSym pretraining - own-group pretraining = {gap:+.3f} "
                        f"test {metric}"
                    )
            smallest = min(family["train_sizes"])
            curves[f"{target}, {smallest} rows"] = {
                v: mean_curve(
                    [metric_curve(payloads[v, target, smallest, sd], target, "loss") for sd in seeds]
                )
                for v in ran
            }
        tables.append(table)
    plots = [
        curve_panels(
            curves,
            exp.results_dir / "curves_loss.png",
            ylabel="validation loss",
            title="finetuning",
            log_y=True,
        )
    ]
    path = write_results(
        exp,
        title=TITLE,
        clock=clock,
        tables=tables,
        plots=plots,
        findings=findings,
        data=data,
        runs=list(payloads.values()),
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
