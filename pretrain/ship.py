"""Ship a finished pretraining run as a self-contained checkpoint folder: weights, code, a model card that
says what it was trained on and how well it does, and a small evaluation set that reproduces its numbers.

    python pretrain/ship.py --run runs/base --out pretrain/asen-base --eval_rows 64

Writes into ``--out`` (through a temporary sibling, renamed when complete):
    config.json, model.safetensors, *.py   ``save_pretrained`` of the run's model (loads by remote code)
    README.md        the model card: backbone, input adapters, symmetries, tasks with their validation
                     metrics (full validation split and the shipped rows), the command, the code version
    eval_rows.safetensors, eval.json       the first ``--eval_rows`` validation rows of every task and the
                     metrics the weights give on them (tests/training/test_shipped_base.py recomputes them)
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from asen_fm import AsenForMultiTask
from asen_fm.metrics import METRICS
from asen_fm.model_card import model_card_text
from asen_fm.training.data import TaskData, resolve_tasks
from asen_fm.training.evaluation import finish_metrics, metric_sums, task_entry
from asen_fm.training.recipe import read_recipe
from asen_fm.training.scripts import fail
from asen_fm.training.task_balance import input_blind_outputs

PROG = "ship.py"
UNLEARNED_RATIO = 0.9  # a validation loss above this fraction of the input-blind predictor's: not learned
REPO = Path(__file__).resolve().parents[1]


@torch.no_grad()
def small_eval(model: AsenForMultiTask, rows: dict[str, dict[str, torch.Tensor]], metrics: dict[str, list]):
    """Metrics of ``model`` on the shipped rows of each task (the evaluation code of training)."""
    model.eval()
    values = {}
    for task, columns in rows.items():
        inputs = {k: v for k, v in columns.items() if k not in ("labels", "label_mask")}
        logits = model(**inputs, task=task).logits
        sums = metric_sums(
            logits, columns["labels"], task_entry(model, task), metrics[task], columns.get("label_mask")
        )
        totals = {key: float(value.double().sum()) for key, value in sums.items()}
        values[task] = finish_metrics(totals, int(columns["labels"].shape[0]), metrics[task])
    return values


def read_rows(folder: Path) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, Any]]:
    """The shipped evaluation rows (task -> column -> tensor) and eval.json."""
    from safetensors.torch import load_file

    flat = load_file(str(folder / "eval_rows.safetensors"))
    rows: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in flat.items():
        task, column = key.split("/", 1)
        rows.setdefault(task, {})[column] = value
    return rows, json.loads((folder / "eval.json").read_text())


def recipe_at(path: str, commit: str | None) -> dict[str, Any]:
    """The recipe's flags as the run read them: the file at the run's commit (else today's file)."""
    if commit:
        shown = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=REPO, capture_output=True, text=True)
        if shown.returncode == 0:
            return json.loads(shown.stdout).get("flags", {})
    return read_recipe(REPO / path)["flags"]


def training_command(config: dict[str, Any], commit: str | None = None) -> str:
    """The pretraining command of a run: its recipe and every flag that differs from the recipe's (as the
    recipe was at ``commit``, the code version the run recorded)."""
    if not config.get("recipe"):
        return f"python pretrain/pretrain.py --tasks {config['tasks']} ..."
    recipe = recipe_at(config["recipe"], commit)
    skip = {"recipe", "data_dir", "tasks", "output_dir", "overwrite_output_dir", "resume"}
    defaults = {f.name: f.default for f in dataclasses.fields(load_pretrain().PretrainConfig)}
    changed = [
        f"--{key} {value}"
        for key, value in config.items()
        if key not in skip and value != recipe.get(key, defaults.get(key, value))
    ]
    return " ".join(
        ["python pretrain/pretrain.py --recipe", config["recipe"], *changed, "--output_dir runs/base"]
    )


def load_pretrain():
    """pretrain/pretrain.py as a module (for its flag defaults)."""
    spec = importlib.util.spec_from_file_location("pretrain_script", REPO / "pretrain" / "pretrain.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _joined(values: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.4f}" for name, value in values.items())


