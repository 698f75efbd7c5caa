"""Orbit colorings, |G| and the 2-closure: our code against SymPy and against the code before issue 18.

Table 1 (``pairs``), pair-orbit coloring A^(2): our NumPy union of generator images vs the paper's
SymPy path (Alg. 1).

SymPy path: lift each generator to S_{n^2} (pair (a, b) -> a * n + b), build the PermutationGroup and
call ``.orbits()``. Ours: ``asen_fm.orbit_coloring.pair_orbits``. Both results are compared as
partitions. Times are medians over --repeats runs (SymPy: one run once it takes over a second); a
group's SymPy column stops after a run over --sympy-stop-s seconds or once the SymPy side has used
--sympy-budget-s in total. Peak memory of ours is the tracemalloc peak of a separate run.

Table 2 (``closure``), the 2-closure on the hard families (AGL(1,p), PSL(2,q), PSL(3,p), rank-3
actions, diagonal copies, direct and wreath products; every group of degree <= --closure-max-n, given
by generators only): ``two_closure`` now (median of --closure-repeats runs, |G| included) and, for
the rows in ``closure_families.BEFORE``, the code before issue 18 (SymPy |G| + the old backtrack,
``closure_before.py``, one run, within --before-budget-s); "same" compares (|G|, |G^(2)|).

Table 3 (``order``), |G| of raw generators (swap_halves, block products, wreath products, random
subgroups) at --order-sizes: ours (median of 3) vs SymPy (one run, n <= --sympy-order-max-n, a family
stops after a run over --sympy-stop-s, all within --sympy-order-budget-s).

Table 4 (``model``): AsenConfig + AsenModel + save_pretrained with AGL(1,47) and a 207-point cluster
group (S_9 wr S_23) given by generators, against trivial(n) of the same degree (same weights); the
cache is cleared before each run.

    OMP_NUM_THREADS=1 python benchmarks/orbits.py
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from sympy.combinatorics import Permutation, PermutationGroup
from tqdm import tqdm

from asen_fm.orbit_coloring import canonical_ids, pair_orbits
from asen_fm.progress import progress_bar
from asen_fm.symmetry import PermGroup, two_closure

sys.path.insert(0, str(Path(__file__).resolve().parent))
from closure_before import two_closure_before  # noqa: E402
from closure_families import BEFORE, closure_cases, order_cases  # noqa: E402

GROUPS = ("reversal", "dihedral", "swap_halves")
TABLES = ("pairs", "closure", "order", "model")


def sympy_pair_orbits(group: PermGroup) -> np.ndarray:
    """Algorithm 1 as in the paper: SymPy orbits of the lifted generators, as canonical ids."""
    n = group.n
    lifted = [Permutation((g[:, None] * n + g[None, :]).ravel().tolist()) for g in group.generators]
    labels = np.empty(n * n, dtype=np.int64)
    for k, orbit in enumerate(PermutationGroup(lifted).orbits()):
        labels[list(orbit)] = k
    return canonical_ids(labels.reshape(n, n))


def timed(fn, group: PermGroup, repeats: int) -> tuple[float, float, np.ndarray]:
    """Median wall-clock and median process-CPU seconds of fn(group), and its result."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn(group)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
        if walls[-1] > 1.0:
            break
    return statistics.median(walls), statistics.median(cpus), result


def peak_mib(group: PermGroup) -> float:
    tracemalloc.start()
    pair_orbits(group)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def _big(x: int) -> str:
    return str(x) if x < 10**6 else f"{float(x):.3e}"


