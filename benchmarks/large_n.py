"""n = 1024 and 4096 end to end: build, one training step, save, load; time, peak RSS and file sizes.

Each breaking choice of a side x side image (hidden 64, 2 layers, 4 heads, batch 2) runs in its own fresh
process, so its peak RSS (VmHWM, the ~0.45 GB of torch, transformers and datasets included) is its own and
no coloring is cached from another variant. In that process: build (``AsenConfig`` +
``AsenForTokenClassification``), two forward+backward steps, ``save_pretrained`` (model card included),
``from_pretrained`` (coloring caches cleared first), and the sizes of ``config.json`` and of a task card
(``Task.save`` of a two-row dataset with that symmetry). Step times come from one more process holding
every variant of that n, their steps interleaved round by round (medians of ``--repeats`` rounds after a
warm-up), so that the ratios against 1-D positions see the same load on a shared machine.

    OMP_NUM_THREADS=1 python benchmarks/large_n.py                       # n = 1024 and 4096
    OMP_NUM_THREADS=1 python benchmarks/large_n.py --sides 16 --repeats 1   # smoke
    OMP_NUM_THREADS=1 python benchmarks/large_n.py --sides 64 --only torus --builder_rows 10000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any


def variants(side: int) -> dict[str, Any]:
    n = side * side
    return {
        "1-D positions": f"trivial({n})",
        "2-D positions": {"group": f"trivial({n})", "positions": [side, side]},
        "patch 2 x 2": f"grid({side}, {side}, patch, 2)",
        "ragged patch 3 x 3": f"grid({side}, {side}, patch, 3)",
        "torus": f"grid({side}, {side}, torus)",
        "D4": f"grid({side}, {side}, d4)",
    }


def _peak_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not in /proc/self/status")


def _measure(entry: Any, side: int, queue: Any) -> None:
    """One variant, in its own process: every phase timed, the peak RSS read after each."""
    import datasets
    import torch

    from asen_fm import AsenConfig, AsenForTokenClassification, modeling_asen
    from asen_fm.symmetry.cache import cache_clear
    from asen_fm.tasks.task import Task

    torch.set_num_threads(1)
    torch.manual_seed(0)
    n = side * side
    result: dict[str, Any] = {"rss_import": _peak_mib()}
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = AsenConfig(
            vocab_size=16,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=256,
            hidden_dropout_prob=0.0,
            symmetries={"s": entry},
        )
        model = AsenForTokenClassification(config).train()
    result["build"] = time.perf_counter() - start
    result["pair_orbits"] = model.asen.symmetry_embedders["s"].num_pair_orbits
    result["rss_build"] = _peak_mib()
    generator = torch.Generator().manual_seed(0)
    batch = {
        "input_ids": torch.randint(0, 16, (2, n), generator=generator),
        "labels": torch.randint(0, 2, (2, n), generator=generator),
    }
    for _ in range(2):
        model.zero_grad(set_to_none=True)
        model(**batch).loss.backward()
    result["rss_step"] = _peak_mib()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        model.save_pretrained(folder)
        result["save"] = time.perf_counter() - start
        result["config_bytes"] = (Path(folder) / "config.json").stat().st_size
        del model
        modeling_asen._COLORINGS.clear()
        cache_clear()
        start = time.perf_counter()
        AsenForTokenClassification.from_pretrained(folder)
        result["load"] = time.perf_counter() - start
        result["rss_load"] = _peak_mib()
        rows = {"input_ids": [[0] * n] * 2, "labels": [[0] * n, [1] * n]}
        data = {split: datasets.Dataset.from_dict(rows) for split in ("train", "validation", "test")}
        group = entry["group"] if isinstance(entry, dict) else entry
        Task.from_dataset(data, group=group, head="token", name="image").save(Path(folder) / "task")
        result["card_bytes"] = (Path(folder) / "task" / "task_card.json").stat().st_size
    result["rss_peak"] = _peak_mib()
    queue.put(result)


def _time_steps(entries: dict[str, Any], side: int, repeats: int, queue: Any) -> None:
    """Median step time of every variant, the variants' steps interleaved round by round."""
    import torch

    from asen_fm import AsenConfig, AsenForTokenClassification

    torch.set_num_threads(1)
    n = side * side
    models = {}
    for name, entry in entries.items():
        torch.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config = AsenConfig(
                vocab_size=16,
                hidden_size=64,
                num_hidden_layers=2,
                num_attention_heads=4,
                intermediate_size=256,
                hidden_dropout_prob=0.0,
                symmetries={"s": entry},
            )
            models[name] = AsenForTokenClassification(config).train()
    generator = torch.Generator().manual_seed(0)
    batch = {
        "input_ids": torch.randint(0, 16, (2, n), generator=generator),
        "labels": torch.randint(0, 2, (2, n), generator=generator),
    }
    times: dict[str, list[float]] = {name: [] for name in entries}
    for repeat in range(repeats + 1):
        for name, model in models.items():
            model.zero_grad(set_to_none=True)
            start = time.perf_counter()
            model(**batch).loss.backward()
            if repeat:  # round 0 is warm-up
                times[name].append(time.perf_counter() - start)
    queue.put({name: statistics.median(samples) for name, samples in times.items()})