def card_text(
    model: AsenForMultiTask,
    metrics: dict[str, Any],
    shipped: dict[str, Any],
    rows: int,
    baselines: dict[str, dict[str, float]],
) -> str:
    """The generic model card plus what this checkpoint was trained on, how, and how well."""
    config = metrics["config"]
    code = metrics.get("code") or {}
    lines = [model_card_text(model.config), "## Training", ""]
    lines += [
        f"Command: `{training_command(config, code.get('git_commit'))}` (then `python pretrain/ship.py`).",
        "",
    ]
    tree = {False: "clean tree", True: "uncommitted changes"}.get(code.get("git_dirty"), "tree unknown")
    lines += [
        f"Code version: commit `{code.get('git_commit')}` ({tree}), source_sha256 "
        f"`{code.get('source_sha256')}`, asen-fm {code.get('package_version')}.",
        "",
    ]
    lines += [
        f"{metrics['steps']} optimizer steps of batch {config['batch_size']} on {metrics['world_size']} "
        f"process(es), {metrics.get('train_seconds', 0) / 60:.1f} min of training "
        f"({metrics.get('wall_seconds', 0) / 60:.1f} min wall); task weighting "
        f"{config['task_weighting']} (T = {config.get('weighting_temperature')}), loss normalisation "
        f"{config.get('loss_normalisation')}.",
        "",
        "## Validation metrics",
        "",
        f"At the last step on the validation split (its first {config.get('eval_size') or 'all'} rows), and "
        f"on the first {rows} rows shipped in `eval_rows.safetensors` (`eval.json`, recomputed by "
        "tests/training/test_shipped_base.py). Beside them, the same metrics of the input-blind predictor "
        "on the same validation rows: per output position, the training labels' majority class "
        "(classification) or mean / median (regression). A task has learned only where the model is well "
        "ahead of it; `loss ratio` is the model's validation loss over the input-blind one.",
        "",
        "| task | group | n | input adapter | head | input-blind predictor | validation | loss ratio "
        "| shipped rows |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    unlearned, behind = [], []
    for task, entry in metrics["tasks"].items():
        final = metrics["final"][task]["validation"]
        group = entry["group"] if len(entry["group"]) <= 40 else entry["group"][:37] + "..."
        spec = model.config.tasks[task]
        ratio = final["loss"] / max(baselines[task]["loss"], 1e-12)
        if ratio > UNLEARNED_RATIO:
            unlearned.append(task)
        behind += [
            f"{task} {name}"
            for name, value in final.items()
            if name in METRICS and name in baselines[task]
            and (value < baselines[task][name]) == METRICS[name].higher_is_better
            and value != baselines[task][name]
        ]  # fmt: skip
        lines.append(
            f"| {task} | `{group}` | {entry['n']} | {spec.get('adapter')} | {spec['head']} | "
            f"{_joined(baselines[task])} | {_joined(final)} | {ratio:.3f} | {_joined(shipped[task])} |"
        )
    verdict = (
        f"Not learned at this budget (validation loss above {UNLEARNED_RATIO} x the input-blind "
        f"predictor's): {', '.join(unlearned)}."
        if unlearned
        else f"Every task's validation loss is below {UNLEARNED_RATIO} x the input-blind predictor's."
    )
    if behind:
        verdict += f" Behind the input-blind predictor on a validation metric: {', '.join(behind)}."
    lines += ["", verdict]
    return "\n".join(lines) + "\n"


def input_blind_metrics(
    model: AsenForMultiTask, data: dict[str, TaskData], limit: int | None, metrics: dict[str, list]
) -> dict[str, dict[str, float]]:
    """Loss and metrics of the input-blind predictor (``input_blind_outputs``) on each task's first
    ``limit`` validation rows, by the evaluation code of training."""
    values = {}
    for task, item in data.items():
        split = item.splits["validation"]
        labels = split["labels"][:limit]
        mask = split.get("label_mask")
        entry = task_entry(model, task)
        outputs = input_blind_outputs(item, labels)
        sums = metric_sums(outputs, labels, entry, metrics[task], None if mask is None else mask[:limit])
        totals = {key: float(value.double().sum()) for key, value in sums.items()}
        values[task] = finish_metrics(totals, int(labels.shape[0]), metrics[task])
    return values


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("--run", required=True, help="a finished pretrain.py output folder")
    parser.add_argument("--out", required=True, help="the checkpoint folder to write (replaced if there)")
    parser.add_argument("--eval_rows", type=int, default=64, help="validation rows shipped per task")
    args = parser.parse_args(argv)
    run, out = Path(args.run), Path(args.out)
    if not (run / "metrics.json").is_file() or not (run / "model" / "config.json").is_file():
        fail(PROG, f"--run {run} is not a finished pretraining run (no metrics.json / model/)")
    if args.eval_rows < 1:
        fail(PROG, f"--eval_rows must be >= 1, got {args.eval_rows}")
    metrics = json.loads((run / "metrics.json").read_text())
    config = metrics["config"]
    model = AsenForMultiTask.from_pretrained(run / "model")
    data = resolve_tasks(
        config["tasks"], n=config["n"] or None, size=config["size"] or None, seed=config["data_seed"],
        groups=config["groups"], ids_as_features=config["ids_as_features"], unit_labels=config["unit_labels"],
        adapters=config.get("adapters", ""),
    )  # fmt: skip
    rows = {
        task: {key: value[: args.eval_rows].contiguous() for key, value in item.splits["validation"].items()}
        for task, item in data.items()
    }
    task_metrics = {task: list(item.task.metrics) for task, item in data.items()}
    shipped = small_eval(model, rows, task_metrics)

    partial = out.parent / f".{out.name}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    model.save_pretrained(partial)
    save_file(
        {f"{t}/{k}": v for t, columns in rows.items() for k, v in columns.items()},
        str(partial / "eval_rows.safetensors"),
    )
    (partial / "eval.json").write_text(
        json.dumps({"rows": args.eval_rows, "metrics": task_metrics, "values": shipped}, indent=1) + "\n"
    )
    baselines = input_blind_metrics(model, data, config.get("eval_size") or None, task_metrics)
    (partial / "README.md").write_text(card_text(model, metrics, shipped, args.eval_rows, baselines))
    previous = out.parent / f".{out.name}.previous"
    if previous.exists():
        shutil.rmtree(previous)
    if out.exists():
        out.rename(previous)  # the old checkpoint stays whole until the new one is in place
    partial.rename(out)
    if previous.exists():
        shutil.rmtree(previous)
    size = (out / "model.safetensors").stat().st_size / 2**20
    print(f"shipped {run} -> {out} (model.safetensors {size:.2f} MiB)", file=sys.stderr)
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
