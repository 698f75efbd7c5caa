"""Run in an interpreter that cannot import asen_fm: load a cross-domain checkpoint by remote code only,
check its logits, finetune it on a new task with a new input adapter and a new group, save and reload.

usage: python -S fresh_finetune.py MODEL_DIR JOBS.pt RESULTS.pt OUT_DIR
JOBS.pt: {"inputs": {task: {input name: tensor}}}; RESULTS.pt gets the logits, the finetuning losses,
the reloaded model's logits on the new task and the saved input adapters.
"""

from __future__ import annotations

import json
import sys

import torch
from transformers import AutoModel
from transformers.dynamic_module_utils import get_class_from_dynamic_module


def main() -> None:
    model_dir, jobs_path, results_path, out_dir = sys.argv[1:5]
    try:
        import asen_fm  # noqa: F401
    except ModuleNotFoundError as err:
        import_error = str(err)
    else:
        raise SystemExit("asen_fm is importable in the fresh process: the test would prove nothing")
    jobs = torch.load(jobs_path)
    backbone = AutoModel.from_pretrained(model_dir, trust_remote_code=True)
    multitask = get_class_from_dynamic_module("modeling_asen.AsenForMultiTask", model_dir)
    model = multitask.from_pretrained(model_dir).eval()
    with torch.no_grad():
        logits = {task: model(**inputs, task=task).logits for task, inputs in jobs["inputs"].items()}

    # a fifth task: 5 sensors on a ring (a group no pretraining task had), readings of width 3 (an input
    # kind no adapter takes), per-node target = the sum of the node's readings
    model.add_task(
        "ring", {"n": 5, "generators": [[1, 2, 3, 4, 0]]}, head="node_regression", num_labels=1,
        adapter={"name": "speeds", "kind": "features", "width": 3},
    )  # fmt: skip
    generator = torch.Generator().manual_seed(0)
    readings = torch.randn(64, 5, 3, generator=generator)
    target = readings.sum(dim=-1, keepdim=True)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(60):
        loss = model(node_features=readings, task="ring", labels=target).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    model.eval()
    with torch.no_grad():
        tuned = model(node_features=readings[:4], task="ring").logits
    model.save_pretrained(out_dir)
    reloaded = multitask.from_pretrained(out_dir).eval()
    with torch.no_grad():
        again = reloaded(node_features=readings[:4], task="ring").logits
    results = {
        "asen_fm_import_error": import_error,
        "backbone_class": type(backbone).__name__,
        "module": type(model).__module__,
        "logits": logits,
        "losses": losses,
        "tuned": tuned,
        "reloaded": again,
        "adapters": json.loads(open(f"{out_dir}/config.json").read())["input_adapters"],
    }
    torch.save(results, results_path)


if __name__ == "__main__":
    main()