def _builder_rate(rows: int, queue: Any) -> None:
    """Pathfinder-64's data builder on ``rows`` training images (streamed past STREAM_ROWS): images per
    second and peak RSS, the Arrow files in a temporary datasets cache."""
    import datasets

    from asen_fm.domains.images.pathfinder_task import STREAM_ROWS, pathfinder_task

    with tempfile.TemporaryDirectory() as folder:
        datasets.config.HF_DATASETS_CACHE = Path(folder)
        start = time.perf_counter()
        data, _ = pathfinder_task(resolution=64, sizes={"train": rows, "validation": 2, "test": 2}, seed=0)
        seconds = time.perf_counter() - start
        queue.put(
            {
                "rows": len(data["train"]),
                "seconds": seconds,
                "streamed": rows > STREAM_ROWS,
                "rss": _peak_mib(),
                "disk_mib": sum(f.stat().st_size for f in Path(folder).rglob("*.arrow")) / 2**20,
            }
        )


def run(target: Any, *args: Any) -> Any:
    """``target(*args, queue)`` in a fresh spawned process; returns what it put on the queue."""
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", type=int, nargs="+", default=[32, 64], help="image sides (n = side^2)")
    parser.add_argument("--repeats", type=int, default=3, help="timed steps per variant (after 1 warm-up)")
    parser.add_argument("--only", nargs="+", default=None, help="variant names to run (default: all)")
    parser.add_argument(
        "--builder_rows", type=int, default=0, help="also time Pathfinder-64's data builder on this many rows"
    )
    try:
        args = parser.parse_args()
    except SystemExit as exit_:
        sys.exit(2 if exit_.code else 0)
    if args.repeats < 1 or min(args.sides) < 4:
        print("large_n.py: error: --repeats must be >= 1 and --sides >= 4", file=sys.stderr)
        sys.exit(2)
    known = variants(4)
    if args.only and set(args.only) - set(known):
        print(f"large_n.py: error: unknown variant(s); known: {', '.join(known)}", file=sys.stderr)
        sys.exit(2)
    print(
        "| n | variant | build s | step s | step ratio | save s | load s | build+save+load s | peak RSS MiB "
        "(after build / step / load) | config.json bytes | task card bytes | pair orbits |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    results = []
    for side in args.sides:
        chosen = {k: v for k, v in variants(side).items() if not args.only or k in args.only}
        steps = run(_time_steps, chosen, side, args.repeats)
        baseline = steps[next(iter(chosen))]
        for name, entry in chosen.items():
            r = {**run(_measure, entry, side), "step": steps[name]}
            total = r["build"] + r["save"] + r["load"]
            cells = [
                side * side,
                name,
                f"{r['build']:.2f}",
                f"{r['step']:.2f}",
                f"{r['step'] / baseline:.2f}",
                f"{r['save']:.2f}",
                f"{r['load']:.2f}",
                f"{total:.2f}",
                f"{r['rss_peak']:.0f} ({r['rss_build']:.0f} / {r['rss_step']:.0f} / {r['rss_load']:.0f})",
                f"{r['config_bytes']:,}",
                f"{r['card_bytes']:,}",
                f"{r['pair_orbits']:,}",
            ]
            print("| " + " | ".join(map(str, cells)) + " |", flush=True)
            results.append({"n": side * side, "variant": name, **r})
    if args.builder_rows:
        b = run(_builder_rate, args.builder_rows)
        print(
            f"\nPathfinder-64 builder: {b['rows']:,} images in {b['seconds']:.1f} s = "
            f"{b['rows'] / b['seconds']:.0f} images/s ({'streamed' if b['streamed'] else 'in memory'}), "
            f"peak RSS {b['rss']:.0f} MiB, "
            f"{b['disk_mib']:.0f} MiB of Arrow files"
        )
    print(json.dumps(results), file=sys.stderr)


if __name__ == "__main__":
    main()
