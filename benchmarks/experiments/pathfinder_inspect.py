"""Look inside a Pathfinder run that stayed at chance: does its output depend on the image at all? (issue 23)

    OMP_NUM_THREADS=1 python benchmarks/experiments/pathfinder_inspect.py RUN_FOLDER [--images 256]

For the trained model of ``RUN_FOLDER`` (a finished ``finetune.py`` run) and for a fresh model with the
same config (the run's initialisation seed), on the first ``--images`` validation images of the run's task:

- the spread across images of the pooled node states (std over images, averaged over channels) beside
  their mean magnitude, and of the logit difference (class 1 - class 0);
- the gradient norm of the loss, per parameter family (embeddings / positions, attention, MLP, head);
- the attention entropy of each layer, as a fraction of the uniform attention's (log n).

Prints a markdown table per model. A probe, not a result: one run, one batch.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import torch

FAMILIES = ("embed", "symmetry", "attention", "mlp", "head", "other")


def family(name: str) -> str:
    """The parameter family a parameter name belongs to."""
    if ".heads." in name or name.startswith("heads."):
        return "head"
    if "attention" in name or ".attn" in name:
        return "attention"
    if "intermediate" in name or "mlp" in name or ".output." in name:
        return "mlp"
    if "symmetr" in name or "orbit" in name or "position" in name:
        return "symmetry"
    if "embed" in name or "adapter" in name:
        return "embed"
    return "other"


def inspect(model: torch.nn.Module, batch: dict[str, torch.Tensor], head: str) -> dict[str, str]:
    """Spread of the pooled states and logits, gradient norm per family, attention entropy per layer."""
    model.eval()
    pooled: list[torch.Tensor] = []
    hook = model.heads[head].dense.register_forward_hook(lambda _m, args, _o: pooled.append(args[0].detach()))
    out = model(**batch, task=head, output_attentions=True)
    hook.remove()
    out.loss.backward()
    states = pooled[0]
    diff = (out.logits[:, 1] - out.logits[:, 0]).detach()
    norms = dict.fromkeys(FAMILIES, 0.0)
    for name, param in model.named_parameters():
        if param.grad is not None:
            norms[family(name)] += float(param.grad.pow(2).sum())
    model.zero_grad()
    row = {
        "loss": f"{out.loss.item():.4f}",
        "pooled mean abs": f"{float(states.mean(0).abs().mean()):.3g}",
        "pooled std over images": f"{float(states.std(0).mean()):.3g}",
        "logit diff mean / std": f"{float(diff.mean()):.3g} / {float(diff.std()):.3g}",
    }
    row.update({f"grad {k}": f"{math.sqrt(v):.2e}" for k, v in norms.items() if v > 0})
    attentions = getattr(out, "attentions", None) or ()
    for i, att in enumerate(attentions):
        p = att.detach().clamp_min(1e-12)
        entropy = float(-(p * p.log()).sum(-1).mean()) / math.log(p.shape[-1])
        row[f"attn entropy L{i}"] = f"{entropy:.3f}"
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path, help="a finished finetune.py run folder (metrics.json, model/)")
    parser.add_argument("--images", type=int, default=256, help="validation images in the batch")
    args = parser.parse_args(argv)
    if not (args.run / "metrics.json").is_file() or not (args.run / "model").is_dir():
        parser.error(f"{args.run} is not a finished run folder (metrics.json and model/)")
    from asen_fm import AsenForMultiTask
    from asen_fm.tasks import Task
    from asen_fm.training.data import task_tensors

    flags = json.loads((args.run / "metrics.json").read_text())["config"]
    head, folder = flags["task"].split("=", 1)
    data = task_tensors(Task.load(folder), head)
    batch = {k: v[: args.images] for k, v in data.splits["validation"].items()}
    trained = AsenForMultiTask.from_pretrained(args.run / "model")
    torch.manual_seed(int(flags["seed"]))
    fresh = AsenForMultiTask(trained.config)
    for label, model in (("fresh init", fresh), ("trained", trained)):
        row = inspect(model, batch, head)
        print(f"\n{label} ({args.run.name}, {args.images} validation images)")
        print("| " + " | ".join(row) + " |")
        print("|" + "---|" * len(row))
        print("| " + " | ".join(row.values()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
