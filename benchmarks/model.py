"""Cost of each symmetry-breaking choice: forward+backward time and peak memory against a plain transformer.

Every variant is the same ASEN model (hidden 128, 4 layers, 4 heads) on identical inputs; only the breaking
input differs. The baseline is node-only breaking, i.e. the plain transformer with learned positions (no
attention bias at all). Times are medians of ``--repeats`` steps with the variants interleaved step by step
(fair under a drifting shared-CPU load); peak memory is the RSS increase over two steps, each variant in its
own forked child process. Ratios are against the baseline measured in the same run.

    OMP_NUM_THREADS=1 python benchmarks/model.py                      # sequences: n = 256, 1024
    OMP_NUM_THREADS=1 python benchmarks/model.py --grid 32            # images: 32 x 32 = 1024 pixels
    OMP_NUM_THREADS=1 python benchmarks/model.py --sizes 16 64 --repeats 3
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any

import torch

from asen_fm import AsenConfig, AsenForTokenClassification
from asen_fm.progress import progress_bar

TOKENS_PER_BATCH = 4096


@dataclass(frozen=True)
class Variant:
    name: str
    symmetries: dict[str, Any]
    implementation: str = "sdpa"
    pair_embeddings: bool = False
    mixed: bool = False  # half the batch on a second, shorter symmetry (padded)


def sequence_variants(n: int) -> list[Variant]:
    short = 3 * n // 4
    dihedral = f"dihedral({n})"
    return [
        Variant("plain (node-only)", {"s": {"group": dihedral, "pairs": "none"}}),
        Variant("sdpa + bias", {"s": dihedral}),
        Variant("eager + bias", {"s": dihedral}, implementation="eager"),
        Variant("bias + pair K/V embeddings", {"s": dihedral}, pair_embeddings=True),
        Variant("padded mixed batch, sdpa + bias", {"s": dihedral, "t": f"dihedral({short})"}, mixed=True),
    ]


def grid_variants(side: int) -> list[Variant]:
    n = side * side
    return [
        Variant("1-D positions (trivial, node-only)", {"s": f"trivial({n})"}),
        Variant("2-D positions (row + column)", {"s": {"group": f"trivial({n})", "positions": [side, side]}}),
        Variant("torus translations", {"s": f"grid({side}, {side}, torus)"}),
        Variant("D4 (rotations, reflections)", {"s": f"grid({side}, {side}, d4)"}),
        Variant("patch-local 2 x 2 (node-only)", {"s": f"grid({side}, {side}, patch, 2)"}),
        Variant("patch-local 4 x 4 (node-only)", {"s": f"grid({side}, {side}, patch, 4)"}),
    ]


# Model size: the paper's (hidden 128, 4 layers); ``--tiny`` shrinks it for smoke tests.
SIZE = {"hidden_size": 128, "num_hidden_layers": 4, "intermediate_size": 512}


def build(variant: Variant) -> AsenForTokenClassification:
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # node-only dihedral is deliberately looser than D_n
        config = AsenConfig(
            vocab_size=32,
            num_attention_heads=4,
            **SIZE,
            hidden_dropout_prob=0.0,
            pair_embeddings=variant.pair_embeddings,
            symmetries=variant.symmetries,
            attn_implementation=variant.implementation,
        )
    return AsenForTokenClassification(config).train()


def _status_kib(field: str) -> int:
    """A ``/proc/self/status`` memory field (VmRSS: current, VmHWM: peak since the last reset) in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


