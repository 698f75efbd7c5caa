"""Paper Fig. 6, Fig. 7 and App. C.3: does pretraining on tasks with other symmetries help a new task?

For each target task: pretrain one backbone on the other tasks of its set (``pretrain/pretrain.py``, each
task with its own group), then finetune on a small training set of the target with the backbone learning
rate lowered (``finetune/finetune.py``, backbone rate = lr * backbone_lr_scale). Baseline: the same
finetuning from a fresh model of the same size (``--from_scratch``, the paper's "finetune-only").
Equivariant set (Fig. 6): intersect from palindrome + cyclic_sum. Invariant set (Fig. 7): each of four
invariant tasks from the other three, and also from the paper's "NoSym" pretraining (the same tasks, every
one on the trivial group: ``pretrain.py --groups trivial``), finetuned with the target's own group.

    OMP_NUM_THREADS=1 python benchmarks/experiments/fig6_transfer.py --full     # or --smoke
"""

from __future__ import annotations

from typing import Any

from expkit.plots import curve_panels
from expkit.report import Clock, Table, write_results
from expkit.runner import RunRecord, common_flags, pretrain_model_flags, train
from expkit.settings import Experiment, parse_experiment
from expkit.stats import final_metric, format_cell, mean_curve, metric_curve, summarize
from tqdm.auto import tqdm

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


def pretrain(exp: Experiment, family: dict[str, Any], target: str, seed: int, groups: str = "") -> RunRecord:
    """Pretrain on every task of ``family["pool"]`` except ``target`` (``groups``: pretrain.py --groups)."""
    s = exp.settings
    others = [t for t in family["pool"] if t != target]
    flags = {
        **pretrain_model_flags(exp.model),
        **common_flags(exp.optimizer, exp.bookkeeping),
        "tasks": ",".join(others),
        "n": family["n"],
        "size": family["pretrain_size"],
        "data_seed": seed,
        "seed": seed,
        "max_steps": budget(s, family, "pretrain_steps"),
        "eval_every": budget(s, family, "eval_every"),
    }
    if groups:
        flags["groups"] = groups
    suffix = f"-{groups}" if groups else ""
    return train("pretrain", flags, exp.runs_dir / f"pretrain-without-{target}{suffix}-s{seed}")


def finetune(exp: Experiment, family: dict[str, Any], target: str, seed: int, base: RunRecord, variant: str):
    """Finetune ``target`` from the pretrained model, or from a fresh model of its size (``scratch``)."""
    s = exp.settings
    flags = {
        **common_flags(exp.optimizer, exp.bookkeeping),
        "model": str(base.model_dir),
        "from_scratch": variant == "scratch",
        "task": target,
        "n": family["n"],
        "size": family["size"],
        "train_size": family["train_size"],
        "data_seed": seed,
        "seed": seed,
        "max_steps": budget(s, family, "finetune_steps"),
        "eval_every": budget(s, family, "eval_every"),
        "backbone_lr_scale": s["backbone_lr_scale"] if variant in ("pretrained", *NOSYM_VARIANTS) else 1.0,
    }
    if variant == NOSYM_TRIVIAL:
        flags["group"] = "trivial"
    return train("finetune", flags, exp.runs_dir / f"{target}-{variant}-s{seed}")


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
    payloads: dict[tuple[str, str, int], dict[str, Any]] = {}
    for kind, target, seed in tqdm(exp.order(jobs), desc=NAME, unit="target"):
        family = s[kind]
        base = pretrain(exp, family, target, seed)
        payloads["pretrain", target, seed] = base.payload
        for variant in VARIANTS:
            payloads[variant, target, seed] = finetune(exp, family, target, seed, base, variant).payload
        if NOSYM in variants(family):
            nosym_base = pretrain(exp, family, target, seed, groups="trivial")
            payloads["pretrain_nosym", target, seed] = nosym_base.payload
            for variant in NOSYM_VARIANTS:
                run = finetune(exp, family, target, seed, nosym_base, variant)
                payloads[variant, target, seed] = run.payload

    tables, data, findings = [], {}, []
    curves: dict[str, dict[str, dict[str, list[float]]]] = {}
    for kind, metric, better in (("equivariant", "sequence_accuracy", max), ("invariant", "loss", min)):
        family = s[kind]
        if not family["targets"]:
            continue
        ran = variants(family)
        nosym = NOSYM in ran
        table = Table(
            f"{kind.capitalize()} transfer: test {metric} after finetuning on {family['train_size']} rows",
            [
                "target",
                "pretrained on",
                "pretrained + finetune",
                "finetune only (scratch)",
                "better",
                *(["NoSym pretrained + finetune", "NoSym throughout"] if nosym else []),
                "ablation: pretrained, backbone x1",
            ],
            note=f"pretraining {budget(s, family, 'pretrain_steps')} steps on {family['pretrain_size']} "
            f"examples per task; finetuning {budget(s, family, 'finetune_steps')} steps, backbone rate "
            f"x{s['backbone_lr_scale']}. "
            + (
                "NoSym: the same pretraining with every task on the trivial group, then finetuned with the "
                "target's group; NoSym throughout: finetuned on the trivial group as well. "
                if nosym
                else ""
            )
            + "Paper Fig. 6/7 show curves only: pretrained ahead on intersect, and on detect_capital and "
            "has_palindrome in the invariant set.",
        )
        for target in family["targets"]:
            seeds = family["seeds"]
            cell = {
                v: summarize([final_metric(payloads[v, target, sd], target, metric) for sd in seeds])
                for v in ran
            }
            means = {v: cell[v]["mean"] for v in COMPARED}
            winner = "tie" if len(set(means.values())) == 1 else better(COMPARED, key=means.__getitem__)
            others = ", ".join(t for t in family["pool"] if t != target)
            table.add(
                target,
                others,
                format_cell(cell["pretrained"]),
                format_cell(cell["scratch"]),
                winner,
                *([format_cell(cell[NOSYM]), format_cell(cell[NOSYM_TRIVIAL])] if nosym else []),
                format_cell(cell["pretrained_full_rate"]),
            )
            data.update({f"{target}/{v}/{metric}": cell[v] for v in ran})
            findings.append(f"{target}: {winner} is better on test {metric}")
            if nosym:
                gap = cell[NOSYM]["mean"] - cell["pretrained"]["mean"]
                findings.append(
                    f"{target}: NoSym pretraining - own-group pretraining = {gap:+.3f} test {metric}"
                )
            curves[target] = {
                v: mean_curve([metric_curve(payloads[v, target, sd], target, "loss") for sd in seeds])
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