def closure_table(args: argparse.Namespace) -> None:
    """Table 2: two_closure before/after on the hard families."""
    header = ["family", "group", "n", "order of G", "index of G in G^(2)", "before s", "after s", "speed-up"]
    header += ["same"]
    tqdm.write("| " + " | ".join(header) + " |")
    tqdm.write("|---|---|---:|---:|---:|---:|---:|---:|:---:|")
    spent, slowest, per_family = 0.0, (0.0, ""), {}
    for family, label, build in progress_bar(
        closure_cases(args.closure_max_n), desc="2-closure", unit="group"
    ):
        times, result = [], None
        for _ in range(args.closure_repeats):
            group = build()
            start = time.perf_counter()
            result = two_closure(group)
            times.append(time.perf_counter() - start)
        after = statistics.median(times)
        slowest = max(slowest, (after, label))
        count, worst = per_family.get(family, (0, (0.0, "")))
        per_family[family] = (count + 1, max(worst, (after, label)))
        cells = [family, label, str(result.n), _big(result.order), _big(result.index)]
        if label in BEFORE and spent < args.before_budget_s:
            group = build()
            start = time.perf_counter()
            old = two_closure_before(group)
            before = time.perf_counter() - start
            spent += before
            same = "yes" if old == (result.order, result.closure_order) else "NO"
            cells += [f"{before:.3g}", f"{after:.3g}", f"{before / after:.0f}x", same]
        else:
            cells += ["-", f"{after:.3g}", "-", "-"]
        tqdm.write("| " + " | ".join(cells) + " |")
    tqdm.write("\n| family | groups | slowest after s | slowest group |\n|---|---:|---:|---|")
    for family, (count, (worst, label)) in per_family.items():
        tqdm.write(f"| {family} | {count} | {worst:.3g} | {label} |")
    tqdm.write(
        f"\nslowest two_closure: {slowest[1]} in {slowest[0]:.3g} s; before-code time spent {spent:.1f} s"
    )


def order_table(args: argparse.Namespace) -> None:
    """Table 3: |G| of raw generators, ours vs SymPy."""
    header = ["family", "group", "n", "digits of the order", "ours s", "SymPy s", "same"]
    tqdm.write("| " + " | ".join(header) + " |")
    tqdm.write("|---|---|---:|---:|---:|---:|:---:|")
    spent, stopped, slowest = 0.0, set(), (0.0, "")
    for family, label, build in progress_bar(order_cases(args.order_sizes), desc="|G|", unit="group"):
        times, order = [], 0
        for _ in range(3):
            group = build()
            start = time.perf_counter()
            order = group.order()
            times.append(time.perf_counter() - start)
        ours = statistics.median(times)
        slowest = max(slowest, (ours, label))
        cells = [family, label, str(group.n), str(len(str(order))), f"{ours:.3g}"]
        if group.n <= args.sympy_order_max_n and label not in stopped and spent < args.sympy_order_budget_s:
            group = build()
            start = time.perf_counter()
            theirs = int(group.sympy.order())
            took = time.perf_counter() - start
            spent += took
            if took > args.sympy_stop_s:
                stopped.add(label.split("(")[0])
            cells += [f"{took:.3g}", "yes" if theirs == order else "NO"]
        else:
            cells += ["-", "-"]
        tqdm.write("| " + " | ".join(cells) + " |")
    tqdm.write(f"\nslowest order(): {slowest[1]} in {slowest[0]:.3g} s; SymPy time spent {spent:.1f} s")


def model_table(args: argparse.Namespace) -> None:
    """Table 4: config + model + save_pretrained with a hard group vs trivial(n) (same weights)."""
    import torch  # noqa: F401  (imported before timing)

    from asen_fm import AsenConfig, AsenModel
    from asen_fm.symmetry import cache
    from asen_fm.symmetry import families as F

    def build_and_save(group: PermGroup) -> float:
        cache.cache_clear()
        start = time.perf_counter()
        config = AsenConfig(
            vocab_size=5,
            hidden_size=16,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=32,
            symmetries={"s": group},
        )
        model = AsenModel(config)
        with tempfile.TemporaryDirectory() as folder:
            model.save_pretrained(folder)
        return time.perf_counter() - start

    import warnings

    cluster = F.wreath_imprimitive(PermGroup(9, PermGroup.symmetric(9).generators), 23)
    rows = [("AGL(1,47)", F.affine_line(47)), ("207-point clusters S_9 wr S_23", cluster)]
    tqdm.write("| group | n | with the group s | with trivial(n) s | difference s |")
    tqdm.write("|---|---:|---:|---:|---:|")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_and_save(PermGroup.trivial(8))  # warm-up: imports, first save
        for label, group in rows:
            raw = [build_and_save(PermGroup(group.n, group.generators)) for _ in range(3)]
            base = [build_and_save(PermGroup.trivial(group.n)) for _ in range(3)]
            hard, easy = statistics.median(raw), statistics.median(base)
            tqdm.write(f"| {label} | {group.n} | {hard:.3g} | {easy:.3g} | {hard - easy:.3g} |")