def _reset_peak_rss() -> None:
    """Reset VmHWM to the current RSS (a forked child otherwise inherits its parent's peak)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def batch_for(variant: Variant, n: int) -> dict[str, Any]:
    generator = torch.Generator().manual_seed(n)
    size = (max(2, TOKENS_PER_BATCH // n), n)
    batch: dict[str, Any] = {
        "input_ids": torch.randint(0, 32, size, generator=generator),
        "labels": torch.randint(0, 2, size, generator=generator),
    }
    if variant.mixed:
        short = 3 * n // 4
        half = size[0] // 2
        mask = torch.ones(size, dtype=torch.long)
        mask[half:, short:] = 0
        batch["labels"][half:, short:] = -100
        batch["attention_mask"] = mask
        batch["symmetry"] = ["s"] * half + ["t"] * (size[0] - half)
    return batch


def step(model: AsenForTokenClassification, batch: dict[str, Any]) -> float:
    """One forward+backward; returns its wall time in seconds."""
    model.zero_grad(set_to_none=True)
    start = time.perf_counter()
    model(**batch).loss.backward()
    return time.perf_counter() - start


def _peak_child(variant: Variant, n: int, queue: mp.Queue) -> None:
    model = build(variant)
    batch = batch_for(variant, n)
    _reset_peak_rss()
    before = _status_kib("VmRSS")
    step(model, batch)
    step(model, batch)
    queue.put((_status_kib("VmHWM") - before) / 1024)


def peak_memory(variant: Variant, n: int) -> float:
    """Peak RSS increase (MiB) over two steps, in a forked child so the peak is its own."""
    context = mp.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_peak_child, args=(variant, n, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def measure(variants: list[Variant], n: int, repeats: int, memory: list[float]) -> list[dict[str, Any]]:
    models = [build(v) for v in variants]
    batches = [batch_for(v, n) for v in variants]
    times: list[list[float]] = [[] for _ in variants]
    for repeat in progress_bar(range(repeats + 1), desc=f"n={n} timing", leave=False):
        for index, (model, batch) in enumerate(zip(models, batches, strict=True)):
            seconds = step(model, batch)
            if repeat:  # round 0 is warm-up
                times[index].append(seconds)
    rows = []
    for variant, model, mib, samples in zip(variants, models, memory, times, strict=True):
        embedder_params = sum(p.numel() for p in model.asen.symmetry_embedders.parameters())
        rows.append(
            {
                "variant": variant.name,
                "ms": statistics.median(samples) * 1e3,
                "mib": mib,
                "params": sum(p.numel() for p in model.parameters()),
                "breaking_params": embedder_params,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024], help="sequence lengths n")
    parser.add_argument("--grid", type=int, default=0, help="image side (e.g. 32): grid breaking choices")
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per variant (after 1 warm-up)")
    parser.add_argument(
        "--tiny", action="store_true", help="hidden 16, 1 layer: a smoke run, not a measurement"
    )
    try:
        args = parser.parse_args()
    except SystemExit as exit_:
        sys.exit(2 if exit_.code else 0)
    if args.repeats < 1 or min(args.sizes) < 8 or args.grid < 0:
        print("model.py: error: --repeats must be >= 1, --sizes >= 8 and --grid >= 0", file=sys.stderr)
        sys.exit(2)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    if args.tiny:
        SIZE.update(hidden_size=16, num_hidden_layers=1, intermediate_size=32)
    jobs = (
        [(args.grid**2, grid_variants(args.grid))]
        if args.grid
        else [(n, sequence_variants(n)) for n in args.sizes]
    )
    print(
        f"ASEN fwd+bwd, hidden {SIZE['hidden_size']}, {SIZE['num_hidden_layers']} layers, 4 heads, "
        f"batch = {TOKENS_PER_BATCH} // n"
    )
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, median of {args.repeats} steps\n")
    print(
        "| n | variant | ms / step | ratio | peak RSS increase (MiB) | memory ratio | params "
        "| breaking params |"
    )
    print("|---|---|---|---|---|---|---|---|")
    # Memory first, from a parent that has built nothing: a child forked later would reuse the parent's freed,
    # still-resident heap and report too small an increase.
    memory = {
        n: [peak_memory(v, n) for v in progress_bar(variants, desc=f"n={n} peak memory", leave=False)]
        for n, variants in jobs
    }
    for n, variants in jobs:
        rows = measure(variants, n, args.repeats, memory[n])
        base = rows[0]
        for row in rows:
            print(
                f"| {n} | {row['variant']} | {row['ms']:.1f} | {row['ms'] / base['ms']:.2f} "
                f"| {row['mib']:.0f} | {row['mib'] / max(base['mib'], 1e-9):.2f} | {row['params']:,} "
                f"| {row['breaking_params']:,} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
