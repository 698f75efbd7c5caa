"""Run in a fresh interpreter that cannot import asen_fm: load saved ASEN models by remote code only.

usage: python -S fresh_process_load.py JOBS.pt RESULTS.pt
JOBS.pt holds a list of {"source": folder or Hub repo id, "class": "AutoModelFor..." or "AsenFor...",
"inputs": {symmetry_or_task: input_ids}}; a repo id is read from HF_HUB_CACHE with HF_HUB_OFFLINE=1.
RESULTS.pt gets {"asen_fm_import_error": str, "jobs": [{name: logits, ...}, ...]}.
"""

from __future__ import annotations

import sys

import torch
import transformers
from transformers.dynamic_module_utils import get_class_from_dynamic_module


def run_job(job: dict) -> dict:
    if job["class"].startswith("Auto"):
        model = getattr(transformers, job["class"]).from_pretrained(job["source"], trust_remote_code=True)
    else:
        cls = get_class_from_dynamic_module(f"modeling_asen.{job['class']}", job["source"])
        model = cls.from_pretrained(job["source"])
    result = {"module": type(model).__module__}
    selector = "task" if job["class"] == "AsenForMultiTask" else "symmetry"
    model.eval()
    with torch.no_grad():
        for name, ids in job["inputs"].items():
            result[name] = model(input_ids=ids, **{selector: name}).logits
    try:  # a spec the shipped group_specs.py does not know needs asen_fm; the JSON form does not
        model.add_symmetry("late", "from_cycles(4, '(0 1 2 3)')")
    except ValueError as err:
        result["spec_error"] = str(err)
    model.add_symmetry("late", {"n": 4, "generators": [[1, 2, 3, 0]]})
    result["late_orbits"] = model.base_model.symmetry_embedders["late"].num_pair_orbits
    model.add_symmetry("late_spec", "grid(3, 3, torus)")  # the shipped files read named specs themselves
    result["late_spec_orbits"] = model.base_model.symmetry_embedders["late_spec"].num_pair_orbits
    return result


def main() -> None:
    jobs_path, results_path = sys.argv[1:3]
    try:
        import asen_fm  # noqa: F401
    except ModuleNotFoundError as err:
        import_error = str(err)
    else:
        raise SystemExit("asen_fm is importable in the fresh process: the test would prove nothing")
    results = {"asen_fm_import_error": import_error, "jobs": [run_job(job) for job in torch.load(jobs_path)]}
    torch.save(results, results_path)


if __name__ == "__main__":
    main()