def pairs_table(args: argparse.Namespace) -> None:
    """Table 1: pair orbits, ours vs SymPy."""
    header = ["group", "n", "pair orbits", "ours wall s", "ours CPU s", "SymPy wall s", "SymPy CPU s"]
    header += ["SymPy / ours (CPU)", "same", "ours peak MiB"]
    tqdm.write("| " + " | ".join(header) + " |")
    tqdm.write("|---|---:|---:|---:|---:|---:|---:|---:|:---:|---:|")
    stopped: set[str] = set()
    sympy_spent = 0.0
    cases = [(name, n) for n in args.sizes for name in GROUPS]
    for name, n in progress_bar(cases, desc="pair orbits", unit="case"):
        group = getattr(PermGroup, name)(n)
        wall, cpu, ours = timed(pair_orbits, group, args.repeats)
        cells = [str(group), str(n), str(int(ours.max()) + 1), f"{wall:.4g}", f"{cpu:.4g}"]
        if n <= args.sympy_max_n and name not in stopped and sympy_spent < args.sympy_budget_s:
            sympy_wall, sympy_cpu, theirs = timed(sympy_pair_orbits, group, args.repeats)
            sympy_spent += sympy_cpu
            if sympy_wall > args.sympy_stop_s:
                stopped.add(name)
            same = "yes" if np.array_equal(theirs, ours) else "NO"
            cells += [f"{sympy_wall:.4g}", f"{sympy_cpu:.4g}", f"{sympy_cpu / cpu:.0f}x", same]
        else:
            cells += ["-", "-", "-", "-"]
        cells.append(f"{peak_mib(group):.2f}")
        tqdm.write("| " + " | ".join(cells) + " |")
    tqdm.write(f"\nSymPy CPU time spent in total: {sympy_spent:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, 128, 256, 512, 1024, 2048, 4096])
    parser.add_argument("--sympy-max-n", type=int, default=256)
    parser.add_argument("--sympy-stop-s", type=float, default=60.0)
    parser.add_argument("--sympy-budget-s", type=float, default=150.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tables", nargs="+", choices=TABLES, default=list(TABLES))
    parser.add_argument("--closure-max-n", type=int, default=100)
    parser.add_argument("--closure-repeats", type=int, default=3)
    parser.add_argument("--before-budget-s", type=float, default=400.0)
    parser.add_argument("--order-sizes", type=int, nargs="+", default=[40, 80, 120, 160, 320, 1000])
    parser.add_argument("--sympy-order-max-n", type=int, default=80)
    parser.add_argument("--sympy-order-budget-s", type=float, default=120.0)
    args = parser.parse_args()
    if os.environ.get("OMP_NUM_THREADS") != "1":
        print("note: set OMP_NUM_THREADS=1 for comparable numbers")
    print(
        f"hardware: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs visible, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}; times are medians, wall-clock seconds "
        "(table 1 also process CPU)"
    )
    tables = {"pairs": pairs_table, "closure": closure_table, "order": order_table, "model": model_table}
    for name in TABLES:
        if name in args.tables:
            tqdm.write(f"\n## {name}\n")
            tables[name](args)


if __name__ == "__main__":
    main()
